"""The synthetic page generator and its on-the-fly torch Dataset."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from torch.utils.data import Dataset

from docvision.datasets.synth.degrade import (
    CLEAN,
    Degradation,
    apply_photometric,
    composite,
    paper,
    random_homography,
    sample_degradation,
    spread_ink,
    warp_image,
    warp_points,
)
from docvision.datasets.synth.fonts import FontInfo, find_fonts
from docvision.datasets.synth.layouts import HANDWRITTEN, LAYOUTS, Context, decorate, running_header
from docvision.datasets.synth.render import Canvas, PageBuilder
from docvision.datasets.synth.text import TextSource
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.extras import require

shapely = require("shapely", "train")

PAGE_SIZES_IN = {"letter": (8.5, 11.0), "a4": (8.27, 11.69), "legal": (8.5, 14.0)}


@dataclass(frozen=True)
class SynthConfig:
    """Options of the generator. ``dpi`` is one value or a ``(low, high)`` range drawn per page."""

    page_size: str | tuple[float, float] = "letter"
    dpi: float | tuple[float, float] = 150
    layouts: dict[str, float] = field(
        default_factory=lambda: {
            "letter": 1,
            "memo": 1,
            "article": 1,
            "form": 2,
            "table": 1.5,
            "invoice": 1.5,
            "receipt": 0.5,
        }
    )
    degrade: bool = True
    clean: float = 0.1
    """With ``degrade``, the share of pages left clean (born-digital print)."""
    handwritten: float = HANDWRITTEN
    """Share of forms filled in by hand (where handwriting fonts are installed)."""
    max_skew_deg: float = 2.5
    max_perspective: float = 0.01
    font_dir: str | None = None


@dataclass
class SynthPage:
    """A generated page with its lines (word indices) and, for checking, the ink masks
    after the geometric transform: ``text_ink`` (labeled words) and ``mark_ink`` (distractors)."""

    page: LabeledPage
    lines: list[list[int]]
    layout: str
    dpi: float
    text_ink: np.ndarray
    mark_ink: np.ndarray


def _clip_to_page(
    words: list[LabeledWord], lines: list[list[int]], width: int, height: int
) -> tuple[list[LabeledWord], list[list[int]]]:
    """Drop words that left the page; clip and ignore those partly outside it."""
    page = shapely.box(0, 0, width, height)
    kept: list[LabeledWord] = []
    remap: dict[int, int] = {}
    for i, w in enumerate(words):
        p = w.polygon
        if p[:, 0].min() >= 0 and p[:, 1].min() >= 0 and p[:, 0].max() <= width and p[:, 1].max() <= height:
            remap[i] = len(kept)
            kept.append(w)
            continue
        inside = shapely.Polygon(p).intersection(page)
        if isinstance(inside, shapely.Polygon) and inside.area > 0:
            remap[i] = len(kept)
            kept.append(LabeledWord(w.text, np.asarray(inside.exterior.coords[:-1], np.float32), ignore=True))
    new_lines = [[remap[i] for i in line if i in remap] for line in lines]
    return kept, [line for line in new_lines if line]


VANISHED_CONTRAST = 25
"""Below this (0-255) between the darkest quarter of a word's strokes and the paper around it,
the degradation has wiped the word out (faint print on a binarized fax): it is labeled
ignored, not taught. Broken but legible strokes keep a quarter of their ink."""


def vanished(word: LabeledWord, text_ink: np.ndarray, image: np.ndarray) -> bool:
    """Whether ``word``'s ink (its pixels in the ``text_ink`` coverage layer) is gone from the
    degraded ``image``: the darkest quarter of its strongest-covered pixels is within
    :data:`VANISHED_CONTRAST` of the paper (the bright 90th percentile of its box)."""
    h, w = text_ink.shape
    x0, y0 = np.floor(word.polygon.min(axis=0)).astype(int).clip(0, [w, h])
    x1, y1 = np.ceil(word.polygon.max(axis=0)).astype(int).clip(0, [w, h])
    coverage = text_ink[y0:y1, x0:x1]
    if not coverage.size or not coverage.any():
        return True
    gray = image[y0:y1, x0:x1].min(axis=2)
    ink = np.percentile(gray[coverage >= coverage.max() / 2], 25)
    return float(np.percentile(gray, 90) - ink) < VANISHED_CONTRAST


class SyntheticPages(Dataset):
    """``length`` synthetic pages; page ``i`` of seed ``s`` is always the same on the same fonts."""

    def __init__(
        self, length: int, seed: int = 0, config: SynthConfig = SynthConfig(), fonts: tuple[FontInfo, ...] | None = None
    ) -> None:
        self.length = length
        self.seed = seed
        self.config = config
        self.fonts = fonts if fonts is not None else find_fonts(config.font_dir)
        self._text: TextSource | None = None

    @property
    def text(self) -> TextSource:
        """The text source, built on first use (so it is built once per DataLoader worker)."""
        if self._text is None:
            self._text = TextSource()
        return self._text

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> LabeledPage:
        return self.generate(index).page

    def generate(self, index: int, degradation: Degradation | None = None) -> SynthPage:
        """Page ``index`` with lines and ink masks; ``degradation`` overrides the drawn one."""
        if not 0 <= index < self.length:
            raise IndexError(index)
        cfg = self.config
        rng = np.random.default_rng([self.seed, index])
        dpi = float(rng.uniform(*cfg.dpi)) if isinstance(cfg.dpi, tuple) else float(cfg.dpi)
        w_in, h_in = PAGE_SIZES_IN[cfg.page_size] if isinstance(cfg.page_size, str) else cfg.page_size
        width, height = round(w_in * dpi), round(h_in * dpi)
        names = list(cfg.layouts)
        weights = np.array([cfg.layouts[n] for n in names], float)
        layout = names[int(rng.choice(len(names), p=weights / weights.sum()))]

        canvas = Canvas(height, width)
        margin = rng.uniform(0.5, 1.1, 4) * dpi
        page_box = (0.0, 0.0, float(width), float(height))
        box = (margin[0], margin[1], width - margin[2], height - margin[3])
        hand_rng = np.random.default_rng([self.seed, index, 1])
        ctx = Context(rng, self.text, self.fonts, dpi, box, hand_rng, cfg.handwritten)
        builder = PageBuilder(canvas, caps=ctx.caps)
        running_header(builder, ctx, page_box)
        LAYOUTS[layout](builder, ctx)
        decorate(builder, ctx, page_box)

        d = sample_degradation(rng, dpi, cfg.clean) if cfg.degrade else CLEAN
        d = degradation or d
        words, layers = canvas.words, [canvas.text, canvas.marks, canvas.color]
        if cfg.degrade and (cfg.max_skew_deg or cfg.max_perspective):
            m = random_homography(rng, width, height, cfg.max_skew_deg, cfg.max_perspective)
            layers = [warp_image(layer, m) if layer.any() else layer for layer in layers]
            if words:  # one call for all polygons
                warped = warp_points(np.concatenate([w.polygon for w in words]), m)
                parts = np.split(warped, np.cumsum([len(w.polygon) for w in words])[:-1])
                words = [LabeledWord(w.text, p, w.ignore) for w, p in zip(words, parts)]
        words, lines = _clip_to_page(words, canvas.lines, width, height)

        white = rng.uniform(0.85, 1.0)
        tint = np.array(white - rng.uniform([0, 0, 0], [0.01, 0.03, 0.08]) if d.color else [white], np.float32)
        ink = rng.uniform(0.0, 0.25)
        dark = np.array([ink, ink, ink + (rng.uniform(0, 0.3) if d.color else 0)], np.float32)
        stamp = np.array(
            [rng.uniform(0.5, 0.8), 0.1, 0.15] if rng.random() < 0.5 else [0.1, 0.15, rng.uniform(0.4, 0.7)], np.float32
        )
        background = paper(rng, height, width, tint, rng.uniform(0, 0.02) if d != CLEAN else 0.0)
        spread = [spread_ink(layer, d.ink_spread) for layer in layers]
        image = apply_photometric(
            composite(background, [(spread[1], dark), (spread[0], dark), (spread[2], stamp)]), d, rng
        )
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        words = [replace(w, ignore=True) if not w.ignore and vanished(w, layers[0], image) else w for w in words]
        page = LabeledPage(f"synth-{self.seed}-{index:06d}", image, words, ordered=True)
        return SynthPage(page, lines, layout, dpi, layers[0], np.maximum(layers[1], layers[2]))
