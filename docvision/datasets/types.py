"""The one sample type every labeled-page reader and generator yields."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LabeledWord:
    """A ground-truth word. ``polygon`` is float32 ``(N, 2)`` page pixels, N >= 3."""

    text: str
    polygon: np.ndarray
    ignore: bool = False
    """Excluded from training and evaluation (unreadable, ``###`` in ICDAR files)."""


@dataclass
class LabeledPage:
    """A page image (``H x W x 3`` uint8 RGB) with its words."""

    id: str
    image: np.ndarray
    words: list[LabeledWord] = field(default_factory=list)
    ordered: bool = False
    """``words`` are listed in reading order (synthetic pages; ``"reading_order": true`` in a
    page-folder JSON); otherwise evaluation strings them in a row-sorted order."""
