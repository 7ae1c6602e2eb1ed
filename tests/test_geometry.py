"""Word quads and boxes; page frames: quarter turns and rotations of images, and the points that go with them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from docvision.geometry import (
    IDENTITY, bbox_polygon, compose, invert, moved_box, moved_boxes, on_line, order_quad, pdf_frame, quarter_turns, rotate_image,
    rotation, transform, turn_image,
)


def marked(height: int = 5, width: int = 8, row: int = 1, col: int = 6) -> np.ndarray:
    image = np.zeros((height, width), np.uint8)
    image[row, col] = 255
    return image


@pytest.mark.parametrize("turns", [-1, 0, 1, 2, 3, 5])
def test_quarter_turns_follow_np_rot90(turns):
    image = marked()
    turned = turn_image(image, turns)
    assert np.array_equal(turned, np.rot90(image, turns)) and turned.flags.c_contiguous
    (row,), (col,) = np.nonzero(turned)
    matrix = quarter_turns((8, 5), turns)
    assert transform([[6.5, 1.5]], matrix)[0] == pytest.approx([col + 0.5, row + 0.5])  # the pixel's centre
    corners = transform([[0, 0], [8, 0], [8, 5], [0, 5]], matrix)
    h, w = turned.shape
    assert sorted(map(tuple, corners.round(6))) == sorted([(0, 0), (w, 0), (w, h), (0, h)])


def test_compose_and_invert():
    a, b = quarter_turns((8, 5), 1), np.array([[2.0, 0.0, 1.0], [0.0, 2.0, -3.0]])
    points = np.array([[1.0, 2.0], [7.5, 0.25]])
    assert transform(points, compose(a, b)) == pytest.approx(transform(transform(points, b), a))
    assert transform(transform(points, a), invert(a)) == pytest.approx(points)
    assert compose(IDENTITY, a) == pytest.approx(a)
    assert quarter_turns((8, 5), 4) == pytest.approx(IDENTITY)


def test_rotation_is_counter_clockwise_onto_a_canvas_that_holds_the_page():
    matrix, (width, height) = rotation((100, 40), 30)
    corners = transform([[0, 0], [100, 0], [100, 40], [0, 40]], matrix)
    assert corners.min(axis=0) == pytest.approx([0, 0], abs=1) and (corners.max(axis=0) <= [width, height]).all()
    centre, right = transform([[50, 20], [90, 20]], matrix)
    assert right[1] < centre[1]  # a point right of the centre moves up: counter-clockwise as seen


def test_rotate_image_moves_the_ink_where_the_matrix_says():
    image = np.full((60, 90, 3), 255, np.uint8)
    image[10:14, 70:74] = 0  # a dot centred at (72, 12)
    rotated, matrix = rotate_image(image, -12.0, (255, 255, 255))
    ys, xs = np.nonzero(rotated[..., 0] < 128)
    assert (xs.mean() + 0.5, ys.mean() + 0.5) == pytest.approx(tuple(transform([[72, 12]], matrix)[0]), abs=0.5)
    assert rotated[0, 0].tolist() == [255, 255, 255]  # uncovered corners take the fill


def signed_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("degrees", [0, 10, -10, 30, -35, 60])
def test_order_quad(degrees):
    quad = cv2.boxPoints(((100, 100), (80, 20), degrees))
    for perm in ([0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 0, 2]):
        ordered = order_quad(quad[perm])
        assert signed_area(ordered) > 0  # clockwise (y down)
        tl, tr, br, bl = ordered
        # top-left: one of the two leftmost corners, the upper one
        leftmost = quad[np.argsort(quad[:, 0])[:2]]
        np.testing.assert_allclose(tl, leftmost[np.argmin(leftmost[:, 1])])
        assert tl[1] <= bl[1] and tr[1] <= br[1]


def test_order_quad_axis_aligned():
    shuffled = np.array([[50, 30], [10, 10], [10, 30], [50, 10]], np.float32)
    np.testing.assert_array_equal(order_quad(shuffled), bbox_polygon((10, 10, 50, 30)))


def test_bbox_polygon_is_clockwise_from_top_left():
    np.testing.assert_array_equal(bbox_polygon((1, 2, 5, 9)), [[1, 2], [5, 2], [5, 9], [1, 9]])


def test_pdf_frame_maps_the_page_box_corners_and_back():
    box = (10.0, 20.0, 110.0, 220.0)  # 100 x 200 pt
    for rotation, size, top_left in [(0, (100, 200), (10, 220)), (90, (200, 100), (10, 20)),
                                     (180, (100, 200), (110, 20)), (270, (200, 100), (110, 220))]:
        matrix = pdf_frame(box, rotation, size)
        assert transform([top_left], matrix)[0] == pytest.approx([0, 0])
        assert moved_boxes(np.array([box]), matrix)[0] == pytest.approx([0, 0, *size])
        assert transform(transform([[3, 4]], matrix), invert(matrix))[0] == pytest.approx([3, 4])


def test_moved_boxes_hold_all_four_corners():
    boxes = np.array([[0.0, 0.0, 10.0, 4.0], [20.0, 10.0, 30.0, 20.0]])
    matrix, _ = rotation((40, 30), 30.0)
    for box, moved in zip(boxes, moved_boxes(boxes, matrix)):
        corners = transform(bbox_polygon(box), matrix)
        assert moved == pytest.approx([*corners.min(axis=0), *corners.max(axis=0)])
        assert moved_box(box, matrix) == pytest.approx(tuple(moved))
    turn = quarter_turns((40, 30), 1)
    assert moved_box((20, 10, 30, 20), turn) == pytest.approx((10, 10, 20, 20))  # (x, y) -> (y, 40 - x)
    assert moved_boxes(np.zeros((0, 4)), turn).shape == (0, 4)


def test_on_line_takes_neighbours_of_a_line_not_headings_marks_or_other_lines():
    boxes = np.array([
        [60, 10, 100, 30],   # the next word on the line
        [0, 8, 40, 34],      # a word with ascenders and descenders, overlapping the box
        [110, 14, 112, 18],  # a speck: under half as tall
        [120, 0, 300, 50],   # a heading: 2.5x as tall
        [0, 40, 100, 60],    # the next line
    ], np.float32)
    same, gap = on_line((30, 10, 50, 30), boxes)
    assert same.tolist() == [True, True, False, False, False]
    assert gap[:2].tolist() == [10, -10]
    assert on_line((30, 10, 50, 30), boxes, taller=2.5)[0][3]
