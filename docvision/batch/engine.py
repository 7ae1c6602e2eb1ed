"""One input read as a stream of events, the same in this process and in a worker process: a page
that fails (damaged, too large, an internal error) is reported and the pages after it are still read,
so one bad page costs that page, not the document."""

from __future__ import annotations

import bisect
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from docvision.document import Document, Page
from docvision.errors import DocvisionError, InputError
from docvision.io.sources import display_name


@dataclass(frozen=True)
class Job:
    """One input: a path (or a name for ``data``, e.g. ``<stdin>``) and its own page ranges."""

    source: str
    pages: str | tuple[int, ...] | None = None
    """1-based page ranges such as ``"1-3,7"``, or page numbers (those left of a resumed input); None: every page."""
    data: bytes | None = None
    """The input's bytes when it is not read from ``source``."""
    limit: int | None = None
    """Read only the first this many of the selected pages (the rest are left to other jobs); None: all."""

    def resumed(self, pages: Sequence[int]) -> Job:
        """The same input limited to ``pages`` (what is left after a failed page, or another worker's share)."""
        return Job(self.source, tuple(pages), self.data)


@dataclass(frozen=True)
class Opened:
    """The input is open: its selected page numbers (1-based)."""

    pages: tuple[int, ...]


@dataclass(frozen=True)
class PageDone:
    page: Page


@dataclass(frozen=True)
class PageFailed:
    number: int
    reason: str
    trace: str = ""
    """The traceback (``--debug`` prints it)."""


@dataclass(frozen=True)
class Failed:
    """The input could not be opened."""

    reason: str
    trace: str = ""


Event = Union[Opened, PageDone, PageFailed, Failed]


def reason(err: BaseException) -> str:
    """The one-line reason of a failure; anything but a docvision or OS error is a bug, said so."""
    if isinstance(err, InputError):
        return err.reason  # the input is named by whoever tells it
    if isinstance(err, DocvisionError):
        return str(err)
    if isinstance(err, OSError):
        return err.strerror or str(err) or type(err).__name__
    return f"internal error: {type(err).__name__}: {' '.join(str(err).split())}"


def page_reason(number: int, err: BaseException) -> str:
    """``page N: reason`` (the renderers' own errors already name the page)."""
    text = reason(err)
    return text if text.startswith(f"page {number}:") else f"page {number}: {text}"


def trace(err: BaseException) -> str:
    return "".join(traceback.format_exception(err)).rstrip()


def read_document(ocr: Any, job: Job, open_options: dict[str, Any], emit: Callable[[Event], None]) -> None:
    """OCR ``job`` with pipeline ``ocr``, opened by its :meth:`~docvision.pipeline.OCRPipeline.open`
    with ``open_options`` (``dpi``, ``password``), telling ``emit`` what happens as it happens. After a
    page fails the input is opened again at the next page (a renderer's iterator ends at its first error).
    :class:`Opened` names every selected page, also when ``job.limit`` reads only the first of them."""
    pages: str | Sequence[int] | None = job.pages
    limit = job.limit
    opened = False
    while True:
        try:
            source = ocr.open(job.source if job.data is None else job.data, pages=pages, **open_options)
        except Exception as err:
            if not opened:
                emit(Failed(reason(err), trace(err)))
            for number in pages if opened else ():  # the input broke since it was opened: the pages left failed
                emit(PageFailed(number, page_reason(number, err), trace(err)))
            return
        with source:
            if not opened:
                emit(Opened(tuple(source.selected)))
                opened = True
            source.selected = todo = source.selected[:limit]  # a part reads (and reads ahead) only its own pages
            limit, done = None, 0
            try:
                for page in ocr.iter_pages(source):
                    emit(PageDone(page))
                    done += 1
                return
            except Exception as err:
                emit(PageFailed(todo[done], page_reason(todo[done], err), trace(err)))
                rest = todo[done + 1:]
        if not rest:
            return
        pages = rest


@dataclass
class Result:
    """What became of one input: the pages read, in order, and one line per failure."""

    job: Job
    document: Document | None = None
    """None until the input is open, and when it cannot be opened."""
    selected: tuple[int, ...] = ()
    errors: list[str] = field(default_factory=list)
    failed_pages: list[int] = field(default_factory=list)
    trace: str = ""
    """The traceback of the first failure."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def name(self) -> str:
        return display_name(self.job.source)

    def remaining(self) -> list[int]:
        """Selected pages neither read nor failed yet."""
        seen = {p.index + 1 for p in self.document.pages} if self.document else set()
        return [n for n in self.selected if n not in seen and n not in self.failed_pages]

    def finish(self, models: dict[str, str]) -> None:
        """The models' names as they were loaded (lazily: an int8 model may have been refused)."""
        if self.document is not None:
            self.document.models = dict(models)

    def add(self, event: Event, models: dict[str, str]) -> None:
        if isinstance(event, Opened):
            if self.document is None:  # not again when the input is resumed after a failed page
                self.selected = event.pages
                self.document = Document(self.name, dict(models))
        elif isinstance(event, PageDone):  # in page order, also from workers sharing the input
            bisect.insort(self.document.pages, event.page, key=lambda page: page.index)
        else:
            if isinstance(event, PageFailed):
                self.failed_pages.append(event.number)
                self.document.partial = True
            self.trace = self.trace or event.trace
            self.errors.append(event.reason)


class InlineRunner:
    """Inputs read one after another by a pipeline of this process (no time limits); ``open_options``
    as :func:`read_document` takes them."""

    def __init__(self, ocr: Any, open_options: dict[str, Any]):
        self.ocr, self.open_options = ocr, open_options
        self.current: Result | None = None

    @property
    def models(self) -> dict[str, str]:
        return dict(self.ocr.models)

    def in_flight(self) -> list[Result]:
        """The input being read (after Ctrl-C: its pages so far)."""
        return [self.current] if self.current is not None else []

    def run(self, jobs: Iterable[Job], on_event: Callable[[Job, Event], None] | None = None) -> Iterator[Result]:
        for job in jobs:
            result = self.current = Result(job)

            def emit(event: Event) -> None:
                result.add(event, self.models)
                if on_event:
                    on_event(job, event)

            read_document(self.ocr, job, self.open_options, emit)
            result.finish(self.models)
            self.current = None
            yield result

    def close(self) -> None:
        """Nothing to release: the pipeline belongs to the caller."""
