"""The result tree: derived boxes and text, reading-order iteration."""

from __future__ import annotations

from docvision.document import Block, Document, Line, Page, Word, union_bbox


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
