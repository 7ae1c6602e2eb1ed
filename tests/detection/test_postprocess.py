"""Probability map -> word quadrilaterals, on maps shaped like DBNet's: the shrunk kernels
of :func:`make_db_targets`, which unclip must grow back to the word boxes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from docvision.config import PostprocessConfig
from docvision.detection.postprocess import (
    Detection,
    box_score,
    detect_boxes,
    expand_kernel,
    joined_on_lines,
    kept_on_lines,
    rect_along,
    text_direction,
)
from docvision.geometry import order_quad
from docvision.detection.targets import make_db_targets


def rect(x0, y0, x1, y1) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def rotated(w, h, degrees, center) -> np.ndarray:
    return order_quad(cv2.boxPoints((center, (w, h), degrees)))


def kernel_map(polygons, height=220, width=260) -> np.ndarray:
    return make_db_targets(polygons, [False] * len(polygons), height, width).shrink_map


def signed_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def match(detections, boxes, tol=2.0):
    """Each expected box has a detection whose ordered corners are within ``tol`` px."""
    assert len(detections) == len(boxes)
    quads = [order_quad(d.polygon) for d in detections]
    for box in boxes:
        errors = [np.abs(q - order_quad(box)).max() for q in quads]
        assert min(errors) <= tol, f"box {box.tolist()} recovered only within {min(errors):.1f} px"


def test_recovers_boxes_and_rotated_box():
    boxes = [rect(20, 20, 60, 60), rect(80, 20, 140, 50), rect(170, 30, 230, 60), rotated(60, 30, 20, (110, 150))]
    detections = detect_boxes(kernel_map(boxes))
    match(detections, boxes)
    for det in detections:
        assert det.polygon.shape == (4, 2) and det.polygon.dtype == np.float32
        assert det.score == pytest.approx(1.0)
        assert signed_area(det.polygon) > 0  # clockwise on image axes


def test_recovers_word_shaped_boxes():
    boxes = [rect(20, 20, 120, 40), rect(20, 80, 180, 104), rect(20, 130, 240, 142), rotated(150, 16, 8, (130, 180))]
    match(detect_boxes(kernel_map(boxes)), boxes, tol=1.5)


def test_box_thresh_filters_weak_boxes():
    prob = kernel_map([rect(20, 20, 60, 60)]) + 0.4 * kernel_map([rect(100, 20, 140, 60)])
    assert len(detect_boxes(prob)) == 1  # mean 0.4 < box_thresh 0.5
    strong = detect_boxes(prob)[0]
    assert strong.polygon[:, 0].max() < 80
    weak = detect_boxes(prob, PostprocessConfig(box_thresh=0.35))
    assert len(weak) == 2
    assert sorted(d.score for d in weak) == pytest.approx([0.4, 1.0])


def test_weak_boxes_a_word_space_beside_a_kept_one_are_kept():
    word = Detection(rect(100, 40, 200, 60), 0.9)  # 20 px tall
    def kept(x0, x1, y0=42, y1=60, score=0.47):  # "is" at a line start, left of the word
        weak = Detection(rect(x0, y0, x1, y1), score)
        return any(d is weak for d in kept_on_lines([weak, word], 0.5, 0.05))
    assert kept(62, 92)  # 8 px: 0.44 of its height
    assert not kept(62, 92, score=0.44)  # more than line_margin under box_thresh
    assert not kept(20, 50)  # 50 px away: not a word space
    assert not kept(68, 98)  # 2 px: a piece of the same word ("(" of "(55)")
    assert not kept(62, 92, y0=80, y1=98)  # another line
    assert not kept(85, 92, y0=52, y1=60)  # a speck, under half the word's height
    assert kept_on_lines([Detection(rect(62, 42, 92, 60), 0.47)], 0.5, 0.05) == []  # nothing kept beside it
    assert kept_on_lines([word], 0.5, 0.05)[0] is word


def test_detect_boxes_keeps_a_weak_short_word_beside_a_line():
    line = [rect(100, 40, 200, 60), rect(210, 40, 250, 60)]
    prob = kernel_map(line) + 0.47 * kernel_map([rect(62, 42, 92, 60)]) + 0.47 * kernel_map([rect(20, 150, 50, 168)])
    assert len(detect_boxes(prob)) == 3  # the one beside the line, not the one alone
    assert len(detect_boxes(prob, PostprocessConfig(line_margin=0.0))) == 2  # off


def test_boxes_overlapping_deeply_on_a_line_are_joined():
    word = Detection(rect(100, 40, 200, 60), 0.9)  # 20 px tall

    def joined(x0, x1, y0=40, y1=60, overlap=0.3):
        return joined_on_lines([word, Detection(rect(x0, y0, x1, y1), 0.8)], overlap)

    (both,) = joined(190, 260)  # overlapping by 10 px, half the height: one word cut in two
    assert np.allclose([*both.polygon.min(axis=0), *both.polygon.max(axis=0)], [100, 40, 260, 60]) and both.score == 0.9
    assert len(joined(196, 260)) == 2  # 4 px: two words' boxes grown into their word space
    assert len(joined(206, 260)) == 2  # a space apart
    assert len(joined(150, 260, y0=62, y1=82)) == 2  # the next line
    assert len(joined(190, 260, overlap=0.0)) == 2  # off
    chain = [word, Detection(rect(190, 40, 260, 60), 0.8), Detection(rect(250, 41, 300, 60), 0.7)]
    assert len(joined_on_lines(chain, 0.3)) == 1


@pytest.mark.parametrize("page_angle", [0.0, 10.0])
def test_boxes_are_joined_along_the_lines_and_leaning_ones_never(page_angle):
    def along(x0, x1, lean=0.0):  # a 20 px tall box on the line through (150, 100) at page_angle
        t = np.radians(page_angle)
        centre = (150 + (x0 + x1 - 300) / 2 * np.cos(t), 100 + (x0 + x1 - 300) / 2 * np.sin(t))
        return Detection(rotated(x1 - x0, 20, page_angle + lean, centre), 0.9)

    assert len(joined_on_lines([along(100, 200), along(190, 260)], 0.3, page_angle)) == 1
    assert len(joined_on_lines([along(100, 200), along(196, 260)], 0.3, page_angle)) == 2
    assert len(joined_on_lines([along(100, 200), along(190, 260, lean=8.0)], 0.3, page_angle)) == 2


def test_detect_boxes_joins_a_word_cut_at_a_faint_spot():
    prob = kernel_map([rect(40, 40, 200, 60)])
    prob[:, 118:121] = np.minimum(prob[:, 118:121], 0.22)  # under bin_thresh: "northwind.example" at its "."
    assert len(detect_boxes(prob, PostprocessConfig(join_overlap=0.0))) == 2
    match(detect_boxes(prob, PostprocessConfig(join_overlap=0.3)), [rect(40, 40, 200, 60)], tol=3.0)


def test_bin_thresh():
    prob = 0.25 * kernel_map([rect(20, 20, 60, 60)])
    assert detect_boxes(prob) == []  # under bin_thresh 0.3: no pixel is text
    assert len(detect_boxes(prob, PostprocessConfig(bin_thresh=0.2, box_thresh=0.2))) == 1


def test_unclip_ratio_grows_boxes():
    box = [rect(60, 60, 120, 120)]
    small = detect_boxes(kernel_map(box), PostprocessConfig(unclip_ratio=1.0))[0].polygon
    large = detect_boxes(kernel_map(box), PostprocessConfig(unclip_ratio=2.0))[0].polygon
    assert np.all(large.min(axis=0) < small.min(axis=0)) and np.all(large.max(axis=0) > small.max(axis=0))


def test_specks_are_dropped():
    prob = np.zeros((50, 50), np.float32)
    prob[10, 10] = 1.0  # one pixel
    prob[30:32, 30:32] = 1.0  # 2 x 2 pixels
    assert detect_boxes(prob) == []


def test_empty_map():
    assert detect_boxes(np.zeros((32, 32), np.float32)) == []


def test_boxes_are_clipped_to_the_map():
    prob = np.zeros((40, 60), np.float32)
    prob[0:10, 0:30] = 1.0
    (det,) = detect_boxes(prob)
    assert det.polygon.min() >= 0 and det.polygon[:, 0].max() <= 60 and det.polygon[:, 1].max() <= 40


def test_max_candidates():
    boxes = [rect(10 + 50 * i, 20, 40 + 50 * i, 50) for i in range(5)]
    assert len(detect_boxes(kernel_map(boxes))) == 5
    assert len(detect_boxes(kernel_map(boxes), PostprocessConfig(max_candidates=2))) == 2


def test_box_score_is_mean_inside():
    prob = np.zeros((20, 20), np.float32)
    prob[5:10, 5:15] = 1.0
    assert box_score(prob, rect(5, 5, 14, 9)) == pytest.approx(1.0)
    assert box_score(prob, rect(5, 5, 14, 14)) == pytest.approx(0.5)


@pytest.mark.parametrize("w, h", [(40, 40), (100, 20), (300, 12)])
def test_expand_kernel_inverts_the_shrink(w, h):
    d = w * h * (1 - 0.4**2) / (2 * (w + h))  # D = A (1 - r^2) / L
    center, size, angle = expand_kernel(((50.0, 60.0), (w - 2 * d, h - 2 * d), 10.0), 0.4)
    assert center == (50.0, 60.0) and angle == 10.0
    np.testing.assert_allclose(size, (w, h), rtol=1e-6)
    _, wider, _ = expand_kernel(((0.0, 0.0), (w - 2 * d, h - 2 * d), 0.0), 0.4, scale=1.5)
    np.testing.assert_allclose(wider, (w + d, h + d), rtol=1e-6)


def test_text_direction_is_the_elongated_kernels_axis():
    level = [((0.0, 0.0), (40.0, 10.0), 0.0), ((0.0, 0.0), (10.0, 40.0), 90.0), ((0.0, 0.0), (30.0, 10.0), 2.0)]
    assert text_direction(level) == pytest.approx(0.0, abs=1e-6)  # 10 x 40 at 90 degrees: 40 wide at 180
    assert text_direction([*level, ((0.0, 0.0), (40.0, 10.0), 2.0)]) == pytest.approx(1.0, abs=1e-6)
    assert text_direction([*level, ((0.0, 0.0), (40.0, 10.0), 40.0)]) == pytest.approx(1.0, abs=1e-6)  # a median
    steep = [((0.0, 0.0), (40.0, 10.0), 89.0), ((0.0, 0.0), (40.0, 10.0), -89.0), ((0.0, 0.0), (40.0, 10.0), 90.0)]
    assert abs(text_direction(steep)) == pytest.approx(90.0, abs=1e-6)  # sides point either way: not 30 degrees
    squares = [((0.0, 0.0), (10.0, 9.0), 30.0)] * 5 + level[:2]
    assert text_direction(squares) == 0.0  # under MIN_ELONGATED elongated kernels: level


def test_rect_along_holds_the_points():
    points = np.array([[0, 0], [10, 0], [10, 4], [0, 4]], np.float32)
    centre, size, angle = rect_along(points, 0.0)
    assert centre == pytest.approx((5.0, 2.0)) and size == pytest.approx((10.0, 4.0)) and angle == 0.0
    centre, size, _ = rect_along(points, 90.0)
    assert centre == pytest.approx((5.0, 2.0)) and size == pytest.approx((4.0, 10.0))
    box = cv2.boxPoints(rect_along(points, 20.0))
    assert all(cv2.pointPolygonTest(box, (float(x), float(y)), True) >= -1e-3 for x, y in points)


@pytest.mark.parametrize("page_angle", [0.0, 12.0])
def test_short_words_are_boxed_along_the_lines(page_angle):
    """The kernel of a short word is a blob whose minimum-area rectangle may lean (an "it" boxed at
    26 degrees on a level page was cut crooked and read "l"); it takes the page's direction."""
    words = [rotated(100, 24, page_angle, (70 + 10 * i, 40 + 50 * i)) for i in range(3)]
    blob = rotated(22, 21, page_angle + 26.0, (190, 150))
    detections = detect_boxes(kernel_map([*words, blob], 240, 260))
    assert len(detections) == 4
    (short,) = [d.polygon for d in detections if np.linalg.norm(d.polygon[1] - d.polygon[0]) < 50]
    top = short[1] - short[0]
    assert np.degrees(np.arctan2(top[1], top[0])) == pytest.approx(page_angle, abs=1.0)
    assert np.abs(short.mean(axis=0) - (190, 150)).max() < 1.5
    match([d for d in detections if d.polygon is not short], words)
