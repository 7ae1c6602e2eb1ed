"""Recognition error breakdown: kinds of words, height bins, character edits; end-to-end losses."""

from __future__ import annotations

import numpy as np
import pytest

from docvision.evaluation.breakdown import Reading, char_edits, end_to_end_losses, height_bin, tables, word_kinds


def test_word_kinds():
    assert word_kinds("INVOICE:") == ["case: all capitals", "punct: trailing (.,:;!?)", "length: 6-9"]
    assert word_kinds("co-operate") == ["case: lower", "punct: inside (-'@/.&)", "length: 10+"]
    assert word_kinds("naïve") == ["case: lower", "letters: beyond ASCII", "length: 3-5"]
    assert word_kinds("1,284.50") == ["digits: only", "punct: inside (-'@/.&)", "length: 6-9"]
    assert word_kinds("B4") == ["case: one capital", "digits: with letters", "length: 1-2"]
    assert word_kinds("☐") == word_kinds("☑") == ["check box"]


@pytest.mark.parametrize("height,label", [(5, "0-11 px"), (12, "12-15 px"), (19.9, "16-19 px"), (75, "60+ px")])
def test_height_bins(height, label):
    assert height_bin(height) == label


def test_char_edits_name_substitutions_insertions_and_deletions():
    edits = char_edits([("department", "departnent"), ("price", "price:"), ("naïve", "nave"), ("ok", "ok")])
    assert edits == {"m -> n": 1, "+ :": 1, "- ï": 1}


def test_tables_group_and_order():
    readings = [Reading("Total", "Total", 14, ("font: A",)), Reading("Total", "Tota1", 30, ("font: B",)),
                Reading("tax", "tax", 14, ("font: A",))]
    t = tables(readings)
    assert [row[0] for row in t["height"]] == ["12-15 px", "30-39 px"]
    assert ("font: A", 2, 1.0) in t["tag"] and ("font: B", 1, 0.0) in t["tag"]
    assert ("case: capitalized", 2, 0.5) in t["kind"]
    assert t["edits"] == [("l -> 1", 1)]


def box(x0: float, x1: float, y0: float = 0, y1: float = 20) -> np.ndarray:
    return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def test_end_to_end_losses_tell_readings_apart():
    gt = [(box(0, 100), "Total:", False), (box(200, 300), "Date", False), (box(400, 500), "Amount", False),
          (box(600, 700), "Name", False), (box(800, 900), "skip", True)]
    pred = [(box(0, 100), "Total:"), (box(200, 300), "DATE"), (box(400, 500), "Amount."),
            (box(600, 700), "Narne"), (box(800, 900), "anything")]
    kinds = dict((g, k) for k, g in end_to_end_losses(pred, gt))
    assert kinds == {0: "read", 1: "misread: case only", 2: "misread: signs only", 3: "misread: letters or digits"}


def test_end_to_end_losses_tell_box_errors_apart():
    gt = [
        (box(0, 80), "Name", False), (box(81, 90), "/", False), (box(91, 200), "Phone", False),  # touching
        (box(300, 400), "Total", False), (box(420, 520), "Due", False),  # 20 px apart: a space
        (box(600, 800), "SCHEDULE", False),  # read in pieces
        (box(900, 1000), "large", False),  # boxed with much around it
        (box(1100, 1300), "small", False),  # boxed a quarter
        (box(1400, 1500), "nothing", False),
        (box(1600, 1700), "half", False),  # a box half on it, half off
    ]
    pred = [(box(0, 230), "Name/Phone"), (box(300, 520), "TotalDue"), (box(600, 690), "SCHE"),
            (box(710, 800), "DULE"), (box(880, 1040, -20, 40), "large"), (box(1100, 1150), "sm"),
            (box(1650, 1760), "alf")]
    kinds = dict((g, k) for k, g in end_to_end_losses(pred, gt))
    assert kinds == {
        0: "joined: touching words", 1: "joined: touching words", 2: "joined: touching words",
        3: "joined: across a space", 4: "joined: across a space", 5: "split", 6: "box too large",
        7: "box too small", 8: "missed", 9: "partly found",
    }
