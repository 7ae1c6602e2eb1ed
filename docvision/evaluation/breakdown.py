"""Recognition errors broken down by kind of word, crop height and font, the character edits
behind them, and where a page's words are lost end to end (box or reading, and which kind of
each): which data, capacity or post-processing change would pay is read off these tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from docvision.evaluation.metrics import IOU_THRESH, match_detections, overlap_matrices
from docvision.extras import require

Levenshtein = require("rapidfuzz.distance", "eval").Levenshtein

HEIGHT_BINS = (0, 12, 16, 20, 25, 30, 40, 60)
"""Lower edges of the crop-height bins, in page pixels."""

TOUCHING = 0.15
"""Ground-truth words closer than this share of their height are one word to a reader: a box
joining only such words (``Name/Phone`` labeled ``Name``, ``/``, ``Phone``) is the labels'
tokenization, not a missed space."""

COVERS = 0.6
"""Share of a box inside another for one to count as covering (or lying inside) the other."""


@dataclass(frozen=True)
class Reading:
    """One ground-truth crop and what the recognizer read: ``tags`` name its font, set, ..."""

    truth: str
    read: str
    height: float
    tags: tuple[str, ...] = ()


CHECK_BOXES = "☐☑☒"
"""The signs check boxes are labeled with (empty, ticked, crossed; FUNSD and the generator use the first two)."""


def word_kinds(text: str) -> list[str]:
    """The kinds a word belongs to (several at once): its case, digits, punctuation inside or at
    its end, letters beyond ASCII, and its length; a check box (``☐``, ``☑``, ``☒``) is a kind alone."""
    if text and set(text) <= set(CHECK_BOXES):
        return ["check box"]
    letters = [c for c in text if c.isalpha()]
    kinds = []
    if letters:
        if all(c.isupper() for c in letters):
            kinds.append("case: all capitals" if len(letters) > 1 else "case: one capital")
        elif letters[0].isupper() and all(c.islower() for c in letters[1:]):
            kinds.append("case: capitalized")
        elif all(c.islower() for c in letters):
            kinds.append("case: lower")
        else:
            kinds.append("case: mixed")
    if any(c.isdigit() for c in text):
        kinds.append("digits: only" if all(c.isdigit() or not c.isalnum() for c in text) else "digits: with letters")
    core = text.strip(".,:;!?")
    if any(not c.isalnum() for c in core):
        kinds.append("punct: inside (-'@/.&)")
    if core != text:
        kinds.append("punct: trailing (.,:;!?)")
    if any(c.isalpha() and not c.isascii() for c in text):
        kinds.append("letters: beyond ASCII")
    n = len(text)
    kinds.append("length: 1-2" if n <= 2 else "length: 3-5" if n <= 5 else "length: 6-9" if n <= 9 else "length: 10+")
    return kinds


def height_bin(height: float) -> str:
    """The ``HEIGHT_BINS`` bin of a crop height, e.g. ``"16-19 px"``."""
    edges = [e for e in HEIGHT_BINS if e <= height]
    lo = edges[-1] if edges else 0
    i = HEIGHT_BINS.index(lo)
    return f"{lo}+ px" if i + 1 == len(HEIGHT_BINS) else f"{lo}-{HEIGHT_BINS[i + 1] - 1} px"


def accuracy_by(
    readings: Iterable[Reading], groups: Callable[[Reading], Iterable[str]]
) -> list[tuple[str, int, float]]:
    """``(group, words, word accuracy)`` for each group ``groups(reading)`` puts readings in,
    largest group first."""
    counts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in readings:
        for g in groups(r):
            counts[g][0] += 1
            counts[g][1] += r.read == r.truth
    return sorted(((g, n, ok / n) for g, (n, ok) in counts.items()), key=lambda row: (-row[1], row[0]))


def char_edits(pairs: Iterable[tuple[str, str]]) -> Counter[str]:
    """How often each character edit turns the truth into the reading over ``(truth, read)``
    pairs: ``"m -> n"``, ``"+ :"`` (inserted), ``"- ï"`` (dropped)."""
    edits: Counter[str] = Counter()
    for truth, read in pairs:
        for op in Levenshtein.editops(truth, read):
            if op.tag == "replace":
                edits[f"{truth[op.src_pos]} -> {read[op.dest_pos]}"] += 1
            elif op.tag == "insert":
                edits[f"+ {read[op.dest_pos]}"] += 1
            else:
                edits[f"- {truth[op.src_pos]}"] += 1
    return edits


def tables(readings: Sequence[Reading], top: int = 15) -> dict[str, list[tuple]]:
    """All breakdown tables of ``readings``: by kind, by crop height, by tag, and the ``top``
    character edits of the misread words."""
    wrong = [(r.truth, r.read) for r in readings if r.read != r.truth]
    heights = {row[0]: row for row in accuracy_by(readings, lambda r: [height_bin(r.height)])}
    return {
        "kind": accuracy_by(readings, lambda r: word_kinds(r.truth)),
        "height": [heights[b] for b in map(height_bin, HEIGHT_BINS) if b in heights],
        "tag": accuracy_by(readings, lambda r: r.tags),
        "edits": char_edits(wrong).most_common(top),
    }


def end_to_end_losses(
    pred: Sequence[tuple[np.ndarray, str]],
    gt: Sequence[tuple[np.ndarray, str, bool]],
    iou_thresh: float = IOU_THRESH,
) -> list[tuple[str, int]]:
    """What became of each ground-truth word of one page, ``(kind, index into gt)``, ignored ones
    left out; matched as :func:`~docvision.evaluation.metrics.end_to_end` matches them.

    Kinds: ``read`` (exact); ``misread: case only``, ``misread: signs only`` (letters and digits
    right), ``misread: letters or digits``; not matched: ``joined: touching words`` (a box over it
    and its neighbours, all closer than ``TOUCHING`` heights: the labels split what a reader calls
    one word), ``joined: across a space``, ``split`` (two or more boxes inside it), ``box too
    large``, ``box too small``, ``partly found``, ``missed`` (no box on it). Gaps are measured
    along x: for upright pages.
    """
    polygons = [p for p, _ in pred]
    m = match_detections(polygons, [g for g, _, _ in gt], [i for _, _, i in gt], iou_thresh)
    inter, (pred_area, gt_area) = overlap_matrices(polygons, [g for g, _, _ in gt])
    losses = []
    for p, g in m.pairs:
        read, truth = pred[p][1], gt[g][1]
        if read == truth:
            kind = "read"
        elif read.casefold() == truth.casefold():
            kind = "misread: case only"
        elif _letters_digits(read) == _letters_digits(truth):
            kind = "misread: signs only"
        else:
            kind = "misread: letters or digits"
        losses.append((kind, g))
    matched = {g for _, g in m.pairs}
    for g in range(len(gt)):
        if gt[g][2] or g in matched:
            continue
        of_gt = inter[:, g] / max(gt_area[g], 1e-9)  # share of the word under each box
        of_pred = inter[:, g] / np.maximum(pred_area, 1e-9)  # share of each box on the word
        inside = np.nonzero((of_pred > COVERS) & (of_gt > 0.05))[0]
        over = np.nonzero((of_gt > COVERS) & (of_pred <= COVERS))[0]
        if not (of_gt > 0.05).any():
            kind = "missed"
        elif len(inside) >= 2:
            kind = "split"
        elif len(over):
            kind = _joined(over[0], gt, inter, gt_area)
        elif len(inside):
            kind = "box too small"
        else:
            kind = "partly found"
        losses.append((kind, g))
    return losses


def _letters_digits(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _joined(p: int, gt: Sequence[tuple[np.ndarray, str, bool]], inter: np.ndarray, gt_area: np.ndarray) -> str:
    """How box ``p``, over a word, lost it: joined with the words beside it (touching or across a
    space), or just too large."""
    under = [h for h in range(len(gt)) if not gt[h][2] and inter[p, h] > COVERS * gt_area[h]]
    if len(under) < 2:
        return "box too large"
    spans = sorted((float(q[:, 0].min()), float(q[:, 0].max()), float(np.ptp(q[:, 1]))) for q in (gt[h][0] for h in under))
    gaps = [(b[0] - a[1]) / max(a[2], b[2], 1.0) for a, b in zip(spans, spans[1:])]
    return "joined: touching words" if max(gaps) < TOUCHING else "joined: across a space"
