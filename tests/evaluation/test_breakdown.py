"""Recognition error breakdown: kinds of words, height bins, character edits."""

from __future__ import annotations

import pytest

from docvision.evaluation.breakdown import Reading, char_edits, height_bin, tables, word_kinds


def test_word_kinds():
    assert word_kinds("INVOICE:") == ["case: all capitals", "punct: trailing (.,:;!?)", "length: 6-9"]
    assert word_kinds("co-operate") == ["case: lower", "punct: inside (-'@/.&)", "length: 10+"]
    assert word_kinds("naïve") == ["case: lower", "letters: beyond ASCII", "length: 3-5"]
    assert word_kinds("1,284.50") == ["digits: only", "punct: inside (-'@/.&)", "length: 6-9"]
    assert word_kinds("B4") == ["case: one capital", "digits: with letters", "length: 1-2"]


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
