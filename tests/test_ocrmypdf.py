"""The OCRmyPDF plugin: the engine's outputs in-process, and the real ``ocrmypdf`` end to end."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pikepdf
import pytest

pytest.importorskip("ocrmypdf")

from ocrmypdf.hocrtransform import HocrParser, OcrClass  # noqa: E402

import docvision.ocrmypdf as plugin  # noqa: E402
from docvision.document import Block, Line, Page, Word  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def engine(monkeypatch, ink_pipeline):
    """The plugin's engine with the ink pipeline (finds the black boxes of the test pages)."""
    monkeypatch.setattr(plugin, "_pipeline", ink_pipeline)
    return plugin.DocvisionEngine()


@pytest.fixture
def page_png(tmp_path, page_image):
    path = tmp_path / "page.png"
    page_image(300, 200).save(path, dpi=(150, 150))
    return path


def test_ocr_tree_is_the_page(engine, page_png):
    tree, text = engine.generate_ocr(page_png, options=None, page_number=4)
    assert (tree.ocr_class, tree.page_number, round(tree.dpi)) == (OcrClass.PAGE, 4, 150)
    assert (tree.bbox.right, tree.bbox.bottom) == (300, 200)
    words = tree.words
    assert len(words) == 3 and all(w.text and 0 <= w.confidence <= 1 for w in words)
    assert text.split() == [w.text for w in words]
    assert [len(p.children) for p in tree.paragraphs] and tree.lines


def test_letters_end_before_the_next_word():
    """The boxes handed to OCRmyPDF leave a gap, or poppler glues touching words together."""
    a = Word("Northwind", (100, 10, 300, 40), [(100, 10), (300, 10), (300, 40), (100, 40)], 0.9)
    b = Word("Logistics", (290, 10, 480, 40), [(290, 10), (480, 10), (480, 40), (290, 40)], 0.9)
    tree = plugin.to_ocr_element(Page(0, 600, 60, 150, [Block([Line([a, b])])]))
    first, second = tree.words
    assert first.bbox.right < 290 and second.bbox.right < 480 and first.bbox.left == 100


def test_lines_of_a_page_read_turned_have_its_textangle():
    """Text turned 90 degrees, read bottom to top: the line carries textangle 90 and each word's box
    ends where its letters do along the text (at its top), as OCRmyPDF's renderer expects."""
    a = Word("Northwind", (10, 300, 40, 500), [(10, 500), (10, 300), (40, 300), (40, 500)], 0.9)
    b = Word("Logistics", (10, 100, 40, 310), [(10, 310), (10, 100), (40, 100), (40, 310)], 0.9)
    tree = plugin.to_ocr_element(Page(0, 60, 600, 150, [Block([Line([a, b])])], orientation=90))
    (line,) = tree.lines
    assert line.textangle == 90
    first, second = tree.words
    assert (first.bbox.left, first.bbox.right, first.bbox.bottom) == (10, 40, 500) and first.bbox.top > 310
    assert second.bbox.bottom == 310 and 100 < second.bbox.top < 110
    upright = plugin.to_ocr_element(Page(0, 600, 60, 150, [Block([Line([a])])]))
    assert upright.lines[0].textangle is None


def test_hocr_and_sandwich_pdf(engine, page_png, tmp_path):
    hocr, text = tmp_path / "page.hocr", tmp_path / "page.txt"
    engine.generate_hocr(page_png, hocr, text, options=None)
    parsed = HocrParser(hocr).parse()
    sidecar = text.read_text().split()
    assert [w.text for w in parsed.words] == [unicodedata.normalize("NFKC", w) for w in sidecar]  # the parser's NFKC
    pdf_path = tmp_path / "page.pdf"
    engine.generate_pdf(page_png, pdf_path, text, options=None)
    with pikepdf.open(pdf_path) as pdf:
        assert [float(v) for v in pdf.pages[0].mediabox] == pytest.approx([0, 0, 144, 96], abs=0.1)  # 300 x 200 px, 150 dpi
        assert isinstance(pdf.pages[0].obj.Contents, pikepdf.Stream)  # what OCRmyPDF's sandwich graft reads:
        assert "/F1" in pdf.pages[0].resources.Font  # one content stream and the font /F1
    out = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert out.split() == sidecar


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_ocrmypdf_makes_a_pdfa_with_docvision_text(scanned_pdf, scanned_document, tmp_path):
    """``ocrmypdf --plugin docvision.ocrmypdf``: a PDF/A whose text is docvision's, in its order
    (``pdftotext -raw``: poppler's reading order puts lines that run up a page last first) on the
    page read turned too. OCRmyPDF rasterizes pages itself (not with poppler), so a character may differ."""
    out = tmp_path / "out.pdf"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "ocrmypdf", "--plugin", "docvision.ocrmypdf", "--output-type", "pdfa", "-j", "1",
         str(scanned_pdf), str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        assert "docvision" in str(pdf.open_metadata().get("xmp:CreatorTool"))
        assert len(pdf.pages) == 3 and pdf.pages[1].rotation == 90 and pdf.pages[2].rotation == 0
    for page in scanned_document.pages:
        number = str(page.index + 1)
        text = subprocess.run(["pdftotext", "-raw", "-f", number, "-l", number, str(out), "-"],
                              capture_output=True, text=True, check=True).stdout
        similarity = difflib.SequenceMatcher(None, _squeezed(text), _squeezed(page.text)).ratio()
        assert similarity > 0.95, (text, page.text)
