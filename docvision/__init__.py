"""docvision: document OCR. PDFs and scanned pages to words with boxes, text and
confidence, in reading order.

    >>> import docvision
    >>> ocr = docvision.load()
    >>> doc = ocr("scan.pdf")
    >>> print(doc.export("text"))
    >>> for page in ocr.iter_pages("big.pdf"):
    ...     print(page.index, len(list(page.words())))

The pipeline (and torch) is imported on first use of ``load`` / ``OCRPipeline``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docvision.document import Block, Document, Line, Page, Word
from docvision.errors import DocvisionError, InputError, WeightsError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from docvision.pipeline import OCRPipeline, load


def __getattr__(name: str) -> Any:
    if name in ("OCRPipeline", "load"):
        from docvision import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'docvision' has no attribute {name!r}")


__all__ = [
    "Block",
    "DocvisionError",
    "Document",
    "InputError",
    "Line",
    "OCRPipeline",
    "Page",
    "WeightsError",
    "Word",
    "__version__",
    "load",
]
