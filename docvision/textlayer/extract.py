"""A PDF page's text layer and what paints over or under it, read through PDFium (pypdfium2's raw API).

Everything is returned in pixels of the page as the renderers draw it (page box, ``/Rotate``
applied, origin top-left) at a given pixel size, so the words line up with an OCR of the same
page. Word boxes are as poppler's ``pdftotext -bbox`` gives them: from the first glyph's origin
to the last one's advance, from the font's ascent to its descent (its font descriptor's, not
PDFium's own box, which stretches every font to a full em).

The caller holds the PDFium lock (:meth:`docvision.io.sources.PdfSource.pdfium_page` takes it).
"""

from __future__ import annotations

import ctypes
import re
import sys
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from docvision.document import BBox
from docvision.geometry import moved_box, moved_boxes, pdf_frame

RGBA = tuple[int, int, int, int]
INVISIBLE_MODES = frozenset({3, 7})
"""Text rendering modes that paint nothing (7 only adds to the clipping path)."""
STROKE_MODES = frozenset({1, 5})
"""Modes that paint the glyph outlines only, in the stroke colour."""
STANDARD_METRICS = {"Courier": (0.629, -0.157), "Helvetica": (0.718, -0.207), "Times": (0.683, -0.217),
                    "Symbol": (1.010, -0.293), "ZapfDingbats": (0.820, -0.143)}
"""Ascent and descent of the standard 14 fonts (their Adobe AFM files), which a PDF may use
without a font descriptor; poppler boxes their words with these."""
DEFAULT_METRICS = (0.95, -0.35)
"""poppler's ascent and descent of a font whose descriptor gives none that is usable."""
HYPHEN = "\ufffe"
"""PDFium's mark of a hyphen that breaks a word at a line end (the two parts are not on one line)."""
_WORD = re.compile(rf"[^\s{HYPHEN}]+{HYPHEN}?|{HYPHEN}")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class LayerWord:
    """A word of the text layer: ``bbox`` in page pixels, ``font_size`` in points as drawn."""

    text: str
    bbox: BBox
    font_size: float
    mode: int
    """Text rendering mode of its first glyph (3: invisible, as earlier OCR engines write it)."""
    color: RGBA
    """The colour its glyphs are painted in (fill, or stroke for outline-only modes)."""
    order: int
    """Drawing order of its text object among the page's objects (-1: unknown)."""
    unmapped: int
    """Glyphs PDFium could not map to Unicode (no ToUnicode map, no usable glyph names)."""


@dataclass(frozen=True)
class Paint:
    """An image or a filled shape of the page, in drawing order."""

    kind: str
    """``image`` or ``fill`` (a filled path)."""
    bbox: BBox
    order: int
    opaque: bool
    """False when it has a soft mask, a blend mode or alpha below 1 (it shows what lies under it)."""
    color: RGBA | None
    """Fill colour of a shape; None for an image."""


@dataclass(frozen=True)
class PageLayer:
    """What :func:`read_page` found on a page rendered ``width`` x ``height`` pixels."""

    width: int
    height: int
    words: list[LayerWord]
    paints: list[Paint]
    chars: int
    """Characters PDFium found, whitespace included (0: the page has no text layer)."""


def _box_of(obj, matrix: np.ndarray) -> BBox | None:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return None
    return moved_box((left.value, bottom.value, right.value, top.value), matrix)


def _color(getter, obj) -> RGBA:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not getter(obj, r, g, b, a):
        return (0, 0, 0, 255)
    return (r.value, g.value, b.value, a.value)


def _compose(outer: np.ndarray, obj) -> np.ndarray:
    """``outer`` after the matrix of form object ``obj`` (its content's space -> outer space)."""
    m = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(obj, m)
    inner = np.array([[m.a, m.c, m.e], [m.b, m.d, m.f], [0, 0, 1]])
    return outer @ inner


@dataclass
class _TextObject:
    order: int
    mode: int
    color: RGBA
    font: object
    metrics: tuple[float, float]


def _font_metrics(font, cache: dict[int, tuple[float, float]]) -> tuple[float, float]:
    """Ascent and descent (per unit of font size) poppler would use for ``font``."""
    key = ctypes.addressof(font.contents) if font else 0
    if key not in cache:
        cache[key] = DEFAULT_METRICS
        if font:
            name = ctypes.create_string_buffer(128)
            pdfium_c.FPDFFont_GetBaseFontName(font, name, len(name))
            family = re.sub(r"^[A-Z]{6}\+", "", name.value.decode("latin-1")).split("-")[0].split(",")[0]
            ascent, descent = ctypes.c_float(), ctypes.c_float()
            if not pdfium_c.FPDFFont_GetIsEmbedded(font) and family in STANDARD_METRICS:
                cache[key] = STANDARD_METRICS[family]
            elif pdfium_c.FPDFFont_GetAscent(font, 1.0, ascent) and pdfium_c.FPDFFont_GetDescent(font, 1.0, descent):
                a, d = abs(ascent.value), -abs(descent.value)
                cache[key] = (a if 0 < a < 3 else DEFAULT_METRICS[0], d if -3 < d < 0 else DEFAULT_METRICS[1])
    return cache[key]


def _objects(page: pdfium.PdfPage, matrix: np.ndarray) -> tuple[dict[int, _TextObject], list[Paint]]:
    """Text objects by address, and the images and filled shapes, of the page and its form
    XObjects, numbered in drawing order."""
    texts: dict[int, _TextObject] = {}
    paints: list[Paint] = []
    fonts: dict[int, tuple[float, float]] = {}
    order = 0
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    stack = [(matrix, [pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))])]
    while stack:
        space, objects = stack.pop()
        for k, obj in enumerate(objects):
            order += 1
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
                getter = pdfium_c.FPDFPageObj_GetStrokeColor if mode in STROKE_MODES else pdfium_c.FPDFPageObj_GetFillColor
                font = pdfium_c.FPDFTextObj_GetFont(obj)
                texts[ctypes.addressof(obj.contents)] = _TextObject(order, mode, _color(getter, obj), font,
                                                                    _font_metrics(font, fonts))
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                box = _box_of(obj, space)
                if box is not None:
                    paints.append(Paint("image", box, order, not pdfium_c.FPDFPageObj_HasTransparency(obj), None))
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                if pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke) and fill.value != pdfium_c.FPDF_FILLMODE_NONE:
                    box = _box_of(obj, space)
                    color = _color(pdfium_c.FPDFPageObj_GetFillColor, obj)
                    if box is not None:
                        opaque = color[3] == 255 and not pdfium_c.FPDFPageObj_HasTransparency(obj)
                        paints.append(Paint("fill", box, order, opaque, color))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                inner = [pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(pdfium_c.FPDFFormObj_CountObjects(obj))]
                stack.append((space, objects[k + 1:]))  # the rest of this level after the form's content
                stack.append((_compose(space, obj), inner))
                break
    return texts, paints


def _page_text(textpage, count: int) -> str:
    """The ``count`` characters of ``textpage``, one per character index."""
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    got = pdfium_c.FPDFText_GetText(textpage, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: max(got - 1, 0) * 2].decode("utf-16-le", "replace")
    if len(text) == count:
        return text
    # characters without Unicode (dropped by GetText) or beyond the BMP (two UTF-16 units): one by one
    codes = [pdfium_c.FPDFText_GetUnicode(textpage, i) for i in range(count)]
    return "".join(chr(c) if c <= sys.maxunicode else "\ufffd" for c in codes)


def read_page(page: pdfium.PdfPage, size: tuple[int, int]) -> PageLayer:
    """The words of ``page``'s text layer and its images and filled shapes, in the pixels of the
    page rendered at ``size`` (``(width, height)``)."""
    matrix = pdf_frame(page.get_bbox(), page.get_rotation(), size)
    texts, paints = _objects(page, matrix)
    textpage = pdfium_c.FPDFText_LoadPage(page.raw)
    unmapped = pdfium_c.FPDFText_HasUnicodeMapError
    try:
        count = max(pdfium_c.FPDFText_CountChars(textpage), 0)
        text = _page_text(textpage, count)
        # an unmapped code that PDFium passed through as a control character is a glyph, not a separator
        glyphs = [m.start() for m in _SPACE.finditer(text) if unmapped(textpage, m.start())]
        if glyphs:
            chars = list(text)
            for i in glyphs:
                chars[i] = "\x00"
            text = "".join(chars)
        spans = [match.span() for match in _WORD.finditer(text)]
        scratch = _Scratch()
        found = [_word(textpage, span, count, texts, scratch) for span in spans]
        # unmapped glyphs come by font: a word whose first glyph maps is taken to map (control characters
        # and the like in it are still seen by the judge)
        lost = [sum(unmapped(textpage, i) for i in range(a, b)) if unmapped(textpage, a) else 0 for a, b in spans]
    finally:
        pdfium_c.FPDFText_ClosePage(textpage)
    boxes = moved_boxes(np.array([box for box, _, _ in found], np.float64), matrix).tolist()
    words = [
        LayerWord(text[a:b].replace(HYPHEN, "-"), tuple(box), size_pt, info.mode if info else 0,
                  info.color if info else (0, 0, 0, 255), info.order if info else -1, n)
        for (a, b), box, (_, size_pt, info), n in zip(spans, boxes, found, lost)
    ]
    return PageLayer(size[0], size[1], words, paints, count)


class _Scratch:
    """ctypes out-parameters reused from word to word."""

    def __init__(self) -> None:
        self.rect = pdfium_c.FS_RECTF()
        self.matrix = pdfium_c.FS_MATRIX()
        self.x, self.y = ctypes.c_double(), ctypes.c_double()
        self.left, self.top, self.right, self.bottom = (ctypes.c_double() for _ in range(4))
        self.width = ctypes.c_float()

    def origin(self, textpage, index: int) -> tuple[float, float]:
        pdfium_c.FPDFText_GetCharOrigin(textpage, index, self.x, self.y)
        return self.x.value, self.y.value


def _word(
    textpage, span: tuple[int, int], count: int, texts: dict[int, _TextObject], scratch: _Scratch
) -> tuple[list[float], float, _TextObject | None]:
    """The user-space box of the characters ``span``, their font size (points, as drawn) and text object."""
    start, end = span
    obj = pdfium_c.FPDFText_GetTextObject(textpage, start)
    info = texts.get(ctypes.addressof(obj.contents)) if obj else None
    char = scratch.matrix
    pdfium_c.FPDFText_GetMatrix(textpage, start, char)
    font_size = float(pdfium_c.FPDFText_GetFontSize(textpage, start))
    size = font_size * abs(char.a * char.d - char.b * char.c) ** 0.5
    if info is None or not (char.a > 0 and char.d > 0 and abs(char.b) + abs(char.c) < 1e-6 * char.a):
        return _loose_box(textpage, start, end, scratch.rect), size, info
    # upright text as poppler boxes it: from the first glyph's origin to the last one's advance, from the
    # font's ascent to its descent about the baseline (PDFium's box grows to glyphs that overhang their advance)
    ascent, descent = info.metrics
    (left, baseline), em = scratch.origin(textpage, start), font_size * char.d
    low = high = baseline
    if pdfium_c.FPDFText_CountRects(textpage, start, end - start) > 1:  # more than one run: maybe raised or lowered
        for i in range(start + 1, end):
            y = scratch.origin(textpage, i)[1]
            low, high = min(low, y), max(high, y)
    last = end - 1
    last_obj = pdfium_c.FPDFText_GetTextObject(textpage, last) if last > start else obj
    last_info = texts.get(ctypes.addressof(last_obj.contents)) if last_obj else None
    code = pdfium_c.FPDFText_GetUnicode(textpage, last)
    font = (last_info or info).font
    last_size = font_size if last_info is info else float(pdfium_c.FPDFText_GetFontSize(textpage, last))
    x = scratch.origin(textpage, last)[0]
    if font and pdfium_c.FPDFFont_GetGlyphWidth(font, ord("-") if code == ord(HYPHEN) else code, last_size, scratch.width):
        right = x + scratch.width.value * char.a
    else:
        right = _loose_box(textpage, last, end, scratch.rect)[2]
    return [left, low + descent * em, max(right, left), high + ascent * em], size, info


def _loose_box(textpage, start: int, end: int, rect) -> list[float]:
    """The union of PDFium's boxes of characters ``start`` to ``end`` (any direction)."""
    left = bottom = np.inf
    right = top = -np.inf
    for i in range(start, end):
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect)
        left, right = min(left, rect.left), max(right, rect.right)
        bottom, top = min(bottom, rect.bottom), max(top, rect.top)
    return [left, bottom, right, top]
