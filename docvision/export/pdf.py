"""Searchable PDF: the input's own pages with an invisible text layer (rendering mode 3)
whose words lie on the recognized words, so selecting, searching and ``pdftotext`` give
the recognized text.

On a page read turned (``Page.orientation``) the words run as its text does on the page as
input: up, down or upside down, each measured along its text on the page turned upright.

A PDF input keeps its page content untouched (the layer is appended, the original wrapped
in ``q``/``Q``); image inputs are embedded by img2pdf (JPEG, PNG and TIFF data passed through
losslessly) or re-encoded as JPEG at a quality the caller sets. The text is set in a
glyphless TrueType font (built by fontTools) as a Type0/Identity-H font whose codes are
numbered per document and mapped back by a ToUnicode CMap: any Unicode text selects, as
in Tesseract's and OCRmyPDF's PDFs.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import img2pdf
import numpy as np
import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from PIL import Image

from docvision.document import Document, Page, Point, Word
from docvision.errors import InputError, naming
from docvision.export.frames import input_size, moved, to_input, to_upright
from docvision.geometry import compose, invert, pdf_frame
from docvision.io.sources import open_document, source_name

Matrix = tuple[float, float, float, float, float, float]
"""A PDF affine map ``[a b c d e f]``: ``(x, y) -> (a x + c y + e, b x + d y + f)``."""

FONT_NAME = "GlyphLessFont"
GLYPH_ADVANCE = 500
"""Advance of every glyph in 1/1000 em; the text matrix stretches each word to its box."""
SPACE_SHARE = 0.2
"""Gap left after a word's letters, in word heights (at most one glyph's share of the width)."""
POINTS_PER_INCH = 72


@cache
def glyphless_font() -> bytes:
    """A TrueType font whose glyphs are all empty: ascent 1 em, descent 0, so a word set at
    size *h* with its baseline on the bottom of its box covers exactly the box."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "blank"])
    builder.setupCharacterMap({})
    builder.setupGlyf({name: TTGlyphPen(None).glyph() for name in (".notdef", "blank")})
    builder.setupHorizontalMetrics({".notdef": (GLYPH_ADVANCE, 0), "blank": (GLYPH_ADVANCE, 0)})
    builder.setupHorizontalHeader(ascent=1000, descent=0)
    builder.setupNameTable({"familyName": FONT_NAME, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def to_unicode_cmap(codes: dict[str, int]) -> bytes:
    """The ToUnicode CMap that maps each 2-byte code back to its character."""
    entries = [f"<{code:04X}> <{char.encode('utf-16-be').hex().upper()}>" for char, code in codes.items()]
    chunks = [entries[i : i + 100] for i in range(0, len(entries), 100)]  # at most 100 per block
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _font(pdf: pikepdf.Pdf, codes: dict[str, int]) -> pikepdf.Object:
    """The Type0 font of the text layer: every code is glyph 1 (blank) of the glyphless font."""
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/" + FONT_NAME), Flags=5,
        # Descent -1, not 0: poppler takes a zero descent as missing and assumes one of -0.35 em
        FontBBox=[0, 0, GLYPH_ADVANCE, 1000], ItalicAngle=0, Ascent=1000, Descent=-1, CapHeight=1000, StemV=80,
        FontFile2=pikepdf.Stream(pdf, glyphless_font()),
    )
    cid_to_gid = b"\x00\x00" + b"\x00\x01" * len(codes)  # codes are 1..n
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=pikepdf.Name("/" + FONT_NAME),
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), DW=GLYPH_ADVANCE,
        CIDToGIDMap=pikepdf.Stream(pdf, cid_to_gid),
    )
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name("/" + FONT_NAME),
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[pdf.make_indirect(cid_font)],
        ToUnicode=pikepdf.Stream(pdf, to_unicode_cmap(codes)),
    ))


def _box(values: Sequence[float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in values)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def rendered_box(pdf_page: pikepdf.Page, page: Page) -> tuple[float, float, float, float]:
    """The page box that was rendered into ``page``'s pixels: the MediaBox (pdftoppm's default)
    or the CropBox, whichever has the image's size at ``page.dpi``."""
    boxes = [_box(pdf_page.cropbox), _box(pdf_page.mediabox)]
    if not page.dpi:
        return boxes[0]
    turned = pdf_page.rotation % 180 == 90
    width, height = input_size(page)

    def mismatch(box: tuple[float, float, float, float]) -> float:
        w, h = box[2] - box[0], box[3] - box[1]
        w, h = (h, w) if turned else (w, h)
        scale = page.dpi / POINTS_PER_INCH
        return abs(w * scale - width) + abs(h * scale - height)

    return min(boxes, key=mismatch)


def pixel_matrix(box: tuple[float, float, float, float], rotation: int, width: int, height: int) -> Matrix:
    """The map from pixels of the rendered page (origin top-left, as displayed, i.e. after
    ``/Rotate``) to PDF user space (points, origin bottom-left of the unrotated page): the
    inverse of :func:`~docvision.geometry.pdf_frame`."""
    (a, c, e), (b, d, f) = invert(pdf_frame(box, rotation, (width, height)))
    return float(a), float(b), float(c), float(d), float(e), float(f)


def _apply(m: Matrix, point: Point) -> tuple[float, float]:
    x, y = point
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _after(m: Matrix, first: np.ndarray) -> Matrix:
    """The map ``first`` (a 2 x 3 frame change, :mod:`docvision.geometry`) then ``m``."""
    a, b, c, d, e, f = m
    (a, c, e), (b, d, f) = compose(np.array([[a, c, e], [b, d, f]]), first)
    return float(a), float(b), float(c), float(d), float(e), float(f)


def _from_upright(page: Page, upright: np.ndarray, to_user: Matrix) -> Matrix:
    """The map from pixels of ``page`` turned upright (``upright``: :func:`to_upright`) to PDF user
    space, given ``to_user`` from pixels of the page as input (:func:`pixel_matrix`)."""
    return _after(to_user, compose(to_input(page), invert(upright)))


def upright_box(word: Word) -> tuple[float, float, float, float]:
    """The word's box set straight: its bbox's left and right, and the middles of its quad's
    top and bottom edges (its bbox for other polygons). For a skewed word that is shorter
    than the bbox, so the words of a skewed line step up or down by little."""
    x0, y0, x1, y1 = word.bbox
    if len(word.polygon) == 4:
        (_, top_l), (_, top_r), (_, bottom_r), (_, bottom_l) = word.polygon
        y0, y1 = max(y0, (top_l + top_r) / 2), min(y1, (bottom_l + bottom_r) / 2)
    return x0, y0, x1, y1


def letters_end(word: Word, following: Word | None = None) -> float:
    """Where ``word``'s letters end in the text layer: a little (:data:`SPACE_SHARE`) before
    its box does, or before the ``following`` word of its line starts where that overlaps
    its end. docvision's boxes of neighbouring words often touch or overlap, and poppler
    separates words by the gap between their glyphs, not by the space after each word."""
    x0, y0, x1, y1 = (float(v) for v in upright_box(word))
    start = float(following.bbox[0]) if following is not None else x1
    right = start if (x0 + x1) / 2 < start < x1 else x1  # an overlap at the word's end only
    return right - min(SPACE_SHARE * (y1 - y0), (right - x0) / (len(word.text) + 2))


def word_matrix(word: Word, to_user: Matrix, following: Word | None = None) -> Matrix | None:
    """The text matrix that sets ``word`` (at font size 1, one glyph advance per character)
    upright in its :func:`upright_box`: baseline on the bottom edge, glyph tops on the top
    edge, letters up to :func:`letters_end`. None for an empty box.

    Upright, not along a skewed word's quad: poppler (pdftotext, Evince, Okular) splits a
    word whose glyph baselines drift by over half a point, as they would along a quad
    skewed by even a degree."""
    x0, y0, x1, y1 = (float(v) for v in upright_box(word))
    if x1 <= x0 or y1 <= y0:
        return None
    scale = (letters_end(word, following) - x0) / (GLYPH_ADVANCE / 1000 * len(word.text))
    a, b, c, d, _, _ = to_user
    e, f = _apply(to_user, (x0, y1))
    return a * scale, b * scale, -c * (y1 - y0), -d * (y1 - y0), e, f


def _encode(text: str, codes: dict[str, int]) -> bytes:
    return b"".join(codes[c].to_bytes(2, "big") for c in text)


def text_layer(page: Page, to_user: Matrix, font: pikepdf.Name, codes: dict[str, int]) -> bytes:
    """Content stream of ``page``'s invisible OCR words in reading order, each followed by a space
    (so extractors that ignore positions still separate words and lines); words taken from the
    page's own text layer (``source`` ``pdf``) are there already. ``to_user``: from pixels of the
    page as input; words are set upright on the page turned upright."""
    ops: list[tuple[list, str]] = [([], "BT"), ([3], "Tr"), ([font, 1], "Tf")]
    upright = to_upright(page)
    to_user = _from_upright(page, upright, to_user)
    for line in page.lines():
        words = [moved(word, upright) for word in line.words]
        for word, following in zip(words, [*words[1:], None]):
            matrix = word_matrix(word, to_user, following) if word.text and word.source == "ocr" else None
            if matrix is not None:
                ops += [(list(matrix), "Tm"), ([pikepdf.String(_encode(word.text + " ", codes))], "Tj")]
    ops.append(([], "ET"))
    return pikepdf.unparse_content_stream([(operands, pikepdf.Operator(op)) for operands, op in ops])


def _free_name(pdf_page: pikepdf.Page, prefix: str) -> pikepdf.Name:
    fonts = pdf_page.resources.get("/Font", {})
    n = 1
    while f"/{prefix}{n}" in fonts:
        n += 1
    return pikepdf.Name(f"/{prefix}{n}")


def add_text_layer(pdf: pikepdf.Pdf, pages: Iterable[Page]) -> None:
    """Append the invisible text of each of ``pages`` to page ``page.index`` of ``pdf``."""
    pages = [page for page in pages if any(w.text and w.source == "ocr" for w in page.words())]
    beyond = [p.index + 1 for p in pages if p.index >= len(pdf.pages)]
    if beyond:
        raise InputError(f"page {beyond[0]} is not in the PDF ({len(pdf.pages)} pages)")
    chars = sorted({c for page in pages for word in page.words() if word.source == "ocr" for c in word.text + " "})
    codes = {c: i for i, c in enumerate(chars, start=1)}
    font = _font(pdf, codes)
    for page in pages:
        pdf_page = pdf.pages[page.index]
        name = _free_name(pdf_page, "F")  # /F1 on a page of its own, as OCRmyPDF's sandwich graft expects
        pdf_page.add_resource(font, pikepdf.Name.Font, name)
        to_user = pixel_matrix(rendered_box(pdf_page, page), pdf_page.rotation, *input_size(page))
        pdf_page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)  # the page's own state ends before ours
        pdf_page.contents_add(pikepdf.Stream(pdf, b"Q\n" + text_layer(page, to_user, name, codes)))


def _image_pdf(source: str | Path | bytes, jpeg_quality: int | None) -> bytes:
    """The image input as a PDF: its own data where img2pdf can embed it, else the decoded
    (EXIF-turned) frames as PNG, or all as JPEG of ``jpeg_quality``."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if jpeg_quality is None:
        try:
            return img2pdf.convert(data)
        except (img2pdf.AlphaChannelError, img2pdf.ExifOrientationError, img2pdf.ImageOpenError,
                img2pdf.UnsupportedColorspaceError, img2pdf.JpegColorspaceError):
            pass  # re-encoded below, losslessly
    frames = []
    with open_document(data) as document:
        for page in document:
            out = io.BytesIO()
            image = Image.fromarray(page.image)
            dpi = (page.dpi, page.dpi) if page.dpi else None
            if jpeg_quality is None:
                image.save(out, "PNG", **({"dpi": dpi} if dpi else {}))
            else:
                image.save(out, "JPEG", quality=jpeg_quality, **({"dpi": dpi} if dpi else {}))
            frames.append(out.getvalue())
    return img2pdf.convert(frames)


def _is_pdf(source: str | Path | bytes) -> bool:
    if isinstance(source, bytes):
        return b"%PDF-" in source[:1024]
    with Path(source).open("rb") as f:
        return b"%PDF-" in f.read(1024)


def to_pdf(
    document: Document, source: str | Path | bytes | None = None, *, password: str | None = None,
    jpeg_quality: int | None = None,
) -> bytes:
    """The searchable PDF of ``source`` (the PDF or image the document was read from; default
    the file ``document.source``): every page of the input, with text on the OCRed ones.
    ``jpeg_quality`` (1-95) re-encodes image inputs as JPEG; PDF pages are never re-encoded."""
    source = document.source if source is None else source
    if jpeg_quality is not None and not 1 <= jpeg_quality <= 95:
        raise ValueError(f"JPEG quality must be 1-95, got {jpeg_quality}")
    is_pdf = _is_pdf(source)
    data = source if is_pdf else _image_pdf(source, jpeg_quality)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    name = source_name(source)
    try:
        pdf = pikepdf.open(stream, password=password or "")
    except pikepdf.PasswordError:
        raise InputError("encrypted PDF: a password is needed (--password)", name) from None
    except pikepdf.PdfError as err:
        raise InputError(f"corrupt PDF ({err})", name) from None
    with pdf, naming(name):
        add_text_layer(pdf, document.pages)
        out = io.BytesIO()
        pdf.save(out, encryption=pdf.is_encrypted, deterministic_id=not pdf.is_encrypted)
    return out.getvalue()
