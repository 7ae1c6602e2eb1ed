"""Metric functions on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from docvision.evaluation.metrics import (
    Counts,
    TextErrors,
    box_iou,
    box_thresh_sweep,
    edit_distance,
    end_to_end,
    iou_matrix,
    match,
    match_detections,
    normalize_text,
    ordered_text,
    page_text_errors,
    polygon_iou,
    reading_order,
    word_scores,
)
from docvision.geometry import bbox_polygon


def sq(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return bbox_polygon((x0, y0, x1, y1))


# ----------------------------------------------------------------------------- IoU


def test_box_iou_known_values() -> None:
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges
    assert box_iou((0, 0, 10, 10), (2, 2, 4, 4)) == pytest.approx(4 / 100)


def test_polygon_iou_matches_box_iou_for_rectangles() -> None:
    assert polygon_iou(sq(0, 0, 10, 10), sq(5, 0, 15, 10)) == pytest.approx(1 / 3)


def test_polygon_iou_rotated_square() -> None:
    # A diamond inscribed in the 2x2 square has half its area: IoU = 2 / 4.
    diamond = np.array([[1, 0], [2, 1], [1, 2], [0, 1]], dtype=np.float32)
    assert polygon_iou(diamond, sq(0, 0, 2, 2)) == pytest.approx(0.5)


def test_polygon_iou_self_intersecting_polygon_is_repaired() -> None:
    bowtie = np.array([[0, 0], [2, 2], [2, 0], [0, 2]], dtype=np.float32)
    assert 0.0 <= polygon_iou(bowtie, sq(0, 0, 2, 2)) <= 1.0


def test_iou_matrix_shape_and_empty() -> None:
    m = iou_matrix([sq(0, 0, 1, 1), sq(5, 5, 6, 6)], [sq(0, 0, 1, 1)])
    assert m.shape == (2, 1)
    assert m[:, 0].tolist() == [1.0, 0.0]
    assert iou_matrix([], [sq(0, 0, 1, 1)]).shape == (0, 1)


# ----------------------------------------------------------------------------- matching


def test_match_is_one_to_one_and_maximizes_count() -> None:
    # Greedy-by-IoU would take (0, 0) = 0.9 and leave prediction 1 unmatched;
    # the optimal matching pairs both.
    iou = np.array([[0.9, 0.6], [0.7, 0.0]])
    assert sorted(match(iou)) == [(0, 1), (1, 0)]


def test_match_count_beats_total_iou() -> None:
    # Maximizing total IoU alone would keep the two perfect pairs (sum 2.0);
    # three pairs at 0.5 (sum 1.5) find more words.
    iou = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5], [0.5, 0.0, 0.0]])
    assert sorted(match(iou)) == [(0, 1), (1, 2), (2, 0)]


def test_match_prefers_higher_iou_on_equal_count() -> None:
    iou = np.array([[0.6, 0.0], [0.95, 0.0]])
    assert match(iou) == [(1, 0)]


def test_match_threshold_is_inclusive() -> None:
    assert match(np.array([[0.5]])) == [(0, 0)]
    assert match(np.array([[0.4999]])) == []


# ----------------------------------------------------------------------------- detection


def test_detection_counts_duplicate_prediction_is_false_positive() -> None:
    gt = [sq(0, 0, 10, 10), sq(20, 0, 30, 10)]
    pred = [sq(0, 0, 10, 10), sq(1, 0, 11, 10), sq(50, 50, 60, 60)]
    m = match_detections(pred, gt)
    assert m.counts == Counts(tp=1, n_pred=3, n_gt=2)
    assert m.pairs == [(0, 0)]
    assert m.counts.precision == pytest.approx(1 / 3)
    assert m.counts.recall == pytest.approx(1 / 2)
    assert m.counts.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_detection_ignored_gt_neither_helps_nor_hurts() -> None:
    gt = [sq(0, 0, 10, 10), sq(20, 0, 30, 10)]
    ignore = [False, True]
    # One prediction matches the ignored box, one lies mostly inside it, one is a real hit.
    pred = [sq(0, 0, 10, 10), sq(20, 0, 30, 10), sq(22, 2, 26, 12)]
    m = match_detections(pred, gt, ignore)
    assert m.counts == Counts(tp=1, n_pred=1, n_gt=1)
    assert m.dropped == [1, 2]
    assert m.counts.f1 == 1.0


def test_detection_below_iou_threshold_is_a_miss() -> None:
    m = match_detections([sq(0, 0, 10, 10)], [sq(5, 0, 15, 10)])  # IoU 1/3
    assert m.counts == Counts(tp=0, n_pred=1, n_gt=1)
    assert m.counts.f1 == 0.0


def test_empty_conventions() -> None:
    assert Counts(0, 0, 0).f1 == 1.0
    assert Counts(0, 0, 5).precision == 1.0 and Counts(0, 0, 5).f1 == 0.0
    assert Counts(0, 5, 0).recall == 1.0 and Counts(0, 5, 0).f1 == 0.0


def test_counts_add_is_micro_average() -> None:
    total = Counts(1, 1, 1) + Counts(0, 3, 1)
    assert total == Counts(1, 4, 2)
    assert total.precision == 0.25


def test_box_thresh_sweep_filters_by_score() -> None:
    gt = [sq(0, 0, 10, 10), sq(20, 0, 30, 10)]
    pred = [sq(0, 0, 10, 10), sq(20, 0, 30, 10), sq(50, 0, 60, 10)]
    scores = [0.9, 0.6, 0.4]
    sweep = box_thresh_sweep([(pred, scores, gt, [False, False])], [0.3, 0.5, 0.7, 0.95])
    assert [t for t, _ in sweep] == [0.3, 0.5, 0.7, 0.95]
    assert [c for _, c in sweep] == [Counts(2, 3, 2), Counts(2, 2, 2), Counts(1, 1, 2), Counts(0, 0, 2)]


# ----------------------------------------------------------------------------- text


def test_edit_distance_strings_and_tokens() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance(["the", "cat", "sat"], ["the", "sat"]) == 1


def test_normalize_text() -> None:
    assert normalize_text("  a\tb\n\nc  d ") == "a b c d"


def test_page_text_errors_word_vs_line_granularity() -> None:
    # Prediction laid out as lines and blocks, reference as a flat word list: same words, no error.
    pred = "Invoice 42\nTotal: 10\n\nThanks"
    ref = "Invoice 42 Total: 10 Thanks"
    assert page_text_errors(pred, ref) == TextErrors(0, len(ref), 0, 5)


def test_page_text_errors_known_values() -> None:
    e = page_text_errors("the cat sat", "the bat sat down")
    # chars: "the cat sat" -> "the bat sat down": 1 substitution + 5 insertions.
    assert e.char_edits == 6 and e.chars == 16
    assert e.word_edits == 2 and e.words == 4
    assert e.cer == pytest.approx(6 / 16)
    assert e.wer == pytest.approx(0.5)


def test_text_errors_empty_reference() -> None:
    assert page_text_errors("", "").cer == 0.0
    assert page_text_errors("x", "").cer == 1.0
    assert page_text_errors("", "ab").cer == 1.0


def test_reading_order_lines_then_left_to_right() -> None:
    boxes = [
        (100, 52, 150, 62),  # line 2, right
        (10, 10, 50, 20),  # line 1, left
        (10, 50, 60, 60),  # line 2, left (slightly higher than its neighbour)
        (60, 11, 90, 21),  # line 1, right
    ]
    assert reading_order(boxes) == [1, 3, 2, 0]
    assert ordered_text(["d", "a", "c", "b"], boxes) == "a b c d"


def test_word_scores() -> None:
    s = word_scores(["Total", "total", "T0tal", ""], ["Total", "Total", "Total", "ab"])
    assert (s.n, s.exact, s.nocase) == (4, 1, 2)
    assert s.errors == TextErrors(1 + 1 + 2, 17)
    d = s.as_dict()
    assert d["accuracy"] == 0.25 and d["accuracy_nocase"] == 0.5
    assert d["cer"] == pytest.approx(4 / 17)
    with pytest.raises(ValueError):
        word_scores(["a"], [])


def test_end_to_end_requires_box_and_text() -> None:
    gt = [(sq(0, 0, 10, 10), "Total", False), (sq(20, 0, 30, 10), "42", False), (sq(40, 0, 50, 10), "###", True)]
    pred = [
        (sq(0, 0, 10, 10), "TOTAL"),  # box ok, text equal only case-insensitively
        (sq(20, 0, 30, 10), "42"),  # box and text ok
        (sq(0, 30, 10, 40), "Total"),  # right text, no box
        (sq(40, 0, 50, 10), "x"),  # on an ignored word: dropped
    ]
    e = end_to_end(pred, gt)
    assert e.exact == Counts(1, 3, 2)
    assert e.nocase == Counts(2, 3, 2)
