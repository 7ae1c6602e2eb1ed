"""Inputs as a stream of page images: PDF (poppler via pdf2image), PNG/JPEG/TIFF
(multi-page too), bytes, PIL images and numpy arrays.

Pages are rendered or decoded one at a time when iterated, so memory does not
grow with the number of pages.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import pdf2image
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFPopplerTimeoutError
from PIL import Image, ImageOps, UnidentifiedImageError

from docvision.errors import InputError

log = logging.getLogger(__name__)

Source = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]
MIN_DPI = 36
"""Below this, a page too large for ``max_pixels`` is refused rather than rendered unreadably small."""
POINTS_PER_INCH = 72


@dataclass
class PageImage:
    """One page: ``index`` is 0-based in the document, ``image`` is ``H x W x 3`` uint8 RGB."""

    index: int
    image: np.ndarray
    dpi: float | None


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


class PageSource(ABC):
    """An opened document: ``len()`` is the number of selected pages, iteration yields them."""

    def __init__(self, name: str, num_pages: int, pages: Sequence[int] | None):
        if num_pages == 0:
            raise InputError("document has no pages")
        selected = list(range(1, num_pages + 1)) if pages is None else sorted(set(pages))
        beyond = [p for p in selected if not 1 <= p <= num_pages]
        if beyond:
            raise InputError(f"page {beyond[0]} out of range (document has {num_pages} pages)")
        self.name = name
        self.num_pages = num_pages
        self.selected = selected

    def __len__(self) -> int:
        return len(self.selected)

    def __iter__(self) -> Iterator[PageImage]:
        for number in self.selected:
            yield self._page(number)

    def close(self) -> None:
        """Release temporary files (PDF given as bytes)."""

    def __enter__(self) -> PageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _page(self, number: int) -> PageImage:
        """Read page ``number`` (1-based)."""


class _PdfSource(PageSource):
    def __init__(self, path: Path, *, dpi: int, pages, password, max_pixels: int, timeout: float, owned: bool):
        self.path, self.dpi, self.password = path, dpi, password
        self.max_pixels, self.timeout, self.owned = max_pixels, timeout, owned
        try:
            info = pdf2image.pdfinfo_from_path(str(path), userpw=password, timeout=timeout)
            count = int(info.get("Pages", 0))
            if count:
                info = pdf2image.pdfinfo_from_path(
                    str(path), userpw=password, timeout=timeout, first_page=1, last_page=count
                )
        except (PDFInfoNotInstalledError, FileNotFoundError):
            raise InputError("poppler-utils is not installed (pdfinfo/pdftoppm missing): apt-get install poppler-utils") from None
        except PDFPopplerTimeoutError:
            raise InputError(f"reading the PDF timed out after {timeout:g} s") from None
        except PDFPageCountError as err:
            raise InputError(_poppler_reason(str(err), password)) from None
        self.sizes = {
            int(m.group(1)): (float(w), float(h))
            for key, value in info.items()
            if (m := re.fullmatch(r"Page\s+(\d+) size", key))
            and (s := re.match(r"([\d.]+) x ([\d.]+)", str(value)))
            for w, h in [s.groups()]
        }
        super().__init__(str(path), count, pages)

    def _render_dpi(self, number: int) -> float:
        width, height = self.sizes.get(number, (0.0, 0.0))
        pixels = width * height * (self.dpi / POINTS_PER_INCH) ** 2
        if pixels <= self.max_pixels:
            return self.dpi
        dpi = math.floor(self.dpi * math.sqrt(self.max_pixels / pixels))
        size = f"{width / POINTS_PER_INCH:.0f} x {height / POINTS_PER_INCH:.0f} in"
        if dpi < MIN_DPI:
            raise InputError(f"page {number}: page size {size} is absurd (over {self.max_pixels:,} pixels even at {MIN_DPI} dpi)")
        log.warning("%s: page %d is %s; rendering at %d dpi to stay under %d pixels", self.name, number, size, dpi, self.max_pixels)
        return dpi

    def _page(self, number: int) -> PageImage:
        dpi = self._render_dpi(number)
        try:
            images = pdf2image.convert_from_path(
                str(self.path), dpi=dpi, first_page=number, last_page=number,
                fmt="ppm", userpw=self.password, timeout=self.timeout,
            )
        except PDFPopplerTimeoutError:
            raise InputError(f"page {number}: rendering timed out after {self.timeout:g} s") from None
        except PDFPageCountError as err:  # the file changed or broke since it was opened
            raise InputError(f"page {number}: {_poppler_reason(str(err), self.password)}") from None
        if not images:
            raise InputError(f"page {number}: could not be rendered (corrupt PDF)")
        return PageImage(number - 1, _to_rgb(images[0]), dpi)

    def close(self) -> None:
        if self.owned:
            self.path.unlink(missing_ok=True)


class _ImageSource(PageSource):
    def __init__(self, image: Image.Image, name: str, pages, max_pixels: int, owned: bool = True):
        self.image, self.max_pixels, self.owned = image, max_pixels, owned
        super().__init__(name, getattr(image, "n_frames", 1), pages)

    def _page(self, number: int) -> PageImage:
        try:
            self.image.seek(number - 1)
            width, height = self.image.size
            if width * height > self.max_pixels:
                raise InputError(
                    f"page {number}: image is {width} x {height} pixels, over the limit of {self.max_pixels:,}"
                )
            dpi = self.image.info.get("dpi")
            frame = ImageOps.exif_transpose(self.image)
            return PageImage(number - 1, _to_rgb(frame), float(dpi[0]) if dpi and dpi[0] else None)
        except (OSError, ValueError, SyntaxError) as err:
            raise InputError(f"page {number}: unreadable image ({err})") from None

    def close(self) -> None:
        if self.owned:  # never close an image the caller passed in
            self.image.close()


class _ArraySource(PageSource):
    def __init__(self, array: np.ndarray, name: str, pages):
        self.array = _array_to_rgb(array)
        super().__init__(name, 1, pages)

    def _page(self, number: int) -> PageImage:
        return PageImage(0, self.array, None)


def _poppler_reason(message: str, password: str | None) -> str:
    if "Incorrect password" in message:
        return "wrong password for encrypted PDF" if password else "encrypted PDF: a password is needed (--password)"
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
) -> PageSource:
    """Open ``source`` and check it; pages are read when the result is iterated.

    ``pages`` selects 1-based page numbers (a list or ``"1-3,7"``). Raises
    :class:`InputError` with a one-line reason for a missing, unreadable, empty or
    encrypted input.
    """
    if isinstance(pages, str):
        try:
            pages = parse_page_ranges(pages)
        except ValueError as err:
            raise InputError(str(err)) from None
    if isinstance(source, np.ndarray):
        return _ArraySource(source, "<array>", pages)
    if isinstance(source, Image.Image):
        return _ImageSource(source, "<image>", pages, max_pixels, owned=False)
    if isinstance(source, (bytes, bytearray)):
        if _is_pdf(bytes(source[:1024])):
            fd, tmp = tempfile.mkstemp(suffix=".pdf", prefix="docvision-")
            with os.fdopen(fd, "wb") as f:
                f.write(source)
            try:
                return _PdfSource(Path(tmp), dpi=dpi, pages=pages, password=password, max_pixels=max_pixels, timeout=timeout, owned=True)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return _open_image(io.BytesIO(source), "<bytes>", pages, max_pixels)
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
    if _is_pdf(head):
        return _PdfSource(path, dpi=dpi, pages=pages, password=password, max_pixels=max_pixels, timeout=timeout, owned=False)
    return _open_image(path, str(path), pages, max_pixels)


def _open_image(fp, name: str, pages, max_pixels: int) -> PageSource:
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        raise InputError("not a PDF or a supported image (PNG, JPEG, TIFF, ...)") from None
    except Image.DecompressionBombError as err:
        raise InputError(f"image too large ({err})") from None
    except OSError as err:
        raise InputError(f"unreadable image ({err})") from None
    return _ImageSource(image, name, pages, max_pixels)


def open_pages(source: Source, **options) -> Iterator[PageImage]:
    """Iterate the pages of ``source`` (options as :func:`open_document`), one at a time."""
    document = open_document(source, **options)
    try:
        yield from document
    finally:
        document.close()
