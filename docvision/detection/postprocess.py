"""Probability map -> scored word quadrilaterals (DBNet post-processing)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from docvision.config import PostprocessConfig
from docvision.detection.targets import offset_polygon
from shapely.geometry import Polygon


@dataclass
class Detection:
    """A word box: ``polygon`` float32 ``(4, 2)`` clockwise from top-left, ``score`` in [0, 1]."""

    polygon: np.ndarray
    score: float


def order_quad(points: np.ndarray) -> np.ndarray:
    """Corners clockwise starting at the top-left one (image axes, y down)."""
    points = np.asarray(points, np.float32).reshape(4, 2)
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.stack([tl, tr, br, bl]).astype(np.float32)


def box_score(prob: np.ndarray, contour: np.ndarray) -> float:
    """Mean probability inside ``contour`` (``(N, 2)`` pixel coordinates)."""
    h, w = prob.shape
    x0, y0 = np.clip(np.floor(contour.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(contour.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [np.round(contour - (x0, y0)).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def unclip(box: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow a shrunk kernel back by ``A * ratio / L``; ``None`` if it degenerates."""
    shape = Polygon(box)
    if shape.length == 0:
        return None
    grown = offset_polygon(box, shape.area * ratio / shape.length)
    return grown[0] if len(grown) == 1 else None


def detect_boxes(prob: np.ndarray, config: PostprocessConfig = PostprocessConfig()) -> list[Detection]:
    """Word boxes from a ``(H, W)`` probability map, in the map's pixel coordinates."""
    binary = (prob > config.bin_thresh).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    h, w = prob.shape
    detections = []
    for contour in contours[: config.max_candidates]:
        points = contour.reshape(-1, 2).astype(np.float32)
        if len(points) < 2:
            continue
        kernel = cv2.boxPoints(cv2.minAreaRect(points))
        score = box_score(prob, points if len(points) >= 3 else kernel)
        if score < config.box_thresh:
            continue
        grown = unclip(kernel, config.unclip_ratio)
        if grown is None:
            continue
        rect = cv2.minAreaRect(grown)
        if min(rect[1]) < config.min_size:
            continue
        quad = order_quad(cv2.boxPoints(rect))
        quad[:, 0] = np.clip(quad[:, 0], 0, w)
        quad[:, 1] = np.clip(quad[:, 1], 0, h)
        detections.append(Detection(quad, score))
    return detections
