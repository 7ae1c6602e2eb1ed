from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from docvision.datasets.labels import clean_word, write_page
from docvision.datasets.readers import parse_icdar_txt
from docvision.datasets.formats import open_crops, open_labeled, sniff_format
from docvision.datasets.types import LabeledPage, LabeledWord

W, H = 80, 40


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((H, W, 3), 255, np.uint8)
    img[10:20, 5:30] = 0
    img[22:30, 40:70] = 0
    cv2.imwrite(str(path), img)


def _texts(page: LabeledPage) -> list[tuple[str, bool]]:
    return [(w.text, w.ignore) for w in page.words]


def test_page_folder_as_in_shared_datasets(tmp_path):
    _image(tmp_path / "pages" / "p1.png")
    gt = {
        "width": W,
        "height": H,
        "words": [{"text": "Total", "bbox": [5, 10, 30, 20]}, {"text": "", "bbox": [40, 22, 70, 30]}],
    }
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "p1.json").write_text(json.dumps(gt))
    assert sniff_format(tmp_path) == "page-folder"
    pages = open_labeled(tmp_path)
    assert len(pages) == 1
    page = pages[0]
    assert page.id == "p1" and page.image.shape == (H, W, 3)
    assert _texts(page) == [("Total", False), ("", True)]
    np.testing.assert_array_equal(page.words[0].polygon, [[5, 10], [30, 10], [30, 20], [5, 20]])


def test_page_folder_round_trip_with_polygons_and_lines(tmp_path):
    img = np.zeros((H, W, 3), np.uint8)
    poly = np.array([[1, 2], [20, 3], [19, 12], [2, 11]], np.float32)
    write_page(
        tmp_path,
        LabeledPage("a", img, [LabeledWord("x", poly), LabeledWord("y", poly + 30, ignore=True)]),
        lines=[[0, 1]],
    )
    data = json.loads((tmp_path / "gt" / "a.json").read_text())
    assert data["lines"] == [{"text": "x y", "bbox": [1.0, 2.0, 50.0, 42.0], "words": [0, 1]}]
    page = open_labeled(tmp_path)[0]
    np.testing.assert_allclose(page.words[0].polygon, poly)
    assert page.words[1].ignore
    assert "reading_order" not in data and not page.ordered


def test_page_folder_keeps_the_reading_order_flag(tmp_path):
    poly = np.array([[1, 2], [20, 3], [19, 12], [2, 11]], np.float32)
    write_page(tmp_path, LabeledPage("a", np.zeros((H, W, 3), np.uint8), [LabeledWord("x", poly)], ordered=True))
    assert json.loads((tmp_path / "gt" / "a.json").read_text())["reading_order"] is True
    assert open_labeled(tmp_path)[0].ordered


def test_icdar2015_with_bom_commas_and_ignore(tmp_path, caplog):
    _image(tmp_path / "images" / "img_1.jpg")
    txt = "\ufeff5,10,30,10,30,20,5,20,Hello, world\n40,22,70,22,70,30,40,30,###\nbroken line\n"
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "gt_img_1.txt").write_text(txt, encoding="utf-8")
    assert sniff_format(tmp_path) == "icdar2015"
    with caplog.at_level(logging.WARNING):
        page = open_labeled(tmp_path)[0]
    assert _texts(page) == [("Hello, world", False), ("", True)]
    assert "gt_img_1.txt:3" in caplog.text


def test_funsd_original_json(tmp_path):
    _image(tmp_path / "images" / "f1.png")
    form = {
        "form": [
            {
                "text": "Date: 9/3/92",
                "box": [5, 10, 70, 30],
                "label": "question",
                "words": [{"box": [5, 10, 30, 20], "text": "Date:"}, {"box": [40, 22, 70, 30], "text": "9/3/92"}],
            }
        ]
    }
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "f1.json").write_text(json.dumps(form))
    assert sniff_format(tmp_path) == "funsd"
    assert _texts(open_labeled(tmp_path)[0]) == [("Date:", False), ("9/3/92", False)]


def test_images_and_labels_json(tmp_path):
    _image(tmp_path / "images" / "a.png")
    _image(tmp_path / "images" / "b.png")
    labels = {
        "a.png": [{"text": "one", "polygon": [[5, 10], [30, 10], [30, 20], [5, 20]]}],
        "b.png": {"words": [{"text": "two", "bbox": [40, 22, 70, 30]}]},
    }
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    assert sniff_format(tmp_path) == "labels-json"
    pages = open_labeled(tmp_path)
    assert [_texts(p) for p in (pages[0], pages[1])] == [[("one", False)], [("two", False)]]


def test_recognition_folder(tmp_path):
    _image(tmp_path / "images" / "w1.png")
    (tmp_path / "labels.json").write_text(json.dumps({"w1.png": "Invoice"}))
    assert sniff_format(tmp_path) == "recognition-json"
    image, text = open_crops(tmp_path)[0]
    assert text == "Invoice" and image.shape == (H, W, 3)


def test_bad_labels_are_fixed_or_skipped(caplog):
    with caplog.at_level(logging.WARNING):
        clipped = clean_word("f.json: word 0", "wide", [[-5, 1], [90, 1], [90, 10], [-5, 10]], False, W, H)
        assert clean_word("f.json: word 1", "few", [[1, 1], [5, 5]], False, W, H) is None
        assert clean_word("f.json: word 2", "flat", [[1, 1], [5, 1], [9, 1]], False, W, H) is None
        assert clean_word("f.json: word 3", "far", [[100, 100], [120, 100], [120, 110]], False, W, H) is None
        assert clean_word("f.json: word 4", "nan", [[0, 0], [np.nan, 1], [2, 2]], False, W, H) is None
    empty = clean_word("f.json: word 5", "  ", [[1, 1], [5, 1], [5, 5]], False, W, H)
    assert clipped is not None and clipped.polygon[:, 0].min() == 0 and clipped.polygon[:, 0].max() == W
    assert empty is not None and empty.ignore
    for n in range(5):
        assert f"f.json: word {n}" in caplog.text


def test_unreadable_image_is_skipped(tmp_path, caplog):
    for name in ("a", "b"):
        (tmp_path / "gt").mkdir(exist_ok=True)
        (tmp_path / "gt" / f"{name}.json").write_text(json.dumps({"words": [{"text": name, "bbox": [1, 1, 9, 9]}]}))
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.png").write_bytes(b"not a png")
    _image(tmp_path / "pages" / "b.png")
    pages = open_labeled(tmp_path)
    with caplog.at_level(logging.ERROR):
        page = pages[0]
    assert page.id == "b" and "a.png: unreadable image" in caplog.text


def test_unknown_source(tmp_path):
    with pytest.raises(ValueError):
        sniff_format(tmp_path)


def test_parse_icdar_short_line(caplog):
    with caplog.at_level(logging.WARNING):
        assert parse_icdar_txt("1,2,3,4,5,6\n", "g.txt") == []
    assert "g.txt:1" in caplog.text
