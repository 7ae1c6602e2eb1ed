"""OCR at scale: many inputs, resumable, with time limits.

    >>> from functools import partial
    >>> from docvision.batch import Job, WorkerPool
    >>> pool = WorkerPool(2, load=partial(docvision.load, device="cpu", threads=1), page_timeout=60)
    >>> for result in pool.run(Job(p) for p in paths):   # as they complete
    ...     print(result.name, result.ok, result.errors, result.document and result.document.text)

:class:`InlineRunner` reads inputs in this process with a loaded pipeline (no time limits);
:class:`WorkerPool` in worker processes, one pipeline each, with per-page time limits. ``docvision ocr``
adds folders, lists, the manifest that makes runs resumable, and progress (:mod:`docvision.batch.command`).
"""

from docvision.batch.engine import Failed, InlineRunner, Job, Opened, PageDone, PageFailed, Result, read_document
from docvision.batch.pool import WorkerPool

__all__ = ["Failed", "InlineRunner", "Job", "Opened", "PageDone", "PageFailed", "Result", "WorkerPool", "read_document"]
