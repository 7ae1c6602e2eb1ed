"""The letter size of a page, measured before detection, and the detection scale chosen from it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from docvision.detection.textsize import LETTER_TARGET, detection_scale, letter_height

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ["The quick brown fox jumps over", "the lazy dog, 12 times in 2026.", "Pack my box with five dozen jugs"]


def printed(size: int, lines: int = 3) -> np.ndarray:
    """``lines`` lines of ``size``-pixel print on a white page just large enough."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("RGB", (round(size * 18), round(size * (1 + 1.5 * lines))), "white")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate((LINES * lines)[:lines]):
        draw.text((size // 2, size // 2 + round(1.5 * size * n)), line, font=font, fill="black")
    return np.asarray(image)


def test_letter_height_follows_the_print_size():
    small, large = letter_height(printed(20)), letter_height(printed(60))
    assert 8 <= small <= 16  # x-height to cap height of 20 px print
    assert large / small == pytest.approx(3.0, rel=0.15)


def test_letter_height_is_measured_at_the_scale_given():
    page = printed(60)
    assert letter_height(page, 0.5) == pytest.approx(letter_height(page) / 2, rel=0.1)
    assert letter_height(page, 2.0) == pytest.approx(letter_height(page) * 2)
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    assert letter_height(grey, 0.5) == letter_height(page, 0.5) and letter_height(grey) == letter_height(page)


def test_letters_that_touch_measure_their_height():
    """Poor scans merge the letters of a word into one blob: as tall as the word, as wide as it is long."""
    page = printed(20, lines=8)
    merged = cv2.erode(page, np.ones((1, 4), np.uint8))  # the ink grows sideways: most words are one blob
    assert letter_height(page) <= letter_height(merged) <= 1.5 * letter_height(page)  # (blob width: 2.5 times)


def test_no_letter_height_without_print():
    assert letter_height(np.full((200, 300, 3), 255, np.uint8)) is None
    noise = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    assert letter_height(noise) is None  # a photo: half the page "ink"


def test_detection_scale_only_shrinks_large_letters():
    assert detection_scale(2.0, 10.0, 20.0) == 2.0
    assert detection_scale(2.0, None, 20.0) == 2.0
    assert detection_scale(2.0, 3.0, 20.0) == 2.0  # small letters: left to the default scale
    assert detection_scale(2.0, 44.0, 20.0) == pytest.approx(2.0 * LETTER_TARGET / 44)
    assert detection_scale(2.0, 44.0, 20.0, target=11.0) == pytest.approx(0.5)
