"""Searchable PDF: the input's pages untouched, the words where poppler (pdftotext, the
renderer docvision reads PDFs with) finds them, whatever the page's boxes and rotation."""

from __future__ import annotations

import html
import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from docvision.document import Block, Document, Line, Page, Word
from docvision.errors import InputError
from docvision.export.frames import moved
from docvision.export.pdf import glyphless_font, pixel_matrix, rendered_box, to_pdf, to_unicode_cmap, upright_box
from docvision.geometry import quarter_turns
from docvision.io import open_document

DPI = 144
"""Resolution of the test pages' pixels: 2 pixels per point."""
TEXTS = ["Total", "€12,50", "naïve", "Ωμέγα", "日本語", "𝔘𝔫𝔦"]
"""Latin-1, outside Latin-1, Greek, CJK, and outside the BMP (surrogate pairs in UTF-16)."""


def boxed(text: str, box, conf: float = 0.9) -> Word:
    x0, y0, x1, y1 = box
    return Word(text, box, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], conf)


def page_of_words(index: int, width: int, height: int, dpi: float | None = DPI) -> Page:
    """Two columns of :data:`TEXTS`, three lines each, in reading order (left column first)."""
    blocks = []
    for column in range(2):
        lines = [Line([boxed(TEXTS[3 * column + row], (20 + 150 * column, 20 + 50 * row, 140 + 150 * column, 56 + 50 * row))])
                 for row in range(3)]
        blocks.append(Block(lines))
    return Page(index, width, height, dpi, blocks)


def pdf_words(path: Path, page: int = 1, password: str | None = None) -> list[tuple[str, tuple[float, ...]]]:
    """``pdftotext -bbox`` words of ``page``: text and box in points of the displayed page."""
    args = ["pdftotext", "-bbox", "-f", str(page), "-l", str(page)] + (["-upw", password] if password else [])
    out = subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [(html.unescape(m[4]), tuple(float(v) for v in m[:4])) for m in re.findall(pattern, out)]


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def assert_on_their_boxes(path: Path, page: Page, number: int = 1, min_iou: float = 0.75, password=None) -> None:
    found = pdf_words(path, number, password)
    words = list(page.words())
    assert [text for text, _ in found] == [w.text for w in words]  # reading order: left column, then right
    scale = 72 / page.dpi
    for (text, box), word in zip(found, words):
        assert iou(box, [v * scale for v in word.bbox]) > min_iou, (text, box, word.bbox)


@pytest.fixture
def blank_pdf(tmp_path):
    """``blank_pdf(rotate=0, mediabox=None, pages=1)``: a PDF of grey 300 x 200 pt pages (pixels
    drawn by PIL), with the given /Rotate and MediaBox."""

    def make(rotate: int = 0, mediabox=None, pages: int = 1) -> Path:
        images = [Image.new("RGB", (300, 200), (200 + 10 * i, 200, 200)) for i in range(pages)]
        out = io.BytesIO()
        images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=72)
        pdf = pikepdf.open(io.BytesIO(out.getvalue()))
        for page in pdf.pages:
            if mediabox:
                page.mediabox = mediabox
            if rotate:
                page.rotate(rotate, relative=False)
        path = tmp_path / f"blank-{rotate}.pdf"
        pdf.save(path)
        return path

    return make


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_words_land_on_their_boxes_on_rotated_pages(blank_pdf, tmp_path, rotate):
    """docvision's pixels are those of the displayed page (poppler applies /Rotate); the text
    must come out upright there, on each word's box, for a MediaBox not at the origin."""
    source = blank_pdf(rotate, mediabox=[10, 20, 310, 220])
    with open_document(source, dpi=DPI) as rendered:
        (image,) = [p.image for p in rendered]
    height, width = image.shape[:2]
    assert (width, height) == ((400, 600) if rotate % 180 else (600, 400))
    page = page_of_words(0, width, height)
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(source), {}, [page])))
    assert_on_their_boxes(out, page)


def test_page_content_is_kept_and_looks_the_same(blank_pdf, tmp_path):
    source = blank_pdf(pages=2)
    original = pikepdf.open(source)
    content = original.pages[0].Contents.read_bytes()
    page = page_of_words(0, 600, 400)
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(source), {}, [page])))

    result = pikepdf.open(out)
    assert len(result.pages) == 2
    streams = [s.read_bytes() for s in result.pages[0].obj.Contents]
    assert streams[0] == b"q\n" and streams[1] == content and streams[2].startswith(b"Q\n")  # untouched, in q/Q
    assert b" 3 Tr" in streams[2] or b"3 Tr" in streams[2]
    assert result.pages[1].Contents.read_bytes() == original.pages[1].Contents.read_bytes()
    for number in (1, 2):  # invisible: renders pixel for pixel as before
        before, after = (_render(path, number) for path in (source, out))
        assert np.array_equal(before, after)
    assert pdf_words(out, 2) == []


def _render(path: Path, number: int, dpi: int = 36) -> np.ndarray:
    with open_document(path, dpi=dpi, pages=[number]) as document:
        return next(iter(document)).image


def test_selected_pages_only_and_the_rest_kept(blank_pdf, tmp_path):
    source = blank_pdf(pages=3)
    page = page_of_words(1, 600, 400)
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(source), {}, [page])))
    assert len(pikepdf.open(out).pages) == 3
    assert pdf_words(out, 1) == [] and pdf_words(out, 3) == []
    assert_on_their_boxes(out, page, number=2)


def test_skewed_word_selects_whole(blank_pdf, tmp_path):
    """A word skewed by 4 degrees: set upright on its quad's middle, it stays one word for
    poppler (glyphs along the skew would be split wherever their baselines drift)."""
    angle = np.radians(4)
    x0, y0, w, h = 40.0, 100.0, 300.0, 40.0
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    polygon = [(x0 + x * np.cos(angle) + y * np.sin(angle), y0 - x * np.sin(angle) + y * np.cos(angle)) for x, y in corners]
    xs, ys = zip(*polygon)
    word = Word("Rotterdam", (min(xs), min(ys), max(xs), max(ys)), polygon, 0.9)
    page = Page(0, 600, 400, DPI, [Block([Line([word])])])
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(blank_pdf()), {}, [page])))
    ((text, box),) = pdf_words(out)
    assert text == "Rotterdam"
    assert iou(box, [v / 2 for v in word.bbox]) > 0.5
    top, bottom = upright_box(word)[1::2]
    assert bottom - top == pytest.approx(h * np.cos(angle), rel=0.01)  # the word's height, not its bbox's


def test_text_is_searchable_by_other_extractors(blank_pdf, tmp_path):
    """pypdf reads the text through the ToUnicode map, words and lines separated."""
    from pypdf import PdfReader

    page = page_of_words(0, 600, 400)
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(blank_pdf()), {}, [page])))
    text = PdfReader(out).pages[0].extract_text()
    assert text.split() == TEXTS


def test_font_is_glyphless_and_the_cmap_maps_back():
    font = TTFont(io.BytesIO(glyphless_font()))
    assert font.getGlyphOrder() == [".notdef", "blank"]
    assert all(font["glyf"][name].numberOfContours == 0 for name in font.getGlyphOrder())
    cmap = to_unicode_cmap({"A": 1, "€": 2, "𝔘": 3}).decode("ascii")
    assert "<0001> <0041>" in cmap and "<0002> <20AC>" in cmap and "<0003> <D835DD18>" in cmap
    assert "3 beginbfchar" in cmap


def test_png_is_embedded_losslessly_and_jpeg_passed_through(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    png, jpeg = tmp_path / "scan.png", tmp_path / "scan.jpg"
    Image.fromarray(pixels).save(png, dpi=(144, 144))
    Image.fromarray(pixels).save(jpeg, quality=90, dpi=(144, 144))
    page = Page(0, 300, 200, 144, [Block([Line([boxed("Total", (20, 20, 120, 56))])])])

    out = tmp_path / "png.pdf"
    out.write_bytes(to_pdf(Document(str(png), {}, [page])))
    with pikepdf.open(out) as pdf:
        embedded = _only_image(pdf)
        assert np.array_equal(np.asarray(embedded.as_pil_image().convert("RGB")), pixels)
        assert pdf.pages[0].mediabox == [0, 0, 150, 100]  # 300 x 200 px at 144 dpi
    assert_on_their_boxes(out, page)

    with pikepdf.open(io.BytesIO(to_pdf(Document(str(jpeg), {}, [page])))) as pdf:
        assert _only_image(pdf).obj.read_raw_bytes() == jpeg.read_bytes()

    small = to_pdf(Document(str(png), {}, [page]), jpeg_quality=30)
    with pikepdf.open(io.BytesIO(small)) as pdf:
        assert _only_image(pdf).filters == ["/DCTDecode"]
    assert len(small) < png.stat().st_size / 3


def _only_image(pdf: pikepdf.Pdf) -> pikepdf.PdfImage:
    (image,) = pdf.pages[0].get_images().values()
    return pikepdf.PdfImage(image)


def test_image_inputs_as_docvision_saw_them(tmp_path):
    """A JPEG turned by EXIF, a PNG with alpha and a two-page TIFF: the words still land on the
    pixels docvision read (which are the EXIF-turned, alpha-flattened frames)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90 degrees: shown 200 x 300
    turned = tmp_path / "turned.jpg"
    Image.new("RGB", (300, 200), "white").save(turned, exif=exif, dpi=(144, 144))
    rgba = tmp_path / "alpha.png"
    Image.new("RGBA", (300, 200), (255, 255, 255, 128)).save(rgba, dpi=(144, 144))
    tiff = tmp_path / "two.tiff"
    Image.new("L", (300, 200), 255).save(tiff, save_all=True, append_images=[Image.new("L", (300, 200), 200)], dpi=(144, 144))

    for source, pages in ((turned, 1), (rgba, 1), (tiff, 2)):
        with open_document(source) as document:
            seen = [(p.index, p.image.shape[1], p.image.shape[0]) for p in document]
        assert len(seen) == pages
        doc = Document(str(source), {}, [Page(i, w, h, 144, [Block([Line([boxed("word", (10, 10, 90, 40))])])]) for i, w, h in seen])
        out = tmp_path / f"{source.name}.pdf"
        out.write_bytes(to_pdf(doc))
        for page in doc.pages:
            assert _render(out, page.index + 1, dpi=144).shape == _render(source, page.index + 1).shape
            assert_on_their_boxes(out, page, number=page.index + 1)


def test_encrypted_pdf_stays_encrypted(blank_pdf, tmp_path):
    locked = tmp_path / "locked.pdf"
    pikepdf.open(blank_pdf()).save(locked, encryption=pikepdf.Encryption(user="pw", owner="owner"))
    page = page_of_words(0, 600, 400)
    with pytest.raises(InputError, match="password"):
        to_pdf(Document(str(locked), {}, [page]))
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(locked), {}, [page]), password="pw"))
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    assert_on_their_boxes(out, page, password="pw")


def test_bad_arguments(blank_pdf):
    source = blank_pdf()
    with pytest.raises(InputError, match="page 3 is not in the PDF"):
        to_pdf(Document(str(source), {}, [page_of_words(2, 600, 400)]))
    with pytest.raises(ValueError, match="JPEG quality"):
        to_pdf(Document(str(source), {}, []), jpeg_quality=0)


def test_no_words_no_font(blank_pdf):
    source = blank_pdf()
    result = pikepdf.open(io.BytesIO(to_pdf(Document(str(source), {}, [Page(0, 600, 400, DPI)]))))
    assert "/Font" not in result.pages[0].resources


def test_rendered_box_is_the_one_of_the_image_size():
    """pdftoppm renders the MediaBox; a renderer that crops renders the CropBox: the box
    whose size at the page's dpi is the image's is the one the pixels belong to."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(300, 200))
    page = pdf.pages[0]
    page.obj.CropBox = pikepdf.Array([20, 30, 200, 150])
    assert rendered_box(page, Page(0, 600, 400, DPI)) == (0, 0, 300, 200)
    assert rendered_box(page, Page(0, 360, 240, DPI)) == (20, 30, 200, 150)
    page.rotate(90, relative=False)
    assert rendered_box(page, Page(0, 240, 360, DPI)) == (20, 30, 200, 150)


@pytest.mark.parametrize(
    ("rotation", "top_left", "bottom_right"),
    [(0, (10, 220), (310, 20)), (90, (10, 20), (310, 220)), (180, (310, 20), (10, 220)), (270, (310, 220), (10, 20))],
)
def test_pixel_matrix_corners(rotation, top_left, bottom_right):
    """The displayed page's top-left pixel corner and bottom-right one, in user space."""
    width, height = (400, 600) if rotation % 180 else (600, 400)
    a, b, c, d, e, f = pixel_matrix((10, 20, 310, 220), rotation, width, height)
    assert (e, f) == pytest.approx(top_left)
    assert (a * width + c * height + e, b * width + d * height + f) == pytest.approx(bottom_right)


def test_searchable_scan_with_the_shipped_models(scanned_pdf, scanned_document, tmp_path):
    """The issue's measure on a three-page scan (one page under /Rotate 90, one read turned a
    quarter): pdftotext finds docvision's words in its reading order, each within 0.5 IoU of its
    JSON box; qpdf's checks pass; the file grows by the text layer only."""
    out = tmp_path / "scan.searchable.pdf"
    out.write_bytes(to_pdf(scanned_document))
    matched = total = 0
    assert [page.orientation for page in scanned_document.pages] == [0, 0, 90]
    for page in scanned_document.pages:
        words = list(page.words())
        assert len(words) >= 20
        found, boxes = pdf_words(out, page.index + 1), [[v * 72 / page.dpi for v in w.bbox] for w in words]
        if page.orientation:  # poppler's reading order puts lines that run up the page last first
            raw = ["pdftotext", "-raw", "-f", str(page.index + 1), "-l", str(page.index + 1), str(out), "-"]
            read = subprocess.run(raw, capture_output=True, text=True, check=True).stdout
            assert read.split() == [w.text for w in words]
            found = [max((f for f in found if f[0] == w.text), key=lambda f: iou(f[1], b), default=("", ()))
                     for w, b in zip(words, boxes)]
        assert [text for text, _ in found] == [w.text for w in words]
        total += len(words)
        matched += sum(iou(box, b) >= 0.5 for (_, box), b in zip(found, boxes))
    assert matched >= 0.99 * total
    with pikepdf.open(out) as pdf:
        assert pdf.check_pdf_syntax() == []
        layer = sum(len(s.read_bytes()) for p in pdf.pages for s in p.obj.Contents if s.read_bytes().startswith(b"Q\n"))
    assert out.stat().st_size <= 1.1 * scanned_pdf.stat().st_size + layer


def test_words_of_the_pdf_text_layer_are_not_written_again(ink_pipeline):
    """A born-digital page with a pasted scan: only the scan's OCR words are added to it."""
    from pypdf import PdfReader

    from tests.textlayer import pdfs

    data = pdfs.with_scanned_block()
    ink_pipeline.detector.max_side = 1024
    document = ink_pipeline(data, dpi=100)
    ocr = [w.text for w in document.pages[0].words() if w.source == "ocr" and w.text]
    assert ocr and {w.source for w in document.pages[0].words()} == {"pdf", "ocr"}
    before = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    after = PdfReader(io.BytesIO(to_pdf(document, data))).pages[0].extract_text()
    assert before.count("Quarterly") == after.count("Quarterly") == 1
    assert after.startswith(before) and after[len(before):].split() == ocr


def _char_origins(path: Path, number: int = 1) -> list[tuple[str, tuple[float, float]]]:
    """Each character of the text layer and its origin in PDF user space (pdfium)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(str(path))
    try:
        text = document[number - 1].get_textpage()
        out = []
        for i in range(text.count_chars()):
            x, y = ctypes.c_double(), ctypes.c_double()
            raw.FPDFText_GetCharOrigin(text, i, x, y)
            out.append((chr(raw.FPDFText_GetUnicode(text, i)), (x.value, y.value)))
        return out
    finally:
        document.close()


def turned_page(orientation: int, width: int, height: int, upright: bool = False) -> Page:
    """:func:`page_of_words` laid out on a ``width`` x ``height`` page turned upright, given as a
    page read ``orientation`` degrees turned: in the pixels of the page as input, or ``upright``."""
    page = page_of_words(0, width, height)
    if upright:
        return replace(page, orientation=orientation, upright=True)
    to_input = quarter_turns((width, height), orientation // 90)
    size = (height, width) if orientation % 180 else (width, height)
    blocks = [Block([Line([moved(w, to_input) for w in line.words]) for line in block.lines]) for block in page.blocks]
    return Page(0, *size, DPI, blocks, orientation=orientation)


@pytest.mark.parametrize("upright", [False, True])
@pytest.mark.parametrize("orientation", [90, 180, 270])
def test_words_of_a_page_read_turned_run_as_its_text(blank_pdf, tmp_path, orientation, upright):
    """A page read turned: each invisible word lies on its word as the page shows it, its letters
    running the way the text does there (up the page at 90 degrees), whichever frame its boxes are in;
    the displayed page is itself turned by /Rotate for the quarter turns."""
    rotate = 90 if orientation % 180 else 0
    source = blank_pdf(rotate)  # 300 x 200 pt: 600 x 400 px shown, 400 x 600 under /Rotate 90
    shown = (400, 600) if rotate else (600, 400)
    upright_size = (shown[1], shown[0]) if orientation % 180 else shown
    page = turned_page(orientation, *upright_size, upright=upright)
    out = tmp_path / "out.pdf"
    out.write_bytes(to_pdf(Document(str(source), {}, [page])))

    on_input = turned_page(orientation, *upright_size)  # the same words in the pixels shown
    found = pdf_words(out)
    assert sorted(text for text, _ in found) == sorted(TEXTS)
    boxes = {text: box for text, box in found}
    for word in on_input.words():
        assert iou(boxes[word.text], [v * 72 / DPI for v in word.bbox]) > 0.75, word.text

    to_user = pixel_matrix((0, 0, 300, 200), rotate, *shown)
    chars = _char_origins(out)
    text = "".join(c for c, _ in chars)
    for word in on_input.words():
        units = word.text.encode("utf-16-be")  # pdfium gives UTF-16 code units
        units = "".join(chr(int.from_bytes(units[i : i + 2], "big")) for i in range(0, len(units), 2))
        start = text.index(units)
        first, last = chars[start][1], chars[start + len(units) - 1][1]
        (x0, y0), (x1, y1) = word.polygon[:2]  # along its text, in pixels shown
        a, b, c, d, _, _ = to_user
        along = np.array([a * (x1 - x0) + c * (y1 - y0), b * (x1 - x0) + d * (y1 - y0)])
        step = np.subtract(last, first)
        assert np.dot(step, along) / np.linalg.norm(step) / np.linalg.norm(along) > 0.99, word.text
