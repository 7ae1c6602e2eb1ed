"""Report helpers: plain-text tables, JSON files, and drawings of predicted vs ground-truth boxes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from docvision.io import write_atomic

GT_COLOR = (0, 170, 0)
IGNORED_COLOR = (160, 160, 160)
MATCHED_COLOR = (0, 90, 255)
FALSE_POSITIVE_COLOR = (230, 0, 0)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable as plain text too); floats get 3 decimals."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def write_json(data: Any, path: Path) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def draw_boxes(
    image: np.ndarray,
    gt: Sequence[np.ndarray],
    gt_ignore: Sequence[bool],
    pred: Sequence[np.ndarray],
    matched_pred: set[int],
) -> np.ndarray:
    """A copy of an RGB page with ground truth (green, ignored grey, 1 px) under predictions
    (matched blue, unmatched red, 2 px)."""
    canvas = image.copy()
    for poly, ignored in zip(gt, gt_ignore):
        color = IGNORED_COLOR if ignored else GT_COLOR
        cv2.polylines(canvas, [np.round(poly).astype(np.int32)], True, color, 1, cv2.LINE_AA)
    for i, poly in enumerate(pred):
        color = MATCHED_COLOR if i in matched_pred else FALSE_POSITIVE_COLOR
        cv2.polylines(canvas, [np.round(poly).astype(np.int32)], True, color, 2, cv2.LINE_AA)
    return canvas


def write_png(image: np.ndarray, path: Path) -> None:
    """Save an RGB image as PNG."""
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
