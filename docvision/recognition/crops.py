"""Word crops: rectify a (possibly rotated) quadrilateral and batch crops for the CRNN."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch

from docvision.geometry import on_line, order_quad
from docvision.models.crnn import STEP
from docvision.recognition.split import ROW_INK

MAX_WIDTH = 1024
"""Widest crop fed to the recognizer, in pixels at the recognizer's height."""
SMALL_WORDS = 9.0
"""Pages whose words are on the median shorter than this (px) have them cut enlarged twice
(cubic): FUNSD forms at half size (50 dpi, 7 px words) read 45% of their ground-truth words so
instead of 37% (82% at full size, where enlarging loses half a point)."""
TALL = 1.6
"""Crops more than this many times as tall as their ink rows are cut down to :data:`TRIMMED` (:func:`text_rows`)."""
TRIMMED = 1.45
"""Their ink rows' height times this is read, around their middle."""
LINE_FIT = 1.6
"""Boxes at most this many times as wide as tall take their line's top and bottom (:func:`fit_to_lines`)."""
LOW_WORD = 0.65
"""Boxes up to :data:`LOW_WIDE` times as wide as tall and under this share of their line's height take
its top and bottom too (:func:`fit_to_lines`): on FUNSD, where a line mixes type sizes, 0.72 and 0.8
read 13 and 23 fewer of the crops they change right, 0.65 two more (all 149 pages)."""
LOW_WIDE = 4.0
SHORT_MARGIN = 0.08
"""Height fractions a short word's box is widened by on each side (:func:`widen_short`)."""


def crop_quad(polygon: np.ndarray) -> np.ndarray:
    """The quad :func:`crop_polygon` cuts for ``polygon``: its four points ordered clockwise from
    top-left, or for other polygons their minimum-area rectangle."""
    points = np.asarray(polygon, np.float32).reshape(-1, 2)
    if len(points) != 4:
        points = cv2.boxPoints(cv2.minAreaRect(points))
    return order_quad(points)


def widen_short(quad: np.ndarray, margin: float = SHORT_MARGIN) -> np.ndarray:
    """An ordered quad (tl, tr, br, bl) widened by ``margin`` times its height on each side when it is
    short: fully when it is at most as wide as tall, tapering to nothing at 3 times as wide.

    DBNet grows its shrunk text kernel back by area / perimeter, which leaves short words less room
    than long ones: on generated 200-dpi pages 0.04 of the word height beside the ink for 1-2 letter
    words (a tenth of them cut into the ink) against 0.12 for 6+ letters, and the recognizer loses
    their edge letters ("it" -> "t", "In" -> "n"). Widening by 0.08: 4 generated letter pages e2e F1
    0.972 -> 0.979, page CER 0.007 -> 0.005; FUNSD unchanged (30 pages: 0.694)."""
    tl, tr, br, bl = np.asarray(quad, np.float32)
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    share = float(np.clip((3.0 - width / max(height, 1e-6)) / 2.0, 0.0, 1.0))
    if share == 0.0 or width == 0.0:
        return np.array([tl, tr, br, bl], np.float32)
    step = margin * share * height * (tr - tl + br - bl) / (2 * width)
    return np.array([tl - step, tr + step, br + step, bl - step], np.float32)


def part_neighbours(quads: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Quads (clockwise from top-left, as :func:`crop_quad` gives them) with each pair of
    overlapping near-level neighbours, side by side on a line or one above the other, cut apart
    halfway through their overlap: no crop then shows a piece of the next word (read as an
    extra ``.`` or ``l``) or of the line above or below. Tilted quads are kept."""
    if len(quads) < 2:
        return [np.asarray(q, np.float32) for q in quads]
    out = np.stack(quads).astype(np.float32)
    height = out[:, :, 1].max(axis=1) - out[:, :, 1].min(axis=1)
    level = np.abs(out[:, 1, 1] - out[:, 0, 1]) <= 0.1 * height
    for axis, (first, last) in ((0, ([0, 3], [1, 2])), (1, ([0, 1], [2, 3]))):  # left/right, then top/bottom sides
        lo, hi = out[:, first, axis].max(axis=1), out[:, last, axis].min(axis=1)
        across_lo, across_hi = out[:, :, 1 - axis].min(axis=1), out[:, :, 1 - axis].max(axis=1)
        shared = np.minimum(across_hi[:, None], across_hi[None]) - np.maximum(across_lo[:, None], across_lo[None])
        extent = across_hi - across_lo
        pair = (
            (shared >= 0.5 * np.minimum(extent[:, None], extent[None]))
            & (lo[:, None] < lo[None]) & (hi[:, None] > lo[None]) & (hi[:, None] < hi[None])
            & level[:, None] & level[None]
        )
        for i, j in zip(*np.nonzero(pair)):  # i's far side overlaps j's near side
            middle = (hi[i] + lo[j]) / 2
            out[i, last, axis] = np.minimum(out[i, last, axis], middle)
            out[j, first, axis] = np.maximum(out[j, first, axis], middle)
    return list(out)


def fit_to_lines(
    quads: Sequence[np.ndarray], short: float = LINE_FIT, low: float = LOW_WORD, wide: float = LOW_WIDE
) -> list[np.ndarray]:
    """Ordered upright quads (tl, tr, br, bl) of a page's words, some stretched up and down to the
    median top and bottom of the longer words beside them on their line (over ``short`` times as wide as
    tall, overlapping them vertically by half the smaller height, 0.5-2x as tall, 2.5x for the short
    ones, at most 4 heights away): the short ones (at most ``short`` times as wide as tall; not vertical
    words, under a third as wide as tall), and those up to ``wide`` times as wide as tall that are under
    ``low`` times as tall as those words (a word of x-height letters: "was", "one").

    A word of x-height letters boxed alone ("is", "or", "to", an "is" whose dot the box leaves out)
    fills the recognizer's height as capitals would, and v4 read "IS", "Or", "tO"; its neighbours show
    the height letters have on that line. Measured (v4 int8): 4 generated letter pages e2e F1 0.979 ->
    0.988, page CER 0.005 -> 0.003; 30 FUNSD pages 0.695 -> 0.694 (all boxes up to 3:1 instead: letters
    0.989, FUNSD 0.688). The low words, and only the longer words as the line's measure (v5): letters
    0.9938 -> 0.9949, page CER 0.00176 -> 0.00143. For the short ones, neighbours up to 2.5x as tall, not
    2x (a "Project" boxed with its descender beside an x-height "is"): letters 0.9957 -> 0.9962, CER
    0.00134 -> 0.00117; 149 FUNSD pages 0.6927 -> 0.6928, CER 0.18502 -> 0.18491 (2.5x for the low
    words too split the bundled letter's e-mail address in two)."""
    quads = [np.asarray(q, np.float32) for q in quads]
    if not quads:
        return []
    boxes = np.array([[q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()] for q in quads])
    heights = boxes[:, 3] - boxes[:, 1]
    longer = boxes[:, 2] - boxes[:, 0] > short * heights
    fitted = []
    for i, quad in enumerate(quads):
        x0, y0, x1, y1 = boxes[i]
        height, width = y1 - y0, x1 - x0
        if not height / 3 <= width <= wide * height:
            fitted.append(quad)
            continue
        is_short = width <= short * height
        same, gap = on_line(boxes[i], boxes, taller=2.5 if is_short else 2.0)
        beside = same & (gap < 4 * height) & longer
        beside[i] = False
        if beside.any() and (is_short or height < low * np.median(heights[beside])):
            quad = quad.copy()
            quad[:2, 1] = min(y0, float(np.median(boxes[beside, 1])))
            quad[2:, 1] = max(y1, float(np.median(boxes[beside, 3])))
        fitted.append(quad)
    return fitted


def crop_polygon(image: np.ndarray, polygon: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The region of ``polygon`` (see :func:`crop_quad`) warped upright to an axis-aligned image,
    ``scale`` times its size on the page: cut from the part of the page around it enlarged by
    ``scale`` (cubic), the same pixels as from the whole page enlarged so."""
    quad = crop_quad(polygon)
    if scale != 1.0:  # 3 px around: the reach of the cubic kernel (2) and of the warp's linear one
        height, width = image.shape[:2]
        (left, top), (right, bottom) = quad.min(axis=0).tolist(), quad.max(axis=0).tolist()
        x0, y0 = min(max(math.floor(left) - 3, 0), width - 1), min(max(math.floor(top) - 3, 0), height - 1)
        x1, y1 = max(min(math.ceil(right) + 3, width), x0 + 1), max(min(math.ceil(bottom) + 3, height), y0 + 1)
        image = cv2.resize(image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        quad = (quad - np.float32([x0, y0])) * np.float32(scale)
    tl, tr, br, bl = quad
    width = max(1, round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = max(1, round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    # corners are continuous coordinates; OpenCV indexes pixel centres, hence the half pixel
    matrix = cv2.getPerspectiveTransform(quad - 0.5, target - 0.5)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def word_crops(image: np.ndarray, polygons: Sequence[np.ndarray], page: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """:func:`crop_polygon` of each of ``polygons``, enlarged twice when the words of the page
    (``page``, default ``polygons``) are on the median under :data:`SMALL_WORDS` px tall."""
    quads = [crop_quad(p) for p in (polygons if page is None else page)]
    small = bool(quads) and np.median([np.linalg.norm(q[3] - q[0]) for q in quads]) < SMALL_WORDS
    return [crop_polygon(image, p, 2.0 if small else 1.0) for p in polygons]


def as_grey(crop: np.ndarray) -> np.ndarray:
    """A word crop (RGB or grey uint8) in grey."""
    return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop


def text_rows(crop: np.ndarray, tall: float = TALL, keep: float = TRIMMED) -> tuple[int, int]:
    """Rows ``[y0, y1)`` of a word crop to read: all of them, or when the crop is more than ``tall``
    times as tall as its ink rows (rows ``ROW_INK`` of the way from the paper's level to the ink's),
    ``keep`` times their height around their middle.

    DBNet's boxes of long words grow taller than the recognizer's training crops (the bundled
    letter's 25-letter e-mail address: 61 px for 33 px type), which shrinks the letters at its input
    height ("northwind.oxample"). Measured (v4 int8, ground-truth crops): FUNSD every 5th page 82.4% ->
    82.8%, data/synth-examples 90.8% -> 90.7%; the letter's e-mail reads right; 30 FUNSD pages e2e F1
    0.694 -> 0.695, generated letters 0.979 either way (1.3 / 1.5 instead: 82.9%, 90.2%). Crops whose rows
    do not stand out (blank, uniform) are read whole."""
    grey = as_grey(crop)
    height = grey.shape[0]
    profile = 255.0 - grey.mean(axis=1)
    ordered = np.sort(profile)
    paper, ink_level = ordered[(height - 1) // 10], ordered[9 * (height - 1) // 10]  # percentiles 10 and 90
    if ink_level - paper < 1.0:  # no rows stand out (blank, or ink in under a tenth of the rows)
        return 0, height
    rows = np.flatnonzero(profile > paper + ROW_INK * (ink_level - paper))
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    ink = bottom - top
    if ink < 3 or height <= tall * ink:
        return 0, height
    middle, half = (top + bottom) / 2, keep * ink / 2
    return max(0, round(middle - half)), min(height, round(middle + half))


def to_recognizer_input(crop: np.ndarray, height: int, multiple: int = 1) -> np.ndarray:
    """Grayscale, resized to ``height`` keeping the aspect ratio (the width rounded to a
    ``multiple``), ink-positive float32 in [0, 1] (paper ~ 0, ink ~ 1, so zero padding looks like paper)."""
    gray = as_grey(crop)
    h, w = gray.shape
    width = round(w * height / max(h, 1) / multiple) * multiple
    width = int(np.clip(width, max(STEP, multiple), MAX_WIDTH))
    resized = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA if h > height else cv2.INTER_LINEAR)
    return (255 - resized.astype(np.float32)) / 255


def pad_batch(inputs: Sequence[np.ndarray]) -> tuple[torch.Tensor, list[int]]:
    """Stack recognizer inputs into ``(N, 1, H, W_max)`` (W_max a multiple of :data:`STEP`), zero-padded
    on the right; also returns each input's width."""
    widths = [x.shape[1] for x in inputs]
    max_width = -(-max(widths) // STEP) * STEP
    batch = np.zeros((len(inputs), 1, inputs[0].shape[0], max_width), np.float32)
    for i, x in enumerate(inputs):
        batch[i, 0, :, : x.shape[1]] = x
    return torch.from_numpy(batch), widths
