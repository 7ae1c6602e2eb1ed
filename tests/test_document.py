"""The result tree: derived boxes and text, reading-order iteration."""

from __future__ import annotations

import pytest

from docvision.document import Block, Document, Line, Page, Region, TextLayerUse, Word, union_bbox


def word(text, x0, y0, x1, y1, conf=0.9):
    return Word(text, (x0, y0, x1, y1), [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], conf)


def sample() -> Document:
    b1 = Block([Line([word("Hello", 10, 10, 50, 20), word("world", 55, 11, 90, 21)]), Line([word("again", 10, 25, 40, 35)])])
    b2 = Block([Line([word("Bye", 10, 60, 30, 70)])])
    return Document("x.pdf", {"detector": "d", "recognizer": "r"}, [Page(0, 100, 80, 72.0, [b1, b2]), Page(1, 100, 80, 72.0, [])])


def test_union_bbox():
    assert union_bbox([(1, 5, 3, 6), (0, 7, 2, 9)]) == (0, 5, 3, 9)


def test_line_and_block_boxes_and_text():
    doc = sample()
    block = doc.pages[0].blocks[0]
    assert block.lines[0].bbox == (10, 10, 90, 21)
    assert block.bbox == (10, 10, 90, 35)
    assert block.lines[0].text == "Hello world"
    assert block.text == "Hello world\nagain"


def test_page_words_in_reading_order_and_text():
    page = sample().pages[0]
    assert [w.text for w in page.words()] == ["Hello", "world", "again", "Bye"]
    assert page.text == "Hello world\nagain\n\nBye"


def test_document_text_separates_pages_with_form_feed():
    assert sample().text == "Hello world\nagain\n\nBye\f"


def test_page_equality_ignores_timings():
    a, b = Page(0, 10, 10, None), Page(0, 10, 10, None, timings={"detect": 1.0})
    assert a == b


def test_export_dispatches_by_format():
    doc = sample()
    assert doc.export("text") == doc.text + "\n"
    assert doc.export().lstrip().startswith("{")
    assert "ocr_page" in doc.export("hocr")


def test_page_lines_in_reading_order():
    page = sample().pages[0]
    assert [line.text for line in page.lines()] == ["Hello world", "again", "Bye"]
    assert [w for line in page.lines() for w in line.words] == list(page.words())


def test_from_json_round_trip():
    doc = sample()
    doc.pages[1].dpi = None  # an ndarray input read without one
    doc.pages[0].blocks[1].lines[0].words.append(
        Word("€12,50 «ß»", (31.26, 60.04, 59.99, 70.55),
             [(31.26, 60.04), (59.99, 61.0), (59.4, 70.55), (31.0, 69.5)], 0.123456)
    )
    doc.pages[0].blocks[1].lines[0].words.append(
        Word("Total", (70.0, 60.0, 90.0, 70.0), [(70.0, 60.0), (90.0, 60.0), (90.0, 70.0), (70.0, 70.0)], 1.0, "pdf", 9.5)
    )
    doc.pages[0].orientation, doc.pages[0].orientation_confidence = 270, 0.875
    doc.pages[0].text_layer = TextLayerUse("mixed", "", [Region((1.0, 2.0, 30.0, 40.0), "image")])
    doc.partial = True
    text = doc.export("json")
    again = Document.from_json(text)
    assert again.export("json") == text
    assert Document.from_json(text.encode("utf-8")) == again
    assert again.pages[0].blocks[0] == doc.pages[0].blocks[0] and again.partial and again.pages[1].dpi is None
    last = again.pages[0].blocks[1].lines[0].words[-2]
    assert last.text == "€12,50 «ß»" and last.bbox == (31.3, 60.0, 60.0, 70.5) and last.confidence == 0.1235
    assert again.pages[0].text_layer == doc.pages[0].text_layer and again.pages[0].orientation == 270
    assert [(w.source, w.font_size) for w in again.pages[0].words()][-2:] == [("ocr", None), ("pdf", 9.5)]
    assert not Document.from_json(sample().export("json")).partial


@pytest.mark.parametrize("text, problem", [
    ('{"schema": "docvision/0", "pages": []}', "not a docvision/2 JSON export"),
    ("[1, 2]", "not a docvision/2 JSON export"),
    ('{"schema": "docvision/2", "source": "x", "models": {}, "pages": [{"index": 0}]}', "malformed docvision/2"),
])
def test_from_json_refuses_other_json(text, problem):
    with pytest.raises(ValueError, match=problem):
        Document.from_json(text)
