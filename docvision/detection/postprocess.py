"""Probability map -> scored word quadrilaterals (DBNet post-processing)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from docvision.config import PostprocessConfig
from docvision.geometry import on_line, order_quad

Rect = tuple[tuple[float, float], tuple[float, float], float]
"""OpenCV rotated rectangle: centre, (width, height), angle in degrees (the width's direction,
clockwise in image axes)."""
SQUARE = 2.0
"""Kernels less elongated than this (long side / short side) are boxed along the page's text
direction (:func:`text_direction`), not their own minimum-area rectangle's: the kernel of a short
word is a blob whose rectangle may lean any way (an "it" boxed at 26 degrees on a level page, cut
crooked, read "l"). 4 generated letter pages: e2e F1 0.990 -> 0.994, page CER 0.0027 -> 0.0018; 149
FUNSD pages 0.6904 -> 0.6907."""
MIN_ELONGATED = 3
"""Elongated kernels needed to measure the text direction; with fewer it is taken as level."""
JOIN_LEAN = 3.0
"""Most a box may lean off its page's text direction, in degrees, to be joined with another
(:func:`joined_on_lines`)."""
WORD_SPACE = (0.2, 0.6)
"""Gap, in the box's heights, between a box scoring under ``box_thresh`` and the kept box beside it
that keeps it (:func:`kept_on_lines`): a word space. Touching or overlapping pieces of a word ("("
before "55)", a handwritten "77" of "77900") and boxes further away stay out."""


@dataclass
class Detection:
    """A word box: ``polygon`` float32 ``(4, 2)`` clockwise from top-left, ``score`` in [0, 1]."""

    polygon: np.ndarray
    score: float


def box_score(prob: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside ``contour`` (``(N, 2)`` pixel coordinates)."""
    h, w = prob.shape
    x0, y0 = np.clip(np.floor(contour.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(contour.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [np.round(contour - (x0, y0)).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def expand_kernel(rect: Rect, shrink_ratio: float, scale: float = 1.0) -> Rect:
    """Grow a detected kernel (a rotated rectangle) back to its word box.

    Training shrinks a ``w x h`` box by ``D = A (1 - r^2) / L`` on every side, so the
    kernel is ``(w - 2D) x (h - 2D)``; this solves that relation for ``D`` from the
    kernel's size (exact for any aspect ratio, unlike the ``A' r' / L'`` rule of
    scene-text DBNet, which leaves long words too short and too thin) and grows each
    side by ``scale * D``.
    """
    center, (kw, kh), angle = rect
    c = 1.0 - shrink_ratio**2
    a, b, q = 8 - 4 * c, 2 * (1 - c) * (kw + kh), -c * kw * kh
    d = (-b + np.sqrt(b * b - 4 * a * q)) / (2 * a)
    return center, (kw + 2 * scale * d, kh + 2 * scale * d), angle


def text_direction(rects: list[Rect]) -> float:
    """Direction in degrees (image axes, clockwise) of the long sides of the kernels at least
    :data:`SQUARE` times as long as wide: the median of their directions about their mean axis
    (sides point either way, hence doubled angles; the median, as a stamp or a column of vertical
    words must not tilt the lines); 0 with fewer than :data:`MIN_ELONGATED` of them."""
    angles = np.array([
        angle if w >= h else angle + 90.0
        for _, (w, h), angle in rects
        if max(w, h) >= SQUARE * max(min(w, h), 1e-6)
    ])
    if len(angles) < MIN_ELONGATED:
        return 0.0
    doubled = np.radians(2 * angles)
    mean = np.degrees(np.arctan2(np.sin(doubled).sum(), np.cos(doubled).sum()) / 2)
    return float(mean + np.median((angles - mean + 90.0) % 180.0 - 90.0))


def rect_along(points: np.ndarray, angle: float) -> Rect:
    """The smallest rectangle holding ``points`` (``(N, 2)``) with its width along ``angle`` degrees."""
    t = np.radians(angle)
    c, s = np.cos(t), np.sin(t)
    u, v = points @ np.array([c, s]), points @ np.array([-s, c])
    cu, cv = (u.min() + u.max()) / 2, (v.min() + v.max()) / 2
    centre = (float(cu * c - cv * s), float(cu * s + cv * c))
    return centre, (float(u.max() - u.min()), float(v.max() - v.min())), float(angle)


def kept_on_lines(detections: list[Detection], box_thresh: float, margin: float) -> list[Detection]:
    """``detections`` scoring at least ``box_thresh``, and those up to ``margin`` under it with a kept box
    on their line (:func:`docvision.geometry.on_line`) a :data:`WORD_SPACE` away, left or right (axis-aligned
    bounds, as the pipeline turns pages upright).

    A short word's kernel is mostly edge, where the map blurs, so it scores lower than a long word's:
    the "is" and "it" that start lines of the generated letters scored 0.47-0.49 (box_thresh 0.5).
    Keeping every box from 0.45 would add 33-55 boxes of noise on 30 FUNSD pages; only those beside a
    word, 2 (one a checkbox), and both words come back: 4 letter pages e2e F1 0.9962 -> 0.9968,
    page CER 0.00117 -> 0.00067; 149 FUNSD pages 0.6928 -> 0.6924 (26 words more, none right), and
    with the pipeline's reading test of such words (``pipeline.WEAK_BOX_READING``) 0.6928, 3 more."""
    strong = [d for d in detections if d.score >= box_thresh]
    if margin <= 0 or not strong:
        return strong
    bounds = np.array([[*d.polygon.min(axis=0), *d.polygon.max(axis=0)] for d in strong])

    def beside(d: Detection) -> bool:
        box = (*d.polygon.min(axis=0), *d.polygon.max(axis=0))
        same, gap = on_line(box, bounds)
        height = box[3] - box[1]
        return bool((same & (gap >= WORD_SPACE[0] * height) & (gap <= WORD_SPACE[1] * height)).any())

    return [d for d in detections if d.score >= box_thresh or (d.score >= box_thresh - margin and beside(d))]


def joined_on_lines(detections: list[Detection], overlap: float, direction: float = 0.0) -> list[Detection]:
    """``detections`` with those on one line that overlap by more than ``overlap`` times the shorter one's height
    joined into one box. Lines run along ``direction`` (degrees, :func:`text_direction`): bounds are taken in that
    frame (:func:`docvision.geometry.on_line`), and a box leaning more than :data:`JOIN_LEAN` off it is never joined
    (on a page not straightened, boxes of neighbouring lines overlap).

    Grown back from their kernels, the boxes of two words a space apart touch or overlap a little; boxes
    overlapping deeply come from one word whose kernel the map cut at a faint spot: the bundled letter's
    "support@northwind.example" at its "." (map 0.22 there, ``bin_thresh`` 0.3) with a detector run at 1000 px,
    read as "support@northwind.e" and "l.example". A joined box holding two words is read as two (the
    recognizer splits at the spaces it reads). FUNSD, every 5th page, e2e F1 (case-insensitive) by ``overlap``,
    detector v1 at 1280 px: off 0.751, 0.5 0.753, 0.4 0.754, 0.3 0.754, 0.2 0.756; the letter clean at each. With
    a detector at 1000 px the letter needs 0.3 or less, and 0.2 joins "consignment" to "left" (0.29 deep)."""
    if overlap <= 0 or len(detections) < 2:
        return detections
    t = np.radians(direction)
    to_line = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], np.float32)  # x along the lines
    quads = [d.polygon @ to_line for d in detections]
    bounds = np.array([[*q.min(axis=0), *q.max(axis=0)] for q in quads])
    tops = np.array([q[1] - q[0] for q in quads])  # order_quad: top-left to top-right
    lean = np.degrees(np.arctan2(np.abs(tops[:, 1]), np.abs(tops[:, 0]) + 1e-6))
    heights = bounds[:, 3] - bounds[:, 1]
    parent = list(range(len(detections)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    level = lean <= JOIN_LEAN
    for i in np.flatnonzero(level):
        same, gap = on_line(bounds[i], bounds)
        for j in np.flatnonzero(level & same & (gap < -overlap * np.minimum(heights[i], heights))):
            parent[root(int(j))] = root(int(i))
    groups: dict[int, list[int]] = {}
    for i in range(len(detections)):
        groups.setdefault(root(i), []).append(i)
    joined = []
    for members in groups.values():
        if len(members) == 1:
            joined.append(detections[members[0]])
            continue
        points = np.concatenate([detections[i].polygon for i in members])
        quad = order_quad(cv2.boxPoints(rect_along(points, direction))).astype(np.float32)
        joined.append(Detection(quad, max(detections[i].score for i in members)))
    return joined


def detect_boxes(prob: np.ndarray, config: PostprocessConfig = PostprocessConfig()) -> list[Detection]:
    """Word boxes from a ``(H, W)`` probability map, in the map's pixel coordinates: those scoring
    ``box_thresh`` or more, and those up to ``line_margin`` under it beside them (:func:`kept_on_lines`); boxes
    overlapping deeply on a line joined (:func:`joined_on_lines`)."""
    binary = (prob > config.bin_thresh).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    h, w = prob.shape
    kernels = []
    for contour in contours[: config.max_candidates]:
        points = contour.reshape(-1, 2).astype(np.float32)
        if len(points) < 2:
            continue
        # contour points are the kernel's boundary pixels, the vertices its target was filled from
        kernel = cv2.minAreaRect(points)
        score = box_score(prob, points if len(points) >= 3 else cv2.boxPoints(kernel))
        if score >= config.box_thresh - config.line_margin:
            kernels.append((points, kernel, score))
    direction = text_direction([kernel for _, kernel, score in kernels if score >= config.box_thresh])
    detections = []
    for points, kernel, score in kernels:
        (kw, kh) = kernel[1]
        if max(kw, kh) < SQUARE * max(min(kw, kh), 1e-6):
            kernel = rect_along(points, direction)
        rect = expand_kernel(kernel, config.shrink_ratio, config.unclip_ratio)
        if min(rect[1]) < config.min_size:
            continue
        quad = order_quad(cv2.boxPoints(rect))
        quad[:, 0] = np.clip(quad[:, 0], 0, w)
        quad[:, 1] = np.clip(quad[:, 1], 0, h)
        detections.append(Detection(quad, score))
    kept = kept_on_lines(detections, config.box_thresh, config.line_margin)
    joined = joined_on_lines(kept, config.join_overlap, direction)
    for d in joined:  # a joined box along a tilted line may reach past the map's edge
        np.clip(d.polygon, 0, (w, h), out=d.polygon)
    return joined
