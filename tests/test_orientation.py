"""Which way is up: ink coverage, the upside-down vote and the skew of lines of word boxes."""

from __future__ import annotations

import numpy as np
import pytest

from docvision.geometry import rotation, transform
from docvision.orientation import FLIP_MARGIN, Looks, flip_sample, long_share, skew_angle, text_coverage, upside_down


def quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_text_coverage_is_the_share_of_ink_inside_the_boxes():
    ink = np.zeros((20, 40), bool)
    ink[5:10, 0:40] = True
    assert text_coverage(ink, [quad(0, 0, 20, 20)]) == pytest.approx(0.5, abs=0.03)
    assert text_coverage(ink, []) == 0.0
    assert text_coverage(np.zeros((5, 5), bool), []) == 1.0  # nothing to hold: nothing doubtful


def test_flip_sample_takes_the_widest_words():
    boxes = [quad(0, 0, w, 10) for w in (30, 90, 10, 60)]
    assert flip_sample(boxes, 2) == [1, 3]
    assert sorted(flip_sample(boxes, 10)) == [0, 1, 2, 3]


def test_upside_down_votes():
    flipped, share = upside_down([0.2, 0.3, 0.6], [0.9, 0.8, 0.5])
    assert flipped and share == pytest.approx(2 / 3)
    flipped, share = upside_down([0.9, 0.8, 0.5], [0.2, 0.3, 0.5])
    assert not flipped and share == pytest.approx(2.5 / 3)  # a tie counts half
    assert upside_down([0.5, 0.5], [0.5 + FLIP_MARGIN / 2] * 2)[0] is False  # within the margin: left as it is
    assert upside_down([], []) == (False, None)


def line_of_words(angle: float, slant: float) -> list[np.ndarray]:
    """Three lines of five words rotated ``angle`` degrees counter-clockwise about (500, 500),
    each word box drawn at only ``slant`` degrees (as the detector draws slanted words)."""
    matrix, _ = rotation((1000, 1000), angle)
    words = []
    for row in range(3):
        for k in range(5):
            centre = transform([[100 + 130 * k + 50, 300 + 60 * row + 10]], matrix)[0]
            box, _ = rotation((100, 20), slant)
            corners = transform(quad(0, 0, 100, 20), box)
            words.append((corners - corners.mean(axis=0) + centre).astype(np.float32))
    return words


@pytest.mark.parametrize("angle", [-10.0, 0.0, 4.0, 12.0])
def test_skew_angle_follows_the_lines_not_the_boxes(angle):
    assert skew_angle(line_of_words(angle, 0.6 * angle)) == pytest.approx(angle, abs=0.2)


def test_skew_angle_needs_neighbours():
    assert skew_angle([quad(0, 0, 100, 20)]) is None
    assert skew_angle([quad(0, 200 * k, 100, 200 * k + 20) for k in range(8)]) is None  # a column, not a line


def test_long_is_the_share_of_boxes_three_times_as_wide_as_tall():
    assert long_share([quad(0, 0, 30, 10), quad(0, 0, 40, 10), quad(0, 0, 10, 10), quad(0, 0, 29, 10)]) == 0.5
    assert long_share([]) == 0.0


def test_looks_turned_and_better():
    upright, turned = Looks(coverage=0.6, long=0.6), Looks(coverage=0.1, long=0.4)
    assert not upright.turned and turned.turned
    assert upright.better_than(turned) and not turned.better_than(upright)
    pieces = Looks(coverage=0.55, long=0.05)  # large print turned a quarter: found in pieces
    assert pieces.turned and upright.better_than(pieces) and not pieces.better_than(upright)
    assert not Looks(0.35, 0.2).better_than(Looks(0.25, 0.2))  # a little more ink is no reason to turn
    assert Looks(0.3, 0.5).better_than(Looks(0.19, 0.5))  # ... unless the other looks turned and this not
