"""A small Document with two pages of words and an empty page, shared by the exporter tests."""

from __future__ import annotations

import pytest

from docvision.document import Block, Document, Line, Page, Word


def word(text, x0, y0, x1, y1, conf=0.876543):
    return Word(text, (x0, y0, x1, y1), [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], conf)


@pytest.fixture
def document() -> Document:
    page1 = Page(
        0,
        1700,
        2200,
        200.0,
        [
            Block([Line([word("Total", 100, 100, 180.04, 130), word("<&>", 190, 101, 230, 131, 0.5)]), Line([word("€12,50", 100, 140, 190, 170)])]),
            Block([Line([word("Second", 100.26, 400, 200, 430, 1.0)])]),
        ],
    )
    page2 = Page(
        2, 800, 600, None, [Block([Line([word("last", 10, 10, 50, 30, 0.0)])])], orientation=90, orientation_confidence=0.912345
    )
    return Document('in "dir"/a&b.pdf', {"detector": "dbnet-x", "recognizer": "crnn-y"}, [page1, page2, Page(3, 10, 10, 72.0)])
