"""Reading order: words -> lines -> blocks; columns must never interleave."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from docvision.config import LayoutConfig
from docvision.document import Word
from docvision.layout import arrange, join_digit_groups, skew_slope

H = 12  # word height
PITCH = 18  # line pitch


def word(text: str, x0: float, y0: float, x1: float, h: float = H) -> Word:
    return Word(text, (x0, y0, x1, y0 + h), [(x0, y0), (x1, y0), (x1, y0 + h), (x0, y0 + h)], 0.9)


def line_words(name: str, x0: float, x1: float, y: float, n: int = 4, space: float = 6, skew: float = 0.0) -> list[Word]:
    """``n`` words filling [x0, x1] (justified), named ``{name}.{i}``; ``skew`` in degrees
    moves words down by tan(skew) per pixel to the right."""
    width = (x1 - x0 - (n - 1) * space) / n
    out = []
    for i in range(n):
        left = x0 + i * (width + space)
        out.append(word(f"{name}.{i}", left, y + math.tan(math.radians(skew)) * (left - x0), left + width))
    return out


def two_column_page(
    skew: float = 0.0, footer: tuple[float, float] = (200, 400), header: bool = True
) -> tuple[list[Word], list[str]]:
    """Header across the page, two justified columns (x 40-280 and 320-560, gutter 40 px)
    with paragraph breaks at different heights, a footer; returns shuffled words and the
    expected line order."""
    words = line_words("H", 120, 480, 20, n=5, skew=skew) if header else []
    order = ["H"] if header else []
    for col, x0, x1, brk in (("L", 40, 280, 4), ("R", 320, 560, 6)):
        y = 60
        for i in range(10):
            if i == brk:
                y += PITCH  # paragraph break: one empty line
            n = 2 if i in (brk - 1, 9) else 4  # paragraph-final lines are short
            right = x0 + (x1 - x0) * (0.5 if n == 2 else 1.0)
            words += line_words(f"{col}{i}", x0, right, y, n=n, skew=skew)
            order.append(f"{col}{i}")
            y += PITCH
    words += line_words("F", footer[0], footer[1], 300, n=2, skew=skew)
    order.append("F")
    random.Random(1).shuffle(words)
    return words, order


def line_names(blocks) -> list[str]:
    names = []
    for block in blocks:
        for line in block.lines:
            stems = {w.text.split(".")[0] for w in line.words}
            assert len(stems) == 1, f"words of different lines merged: {line.text}"
            names.append(stems.pop())
            assert [w.text for w in line.words] == sorted((w.text for w in line.words), key=lambda t: int(t.split(".")[1]))
    return names


def block_names(blocks) -> list[list[str]]:
    return [[line.words[0].text.split(".")[0] for line in block.lines] for block in blocks]


def test_two_columns_do_not_interleave():
    words, expected = two_column_page()
    blocks = arrange(words)
    assert line_names(blocks) == expected
    assert block_names(blocks) == [
        ["H"],
        [f"L{i}" for i in range(4)],
        [f"L{i}" for i in range(4, 10)],
        [f"R{i}" for i in range(6)],
        [f"R{i}" for i in range(6, 10)],
        ["F"],
    ]
    assert sum(len(line.words) for b in blocks for line in b.lines) == len(words)


@pytest.mark.parametrize("skew", [1.0, -1.5])
def test_two_columns_slightly_skewed(skew):
    words, expected = two_column_page(skew=skew)
    assert line_names(arrange(words)) == expected


def test_page_number_centred_under_the_gutter():
    words, expected = two_column_page(footer=(293, 307), header=False)  # "12": 14 px wide, 40 px gutter
    assert line_names(arrange(words)) == expected


def test_page_number_under_the_gutter_with_a_header():
    # a header across the gutter lets the first cut be horizontal: the footer is split off
    words, expected = two_column_page(footer=(293, 307))
    assert line_names(arrange(words)) == expected


def test_two_columns_without_header():
    words, expected = two_column_page(header=False)
    assert line_names(arrange(words)) == expected


def test_shuffled_words_of_one_line_read_left_to_right():
    words = line_words("A", 10, 400, 50, n=8)
    for seed in range(3):
        shuffled = words[:]
        random.Random(seed).shuffle(shuffled)
        (block,) = arrange(shuffled)
        (line,) = block.lines
        assert [w.text for w in line.words] == [f"A.{i}" for i in range(8)]


def test_skewed_single_column():
    # 2 degrees over 500 px: each line drops 17 px, more than a word height
    words = [w for i in range(6) for w in line_words(f"S{i}", 40, 540, 40 + 22 * i, n=8, skew=2.0)]
    random.Random(0).shuffle(words)
    blocks = arrange(words)
    assert line_names(blocks) == [f"S{i}" for i in range(6)]
    assert len(blocks) == 1


def line_texts(blocks) -> list[str]:
    return [line.text for block in blocks for line in block.lines]


def test_table_row_between_paragraphs_is_one_line():
    words = line_words("P0", 40, 560, 40, n=8) + line_words("P1", 40, 560, 58, n=8)
    words += [word("Item", 40, 100, 90), word("Qty", 300, 100, 330), word("Price", 480, 100, 540)]
    words += line_words("P2", 40, 560, 160, n=8)
    random.Random(0).shuffle(words)
    assert line_texts(arrange(words))[2] == "Item Qty Price"


def test_a_box_over_two_lines_does_not_interleave_them():
    """Speck boxes as tall as two lines down a paragraph's margin (FUNSD page 0001129658: "8", "b", "8", 23-35 px
    tall beside 10 px lines) used to stretch their rows over the next line: both lines' words came out interleaved."""
    words = [w for i in range(4) for w in line_words(f"P{i}", 40, 560, 40 + PITCH * i, n=6)]
    # a chain of tall specks down the margin, overlapping: no empty band between the lines is left to cut at
    words += [word(f"X.{k}", 564, 36 + 20 * k, 580, h=30) for k in range(4)]
    # a title of tall words touching the paragraph (no band to cut at): a row of its own, first
    words += [word(f"T.{k}", 40 + 120 * k, 10, 140 + 120 * k, h=30) for k in range(3)]
    random.Random(0).shuffle(words)
    lines = [[w.text.split(".")[0] for w in line.words] for block in arrange(words) for line in block.lines]
    assert all(len(set(names) - {"X"}) <= 1 for names in lines), lines  # no two paragraph lines in one
    assert [n for names in lines for n in dict.fromkeys(names) if n != "X"] == ["T", "P0", "P1", "P2", "P3"]
    assert lines[0] == ["T", "T", "T"]


def test_form_reads_each_label_with_its_value():
    # ragged labels at x 40, values at x 300: an empty band between them, but no text columns
    labels = ["Name:", "Date of Request:", "Account:", "Phone number:", "Signed:", "Remarks:"]
    words = []
    for i, label in enumerate(labels):
        y = 40 + 30 * i
        words += [word(label, 40, y, 40 + 7 * len(label)), word(f"value{i}", 300, y, 300 + 25 + 10 * (i % 3))]
    random.Random(0).shuffle(words)
    assert line_texts(arrange(words)) == [f"{label} value{i}" for i, label in enumerate(labels)]


def test_table_reads_row_by_row():
    cells = [(r, c, 40 + 120 * c) for r in range(6) for c in range(4)]
    words = [word(f"r{r}c{c}", x, 40 + 20 * r, x + 40 + 9 * ((r + c) % 4)) for r, c, x in cells]
    random.Random(0).shuffle(words)
    assert line_texts(arrange(words)) == [" ".join(f"r{r}c{c}" for c in range(4)) for r in range(6)]


def test_wide_justified_spaces_stay_in_the_line():
    # justified lines with spaces of ~2.5 word heights: wider than column_gap, not columns
    words = []
    for i in range(8):
        widths = [40 + 13 * ((i * 3 + k) % 5) for k in range(5)]
        space = (520 - sum(widths)) / 4
        x = 40.0
        for k, w in enumerate(widths):
            words.append(word(f"J{i}.{k}", x, 40 + PITCH * i, x + w))
            x += w + space
    random.Random(0).shuffle(words)
    assert line_names(arrange(words)) == [f"J{i}" for i in range(8)]


@pytest.mark.parametrize("skew", [0.0, 1.0, -2.0])
def test_skew_slope_is_measured_from_neighbouring_words(skew):
    words = [w for i in range(6) for w in line_words(f"S{i}", 40, 540, 40 + 22 * i, n=8, skew=skew)]
    boxes = np.array([w.bbox for w in words])
    assert skew_slope(boxes) == pytest.approx(math.tan(math.radians(skew)), abs=1e-3)
    assert skew_slope(boxes[:2]) == 0.0  # too few neighbours to tell


def test_words_on_neighbouring_lines_stay_apart():
    words = line_words("A", 0, 200, 0, n=3) + line_words("B", 0, 200, 14, n=3)  # 2 px leading
    assert line_names(arrange(words)) == ["A", "B"]


def test_block_gap():
    words = line_words("A", 0, 200, 0) + line_words("B", 0, 200, PITCH) + line_words("C", 0, 200, PITCH * 2 + 30)
    assert block_names(arrange(words)) == [["A", "B"], ["C"]]
    assert block_names(arrange(words, LayoutConfig(block_gap=4.0))) == [["A", "B", "C"]]


def test_empty_and_single_word():
    assert arrange([]) == []
    (block,) = arrange([word("only.0", 5, 5, 40)])
    assert block.text == "only.0"


def test_short_second_column_is_still_a_column():
    # the right column holds 3 lines beside the top of a 10-line left column
    words = [w for i in range(10) for w in line_words(f"L{i}", 40, 280, 60 + 30 * i)]
    words += [w for i in range(3) for w in line_words(f"R{i}", 320, 560, 65 + 30 * i)]
    random.Random(0).shuffle(words)
    assert line_names(arrange(words)) == [f"L{i}" for i in range(10)] + [f"R{i}" for i in range(3)]


def _word(text: str, x0: float, x1: float, confidence: float = 0.9, source: str = "ocr") -> Word:
    return Word(text, (x0, 10.0, x1, 30.0), [(x0, 10.0), (x1, 10.0), (x1, 30.0), (x0, 30.0)], confidence, source)


def test_numbers_split_at_their_thousands_comma_are_joined():
    line = [_word("Total", 0, 50), _word("78,", 60, 80, 0.9), _word("183", 79, 110, 0.7), _word("due", 120, 150)]
    joined = join_digit_groups(line)
    assert [w.text for w in joined] == ["Total", "78,183", "due"]
    assert joined[1].bbox == (60, 10.0, 110, 30.0) and joined[1].confidence == 0.7
    assert [w.text for w in join_digit_groups([_word("78,", 0, 40), _word("183", 43, 70)])] == ["78,183"]  # 0.15 heights
    amount = [_word("€12,", 0, 30), _word("345,", 30, 60), _word("678.50", 61, 100)]
    assert [w.text for w in join_digit_groups(amount)] == ["€12,345,678.50"]
    kept = [
        [_word("date,", 0, 50), _word("500", 55, 80)],  # a word, not a number, before the comma
        [_word("12,", 0, 30), _word("500", 34, 60)],  # 0.2 heights apart, as "date," "5008.68": a list
        [_word("12,", 0, 30), _word("5000", 30, 70)],  # not a group of three digits
        [_word("12,", 0, 30, source="pdf"), _word("500", 30, 60, source="pdf")],  # a text layer's words as they are
    ]
    for words in kept:
        assert [w.text for w in join_digit_groups(words)] == [w.text for w in words]
