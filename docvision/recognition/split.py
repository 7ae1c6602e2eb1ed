"""Splitting a crop the recognizer reads as several words ("seems to be" in one detector box)
into one box per word: the CTC steps between the spaces, trimmed to the ink of the crop."""

from __future__ import annotations

import numpy as np

from docvision.recognition.vocab import Vocab

COLUMN_INK = 0.15
"""A column holds ink when its mean ink is this far from the crop's paper level to its ink level
(percentiles 10 and 90 of the columns)."""
ROW_INK = 0.05
"""The same for the rows of a word: lower, so that rows crossed only by ascenders, descenders or
accents stay in its box."""


def word_spans(probs: np.ndarray, vocab: Vocab) -> list[tuple[int, int]]:
    """Step ranges ``[start, end)`` of the words of the greedy CTC reading of ``probs`` ``(T, C)``:
    the runs of steps between those whose best class is the space, keeping only runs with a
    character. One range ``(0, T)`` when no space is read (or the vocabulary has none)."""
    if " " not in vocab.chars:
        return [(0, len(probs))]
    best = probs.argmax(axis=1)
    space = vocab.encode(" ")[0]
    spans, start = [], 0
    for t in [*np.flatnonzero(best == space).tolist(), len(best)]:
        if ((best[start:t] != 0) & (best[start:t] != space)).any():
            spans.append((start, t))
        start = t + 1
    return spans or [(0, len(probs))]


def ink_extent(profile: np.ndarray, lo: int, hi: int, first: int, last: int, level: float = COLUMN_INK) -> tuple[int, int]:
    """Columns ``[lo', hi')`` of a word whose steps cover columns ``[lo, hi)``: moved in from each
    side past the columns without ink (see :data:`COLUMN_INK`; ``level``), but never past
    ``first`` / ``last`` (columns of its first and last character). ``profile`` is the crop's
    mean ink per column (paper ~ 0); the same works on rows."""
    paper, ink = np.percentile(profile, [10, 90])
    inked = profile > paper + level * (ink - paper)
    while lo < first and not inked[lo]:
        lo += 1
    while hi - 1 > last and not inked[hi - 1]:
        hi -= 1
    return lo, hi


def sub_quad(quad: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The part ``box`` ``(x0, y0, x1, y1)`` (fractions of width and height) of an ordered quad
    (tl, tr, br, bl), mapped bilinearly so it follows a rotated or skewed quad."""
    tl, tr, br, bl = np.asarray(quad, np.float32)

    def point(u: float, v: float) -> np.ndarray:
        return (1 - v) * (tl + u * (tr - tl)) + v * (bl + u * (br - bl))

    x0, y0, x1, y1 = box
    return np.array([point(x0, y0), point(x1, y0), point(x1, y1), point(x0, y1)], np.float32)
