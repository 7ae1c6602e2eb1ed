"""Pictures of ground truth for checking labels before training."""

from __future__ import annotations

import cv2
import numpy as np

from docvision.datasets.types import LabeledPage
from docvision.detection.targets import DBTargets, make_db_targets

WORD_COLOR = (0, 170, 0)
IGNORE_COLOR = (220, 0, 0)


def draw_words(page: LabeledPage) -> np.ndarray:
    """The page with word polygons drawn: green for words, red for ignored ones."""
    out = page.image.copy()
    thickness = max(1, round(max(out.shape[:2]) / 1500))
    for w in page.words:
        pts = np.round(w.polygon).astype(np.int32)
        cv2.polylines(out, [pts], True, IGNORE_COLOR if w.ignore else WORD_COLOR, thickness, cv2.LINE_AA)
    return out


def draw_targets(page: LabeledPage, targets: DBTargets) -> tuple[np.ndarray, np.ndarray]:
    """Shrink map (green, masked-out pixels red) and threshold map (colour scale, masked-out
    pixels dark) over a faded copy of the page."""
    faded = (cv2.cvtColor(cv2.cvtColor(page.image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) * 0.4 + 150).astype(
        np.float32
    )
    shrink = faded.copy()
    shrink[targets.shrink_map > 0] = (0, 200, 0)
    shrink[targets.shrink_mask == 0] = (230, 60, 60)
    heat = cv2.applyColorMap((targets.thresh_map * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1].astype(
        np.float32
    )
    alpha = (targets.thresh_mask > 0)[..., None] * 0.7
    thresh = faded * (1 - alpha) + heat * alpha
    return shrink.astype(np.uint8), thresh.astype(np.uint8)


def label_sheet(page: LabeledPage, with_targets: bool = True) -> np.ndarray:
    """Boxes, shrink targets and threshold targets side by side (RGB)."""
    panels = [draw_words(page)]
    if with_targets:
        h, w = page.image.shape[:2]
        targets = make_db_targets([wd.polygon for wd in page.words], [wd.ignore for wd in page.words], h, w)
        panels += draw_targets(page, targets)
    gap = np.full((page.image.shape[0], 8, 3), 255, np.uint8)
    return np.hstack([p for panel in panels for p in (panel, gap)][:-1])
