"""Recognition crops (word or line image + text) cut out of labeled pages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from docvision.datasets.types import LabeledPage
from docvision.geometry import order_quad
from docvision.recognition.crops import crop_polygon


def jitter_quad(quad: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Move each side of an ordered quad in or out, as a detector's boxes differ from the truth.

    Sides move by up to ``amount`` times the quad height, mostly outwards (a side moves in by at
    most a quarter of that, so little ink is cut).
    """
    tl, tr, br, bl = quad
    u = (tr - tl) / max(np.linalg.norm(tr - tl), 1e-6)
    v = (bl - tl) / max(np.linalg.norm(bl - tl), 1e-6)
    h = float(np.linalg.norm(bl - tl))
    left, top, right, bottom = rng.uniform(-0.25, 1.0, 4) * amount * h
    return np.array(
        [tl - u * left - v * top, tr + u * right - v * top, br + u * right + v * bottom, bl - u * left + v * bottom],
        np.float32,
    )


def labeled_crops(
    page: LabeledPage,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
    lines: Sequence[Sequence[int]] | None = None,
) -> Iterator[tuple[np.ndarray, str]]:
    """``(crop, text)`` for every labeled word, or for every line when ``lines`` (word indices) is
    given; ignored words (and lines holding one) are left out. ``jitter`` needs ``rng``."""
    groups = [list(g) for g in lines] if lines is not None else [[i] for i in range(len(page.words))]
    for group in groups:
        words = [page.words[i] for i in group]
        if not words or any(w.ignore or not w.text for w in words):
            continue
        quad = order_quad(cv2.boxPoints(cv2.minAreaRect(np.concatenate([w.polygon for w in words]).astype(np.float32))))
        if jitter and rng is not None:
            quad = jitter_quad(quad, rng, jitter)
        yield crop_polygon(page.image, quad), " ".join(w.text for w in words)
