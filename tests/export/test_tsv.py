"""TSV export: read with the code one uses for ``tesseract IMAGE OUT tsv`` output."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw, ImageFont

from docvision.document import Document
from docvision.export import export
from docvision.export.tsv import COLUMNS

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def read_tsv(text: str) -> list[dict[str, str]]:
    """How scripts read Tesseract's TSV: tab-separated, a header row, no quoting."""
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def structure(rows: list[dict[str, str]]) -> set[tuple]:
    """Which numbering columns each level fills (non-zero) and whether it has a confidence and text."""
    numbers = ("page_num", "block_num", "par_num", "line_num", "word_num")
    return {
        (row["level"], tuple(row[n] != "0" for n in numbers), row["conf"] != "-1", bool(row["text"])) for row in rows
    }


def test_tsv_columns_levels_and_numbers(document):
    rows = read_tsv(export(document, "tsv"))
    assert list(rows[0]) == list(COLUMNS) == [
        "level", "page_num", "block_num", "par_num", "line_num", "word_num",
        "left", "top", "width", "height", "conf", "text",
    ]
    assert [r["level"] for r in rows[:9]] == ["1", "2", "3", "4", "5", "5", "4", "5", "2"]
    page, block, par, line, total, amp = rows[:6]
    assert [page[k] for k in ("page_num", "left", "top", "width", "height", "conf", "text")] == ["1", "0", "0", "1700", "2200", "-1", ""]
    assert [block[k] for k in ("block_num", "par_num", "left", "top", "width", "height")] == ["1", "0", "100", "100", "130", "70"]
    assert par["par_num"] == "1" and line["line_num"] == "1" and line["word_num"] == "0"
    assert [total[k] for k in ("block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height", "text")] == [
        "1", "1", "1", "1", "100", "100", "80", "30", "Total"
    ]
    assert float(total["conf"]) == pytest.approx(87.6543) and amp["text"] == "<&>"
    words = [r for r in rows if r["level"] == "5"]
    assert [w["text"] for w in words] == ["Total", "<&>", "€12,50", "Second", "last"]
    assert [w["page_num"] for w in words] == ["1", "1", "1", "1", "3"]  # 1-based page numbers of the input
    assert [r["page_num"] for r in rows if r["level"] == "1"] == ["1", "3", "4"]
    assert structure(rows) == {
        ("1", (True, False, False, False, False), False, False),
        ("2", (True, True, False, False, False), False, False),
        ("3", (True, True, True, False, False), False, False),
        ("4", (True, True, True, True, False), False, False),
        ("5", (True, True, True, True, True), True, True),
    }


def test_tsv_keeps_one_row_per_word_whatever_the_text(document):
    document.pages[0].blocks[0].lines[0].words[0].text = "a\tb\nc"
    rows = read_tsv(export(document, "tsv"))
    assert rows[4]["text"] == "a b c" and len(rows[4]) == len(COLUMNS)


def test_tsv_empty_document():
    assert read_tsv(export(Document("x", {}), "tsv")) == []


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_same_columns_and_levels_as_tesseract(tmp_path, document):
    image = Image.new("L", (600, 160), 255)
    ImageDraw.Draw(image).text((20, 40), "Invoice total 12.50", font=ImageFont.truetype(FONT, 40), fill=0)
    image.save(tmp_path / "page.png")
    subprocess.run(["tesseract", tmp_path / "page.png", tmp_path / "page", "tsv"], check=True, capture_output=True)
    theirs = read_tsv((tmp_path / "page.tsv").read_text(encoding="utf-8"))
    ours = read_tsv(export(document, "tsv"))
    assert list(theirs[0]) == list(ours[0])
    assert structure(theirs) == structure(ours)
