"""PDF pages read through the pipeline under --text-layer auto, ocr and only: each page takes the
right path, the words say where they come from, and the models load only when a page needs OCR."""

from __future__ import annotations

import json

import pytest
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth

import docvision
from docvision.config import PipelineConfig
from docvision.io import open_document
from docvision.io.sources import _PopplerSource
from tests.textlayer import pdfs

LAYER = pdfs.words_of(pdfs.TEXT)
SCAN = pdfs.words_of(pdfs.SCAN)


def read_share(words: list[str], expected: list[str]) -> float:
    """Share of ``expected`` words found in ``words`` (each used once)."""
    left = list(words)
    found = 0
    for word in expected:
        if word in left:
            left.remove(word)
            found += 1
    return found / len(expected)


@pytest.fixture(scope="module")
def mixed_document(shipped):
    data = pdfs.join(pdfs.born_digital(), pdfs.scanned(), pdfs.with_scanned_block(), pdfs.ocr_layer_over_scan(),
                     pdfs.type3(), pdfs.under_image(), pdfs.white_text(), pdfs.shifted())
    return shipped(data)


def test_mixed_pdf_pages_take_the_right_path(mixed_document, validate):
    """Born-digital pages keep their words; scans, a pasted scan, an earlier OCR's invisible text, a
    font without Unicode and one whose ToUnicode map gives other letters are OCRed, with the shipped models."""
    pages = mixed_document.pages
    paths = [(p.text_layer.path, [r.reason for r in p.text_layer.regions]) for p in pages]
    assert paths == [("used", []), ("ocr", ["no text layer"]), ("mixed", ["image"]),
                     ("replaced", ["image, invisible text"]), ("replaced", ["unmapped characters"]),
                     ("mixed", ["image"]), ("used", []), ("replaced", ["unknown words"])]
    words = [[(w.text, w.source) for w in p.words()] for p in pages]
    assert words[0] == words[6] == [(w, "pdf") for w in LAYER]
    assert "same colour as the background" in pages[6].text_layer.reason
    for i in (1, 3):
        assert {s for _, s in words[i]} == {"ocr"} and read_share([t for t, _ in words[i]], SCAN) >= 0.8
    assert not {"Slgned", "f0r", "tbe", "b0ard"} & {t for t, _ in words[3]}  # the earlier OCR's text is gone
    for i, expected in ((4, LAYER), (7, LAYER * 2)):
        assert {s for _, s in words[i]} == {"ocr"} and read_share([t for t, _ in words[i]], expected) >= 0.8
    for i in (2, 5):
        layer = [t for t, s in words[i] if s == "pdf"]
        assert layer == LAYER  # the covered words of page 6 are left out
        ocr = [w for w in pages[i].words() if w.source == "ocr"]
        assert read_share([w.text for w in ocr], SCAN) >= 0.8
        x0, y0, x1, y1 = pages[i].text_layer.regions[0].bbox
        assert all(x0 <= w.bbox[0] and w.bbox[2] <= x1 and y0 <= w.bbox[1] and w.bbox[3] <= y1 for w in ocr)
        assert [w.text for w in pages[i].words()][: len(LAYER)] == LAYER  # reading order: the text, then the scan
    data = json.loads(mixed_document.export("json"))
    validate(data)
    assert data["pages"][2]["text_layer"]["path"] == "mixed"
    # 12 pt Helvetica at 72, 720 pt: its advance widths, its ascent 0.718 and descent 0.207 (Adobe's AFM)
    px = 200 / 72
    x1, top, bottom = (72 + stringWidth("Quarterly", "Helvetica", 12)) * px, (72 - 0.718 * 12) * px, (72 + 0.207 * 12) * px
    first = data["pages"][0]["blocks"][0]["lines"][0]["words"][0]
    assert first == {"text": "Quarterly", "bbox": pytest.approx([200.0, top, x1, bottom], abs=0.06),
                     "polygon": first["polygon"], "confidence": 1.0, "source": "pdf", "font_size": 12.0}
    assert first["polygon"] == [[200.0, first["bbox"][1]], [first["bbox"][2], first["bbox"][1]],
                                [first["bbox"][2], first["bbox"][3]], [200.0, first["bbox"][3]]]


def test_born_digital_pdf_never_loads_the_models(small_weights):
    ocr = docvision.load(small_weights, device="cpu")
    document = ocr(pdfs.join(pdfs.born_digital(), pdfs.white_on_dark()))
    assert not ocr.loaded
    assert [p.text_layer.path for p in document.pages] == ["used", "used"]
    assert [w.text for w in document.pages[0].words()] == LAYER
    assert set(document.pages[0].timings) == {"text_layer", "layout"}
    assert document.models == {"detector": "test-dbnet", "recognizer": "test-crnn"}


def test_only_never_ocrs_and_says_what_it_left(small_weights):
    ocr = docvision.load(small_weights, device="cpu", config=PipelineConfig(text_layer="only"))
    scanned, block = ocr(pdfs.join(pdfs.scanned(), pdfs.with_scanned_block())).pages
    assert not ocr.loaded
    assert (scanned.text_layer.path, scanned.blocks) == ("partial", [])
    assert scanned.text_layer.reason == "no text layer; not OCRed (--text-layer only)"
    assert block.text_layer.path == "partial" and [w.text for w in block.words()] == LAYER


def test_ocr_mode_reads_every_page_with_the_models(ink_pipeline):
    ink_pipeline.detector.max_side = 1024
    pages = list(ink_pipeline.iter_pages(pdfs.born_digital(), text_layer="ocr", dpi=100))
    assert [(p.text_layer.path, p.text_layer.reason) for p in pages] == [("ocr", "--text-layer ocr")]
    assert {w.source for w in pages[0].words()} == {"ocr"}
    with pytest.raises(ValueError, match="text_layer"):
        list(ink_pipeline.iter_pages(pdfs.born_digital(), text_layer="never"))
    with pytest.raises(ValueError, match="text_layer"):
        PipelineConfig(text_layer="never")


def test_images_have_no_text_layer_use(ink_pipeline, page_image):
    (page,) = ink_pipeline.iter_pages(page_image(300, 200))
    assert page.text_layer is None


def test_a_region_is_read_at_the_page_scale_in_page_coordinates(ink_pipeline):
    """The ink detector finds the scan's lines inside the region, in page pixels, and the layer's words are kept."""
    ink_pipeline.detector.max_side = 1024
    (page,) = ink_pipeline.iter_pages(pdfs.with_scanned_block(), dpi=100)
    assert page.text_layer.path == "mixed"
    x0, y0, x1, y1 = page.text_layer.regions[0].bbox
    ocr = [w for w in page.words() if w.source == "ocr"]
    assert ocr and all(x0 <= w.bbox[0] and w.bbox[2] <= x1 and y0 <= w.bbox[1] and w.bbox[3] <= y1 for w in ocr)
    assert [w.text for w in page.words() if w.source == "pdf"] == LAYER


def test_regions_of_a_page_come_from_one_poppler_render(ink_pipeline, monkeypatch):
    """Two scans pasted on a born-digital page: two regions OCRed, from one render of the page."""
    c, out = pdfs.new_page()
    pdfs.write(c, pdfs.TEXT)
    for y in (420, 120):
        c.drawImage(ImageReader(pdfs.scan_image(pdfs.SCAN)), 72, y, 6 * 72, 1.6 * 72)
    c.save()
    rendered = []
    render = _PopplerSource._render
    monkeypatch.setattr(_PopplerSource, "_render", lambda self, *args: rendered.append(args) or render(self, *args))
    ink_pipeline.detector.max_side = 1024
    with open_document(out.getvalue(), dpi=100, renderer="poppler") as document:
        (page,) = ink_pipeline.iter_pages(document)
    assert page.text_layer.path == "mixed" and len(page.text_layer.regions) == 2 and len(rendered) == 1
    assert [w.text for w in page.words() if w.source == "pdf"] == LAYER
    ocr = [w for w in page.words() if w.source == "ocr"]
    for x0, y0, x1, y1 in (region.bbox for region in page.text_layer.regions):  # words in each, in page pixels
        assert any(x0 <= w.bbox[0] and w.bbox[2] <= x1 and y0 <= w.bbox[1] and w.bbox[3] <= y1 for w in ocr)


def test_scans_among_layer_pages_are_detected_in_batches_as_one_by_one(ink_pipeline, monkeypatch):
    """Read ahead and in batches of 3 (as on a GPU), each page takes its path as one page at a time
    does: scans OCRed whole share forwards, in order with the pages read through their layers."""
    from dataclasses import replace

    from docvision.pipeline import OCRPipeline

    ink_pipeline.detector.max_side = 1024
    data = pdfs.join(pdfs.born_digital(), pdfs.scanned(), pdfs.with_scanned_block(), pdfs.ocr_layer_over_scan(),
                     pdfs.type3(), pdfs.under_image(), pdfs.white_text(), pdfs.shifted())
    alone = ink_pipeline(data, dpi=100)
    config = replace(ink_pipeline.config, det_batch_pages=3)
    batched = OCRPipeline(ink_pipeline.detector, ink_pipeline.recognizer, config, ink_pipeline.models)
    forwards = []
    detect_pages = ink_pipeline.detector.detect_pages
    monkeypatch.setattr(ink_pipeline.detector, "detect_pages", lambda pages, *a: forwards.append(len(pages)) or
                        detect_pages(pages, *a))
    together = batched(data, dpi=100)
    assert together == alone  # Page equality ignores timings
    paths = ["used", "ocr", "mixed", "replaced", "replaced", "mixed", "used", "used"]  # no lexicon: page 8 is used
    assert [p.text_layer.path for p in together.pages] == paths
    assert 2 in forwards  # pages 4 and 5, whole-page OCR between two pages with regions
    assert all("text_layer" in p.timings for p in together.pages)
