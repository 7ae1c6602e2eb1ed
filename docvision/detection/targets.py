"""DBNet training targets: shrunk text kernels and border threshold maps.

Follows the reference construction: each polygon is shrunk by
``D = A (1 - r^2) / L`` (area ``A``, perimeter ``L``, ``r`` = shrink ratio) for the
probability target, and the threshold target rises towards the polygon's edges
inside the polygon dilated by the same ``D``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from docvision.config import SHRINK_RATIO
from docvision.extras import require

pyclipper = require("pyclipper", "train")
Polygon = require("shapely.geometry", "train").Polygon


@dataclass
class DBTargets:
    """float32 ``(H, W)`` maps; masks are 1 where the pixel counts in the loss."""

    shrink_map: np.ndarray
    shrink_mask: np.ndarray
    thresh_map: np.ndarray
    thresh_mask: np.ndarray


def offset_polygon(polygon: np.ndarray, distance: float) -> list[np.ndarray]:
    """Grow (``distance > 0``) or shrink a polygon with round joins; may return several or none."""
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(np.round(polygon).astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(p, dtype=np.float32) for p in offset.Execute(distance)]


def shrink_distance(polygon: np.ndarray, ratio: float) -> float:
    """``A (1 - r^2) / L`` of the DB paper (0 for a degenerate polygon)."""
    shape = Polygon(polygon)
    return shape.area * (1 - ratio**2) / shape.length if shape.length > 0 else 0.0


def _draw_border(thresh: np.ndarray, polygon: np.ndarray, distance: float) -> None:
    """Max-accumulate ``1 - dist_to_edge / distance`` inside the dilated polygon."""
    grown = offset_polygon(polygon, distance)
    if not grown:
        return
    grown_poly = grown[0]
    x0, y0 = np.floor(grown_poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(grown_poly.max(axis=0)).astype(int)
    w, h = x1 - x0 + 1, y1 - y0 + 1
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round(grown_poly - (x0, y0)).astype(np.int32)], 1)
    edges = np.ones((h, w), np.uint8)
    cv2.polylines(edges, [np.round(polygon - (x0, y0)).astype(np.int32)], True, 0)
    dist = cv2.distanceTransform(edges, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    value = np.where(region > 0, 1.0 - np.clip(dist / distance, 0.0, 1.0), 0.0)
    H, W = thresh.shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1 + 1, W), min(y1 + 1, H)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    crop = value[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    np.maximum(thresh[cy0:cy1, cx0:cx1], crop, out=thresh[cy0:cy1, cx0:cx1])


def make_db_targets(
    polygons: Sequence[np.ndarray],
    ignore: Sequence[bool],
    height: int,
    width: int,
    *,
    shrink_ratio: float = SHRINK_RATIO,
    thresh_min: float = 0.3,
    thresh_max: float = 0.7,
    min_size: float = 3.0,
) -> DBTargets:
    """Targets for one image of ``height x width`` from word polygons in its pixels.

    Ignored polygons, polygons with a side under ``min_size`` px and polygons that
    vanish when shrunk are masked out of the probability loss instead of being
    labeled background.
    """
    shrink_map = np.zeros((height, width), np.float32)
    shrink_mask = np.ones((height, width), np.float32)
    thresh = np.zeros((height, width), np.float32)
    thresh_mask = np.zeros((height, width), np.float32)
    for polygon, skip in zip(polygons, ignore):
        polygon = np.asarray(polygon, np.float32).reshape(-1, 2)
        int_poly = [np.round(polygon).astype(np.int32)]
        if len(polygon) < 3:
            continue
        rect_w, rect_h = cv2.minAreaRect(polygon)[1]
        if skip or min(rect_w, rect_h) < min_size:
            cv2.fillPoly(shrink_mask, int_poly, 0.0)
            continue
        distance = shrink_distance(polygon, shrink_ratio)
        shrunk = offset_polygon(polygon, -distance) if distance > 0 else []
        if not shrunk:
            cv2.fillPoly(shrink_mask, int_poly, 0.0)
            continue
        cv2.fillPoly(shrink_map, [np.round(p).astype(np.int32) for p in shrunk], 1.0)
        grown = offset_polygon(polygon, distance)
        if grown:
            cv2.fillPoly(thresh_mask, [np.round(grown[0]).astype(np.int32)], 1.0)
            _draw_border(thresh, polygon, distance)
    thresh_map = thresh * (thresh_max - thresh_min) + thresh_min
    return DBTargets(shrink_map, shrink_mask, thresh_map, thresh_mask)
