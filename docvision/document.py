"""The result tree: Document > Page > Block > Line > Word, in reading order.

Coordinates are pixels of the rendered page, origin top-left, of the page as it was input
(or turned upright: ``Page.upright``). ``bbox`` is ``(x0, y0, x1, y1)``; ``polygon`` lists the
corners of the detected (possibly rotated) word box clockwise from the word's own top-left
corner, where its text starts (on a page turned 180 degrees, the bottom-right one on the page).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]
Point = tuple[float, float]


def union_bbox(boxes: Sequence[BBox]) -> BBox:
    """Smallest box holding all ``boxes``."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@dataclass
class Word:
    text: str
    bbox: BBox
    polygon: list[Point]
    confidence: float
    source: str = "ocr"
    """``ocr`` or ``pdf`` (from the text layer: exact text, confidence 1)."""
    font_size: float | None = None
    """Points, as drawn (``pdf`` words only)."""


@dataclass
class Line:
    words: list[Word]

    @property
    def bbox(self) -> BBox:
        return union_bbox([w.bbox for w in self.words])

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Block:
    lines: list[Line]

    @property
    def bbox(self) -> BBox:
        return union_bbox([line.bbox for line in self.lines])

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class Region:
    """A part of a page read by OCR (or, with ``--text-layer only``, left unread), and why."""

    bbox: BBox
    reason: str


@dataclass
class TextLayerUse:
    """How a PDF page was read: ``used`` (its text layer only), ``mixed`` (the layer, and OCR of
    ``regions``), ``replaced`` (a layer that could not be trusted, OCR instead), ``ocr`` (no layer,
    or ``--text-layer ocr``), ``partial`` (``--text-layer only``: ``regions`` that needed OCR were
    not read). ``reason`` says why, and which words of the layer were left out."""

    path: str
    reason: str = ""
    regions: list[Region] = field(default_factory=list)


@dataclass
class Page:
    index: int
    width: int
    height: int
    dpi: float | None
    blocks: list[Block] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds spent per stage on this page (not exported)."""
    text_layer: TextLayerUse | None = None
    """PDF pages: how the page was read (:class:`TextLayerUse`); None for images."""
    orientation: int = 0
    """Degrees (0, 90, 180 or 270) the text was turned counter-clockwise in the input page: turning
    the page as many degrees clockwise makes it upright (as hOCR's ``textangle``)."""
    orientation_confidence: float | None = None
    """How sure ``orientation`` is, 0-1: the share of a sample of the page's widest words that read
    better this way up than upside down (1.0: they read so well that upside down was not tried), for
    a page also tried turned a quarter times the chosen way's share of the two ways' confidence
    (see :mod:`docvision.orientation`); ``None``: not tested (no words, or ``orientation`` off)."""
    upright: bool = False
    """Coordinates, ``width`` and ``height`` are of the page turned upright, not as it was input."""

    def lines(self) -> Iterator[Line]:
        """Lines in reading order: the words of a row of text, as the layout grouped them."""
        for block in self.blocks:
            yield from block.lines

    def words(self) -> Iterator[Word]:
        """Words in reading order."""
        for line in self.lines():
            yield from line.words

    @property
    def text(self) -> str:
        """Plain text in reading order: blocks separated by a blank line."""
        return "\n\n".join(block.text for block in self.blocks)


@dataclass
class Document:
    source: str
    models: dict[str, str]
    pages: list[Page] = field(default_factory=list)
    partial: bool = False
    """True when the work was interrupted: ``pages`` holds the pages finished before it."""

    @property
    def text(self) -> str:
        """Plain text of all pages, pages separated by a form feed."""
        return "\f".join(page.text for page in self.pages)

    @classmethod
    def from_json(cls, text: str | bytes) -> Document:
        """The document of a JSON export (``export("json")``, ``docvision ocr``): it exports the same JSON."""
        from docvision.export.json import from_json

        return from_json(text)

    def export(self, fmt: str = "json") -> str:
        """Serialize as ``json``, ``text``, ``hocr``, ``alto`` or ``tsv`` (the PDF: :func:`docvision.export.pdf.to_pdf`)."""
        from docvision.export import export

        return export(self, fmt)
