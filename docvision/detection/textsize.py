"""The size of a page's text, measured before detection, so that the detector sees letters of the
size it was trained on whatever the page's size: fitting the page to ``det_max_side`` alone scales
a small image of large print (a 640 x 480 photo of a letter, a slide) to 60-pixel letters, which
the detector breaks into fragments.

A letter is measured as a connected blob of ink: on printed pages most blobs are single letters,
or letters that touch (a word, in a poor scan): their median height follows the text size (FUNSD
forms and the bundled letter: 6-14 px at the detector's default scale); their width does not.
The detector's own boxes are no measure: on text too large for it they are letter fragments
(66-pixel letters gave boxes of median height 12 px).
"""

from __future__ import annotations

import cv2
import numpy as np

from docvision.detection.detector import rescale

LETTER_TARGET = 10.0
"""Letter height (px) a page of large letters is brought to: that of FUNSD forms and the bundled
letter at the default scale, where the detector reads best."""
MIN_LETTERS = 20
"""Fewer letter-like blobs than this: no estimate (a blank page, a photo)."""
MAX_INK = 0.35
"""Pages whose binarized ink covers more than this share are no page of print (a photo, a dark
page): no estimate."""
MAX_ELONGATION = 6.0
"""Blobs longer than this many times their thickness are lines, rules or touching words, not letters."""
MIN_FILL = 0.1
"""Blobs covering less of their bounding box are frames, ticks or table corners."""


def letter_height(image: np.ndarray, scale: float = 1.0) -> float | None:
    """Median height in pixels of the letters of a page (RGB or grey) scaled by ``scale``, or ``None``.

    The median height of the letter-like blobs of ink (Otsu threshold, 8-connected; at least 3 px,
    not elongated, not hollow, under a fifth of the page), measured on the page at ``min(scale, 1)``
    (cheap on large pages; a page already scaled down is given with the scale left to go) and scaled
    to ``scale``. Upright text: on a page turned a quarter it measures letter widths or whole words.
    """
    work = min(scale, 1.0)
    gray = rescale(image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), work)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if np.count_nonzero(ink) > MAX_INK * ink.size:
        return None
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h, area = (stats[1:, i].astype(np.float64) for i in (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    longest, shortest = np.maximum(w, h), np.minimum(w, h)
    letters = (
        (longest >= 3)
        & (longest <= MAX_ELONGATION * shortest)
        & (area >= MIN_FILL * w * h)
        & (longest < min(gray.shape) / 5)
    )
    if np.count_nonzero(letters) < MIN_LETTERS:
        return None
    return float(np.median(h[letters])) * scale / work


def detection_scale(scale: float, letters: float | None, largest: float, target: float = LETTER_TARGET) -> float:
    """``scale`` (the page's default detector scale, where its letters measure ``letters`` px), or
    when they measure more than ``largest``, the scale that brings them to ``target``.

    Never up: small letters are what forms' dotted and dashed lines measure too (a FUNSD form
    detected twice as large for its dashes lost half its words), and the default scale already
    doubles small images."""
    if letters is None or letters <= largest:
        return scale
    return scale * target / letters
