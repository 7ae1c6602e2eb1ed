"""A page's two frames: the page as input and the page turned upright (``Page.orientation``).

A page's coordinates are of one of them (``Page.upright``). Exporters that lay text over the
page image (the searchable PDF, OCRmyPDF's text layer, ALTO's spaces) measure each word along
its text in the upright frame and place it on the page as input, where a page read turned has
its text running up, down or upside down.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from docvision.document import Page, Word
from docvision.geometry import IDENTITY, invert, moved_box, quarter_turns, transform


def upright_turns(orientation: int) -> int:
    """Quarter turns counter-clockwise that make a page whose text is turned ``orientation``
    degrees counter-clockwise upright."""
    return (-orientation // 90) % 4


def input_size(page: Page) -> tuple[int, int]:
    """Width and height of the page as it was input."""
    turned = page.upright and page.orientation % 180 == 90
    return (page.height, page.width) if turned else (page.width, page.height)


def text_angle(page: Page) -> int:
    """Degrees the text is turned counter-clockwise in ``page``'s coordinates (0 once they are upright)."""
    return 0 if page.upright else page.orientation % 360


def to_upright(page: Page) -> np.ndarray:
    """The frame change from ``page``'s coordinates to the pixels of the page turned upright."""
    if page.upright:
        return IDENTITY.copy()
    return quarter_turns((page.width, page.height), upright_turns(page.orientation))


def to_input(page: Page) -> np.ndarray:
    """The frame change from ``page``'s coordinates to the pixels of the page as input."""
    if not page.upright:
        return IDENTITY.copy()
    return invert(quarter_turns(input_size(page), upright_turns(page.orientation)))


def moved(word: Word, matrix: np.ndarray) -> Word:
    """``word`` with its box and polygon moved by ``matrix`` (its polygon still starts at its text's top-left)."""
    polygon = [(float(x), float(y)) for x, y in transform(np.asarray(word.polygon, np.float64), matrix)]
    return replace(word, bbox=moved_box(word.bbox, matrix), polygon=polygon)
