"""Which way is up: pages turned a quarter, upside down, or skewed a few degrees.

The detector was trained on upright lines. On a page turned a quarter it finds little, and what it
finds are pieces of one or two letters; upside down it finds the words, but the recognizer reads them
with low confidence. Hence cheap tests on what the pipeline computes anyway, and a second look only
where they doubt:

* :class:`Looks` - a page whose boxes hold little of its ink or are seldom long enough for words is
  detected again turned a quarter; the turned page is taken when its boxes look more like words
  and a sample of its widest words reads no worse (by :data:`QUARTER_MARGIN`). On the 149
  FUNSD forms this doubts 3 upright pages and none of the same turned a quarter escapes it.
* :func:`upside_down` - the recognizer's confidence on a sample of the widest words read as they
  are and turned half-way round (unless they read as they are with :data:`SURELY_UPRIGHT`).
* :func:`skew_angle` - the median slant of the lines of detected words.

Angles are counter-clockwise as seen on the page: a page whose ``orientation`` is 90 has its text
running bottom to top, and turning it 90 degrees clockwise makes it upright.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

DOUBTFUL_COVERAGE = 0.2
"""Pages whose detected boxes hold less of their ink than this are also tried turned a quarter
(FUNSD forms: 0.06-0.95 upright, 99% over 0.17; 0.01-0.27 turned a quarter)."""
LONG = 3.0
"""Boxes at least this many times as wide as tall are long: words of a few letters or more."""
DOUBTFUL_LONG = 0.3
"""Pages with a smaller share of long boxes are also tried turned a quarter (FUNSD forms: 0.36-0.78
upright, 0-0.39 turned a quarter, 99% under 0.3; large print turned a quarter is found in pieces of
one or two letters that hold much of the ink)."""
QUARTER_GAIN = 2.0
"""Boxes holding this many times the ink look more like words."""
QUARTER_MARGIN = 0.05
"""Mean confidence the page turned a quarter may lose and still be read that way when it looks more
like words (a poor scan reads badly either way)."""
FLIP_SAMPLE = 16
"""Words read upside down to test a page for it (the widest ones: the most letters to judge by)."""
SURELY_UPRIGHT = 0.6
"""A sample read as it is with this mean confidence is upright (orientation confidence 1.0) without
being read upside down: upright FUNSD forms 0.33-0.87 (74% of them over 0.6), the same forms and
synthetic pages upside down 0.20-0.44."""
FLIP_MARGIN = 0.05
"""Mean confidence the turned reading must gain to turn a page upside down (149 upright FUNSD forms:
the reading as they are was at least 0.11 ahead)."""
DESKEW_RANGE = (2.0, 20.0)
"""Skew angles (degrees either way) the pipeline straightens the page for: synthetic pages turned 5
degrees lost 0.05-0.12 end-to-end F1 each unstraightened; FUNSD scans (all under 2) are left alone."""
MIN_SKEW_WORDS = 5
"""Fewer pairs of neighbouring words: no skew estimate."""
NEIGHBOUR_SPREAD = 20.0
"""Degrees between a word's top edge and the direction to the next word of its line, at most."""


@dataclass(frozen=True)
class Looks:
    """How much a page's detected boxes look like words: the share of its ink they hold
    (:func:`text_coverage`) and the share of them that are long (:func:`long_share`)."""

    coverage: float
    long: float

    @property
    def turned(self) -> bool:
        """Little ink in the boxes, or few long boxes: maybe turned a quarter."""
        return self.coverage < DOUBTFUL_COVERAGE or self.long < DOUBTFUL_LONG

    def better_than(self, other: Looks) -> bool:
        """These boxes hold :data:`QUARTER_GAIN` times the ink of ``other``'s, or look upright where those do not."""
        return self.coverage > QUARTER_GAIN * other.coverage or (other.turned and not self.turned)


def long_share(polygons: Sequence[np.ndarray]) -> float:
    """Share of the ordered quads ``polygons`` at least :data:`LONG` times as wide as tall (0 without any)."""
    sides = np.array([quad_sides(p) for p in polygons]).reshape(-1, 2)
    return float(np.mean(sides[:, 0] >= LONG * sides[:, 1])) if len(sides) else 0.0


def text_coverage(ink: np.ndarray, polygons: Sequence[np.ndarray]) -> float:
    """Share of the ``True`` pixels of ``ink`` inside ``polygons`` (pixels of ``ink``); 1.0 without ink."""
    total = np.count_nonzero(ink)
    if total == 0:
        return 1.0
    mask = np.zeros(ink.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in polygons], 1)
    return float(np.count_nonzero(ink & (mask > 0)) / total)


def quad_sides(polygon: np.ndarray) -> tuple[float, float]:
    """Width (top edge) and height (left edge) of an ordered quad (tl, tr, br, bl)."""
    tl, tr, _, bl = np.asarray(polygon, np.float64)
    return float(np.linalg.norm(tr - tl)), float(np.linalg.norm(bl - tl))


def flip_sample(polygons: Sequence[np.ndarray], n: int = FLIP_SAMPLE) -> list[int]:
    """Indices of the ``n`` widest of ``polygons`` (ordered quads)."""
    widths = [quad_sides(p)[0] for p in polygons]
    return [int(i) for i in np.argsort(widths, kind="stable")[::-1][:n]]


def upside_down(upright: Sequence[float], turned: Sequence[float], margin: float = FLIP_MARGIN) -> tuple[bool, float | None]:
    """Whether words read with confidences ``upright`` as they are and ``turned`` half-way round
    are upside down (the turned readings are ``margin`` more confident on average), and the share
    of the words that agree with that answer (ties count half); ``None`` without words."""
    if not len(upright):
        return False, None
    gain = np.asarray(turned, np.float64) - np.asarray(upright, np.float64)
    flipped = float(gain.mean()) > margin
    agree = np.where(gain == 0, 0.5, (gain > 0) == flipped)
    return flipped, float(agree.mean())


def skew_angle(polygons: Sequence[np.ndarray]) -> float | None:
    """The page's skew in degrees (counter-clockwise) from ordered quads ``polygons``: the median
    direction from each word's centre to its neighbour along the line (the nearest word of similar
    height ahead of it, within ``NEIGHBOUR_SPREAD`` degrees of its top edge's direction, at most two
    heights away); ``None`` with fewer than :data:`MIN_SKEW_WORDS` such pairs.

    Centres, not the slant of the boxes themselves: the detector draws the boxes of slanted words
    too flat (FUNSD forms turned 10 degrees: boxes at 5-8 degrees, centres at 9-11)."""
    if len(polygons) < 2:
        return None
    quads = np.asarray(polygons, np.float64).reshape(-1, 4, 2)
    centres = quads.mean(axis=1)
    edges = quads[:, 1] - quads[:, 0]
    heading = np.arctan2(edges[:, 1], edges[:, 0])
    widths = np.hypot(edges[:, 0], edges[:, 1])
    heights = np.hypot(*(quads[:, 3] - quads[:, 0]).T)
    spread = np.radians(NEIGHBOUR_SPREAD)
    angles = []
    for i in range(len(quads)):
        offsets = centres - centres[i]
        direction = np.arctan2(offsets[:, 1], offsets[:, 0])
        ahead = offsets @ np.array([np.cos(heading[i]), np.sin(heading[i])])
        turn = np.abs((direction - heading[i] + np.pi) % (2 * np.pi) - np.pi)
        near = (
            (ahead > 0)
            & (turn < spread)
            & (np.abs(heights - heights[i]) < 0.3 * heights[i])
            & (ahead - (widths + widths[i]) / 2 < 2 * heights[i])
        )
        near[i] = False
        if near.any():
            j = np.flatnonzero(near)[np.argmin(np.hypot(*offsets[near].T))]
            angles.append(-np.degrees(direction[j]))  # y points down
    return float(np.median(angles)) if len(angles) >= MIN_SKEW_WORDS else None
