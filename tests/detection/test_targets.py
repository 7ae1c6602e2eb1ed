"""DB training targets on toy polygons: shrunk kernels, border threshold maps, masks."""

from __future__ import annotations

import numpy as np
import pytest

from docvision.detection.targets import make_db_targets, offset_polygon, shrink_distance


def rect(x0, y0, x1, y1) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_shrink_distance_formula():
    # A (1 - r^2) / L for a 100 x 20 rectangle, r = 0.4
    assert shrink_distance(rect(0, 0, 100, 20), 0.4) == pytest.approx(2000 * 0.84 / 240)
    assert shrink_distance(np.array([[0, 0], [10, 0], [20, 0]], np.float32), 0.4) == 0.0


def test_offset_polygon_grows_and_shrinks():
    grown = offset_polygon(rect(10, 10, 30, 20), 2)
    assert len(grown) == 1
    np.testing.assert_allclose(grown[0].min(axis=0), [8, 8])
    np.testing.assert_allclose(grown[0].max(axis=0), [32, 22])
    assert offset_polygon(rect(10, 10, 30, 12), -5) == []


def test_shrink_map_of_a_rectangle():
    box = rect(20, 30, 120, 50)  # 100 x 20 word
    t = make_db_targets([box], [False], 80, 160)
    d = shrink_distance(box, 0.4)  # 7 px
    ys, xs = np.nonzero(t.shrink_map)
    # strictly inside the word, by about D on every side
    assert xs.min() > 20 and xs.max() < 120 and ys.min() > 30 and ys.max() < 50
    assert abs(xs.min() - (20 + d)) <= 1 and abs(xs.max() - (120 - d)) <= 1
    assert abs(ys.min() - (30 + d)) <= 1 and abs(ys.max() - (50 - d)) <= 1
    # area ~ the shrunk rectangle (fillPoly includes both edges: +1 per side)
    expected = (100 - 2 * d + 1) * (20 - 2 * d + 1)
    assert t.shrink_map.sum() == pytest.approx(expected, rel=0.1)
    assert set(np.unique(t.shrink_map)) == {0.0, 1.0}
    assert t.shrink_mask.min() == 1.0  # nothing ignored


def test_threshold_map_range_and_peak_on_the_edge():
    box = rect(20, 30, 120, 50)
    t = make_db_targets([box], [False], 80, 160)
    d = shrink_distance(box, 0.4)
    assert t.thresh_map.dtype == np.float32
    assert t.thresh_map.min() == pytest.approx(0.3) and t.thresh_map.max() == pytest.approx(0.7)
    # far from any text: the minimum
    assert t.thresh_map[5, 5] == pytest.approx(0.3)
    # on the edges: the maximum; it falls off towards the center of the word and outside
    assert t.thresh_map[30, 70] == pytest.approx(0.7) and t.thresh_map[50, 70] == pytest.approx(0.7)
    assert t.thresh_map[40, 20] == pytest.approx(0.7)
    assert t.thresh_map[40, 70] == pytest.approx(0.3)  # 10 px from the edge > D
    assert 0.3 < t.thresh_map[33, 70] < t.thresh_map[31, 70] < 0.7
    assert 0.3 < t.thresh_map[27, 70] < t.thresh_map[29, 70] < 0.7
    # the threshold mask is the polygon dilated by D
    ys, xs = np.nonzero(t.thresh_mask)
    assert abs(xs.min() - (20 - d)) <= 1 and abs(ys.max() - (50 + d)) <= 1


def test_overlapping_borders_take_the_maximum():
    t = make_db_targets([rect(10, 10, 60, 30), rect(64, 10, 120, 30)], [False, False], 40, 140)
    assert t.thresh_map.max() == pytest.approx(0.7)
    assert t.thresh_map[20, 60] == pytest.approx(0.7) and t.thresh_map[20, 64] == pytest.approx(0.7)


def test_ignored_and_tiny_boxes_are_masked_out():
    word, ignored, tiny = rect(10, 10, 110, 30), rect(10, 50, 110, 70), rect(120, 10, 150, 12)  # tiny: 2 px tall
    t = make_db_targets([word, ignored, tiny], [False, True, False], 80, 160)
    assert t.shrink_map[20, 60] == 1 and t.shrink_mask[20, 60] == 1
    # ignored: no kernel, no threshold target, and excluded from the probability loss
    assert t.shrink_map[50:71, 10:111].sum() == 0 and t.shrink_mask[60, 60] == 0
    assert t.thresh_mask[60, 60] == 0
    assert t.shrink_mask[11, 130] == 0 and t.shrink_map[11, 130] == 0
    # background stays counted as background
    assert t.shrink_mask[40, 60] == 1 and t.shrink_mask[5, 5] == 1


def test_small_document_text_is_kept():
    # DESIGN: do not drop 3-8 px tall boxes as scene-text code does
    t = make_db_targets([rect(10, 10, 60, 15)], [False], 30, 80)  # 5 px tall
    assert t.shrink_map.sum() > 0


def test_degenerate_polygons_are_skipped():
    line = np.array([[0, 0], [10, 10]], np.float32)
    t = make_db_targets([line], [False], 20, 20)
    assert t.shrink_map.sum() == 0 and t.shrink_mask.min() == 1


def test_rotated_polygon_kernel_inside():
    angle = np.deg2rad(20)
    c, s = np.cos(angle), np.sin(angle)
    base = rect(-40, -10, 40, 10)
    poly = base @ np.array([[c, s], [-s, c]], np.float32) + (80, 60)
    t = make_db_targets([poly], [False], 120, 160)
    import cv2

    inside = np.zeros((120, 160), np.uint8)
    cv2.fillPoly(inside, [np.round(poly).astype(np.int32)], 1)
    assert t.shrink_map.sum() > 50
    assert np.all(inside[t.shrink_map > 0] == 1)


def test_box_partly_outside_the_image():
    t = make_db_targets([rect(-20, 5, 40, 25)], [False], 30, 30)
    assert t.shrink_map.shape == (30, 30) and t.shrink_map.sum() > 0
    assert 0.3 <= t.thresh_map.min() and t.thresh_map.max() <= 0.7 + 1e-6
