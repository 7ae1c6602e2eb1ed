"""OCR metrics: box IoU and matching, detection / recognition / end-to-end scores, CER and WER.

Pure functions on plain data (polygons as ``(N, 2)`` arrays of page pixels, strings).

Conventions
-----------
* **Matching** is one-to-one at IoU >= ``iou_thresh`` (0.5): among all pairs above the
  threshold, the largest possible number of pairs is chosen, ties broken by the largest total
  IoU (an optimal assignment, Hungarian algorithm via :func:`scipy.optimize.linear_sum_assignment`),
  so a duplicate prediction can never steal the ground truth of a better-placed one.
* **Ignored ground truth** (``ignore=True``): a prediction that lies at least half inside an
  ignored box (intersection / prediction area >= 0.5, which includes any IoU >= 0.5 match) is
  dropped before matching; ignored boxes count neither for recall nor against precision.
* **Empty sets**: precision is 1 when nothing was predicted, recall is 1 when there was nothing
  to find, F1 is 0 when either is 0.
* **Edit distances** are Levenshtein distances (unit cost insert / delete / substitute).
  CER = character edits / ground-truth characters; WER = word edits / ground-truth words.
  Aggregates are micro averages: edits and lengths are summed over words or pages first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from docvision.extras import require
from docvision.layout import rows

shapely = require("shapely", "eval")
Levenshtein = require("rapidfuzz.distance", "eval").Levenshtein
linear_sum_assignment = require("scipy.optimize", "eval").linear_sum_assignment

BBox = tuple[float, float, float, float]

IOU_THRESH = 0.5


# ----------------------------------------------------------------------------- geometry


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two axis-aligned ``(x0, y0, x1, y1)`` boxes."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _shapes(polygons: Sequence[np.ndarray]) -> np.ndarray:
    """Valid shapely polygons (self-intersecting ones repaired with ``make_valid``)."""
    shapes = np.array([shapely.Polygon(np.asarray(p, dtype=np.float64)) for p in polygons], dtype=object)
    if len(shapes):
        bad = ~shapely.is_valid(shapes)
        if bad.any():
            shapes[bad] = shapely.make_valid(shapes[bad])
    return shapes


def polygon_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two simple polygons given as ``(N, 2)`` point arrays."""
    return float(iou_matrix([a], [b])[0, 0])


def overlap_matrices(pred: Sequence[np.ndarray], gt: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Intersection areas ``(P, G)`` and the areas of ``pred`` and ``gt``.

    Only pairs whose bounding boxes overlap are intersected exactly.
    """
    inter = np.zeros((len(pred), len(gt)))
    if not len(pred) or not len(gt):
        return inter, (np.zeros(len(pred)), np.zeros(len(gt)))
    ps, gs = _shapes(pred), _shapes(gt)
    pb, gb = shapely.bounds(ps), shapely.bounds(gs)
    overlap = (
        (pb[:, None, 0] < gb[None, :, 2])
        & (gb[None, :, 0] < pb[:, None, 2])
        & (pb[:, None, 1] < gb[None, :, 3])
        & (gb[None, :, 1] < pb[:, None, 3])
    )
    rows, cols = np.nonzero(overlap)
    inter[rows, cols] = shapely.area(shapely.intersection(ps[rows], gs[cols]))
    return inter, (shapely.area(ps), shapely.area(gs))


def iou_matrix(pred: Sequence[np.ndarray], gt: Sequence[np.ndarray]) -> np.ndarray:
    """Pairwise polygon IoU, shape ``(len(pred), len(gt))``."""
    inter, (pa, ga) = overlap_matrices(pred, gt)
    union = pa[:, None] + ga[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match(iou: np.ndarray, iou_thresh: float = IOU_THRESH) -> list[tuple[int, int]]:
    """One-to-one ``(row, col)`` pairs with IoU >= ``iou_thresh``.

    Maximum number of pairs first, then maximum total IoU (see the module docstring).
    """
    valid = iou >= iou_thresh
    if not valid.any():
        return []
    # Each valid pair is worth 1 plus a tie-breaking share of its IoU that can never add up
    # to one more pair, so the assignment maximizes the count first, then the IoU.
    weight = np.where(valid, 1.0 + iou / (min(iou.shape) + 1), 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if valid[r, c]]


# ----------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class Counts:
    """True positives out of predictions and ground truth; ``+`` sums pages."""

    tp: int = 0
    n_pred: int = 0
    n_gt: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.n_pred + other.n_pred, self.n_gt + other.n_gt)

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_gt if self.n_gt else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "n_pred": self.n_pred,
            "n_gt": self.n_gt,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class DetectionMatch:
    """Result of matching one page's predictions to its ground truth."""

    counts: Counts
    pairs: list[tuple[int, int]]
    """Matched ``(prediction index, ground-truth index)`` into the caller's lists."""
    dropped: list[int]
    """Predictions discarded for lying inside an ignored ground-truth box."""


def match_detections(
    pred: Sequence[np.ndarray],
    gt: Sequence[np.ndarray],
    ignore: Sequence[bool] | None = None,
    iou_thresh: float = IOU_THRESH,
) -> DetectionMatch:
    """Match predicted to ground-truth polygons on one page, with ignore handling."""
    ignore_arr = np.zeros(len(gt), dtype=bool) if ignore is None else np.asarray(ignore, dtype=bool)
    inter, (pa, ga) = overlap_matrices(pred, gt)
    covered = np.divide(inter, pa[:, None], out=np.zeros_like(inter), where=pa[:, None] > 0)
    dropped = np.nonzero((covered[:, ignore_arr] >= 0.5).any(axis=1))[0] if ignore_arr.any() else []
    keep_p = np.setdiff1d(np.arange(len(pred)), dropped)
    keep_g = np.nonzero(~ignore_arr)[0]
    union = pa[:, None] + ga[None, :] - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    pairs = [(int(keep_p[r]), int(keep_g[c])) for r, c in match(iou[np.ix_(keep_p, keep_g)], iou_thresh)]
    return DetectionMatch(Counts(len(pairs), len(keep_p), len(keep_g)), pairs, [int(i) for i in dropped])


def box_thresh_sweep(
    pages: Sequence[tuple[Sequence[np.ndarray], Sequence[float], Sequence[np.ndarray], Sequence[bool]]],
    thresholds: Sequence[float],
    iou_thresh: float = IOU_THRESH,
) -> list[tuple[float, Counts]]:
    """Detection counts summed over pages, keeping only predictions with score >= each threshold.

    ``pages`` holds ``(pred_polygons, pred_scores, gt_polygons, gt_ignore)`` per page.
    """
    result = []
    for t in thresholds:
        total = Counts()
        for pred, scores, gt, ignore in pages:
            kept = [p for p, s in zip(pred, scores) if s >= t]
            total += match_detections(kept, gt, ignore, iou_thresh).counts
        result.append((float(t), total))
    return result


# ----------------------------------------------------------------------------- text


def edit_distance(a: str | Sequence[str], b: str | Sequence[str]) -> int:
    """Levenshtein distance between two strings, or two sequences of tokens."""
    return int(Levenshtein.distance(a, b))


def normalize_text(text: str) -> str:
    """Collapse every run of whitespace (spaces, tabs, newlines) to one space; strip the ends."""
    return " ".join(text.split())


@dataclass(frozen=True)
class TextErrors:
    """Edit counts of a prediction against a reference; ``+`` sums pages or words."""

    char_edits: int = 0
    chars: int = 0
    word_edits: int = 0
    words: int = 0

    def __add__(self, other: TextErrors) -> TextErrors:
        return TextErrors(
            self.char_edits + other.char_edits,
            self.chars + other.chars,
            self.word_edits + other.word_edits,
            self.words + other.words,
        )

    @property
    def cer(self) -> float:
        """Character error rate; with an empty reference, 0 if the prediction is empty, else 1."""
        return self.char_edits / self.chars if self.chars else float(self.char_edits > 0)

    @property
    def wer(self) -> float:
        """Word error rate; same empty-reference convention as :attr:`cer`."""
        return self.word_edits / self.words if self.words else float(self.word_edits > 0)


def page_text_errors(pred: str, ref: str) -> TextErrors:
    """CER/WER of a page's reading-order text, independent of box granularity.

    Both texts are reduced with :func:`normalize_text` first, so line breaks, block breaks and
    runs of spaces all count as one word separator: a page annotated with line boxes and one
    predicted word by word give the same text when their words agree. CER compares the
    normalized strings (separators included); WER compares their whitespace-split word lists.
    """
    p, r = normalize_text(pred), normalize_text(ref)
    return TextErrors(edit_distance(p, r), len(r), edit_distance(p.split(), r.split()), len(r.split()))


def reading_order(bboxes: Sequence[Sequence[float]]) -> list[int]:
    """Indices of axis-aligned boxes in a simple reading order: lines top to bottom, words left to right.

    A box joins the current line when its vertical centre lies within the line's vertical
    extent (:func:`docvision.layout.rows`, the rows of the pipeline's layout); this is how
    ground-truth words, which carry no order of their own, are strung into page text for
    :func:`page_text_errors`.
    """
    if not len(bboxes):
        return []
    return [int(i) for row in rows(np.asarray(bboxes, np.float64).reshape(-1, 4)) for i in row]


def ordered_text(texts: Sequence[str], bboxes: Sequence[Sequence[float]]) -> str:
    """Texts joined by spaces in :func:`reading_order` of their boxes."""
    return " ".join(texts[i] for i in reading_order(bboxes))


@dataclass(frozen=True)
class WordScores:
    """Word-level recognition scores over ``n`` crops."""

    n: int
    exact: int
    nocase: int
    errors: TextErrors

    def __add__(self, other: WordScores) -> WordScores:
        return WordScores(
            self.n + other.n, self.exact + other.exact, self.nocase + other.nocase, self.errors + other.errors
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "words": self.n,
            "accuracy": self.exact / self.n if self.n else 1.0,
            "accuracy_nocase": self.nocase / self.n if self.n else 1.0,
            "cer": self.errors.cer,
        }


def word_scores(pred: Sequence[str], ref: Sequence[str]) -> WordScores:
    """Recognition on ground-truth crops: exact and case-insensitive word accuracy, and CER."""
    if len(pred) != len(ref):
        raise ValueError(f"{len(pred)} predictions for {len(ref)} references")
    edits = sum(edit_distance(p, r) for p, r in zip(pred, ref))
    return WordScores(
        n=len(ref),
        exact=sum(p == r for p, r in zip(pred, ref)),
        nocase=sum(p.casefold() == r.casefold() for p, r in zip(pred, ref)),
        errors=TextErrors(edits, sum(len(r) for r in ref)),
    )


@dataclass(frozen=True)
class EndToEnd:
    """End-to-end word counts: a true positive needs a box match and equal text."""

    exact: Counts
    nocase: Counts

    def __add__(self, other: EndToEnd) -> EndToEnd:
        return EndToEnd(self.exact + other.exact, self.nocase + other.nocase)


def end_to_end(
    pred: Sequence[tuple[np.ndarray, str]],
    gt: Sequence[tuple[np.ndarray, str, bool]],
    iou_thresh: float = IOU_THRESH,
) -> EndToEnd:
    """Word P/R/F1 on one page from ``(polygon, text)`` predictions and ``(polygon, text, ignore)`` GT.

    Boxes are matched exactly as in :func:`match_detections`; a matched pair is a true
    positive when the texts are equal (``exact``) or equal after case folding (``nocase``).
    """
    m = match_detections([p for p, _ in pred], [g for g, _, _ in gt], [i for _, _, i in gt], iou_thresh)
    exact = sum(pred[p][1] == gt[g][1] for p, g in m.pairs)
    nocase = sum(pred[p][1].casefold() == gt[g][1].casefold() for p, g in m.pairs)
    n_pred, n_gt = m.counts.n_pred, m.counts.n_gt
    return EndToEnd(Counts(exact, n_pred, n_gt), Counts(nocase, n_pred, n_gt))
