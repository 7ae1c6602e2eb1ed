"""Trusting words of a text layer and choosing what to OCR: pure functions on made-up layers,
then on the PDFs of tests/textlayer/pdfs.py as PDFium reads them."""

from __future__ import annotations

import pytest

from docvision.document import Word
from docvision.textlayer.extract import LayerWord, PageLayer, Paint
from docvision.textlayer.judge import (
    COVERED,
    HIDDEN,
    IMAGE,
    INVISIBLE,
    MOJIBAKE,
    NO_LAYER,
    OFF_PAGE,
    TINY,
    UNKNOWN,
    UNMAPPED,
    merge_boxes,
    plan_page,
    readable,
    unknown,
    without_duplicates,
    word_problems,
)
from docvision.recognition.lexicon import Lexicon
from tests.textlayer import pdfs
from tests.textlayer.test_extract import layer_of

BLACK = (0, 0, 0, 255)
ENGLISH = Lexicon.from_wordfreq(("en",)).knows


def word(text="board", bbox=(100, 100, 200, 130), *, size=12.0, mode=0, color=BLACK, order=5, unmapped=0) -> LayerWord:
    return LayerWord(text, bbox, size, mode, color, order, unmapped)


def layer(*words: LayerWord, paints=(), chars=None) -> PageLayer:
    return PageLayer(1000, 1000, list(words), list(paints), sum(len(w.text) + 1 for w in words) if chars is None else chars)


def image(bbox, order, opaque=True) -> Paint:
    return Paint("image", bbox, order, opaque, None)


def fill(bbox, order, color, opaque=True) -> Paint:
    return Paint("fill", bbox, order, opaque, color)


def test_plain_words_are_trusted():
    assert word_problems(layer(word(), word("Café"), word("naïve—résumé"), word("12.5%"), word("Straße"))) == [""] * 5


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"mode": 3}, INVISIBLE), ({"mode": 7}, INVISIBLE), ({"color": (0, 0, 0, 0)}, INVISIBLE),
    ({"size": 0.1}, TINY), ({"bbox": (1100, 100, 1200, 130)}, OFF_PAGE), ({"color": (255, 255, 255, 255)}, HIDDEN),
    ({"color": (240, 245, 250, 255)}, HIDDEN), ({"text": "\x01\x05\x06", "unmapped": 3}, UNMAPPED),
    ({"text": "ab", "unmapped": 2}, UNMAPPED), ({"text": "\ue000\ue001"}, UNMAPPED), ({"text": "donâ€™t"}, MOJIBAKE),
    ({"text": "CafÃ©"}, MOJIBAKE),
])
def test_words_that_are_not_what_a_reader_sees(kwargs, problem):
    assert word_problems(layer(word(**kwargs))) == [problem]


def test_a_few_unreadable_glyphs_are_dropped_not_the_word():
    """TeX draws a copyright sign as an unmapped circle around a 'c': pdftotext gives 'c', so do we."""
    assert word_problems(layer(word("\x00c", unmapped=1))) == [""]
    assert readable("\x00c") == "c" and readable("a\ufffdb\x07") == "ab"
    plan = plan_page(layer(word("\x00c", unmapped=1), word("2022")), "auto", 200)
    assert [w.text for w in plan.words] == ["c", "2022"] and plan.use.path == "used"


def test_covering_paint_must_come_after_the_word_and_be_opaque():
    box = (100, 100, 200, 130)
    cover = (50, 50, 400, 400)
    assert word_problems(layer(word(bbox=box, order=5), paints=[image(cover, 6)])) == [COVERED]
    assert word_problems(layer(word(bbox=box, order=5), paints=[fill(cover, 6, BLACK)])) == [COVERED]  # a redaction box
    assert word_problems(layer(word(bbox=box, order=5), paints=[image(cover, 4)])) == [""]  # text over an image
    assert word_problems(layer(word(bbox=box, order=5), paints=[image(cover, 6, opaque=False)])) == [""]
    assert word_problems(layer(word(bbox=box, order=5), paints=[image((190, 100, 400, 400), 6)])) == [""]  # a corner
    assert word_problems(layer(word(bbox=box, order=-1), paints=[image(cover, 6)])) == [""]  # order unknown


def test_contrast_is_against_the_last_shape_drawn_under_the_word():
    white = (255, 255, 255, 255)
    dark = (20, 40, 90, 255)
    assert word_problems(layer(word(color=white), paints=[fill((0, 0, 500, 500), 1, dark)])) == [""]
    assert word_problems(layer(word(color=dark), paints=[fill((0, 0, 500, 500), 1, dark)])) == [HIDDEN]
    assert word_problems(layer(word(color=white), paints=[fill((0, 0, 500, 500), 1, dark),
                                                          fill((0, 0, 500, 500), 2, white)])) == [HIDDEN]
    assert word_problems(layer(word(color=white), paints=[image((0, 0, 500, 500), 1)])) == [""]  # on a photo: unknown


def test_a_page_of_words_no_lexicon_knows_lies():
    english = " ".join(pdfs.TEXT * 2).split()
    shifted = ["".join(chr(ord(c) + 1) if c.isalpha() else c for c in w) for w in english]
    assert unknown(shifted, ENGLISH) and not unknown(english, ENGLISH)
    assert not unknown(shifted[:40], ENGLISH)  # too few words to tell
    assert not unknown(["QXZT", "KRBW", "1234", "x7"] * 10, ENGLISH)  # codes are not words
    german = "Die Versammlung genehmigte gestern den neuen Liegeplatz am östlichen Kai und die Erweiterung".split()
    assert not unknown(german * 3, ENGLISH)
    words = [word(w, (10 * i, 100, 10 * i + 8, 120)) for i, w in enumerate(shifted)]
    assert word_problems(layer(*words), ENGLISH) == [UNKNOWN] * len(words)
    assert word_problems(layer(*words)) == [""] * len(words)  # no lexicon, no such test


def test_merge_boxes_joins_chains_of_near_boxes():
    groups = merge_boxes([(0, 0, 10, 10), (200, 0, 210, 10), (12, 0, 20, 10), (22, 0, 30, 10)], gap=4)
    assert groups == [((0.0, 0.0, 30.0, 10.0), [0, 2, 3]), ((200.0, 0.0, 210.0, 10.0), [1])]
    assert merge_boxes([], 4) == []


def test_plan_of_a_trusted_page():
    plan = plan_page(layer(word(), word("quay", (210, 100, 260, 130))), "auto", 200)
    assert (plan.use.path, plan.use.reason, plan.use.regions) == ("used", "", [])
    assert [w.text for w in plan.words] == ["board", "quay"]


def test_plan_ocrs_images_and_lying_words_in_regions():
    words = [word(), word("CafÃ©", (100, 200, 200, 230)), word("quay", (600, 600, 700, 630))]
    paints = [image((500, 100, 900, 300), 1), image((0, 900, 10, 1000), 2)]  # a photo, and a rule too thin to read
    plan = plan_page(layer(*words, paints=paints), "auto", 200)
    assert plan.use.path == "mixed" and plan.use.reason == "1 word left out: mojibake"
    assert [(tuple(round(v) for v in r.bbox), r.reason) for r in plan.use.regions] == [  # top to bottom
        ((492, 92, 908, 308), IMAGE), ((92, 192, 208, 238), MOJIBAKE)]
    assert [w.text for w in plan.words] == ["board", "quay"]


def test_plan_reads_the_whole_page_when_nothing_or_little_is_left():
    assert plan_page(layer(chars=0), "auto", 200).use.path == "ocr"
    scan = plan_page(layer(word(mode=3), word("quay", mode=3), paints=[image((0, 0, 1000, 1000), 1)]), "auto", 200)
    assert (scan.use.path, scan.use.reason) == ("replaced", "2 words left out: invisible text")
    assert [(r.bbox, r.reason) for r in scan.use.regions] == [((0, 0, 1000, 1000), f"{IMAGE}, {INVISIBLE}")]
    hidden = plan_page(layer(word(color=(255, 255, 255, 255))), "auto", 200)  # nothing left: OCR, never empty
    assert hidden.use.path == "replaced" and hidden.use.regions[0].bbox == (0, 0, 1000, 1000)
    big = plan_page(layer(word(), paints=[image((0, 300, 1000, 1000), 1)]), "auto", 200)
    assert big.use.path == "mixed" and [r.bbox for r in big.use.regions] == [(0, 0, 1000, 1000)]


def test_only_reports_what_it_does_not_read():
    plan = plan_page(layer(chars=0), "only", 200)
    assert (plan.use.path, plan.use.reason, plan.words) == ("partial", f"{NO_LAYER}; not OCRed (--text-layer only)", [])
    plan = plan_page(layer(word(), paints=[image((500, 100, 900, 300), 1)]), "only", 200)
    assert plan.use.path == "partial" and [r.reason for r in plan.use.regions] == [IMAGE] and len(plan.words) == 1
    with pytest.raises(ValueError, match="ocr"):
        plan_page(layer(), "ocr", 200)


def test_ocr_words_on_layer_words_are_dropped():
    layer_boxes = [[100, 100, 200, 130]]
    ocr = [Word("b0ard", (102, 98, 198, 131), [], 0.9), Word("quay", (300, 100, 360, 130), [], 0.9)]
    import numpy as np

    assert [w.text for w in without_duplicates(ocr, np.array(layer_boxes, float))] == ["quay"]
    assert without_duplicates(ocr, np.zeros((0, 4))) == ocr


@pytest.mark.parametrize(("make", "path", "problem"), [
    (pdfs.born_digital, "used", ""),
    (pdfs.white_on_dark, "used", ""),
    (pdfs.scanned, "ocr", NO_LAYER),
    (pdfs.with_scanned_block, "mixed", ""),
    (pdfs.ocr_layer_over_scan, "replaced", INVISIBLE),
    (pdfs.white_text, "used", HIDDEN),
    (pdfs.under_image, "mixed", COVERED),
    (pdfs.tiny_text, "used", TINY),
    (pdfs.type3, "replaced", UNMAPPED),
    (pdfs.mojibake, "mixed", MOJIBAKE),
    (pdfs.shifted, "replaced", UNKNOWN),
])
def test_generated_pages(make, path, problem):
    plan = plan_page(layer_of(make()), "auto", 200, ENGLISH)
    assert plan.use.path == path and problem in plan.use.reason
    if make in (pdfs.white_text, pdfs.under_image, pdfs.tiny_text, pdfs.with_scanned_block):
        assert [w.text for w in plan.words] == pdfs.words_of(pdfs.TEXT)
