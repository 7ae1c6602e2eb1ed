"""A page's frames: the page as input and turned upright, whichever its coordinates are in."""

from __future__ import annotations

import numpy as np
import pytest

from docvision.document import Page, Word
from docvision.export.frames import input_size, moved, text_angle, to_input, to_upright, upright_turns
from docvision.geometry import transform


@pytest.mark.parametrize(
    ("orientation", "corner", "turns"),
    [(0, (10, 20), 0), (90, (20, 290), 3), (180, (290, 180), 2), (270, (180, 10), 1)],
)
def test_a_word_read_turned_stands_upright_and_goes_back(orientation, corner, turns):
    """A word at (10, 20)-(110, 50) on the 300 x 200 page turned upright, seen on the page as input:
    its text's top-left ``corner`` there; the frames take it upright and back."""
    up = Word("word", (10, 20, 110, 50), [(10, 20), (110, 20), (110, 50), (10, 50)], 0.9)
    width, height = (200, 300) if orientation % 180 else (300, 200)
    as_input = Page(0, width, height, None, orientation=orientation)
    as_upright = Page(0, 300, 200, None, orientation=orientation, upright=True)
    on_input = moved(up, to_input(as_upright))
    assert on_input.polygon[0] == pytest.approx(corner)
    assert moved(on_input, to_upright(as_input)).bbox == pytest.approx(up.bbox)
    assert moved(on_input, to_upright(as_input)).polygon == [pytest.approx(p) for p in up.polygon]
    assert input_size(as_input) == input_size(as_upright) == (width, height)
    assert text_angle(as_input) == orientation and upright_turns(orientation) == turns


def test_upright_coordinates_have_no_angle_and_stay():
    page = Page(0, 300, 200, None, orientation=90, upright=True)
    assert text_angle(page) == 0
    assert transform(np.array([[5.0, 7.0]]), to_upright(page)).tolist() == [[5.0, 7.0]]
