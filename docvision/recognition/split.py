"""Splitting a crop the recognizer reads as several words ("seems to be" in one detector box)
into one box per word: the CTC steps between the spaces, trimmed to the ink of the crop."""

from __future__ import annotations

import numpy as np

from docvision.recognition.vocab import Vocab

COLUMN_INK = 0.15
"""A column holds ink when its mean ink is this far from the crop's paper level to its ink level
(percentiles 10 and 90 of the columns)."""
UNREAD_SPACE = 0.7
"""An ink gap inside a word read in a crop is a space too when it is this share of the narrowest
of the gaps the recognizer read a space at (the crop's own word spacing)."""
UNREAD_GAP = 0.3
"""... and at least this many crop heights wide: where the read spaces are narrow, the gaps between
letters pass the share alone ("CL TENT", "w ith", "Toxi col ogy" on FUNSD pages 30-149: of the 40
crops it changed without this, most for the worse; 3 with it). The bundled letter's "1 of 1" gaps
are 0.375 of the height."""
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


def ink_gaps(profile: np.ndarray, level: float = COLUMN_INK) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of columns without ink between inked ones (see :data:`COLUMN_INK`) of a
    crop's mean ink per column ``profile`` (paper ~ 0), left to right."""
    paper, ink = np.percentile(profile, [10, 90])
    inked = np.flatnonzero(profile > paper + level * (ink - paper))
    if len(inked) < 2:
        return []
    jumps = np.flatnonzero(np.diff(inked) > 1)
    return [(int(inked[j]) + 1, int(inked[j + 1])) for j in jumps]


def read_gaps(spans: list[tuple[int, int]], gaps: list[tuple[int, int]], step: int) -> list[tuple[int, int]]:
    """The ink ``gaps`` where the spaces between ``spans`` (:func:`word_spans`) were read: for each
    space, the widest gap that meets its steps (``step`` columns each) widened by a step either side.
    A space over no gap (read in touching ink) has none."""
    found = []
    for (_, end), (start, _) in zip(spans, spans[1:]):
        lo, hi = (end - 1) * step, (start + 1) * step
        near = [g for g in gaps if g[0] < hi and g[1] > lo and g not in found]
        if near:
            found.append(max(near, key=lambda g: g[1] - g[0]))
    return found


def unread_spaces(
    spans: list[tuple[int, int]], gaps: list[tuple[int, int]], best: np.ndarray, step: int, least: float = 0.0,
    share: float = UNREAD_SPACE,
) -> list[tuple[int, int]]:
    """``spans`` (:func:`word_spans`; ``best`` the best class of each CTC step, ``step`` columns
    wide, 0 the blank) also split at the other ink ``gaps`` (:func:`ink_gaps`) at least ``share``
    times as wide as the narrowest of those where the spaces were read (:func:`read_gaps`) and
    ``least`` columns wide (:data:`UNREAD_GAP`), at a blank step with a character on either side:
    the recognizer read "1 of 1" as "1 of1" in the bundled letter, its second gap as wide as its
    first. Only crops with a read space are split: one word alone shows no spacing to compare with,
    and letter-spaced capitals or wide digits would be cut (a threshold on the gap alone:
    synth-examples crops 90.8% -> 88.4%). With the gate, 149 FUNSD pages e2e F1 0.6907 -> 0.6928
    (page CER 0.1851 -> 0.1850); 4 generated letter pages the same (0.9949). The read spaces are
    found by their steps, not taken to be the widest gaps: "J. S. Wigand" read "J.S. Wigand" has
    its widest gap after "J.", where no space was read."""
    read = read_gaps(spans, gaps, step)
    if not read:
        return spans
    wide = max(share * min(end - start for start, end in read), least)
    cuts = sorted(round((start + end) / 2 / step) for start, end in gaps if (start, end) not in read and end - start >= wide)
    out = []
    for s, e in spans:
        for cut in (c for c in cuts if s < c < e and best[c] == 0):
            if best[s:cut].any() and best[cut:e].any():
                out.append((s, cut))
                s = cut
        out.append((s, e))
    return out


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
