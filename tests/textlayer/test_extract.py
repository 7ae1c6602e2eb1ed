"""Reading a PDF page's text layer through PDFium: words exact, boxes as poppler's pdftotext gives
them, in the pixels of the rendered page whatever its rotation and page box."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from lxml import etree
from PIL import Image
from reportlab.lib.utils import ImageReader

from docvision.io import open_document
from docvision.textlayer.extract import read_page
from tests.textlayer import pdfs

DPI = 200


def layer_of(data: bytes, number: int = 1, dpi: int = DPI, renderer: str = "pdfium"):
    with open_document(data if renderer == "pdfium" else _file(data), dpi=dpi, renderer=renderer) as document:
        _, size = document.frame(number)
        with document.pdfium_page(number) as page:
            return read_page(page, size)


def _file(data: bytes):
    import tempfile

    f = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
    f.write(data)
    f.close()
    return f.name


def pdftotext_words(data: bytes, dpi: int = DPI) -> list[tuple[str, tuple[float, ...]]]:
    """poppler's words and boxes, scaled to pixels at ``dpi``."""
    xhtml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True).stdout
    scale = dpi / 72
    return [(w.text, tuple(float(w.get(k)) * scale for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in etree.fromstring(xhtml).iter("{*}word")]


@pytest.mark.parametrize(("font", "size"), [("Helvetica", 12), ("Times-Roman", 9), ("Courier", 14),
                                            ("DejaVuSans", 11), ("DejaVuSerif", 7)])
def test_born_digital_words_are_exact_and_boxed_as_pdftotext_does(font, size):
    data = pdfs.born_digital(font=font, size=size)
    layer = layer_of(data)
    assert (layer.width, layer.height) == (1700, 2200) and layer.paints == []
    assert [w.text for w in layer.words] == pdfs.words_of(pdfs.TEXT)
    reference = pdftotext_words(data)
    assert [t for t, _ in reference] == [w.text for w in layer.words]
    error = np.abs(np.array([w.bbox for w in layer.words]) - np.array([b for _, b in reference]))
    assert error.max() <= 2.0, error.max()
    assert {round(w.font_size, 2) for w in layer.words} == {size}
    assert {(w.mode, w.color, w.unmapped) for w in layer.words} == {(0, (0, 0, 0, 255), 0)}


def _ink_inside(data: bytes, renderer: str = "pdfium") -> tuple[float, list[bool]]:
    """Share of the rendered page's dark pixels inside the layer's word boxes (grown 2 px), and
    whether each box holds ink."""
    layer = layer_of(data, renderer=renderer)
    with open_document(data if renderer == "pdfium" else _file(data), dpi=DPI, renderer=renderer) as document:
        (page,) = list(document)
    dark = page.image.min(axis=2) < 128
    inside = np.zeros_like(dark)
    has_ink = []
    for word in layer.words:
        x0, y0, x1, y1 = (int(round(v)) for v in word.bbox)
        inside[max(y0 - 2, 0):y1 + 2, max(x0 - 2, 0):x1 + 2] = True
        has_ink.append(bool(dark[max(y0, 0):y1, max(x0, 0):x1].any()))
    return float((dark & inside).sum() / dark.sum()), has_ink


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_boxes_follow_the_page_rotation_and_crop_box(rotate):
    pdf = pikepdf.open(io.BytesIO(pdfs.born_digital()))
    pdf.pages[0].CropBox = [40, 300, 560, 760]
    pdf.pages[0].Rotate = rotate
    out = io.BytesIO()
    pdf.save(out)
    share, has_ink = _ink_inside(out.getvalue())
    assert share > 0.99 and all(has_ink)


def test_poppler_renderer_reads_the_layer_through_pdfium_too():
    share, has_ink = _ink_inside(pdfs.born_digital(), renderer="poppler")
    assert share > 0.99 and all(has_ink)


def test_images_shapes_and_text_objects_in_drawing_order(tmp_path):
    """Images inside form XObjects are placed by the form's matrix; render modes and colours are read."""
    c, out = pdfs.new_page()
    c.setFillColorRGB(0.9, 0.9, 0.9)
    c.rect(72, 600, 200, 100, stroke=0, fill=1)
    c.beginForm("logo")
    c.drawImage(ImageReader(Image.new("RGB", (50, 20), "gray")), 0, 0, 50, 20)
    c.endForm()
    c.saveState()
    c.translate(300, 100)
    c.scale(2, 2)
    c.doForm("logo")
    c.restoreState()
    pdfs.write(c, ["seen"], top=650, color=(0.2, 0.2, 0.2))
    pdfs.write(c, ["unseen"], top=500, mode=3)
    c.save()
    layer = layer_of(out.getvalue(), dpi=72)
    fill, image = layer.paints
    assert (fill.kind, fill.opaque, fill.color) == ("fill", True, (230, 230, 230, 255))
    assert np.allclose(fill.bbox, (72, 92, 272, 192), atol=0.5)
    assert image.kind == "image" and np.allclose(image.bbox, (300, 652, 400, 692), atol=0.5)
    seen, unseen = layer.words
    assert (seen.text, seen.mode, seen.color) == ("seen", 0, (51, 51, 51, 255))
    assert (unseen.text, unseen.mode) == ("unseen", 3)
    assert fill.order < image.order < seen.order < unseen.order


def test_unmapped_glyphs_are_counted_and_hyphens_at_line_ends_split_words():
    layer = layer_of(pdfs.type3())
    assert layer.words and all(w.unmapped for w in layer.words)
    words = layer_of(pdfs.born_digital(["A word broken by hyphen-", "ation here."])).words
    assert [w.text for w in words] == ["A", "word", "broken", "by", "hyphen-", "ation", "here."]
    assert words[4].bbox[3] < words[5].bbox[1]  # PDFium joins the two halves: they are split again


def test_page_without_text():
    layer = layer_of(pdfs.scanned())
    assert layer.chars == 0 and layer.words == [] and [p.kind for p in layer.paints] == ["image"]
    assert np.allclose(layer.paints[0].bbox, (0, 0, 1700, 2200), atol=0.5)


def test_a_font_without_tounicode_is_read_through_its_own_tables():
    """An embedded TrueType subset without ToUnicode map: PDFium maps it through the font (not a lie)."""
    pdf = pikepdf.open(io.BytesIO(pdfs.born_digital(font="DejaVuSans")))
    fonts = [f for f in pdf.pages[0].Resources.Font.values() if f.Subtype == "/TrueType"]
    assert fonts and all("/ToUnicode" in f for f in fonts)
    for font in fonts:
        del font["/ToUnicode"]
    out = io.BytesIO()
    pdf.save(out)
    words = layer_of(out.getvalue()).words
    assert [w.text for w in words] == pdfs.words_of(pdfs.TEXT) and all(w.unmapped == 0 for w in words)
