"""The eval runner, wired to an oracle pipeline whose scores are known."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from docvision.config import PipelineConfig, PostprocessConfig
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.detection.postprocess import Detection
from docvision.document import Block, Line, Page, Word
from docvision.evaluation.evaluate import evaluate, parse_sweep, reference_text
from docvision.geometry import bbox_polygon

WORDS = [
    ("Invoice", (10, 10, 60, 22)),
    ("42", (70, 10, 90, 22)),
    ("Total:", (10, 40, 50, 52)),
    ("10.00", (60, 40, 100, 52)),
]


def labeled_page(page_id: str = "p1", ignored: bool = True) -> LabeledPage:
    words = [LabeledWord(t, bbox_polygon(b)) for t, b in WORDS]
    if ignored:
        words.append(LabeledWord("###", bbox_polygon((150, 10, 190, 22)), ignore=True))
    return LabeledPage(page_id, np.full((120, 200, 3), 255, np.uint8), words)


@dataclass
class OracleDetector:
    """Returns the page's true words (scored 0.9) plus one spurious box scored 0.4."""

    page: LabeledPage
    postprocess: PostprocessConfig = PostprocessConfig()

    def detect(self, image: np.ndarray, postprocess: PostprocessConfig | None = None) -> list[Detection]:
        thresh = (postprocess or self.postprocess).box_thresh
        dets = [Detection(w.polygon, 0.9) for w in self.page.words if not w.ignore]
        dets.append(Detection(bbox_polygon((10, 80, 60, 95)), 0.4))
        return [d for d in dets if d.score >= thresh]


class OracleRecognizer:
    def __init__(self, texts: list[str]):
        self.texts = texts

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        assert len(crops) == len(self.texts)
        return [(t.lower(), 1.0) for t in self.texts]  # right letters, wrong case


class OraclePipeline:
    """A perfect reader of one page, except that the recognizer lower-cases."""

    def __init__(self, page: LabeledPage):
        self.page = page
        self.detector = OracleDetector(page)
        self.recognizer = OracleRecognizer([w.text for w in page.words if not w.ignore])
        self.config = PipelineConfig()

    def detect(self, image: np.ndarray, postprocess: PostprocessConfig | None = None) -> list[Detection]:
        return self.detector.detect(image, postprocess)

    def ocr_image(self, image: np.ndarray, *, index: int = 0, dpi: float | None = None, detections=None) -> Page:
        lines = [
            Line([Word(t, b, [tuple(p) for p in bbox_polygon(b)], 1.0) for t, b in WORDS[i : i + 2]]) for i in (0, 2)
        ]
        return Page(index, 200, 120, dpi, [Block(lines)])


def test_reference_text_keeps_a_given_order_else_sorts_rows() -> None:
    # a two-column page listed column by column: "a b" left, "c d" right
    words = [
        LabeledWord("a", bbox_polygon((0, 0, 10, 10))),
        LabeledWord("b", bbox_polygon((0, 20, 10, 30))),
        LabeledWord("c", bbox_polygon((50, 0, 60, 10))),
        LabeledWord("d", bbox_polygon((50, 20, 60, 30))),
    ]
    image = np.zeros((40, 70, 3), np.uint8)
    assert reference_text(LabeledPage("p", image, words, ordered=True)) == "a b c d"
    assert reference_text(LabeledPage("p", image, words)) == "a c b d"


def test_reading_order_row_scores_the_layout_alone() -> None:
    # ground truth listed column by column; the layout reads this (narrow) pair row by row
    page = labeled_page(ignored=False)
    page.ordered = True
    page.words = [page.words[i] for i in (0, 2, 1, 3)]  # "Invoice Total: 42 10.00"
    report = evaluate(OraclePipeline(page), [page], progress=False)
    assert report["reading_order"]["cer"] > 0
    assert report["reading_order"]["words"] == 4


def test_parse_sweep() -> None:
    assert parse_sweep("0.3:0.5:0.1") == [0.3, 0.4, 0.5]
    assert parse_sweep("0.5:0.5:0.05") == [0.5]
    for bad in ("0.3:0.9", "0.9:0.3:0.1", "0.3:0.9:0", "a:b:c"):
        with pytest.raises(ValueError):
            parse_sweep(bad)


def test_evaluate_oracle_scores(tmp_path: Path) -> None:
    page = labeled_page()
    report = evaluate(OraclePipeline(page), [page], sweep=[0.3, 0.5], draw_dir=tmp_path / "draw", progress=False)

    assert report["pages"] == 1 and report["box_thresh"] == 0.5
    assert report["detection"] == {"tp": 4, "n_pred": 4, "n_gt": 4, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    rec = report["recognition"]
    assert (
        rec["words"] == 4 and rec["accuracy"] == 0.5 and rec["accuracy_nocase"] == 1.0
    )  # "42", "10.00" survive lower()
    assert rec["cer"] == pytest.approx(2 / 20)  # "I" and "T" of 20 characters
    assert report["end_to_end"]["exact"]["f1"] == 1.0
    assert report["page_text"] == {"cer": 0.0, "wer": 0.0, "chars": len("Invoice 42 Total: 10.00"), "words": 4}
    assert report["reading_order"]["cer"] == 0.0
    # The spurious box (score 0.4) only counts below box_thresh 0.5.
    assert [(r["box_thresh"], r["tp"], r["n_pred"]) for r in report["box_thresh_sweep"]] == [(0.3, 4, 5), (0.5, 4, 4)]
    assert report["worst_pages"][0]["id"] == "p1"
    assert report["per_page"][0]["detection"]["f1"] == 1.0
    assert (tmp_path / "draw" / "p1.png").stat().st_size > 0


def test_evaluate_without_sweep_runs_detector_at_box_thresh() -> None:
    page = labeled_page(ignored=False)
    pipeline = OraclePipeline(page)
    pipeline.detector.postprocess = replace(pipeline.detector.postprocess, box_thresh=0.95)
    report = evaluate(pipeline, [page], progress=False)
    assert report["detection"]["n_pred"] == 0 and report["detection"]["recall"] == 0.0
    assert "box_thresh_sweep" not in report


def test_worst_pages_ranked_by_page_cer() -> None:
    good, bad = labeled_page("good"), labeled_page("bad")
    bad.words[0].text = "Completely different words here"
    report = evaluate(OraclePipeline(good), [good, bad], progress=False, worst=1)
    assert [w["id"] for w in report["worst_pages"]] == ["bad"]
    assert report["per_page"][1]["page_text"]["cer"] > 0
    assert report["per_page"][1]["reading_order"]["cer"] == 0  # the ground-truth words, not the pipeline's
