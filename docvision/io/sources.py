"""Inputs as a stream of page images: PDF (rendered in process by pdfium through pypdfium2, or
by poppler's pdftoppm through pdf2image), PNG/JPEG/TIFF (multi-page too), bytes, PIL images and
numpy arrays.

Pages are rendered or decoded one at a time when iterated, so memory does not grow with the
number of pages. A PDF page is checked against ``max_pixels`` on the box the renderer draws
(CropBox, rotation included) before it is rendered, and the image is checked against that size
after: a page above the limit or a render that failed (poppler's 1 x 1 image) is never returned.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import signal
import tempfile
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import pdf2image
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFPopplerTimeoutError
from PIL import Image, ImageOps, UnidentifiedImageError

from docvision.config import RENDERERS
from docvision.errors import InputError, naming

log = logging.getLogger(__name__)

Source = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]
MIN_DPI = 36
"""Below this, a page too large for ``max_pixels`` is refused rather than rendered unreadably small."""
POINTS_PER_INCH = 72
IMAGE_DPI = 96.0
"""The resolution of an image that records none (or a damaged one): img2pdf's, so the points it gives
(px x 72 / dpi) are those of the page in ``--format pdf``. The models read pixels whatever it is."""
DECODE_ERRORS = (OSError, ValueError, SyntaxError, TypeError, KeyError, EOFError, Image.DecompressionBombError)
"""What Pillow raises on damaged image files: seen on 12,000 mutants like those of tests/test_cli_fuzz.py
(EOFError: Pillow's seek past a missing frame)."""

_NEEDS_PASSWORD = "encrypted PDF: a password is needed (--password-file)"
_PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, not even across documents: one call at a time in a process."""
REOPEN_PAGES = 50
"""Pages a :class:`_Document` serves before it opens its PDF anew."""


@dataclass
class PageImage:
    """One page: ``index`` is 0-based in the document, ``image`` is ``H x W x 3`` uint8 RGB, ``dpi`` the
    resolution it was rendered at, or that the image records, else :data:`IMAGE_DPI`."""

    index: int
    image: np.ndarray
    dpi: float


def parse_page_ranges(spec: str) -> list[int]:
    """``"1-3,7"`` -> ``[1, 2, 3, 7]`` (1-based, sorted, unique)."""
    pages: set[int] = set()
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"invalid page range {part.strip()!r} (expected e.g. 1-3,7)")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first:
            raise ValueError(f"invalid page range {part.strip()!r}")
        pages.update(range(first, last + 1))
    return sorted(pages)


def display_name(name: str | os.PathLike) -> str:
    """``name`` safe on one line and in UTF-8, JSON and XML: bytes that are not UTF-8 (kept by
    Python as lone surrogates, which no UTF-8 output can encode) and control characters become
    ``\\xNN`` escapes."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(
        f"\\x{ord(c):02x}" if c < " " or "\x7f" <= c <= "\x9f" else f"\\u{ord(c):04x}" if c in "\ufffe\uffff" else c
        for c in text
    )


def _one_line(err: BaseException) -> str:
    """A library's exception text on one line (some span several)."""
    return " ".join(str(err).split()) or type(err).__name__


class PageSource(ABC):
    """An opened document: ``len()`` is the number of selected pages, iteration yields them."""

    def __init__(self, name: str, num_pages: int, pages: Sequence[int] | None):
        if num_pages == 0:
            raise InputError("document has no pages")
        selected = list(range(1, num_pages + 1)) if pages is None else sorted(set(pages))
        beyond = [p for p in selected if not 1 <= p <= num_pages]
        if beyond:
            raise InputError(f"page {beyond[0]} out of range (document has {num_pages} pages)")
        self.name = display_name(name)
        self.num_pages = num_pages
        self.selected = selected

    def __len__(self) -> int:
        return len(self.selected)

    def __iter__(self) -> Iterator[PageImage]:
        for number in self.selected:
            with naming(self.name):
                page = self._page(number)
            yield page

    def check(self) -> None:
        """Refuse now what rendering the selected pages would refuse for their size (no page is read)."""

    def close(self) -> None:
        """Release the document (and the temporary file of a PDF given as bytes to poppler)."""

    def __enter__(self) -> PageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _page(self, number: int) -> PageImage:
        """Read page ``number`` (1-based)."""


class PdfSource(PageSource):
    """A PDF: the renderers give the box they draw for a page and draw it at a DPI."""

    def __init__(self, name: str, num_pages: int, pages, *, dpi: int, max_pixels: int, timeout: float):
        self.dpi, self.max_pixels, self.timeout = dpi, max_pixels, timeout
        super().__init__(name, num_pages, pages)

    @abstractmethod
    def _box(self, number: int) -> tuple[float, float]:
        """Width and height, in points, of what the renderer draws for page ``number``."""

    @abstractmethod
    def _render(self, number: int, dpi: int, size: tuple[int, int]) -> np.ndarray:
        """Page ``number`` as ``H x W x 3`` RGB at ``dpi``; ``size`` is the expected ``(W, H)``."""

    def check(self) -> None:
        with naming(self.name):
            for number in self.selected:
                self._render_dpi(number, *self._box(number))

    def frame(self, number: int) -> tuple[int, tuple[int, int]]:
        """The DPI and ``(width, height)`` in pixels page ``number`` renders at (nothing is rendered)."""
        dpi, size = self._frame(number)
        if dpi < self.dpi:
            width, height = self._box(number)
            log.warning("%s: page %d is %.4g x %.4g in; rendering at %d dpi to stay under %d pixels", self.name, number,
                        width / POINTS_PER_INCH, height / POINTS_PER_INCH, dpi, self.max_pixels)
        return dpi, size

    def _frame(self, number: int) -> tuple[int, tuple[int, int]]:
        width, height = self._box(number)
        dpi = self._render_dpi(number, width, height)
        return dpi, (_pixels(width, dpi), _pixels(height, dpi))

    def render_regions(self, number: int, boxes: Sequence[tuple[int, int, int, int]]) -> list[np.ndarray]:
        """Pixels ``boxes`` (each ``x0, y0, x1, y1``, within :meth:`frame`'s size) of page ``number``
        as :meth:`frame` renders it. Here: the page rendered whole once, then cropped."""
        image = self._page(number, quiet=True).image
        return [np.ascontiguousarray(image[y0:y1, x0:x1]) for x0, y0, x1, y1 in boxes]

    @abstractmethod
    def pdfium_page(self, number: int) -> AbstractContextManager[pdfium.PdfPage]:
        """Page ``number`` loaded by PDFium, with the PDFium lock held (the text layer is read through PDFium)."""

    def _page(self, number: int, quiet: bool = False) -> PageImage:
        dpi, size = self._frame(number) if quiet else self.frame(number)
        image = self._render(number, dpi, size)
        got = (image.shape[1], image.shape[0])
        # poppler turns a rotated page (pdfinfo's size is not) and may be a pixel off; any other size: a failed render
        if any(abs(a - b) > 1 for a, b in zip(sorted(got), sorted(size))) or got[0] * got[1] > self.max_pixels:
            raise InputError(f"page {number}: rendered as {got[0]} x {got[1]} pixels instead of {size[0]} x {size[1]} "
                             "(damaged page or renderer failure)")
        return PageImage(number - 1, image, dpi)

    def _render_dpi(self, number: int, width: float, height: float) -> int:
        """``self.dpi``, or the highest DPI at which the page stays within ``max_pixels``; an
        :class:`InputError` for a page too large even at :data:`MIN_DPI` or too small for a pixel."""
        empty = f"page {number}: page box {width:g} x {height:g} pt is empty or too small to render"
        if not (width > 0 and height > 0):  # also NaN
            raise InputError(empty)
        inches = f"{width / POINTS_PER_INCH:.4g} x {height / POINTS_PER_INCH:.4g} in"
        absurd = f"page {number}: page size {inches} is absurd (over {self.max_pixels:,} pixels even at {MIN_DPI} dpi)"
        if max(width, height) * min(self.dpi, MIN_DPI) / POINTS_PER_INCH > self.max_pixels:  # also inf
            raise InputError(absurd)

        def pixels(dpi: int) -> int:  # a pixel of slack per side, for poppler
            return (_pixels(width, dpi) + 1) * (_pixels(height, dpi) + 1)

        dpi = self.dpi
        if pixels(dpi) > self.max_pixels:
            dpi = math.floor(self.dpi * math.sqrt(self.max_pixels / pixels(self.dpi)))
            while dpi >= MIN_DPI and pixels(dpi) > self.max_pixels:
                dpi -= 1
            if dpi < MIN_DPI:
                raise InputError(absurd)
        if min(width, height) * dpi / POINTS_PER_INCH < 1:
            raise InputError(empty)
        return dpi


def _pixels(points: float, dpi: int) -> int:
    """Pixels of a page side at ``dpi``, rounded up as pdftoppm does (pdfium's float32 sizes may
    exceed a whole number by a hair, which is not a pixel)."""
    return math.ceil(points * (dpi / POINTS_PER_INCH) - 1e-3)


class _PdfiumSource(PdfSource):
    """Rendered in process by PDFium: the box is what ``FPDF_GetPageWidthF`` reports (CropBox,
    rotated), the bitmap is allocated at the checked size, and the password stays in process."""

    def __init__(self, data: Path | bytes, name: str, *, password: str | None, **options):
        self.data = data  # pdfium reads bytes where they are: they must live as long as the document
        self.secret = None if password is None else password.encode("utf-8")
        self.pdf = _Document(self._open)
        with _pdfium():
            count = len(self.pdf.document())
        try:
            super().__init__(name, count, **options)
        except BaseException:
            self.close()
            raise

    def _open(self) -> pdfium.PdfDocument:
        """The document loaded by PDFium (call under :func:`_pdfium`). Not ``pdfium.PdfDocument()``: it reads
        the error code of an earlier failure for a PDF of 0 pages."""
        if isinstance(self.data, Path):
            raw = pdfium_c.FPDF_LoadDocument(os.fsencode(self.data), self.secret)
        else:
            raw = pdfium_c.FPDF_LoadMemDocument64(self.data, len(self.data), self.secret)
        if not raw:
            raise InputError(_pdfium_reason(pdfium_c.FPDF_GetLastError(), bool(self.secret)))
        return pdfium.PdfDocument(raw)

    def _box(self, number: int) -> tuple[float, float]:
        try:
            with _pdfium():
                return self.pdf.document().get_page_size(number - 1)
        except pdfium.PdfiumError:
            raise InputError(f"page {number}: damaged page (pdfium cannot read its size)") from None

    @contextmanager
    def pdfium_page(self, number: int) -> Iterator[pdfium.PdfPage]:
        with _pdfium(), self.pdf.page(number) as page:
            yield page

    def render_regions(self, number: int, boxes: Sequence[tuple[int, int, int, int]]) -> list[np.ndarray]:
        """Only ``boxes`` are drawn, one by one: the page at its full size, shifted onto a bitmap of each box."""
        dpi, size = self._frame(number)
        return [self._render(number, dpi, size, box) for box in boxes]

    def _render(self, number: int, dpi: int, size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        x0, y0, x1, y1 = box or (0, 0, *size)
        deadline = time.monotonic() + self.timeout
        with self.pdfium_page(number) as page:
            bitmap = pdfium.PdfBitmap.new_native(x1 - x0, y1 - y0, pdfium_c.FPDFBitmap_BGR, rev_byteorder=True)
            bitmap.fill_rect((255, 255, 255, 255), 0, 0, x1 - x0, y1 - y0)
            status = _render_until(page, bitmap, deadline, (-x0, -y0, *size))
            bitmap.close()  # its PDFium handle, here under the lock: its buffer (numpy's below) is Python's
        if status == pdfium_c.FPDF_RENDER_TOBECONTINUED:
            raise InputError(f"page {number}: rendering timed out after {self.timeout:g} s")
        if status != pdfium_c.FPDF_RENDER_DONE:
            raise InputError(f"page {number}: could not be rendered (damaged page)")
        return bitmap.to_numpy().copy()

    def close(self) -> None:
        with _pdfium():
            self.pdf.close()


class _Document:
    """A PDF as PDFium holds it, opened by ``opener`` when first used and anew after every
    :data:`REOPEN_PAGES` pages: PDFium keeps every object it has parsed until the document closes, about
    the file's size over a long scan (a 300-page, 60 MB PDF: +49 MB after 250 pages). Use it under
    :func:`_pdfium`, which also makes sure no page is open when it reopens."""

    def __init__(self, opener: Callable[[], pdfium.PdfDocument]):
        self.opener, self.opened, self.loads = opener, None, 0

    def document(self) -> pdfium.PdfDocument:
        if self.opened is None:
            self.opened, self.loads = self.opener(), 0
        return self.opened

    @contextmanager
    def page(self, number: int) -> Iterator[pdfium.PdfPage]:
        if self.loads >= REOPEN_PAGES:
            self.close()
        document = self.document()
        self.loads += 1
        with _loaded(document, number) as page:
            yield page

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None


@contextmanager
def _pdfium() -> Iterator[None]:
    """Hold the PDFium lock, and take a Ctrl-C that comes meanwhile when the call is done: raised in
    the render's Python callback (or in pypdfium2's bookkeeping), ctypes would print it and swallow it."""
    with _PDFIUM_LOCK:
        if threading.current_thread() is not threading.main_thread() or not callable(signal.getsignal(signal.SIGINT)):
            yield  # only the main thread handles signals; SIG_IGN and SIG_DFL run no Python
            return
        caught: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            if caught:
                signal.raise_signal(signal.SIGINT)


def _render_until(page: pdfium.PdfPage, bitmap: pdfium.PdfBitmap, deadline: float, place: tuple[int, int, int, int]) -> int:
    """Progressive rendering of ``page`` at ``place`` (``x, y, width, height`` on ``bitmap``, which
    clips it), paused by PDFium between page objects so that ``deadline`` (``time.monotonic()``)
    can stop it; returns the last status."""
    pause = pdfium_c.IFSDK_PAUSE(version=1)
    pause.NeedToPauseNow = type(pause.NeedToPauseNow)(lambda _: time.monotonic() > deadline)
    flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_REVERSE_BYTE_ORDER
    status = pdfium_c.FPDF_RenderPageBitmap_Start(bitmap, page, *place, 0, flags, pause)
    while status == pdfium_c.FPDF_RENDER_TOBECONTINUED and time.monotonic() <= deadline:
        status = pdfium_c.FPDF_RenderPage_Continue(page, pause)
    pdfium_c.FPDF_RenderPage_Close(page)
    return status


@contextmanager
def _loaded(document: pdfium.PdfDocument, number: int) -> Iterator[pdfium.PdfPage]:
    """Page ``number`` of ``document``, closed after use (call under :func:`_pdfium`)."""
    try:
        page = document.get_page(number - 1)
    except pdfium.PdfiumError:
        raise InputError(f"page {number}: damaged page (pdfium cannot load it)") from None
    try:
        yield page
    finally:
        page.close()


def _pdfium_reason(code: int | None, password: bool) -> str:
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "wrong password for encrypted PDF" if password else _NEEDS_PASSWORD
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "encrypted PDF with an unsupported security handler"
    if code == pdfium_c.FPDF_ERR_FILE:
        return "cannot read file"
    return "corrupt or truncated PDF (pdfium cannot open it)"


class _PopplerSource(PdfSource):
    """Rendered by poppler's pdftoppm (a child process per page): the box is the CropBox that
    ``pdfinfo`` reports, and pdftoppm is told to render the CropBox."""

    def __init__(self, path: Path, name: str, *, password: str | None, owned: bool, **options):
        if password is not None:
            raise InputError("the poppler renderer would show the password in process lists: use the pdfium renderer")
        self.path, self.owned, self.pdfium = path, owned, _Document(self._text_layer)
        timeout = options["timeout"]
        try:
            info = pdf2image.pdfinfo_from_path(str(path), timeout=timeout)
            count = int(info.get("Pages", 0))
            if count:
                info = pdf2image.pdfinfo_from_path(str(path), timeout=timeout, first_page=1, last_page=count)
        except (PDFInfoNotInstalledError, FileNotFoundError):
            raise InputError("poppler-utils is not installed (pdfinfo/pdftoppm missing): apt-get install poppler-utils") from None
        except PDFPopplerTimeoutError:
            raise InputError(f"reading the PDF timed out after {timeout:g} s") from None
        except PDFPageCountError as err:
            raise InputError(_poppler_reason(str(err))) from None
        number = r"([0-9.]+(?:e[+-]?[0-9]+)?)"  # pdfinfo prints huge sizes as 1.44e+07
        self.sizes = {
            int(m.group(1)): (float(w), float(h))
            for key, value in info.items()
            if (m := re.fullmatch(r"Page\s+(\d+) size", key)) and (s := re.match(rf"{number} x {number}", str(value)))
            for w, h in [s.groups()]
        }
        super().__init__(name, count, **options)

    def _box(self, number: int) -> tuple[float, float]:
        if number not in self.sizes:
            raise InputError(f"page {number}: size unknown (pdfinfo does not report it)")
        return self.sizes[number]

    def _render(self, number: int, dpi: int, size: tuple[int, int]) -> np.ndarray:
        try:
            images = pdf2image.convert_from_path(
                str(self.path), dpi=dpi, first_page=number, last_page=number, fmt="ppm", use_cropbox=True,
                timeout=self.timeout,
            )
        except PDFPopplerTimeoutError:
            raise InputError(f"page {number}: rendering timed out after {self.timeout:g} s") from None
        except PDFPageCountError as err:  # the file changed or broke since it was opened
            raise InputError(f"page {number}: {_poppler_reason(str(err))}") from None
        if not images:
            raise InputError(f"page {number}: could not be rendered (corrupt PDF)")
        return _to_rgb(images[0])

    def _text_layer(self) -> pdfium.PdfDocument:
        """The PDF as PDFium reads it, for its text layer (opened when that is first read)."""
        try:
            return pdfium.PdfDocument(self.path)
        except pdfium.PdfiumError as err:
            raise InputError(f"pdfium cannot read the text layer ({_one_line(err)})") from None

    @contextmanager
    def pdfium_page(self, number: int) -> Iterator[pdfium.PdfPage]:
        with _pdfium(), self.pdfium.page(number) as page:
            yield page

    def close(self) -> None:
        with _pdfium():
            self.pdfium.close()
        if self.owned:
            self.path.unlink(missing_ok=True)


class _ImageSource(PageSource):
    def __init__(
        self, image: Image.Image, name: str, pages, max_pixels: int, owned: bool = True, notes: Sequence[str] = ()
    ):
        self.image, self.max_pixels, self.owned = image, max_pixels, owned
        self.notes = list(notes)
        """Pillow's warnings while opening: reported with the first page read, dropped if that fails."""
        super().__init__(name, getattr(image, "n_frames", 1), pages)

    def _page(self, number: int) -> PageImage:
        notes: list[str] = []
        try:
            with _decoder_warnings(notes):
                self.image.seek(number - 1)
                width, height = self.image.size
                if width * height > self.max_pixels:
                    raise InputError(
                        f"page {number}: image is {width} x {height} pixels, over the limit of {self.max_pixels:,}"
                    )
                dpi = _resolution(self.image.info.get("dpi")) or IMAGE_DPI
                rgb = _to_rgb(ImageOps.exif_transpose(self.image))
        except DECODE_ERRORS as err:
            raise InputError(f"page {number}: unreadable image ({_one_line(err)})") from None
        for note in dict.fromkeys([*self.notes, *notes]):
            log.warning("%s: page %d: warning: %s", self.name, number, note)
        self.notes = []
        return PageImage(number - 1, rgb, dpi)

    def close(self) -> None:
        if self.owned:  # never close an image the caller passed in
            self.image.close()


class _ArraySource(PageSource):
    def __init__(self, array: np.ndarray, name: str, pages):
        self.array = _array_to_rgb(array)
        super().__init__(name, 1, pages)

    def _page(self, number: int) -> PageImage:
        return PageImage(0, self.array, IMAGE_DPI)


@contextmanager
def _decoder_warnings(notes: list[str]) -> Iterator[None]:
    """Pillow's warnings (corrupt EXIF, truncated read, decompression bomb) collected into
    ``notes`` rather than printed raw with library paths; the caller reports them with the file.
    (``catch_warnings`` is process-wide: a warning of another thread may land here meanwhile.)"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    notes.extend(" ".join(str(w.message).split()) for w in caught)


def _resolution(dpi: object) -> float | None:
    """The horizontal DPI an image stores, if it is a usable number (damaged files hold 0 or NaN)."""
    try:
        value = float(dpi[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _poppler_reason(message: str) -> str:
    if "Incorrect password" in message:
        return _NEEDS_PASSWORD
    if re.search(r"Invalid page count 0|last page \(0\)", message):  # pdfinfo refuses a zero-page PDF
        return "document has no pages"
    details = [line.strip() for line in message.splitlines()[1:] if line.strip()]
    return f"corrupt or truncated PDF ({details[-1] if details else 'poppler cannot read it'})"


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGBA").convert("RGB") if image.mode in ("P", "LA", "PA") else image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise InputError(f"array must be uint8 H x W, H x W x 1, 3 or 4, got {array.dtype} {array.shape}")
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.shape[2] == 1:
        return np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])


def _is_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]


def open_document(
    source: Source,
    *,
    dpi: int = 200,
    pages: Sequence[int] | str | None = None,
    password: str | None = None,
    max_pixels: int = 60_000_000,
    timeout: float = 120.0,
    renderer: str = "pdfium",
) -> PageSource:
    """Open ``source`` and check it; pages are read when the result is iterated.

    ``pages`` selects 1-based page numbers (a list or ``"1-3,7"``); ``renderer`` is one of
    :data:`RENDERERS` (a password needs ``pdfium``). Raises :class:`InputError` with a one-line
    reason for a missing, unreadable, empty or encrypted input, naming it (the path, ``<bytes>``,
    ``<image>`` or ``<array>``); so do the pages that fail when they are read.
    """
    with naming(source_name(source)):
        if renderer not in RENDERERS:
            raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, got {renderer!r}")
        if not dpi > 0:
            raise ValueError(f"dpi must be positive, got {dpi}")
        if isinstance(pages, str):
            try:
                pages = parse_page_ranges(pages)
            except ValueError as err:
                raise InputError(str(err)) from None
        options = {"pages": pages, "dpi": dpi, "max_pixels": max_pixels, "timeout": timeout}
        if isinstance(source, np.ndarray):
            return _ArraySource(source, "<array>", pages)
        if isinstance(source, Image.Image):
            return _ImageSource(source, "<image>", pages, max_pixels, owned=False)
        if isinstance(source, (bytes, bytearray)):
            if not _is_pdf(bytes(source[:1024])):
                return _open_image(io.BytesIO(source), "<bytes>", pages, max_pixels)
            if renderer == "pdfium":
                return _PdfiumSource(bytes(source), "<bytes>", password=password, **options)
            fd, tmp = tempfile.mkstemp(suffix=".pdf", prefix="docvision-")
            with os.fdopen(fd, "wb") as f:
                f.write(source)
            try:
                return _PopplerSource(Path(tmp), "<bytes>", password=password, owned=True, **options)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        path = Path(source)
        if not path.exists():
            raise InputError("no such file")
        if not path.is_file():
            raise InputError("not a file")
        try:
            with path.open("rb") as f:
                head = f.read(1024)
        except OSError as err:
            raise InputError(f"cannot read file ({err.strerror})") from None
        if not head:
            raise InputError("empty file")
        if not _is_pdf(head):
            return _open_image(path, str(path), pages, max_pixels)
        if renderer == "pdfium":
            return _PdfiumSource(path, str(path), password=password, **options)
        return _PopplerSource(path, str(path), password=password, owned=False, **options)


def source_name(source: Source) -> str:
    """How errors name ``source``: its path, or the kind of object it is."""
    if isinstance(source, np.ndarray):
        return "<array>"
    if isinstance(source, Image.Image):
        return "<image>"
    return "<bytes>" if isinstance(source, (bytes, bytearray)) else display_name(source)


def _open_image(fp, name: str, pages, max_pixels: int) -> PageSource:
    notes: list[str] = []
    image = None
    try:
        with _decoder_warnings(notes):
            image = Image.open(fp)
            getattr(image, "n_frames", 1)  # counted (and cached) here: a damaged TIFF fails in the count
        return _ImageSource(image, name, pages, max_pixels, notes=notes)
    except UnidentifiedImageError:
        raise InputError("not a PDF or a supported image (PNG, JPEG, TIFF, ...)") from None
    except Image.DecompressionBombError as err:
        raise InputError(f"image too large ({_one_line(err)})") from None
    except DECODE_ERRORS as err:
        if image is not None:
            image.close()
        raise InputError(f"unreadable image ({_one_line(err)})") from None
    except BaseException:
        if image is not None:
            image.close()
        raise


def open_pages(source: Source, **options) -> Iterator[PageImage]:
    """Iterate the pages of ``source`` (options as :func:`open_document`), one at a time."""
    document = open_document(source, **options)
    try:
        yield from document
    finally:
        document.close()
