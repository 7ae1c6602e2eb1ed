"""A generated, labeled page set for benchmarks and smoke tests: letter-size text pages.

Pages are drawn with Pillow's bundled font (no system fonts needed), so the set is the same
on every machine for a given seed, and each word's ink box is its ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.geometry import bbox_polygon

LETTER_INCHES = (8.5, 11.0)

_WORDS = (
    "the of and to in is for on that by with as are from at this be or an which it not "
    "invoice total amount date number account payment order customer address phone page "
    "report summary section table results method analysis data value system document "
    "January February March April May June July August September October November December "
    "Street Avenue Suite Company Limited Department University Research Project Budget "
    "approved received shipped pending balance due net tax discount quantity price unit"
).split()


def _word(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return (
            f"{rng.randint(1, 99999):,}" if rng.random() < 0.5 else f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}"
        )
    word = rng.choice(_WORDS)
    if roll < 0.22:
        return word.capitalize()
    if roll < 0.25:
        return word.upper()
    if roll < 0.32:
        return word + rng.choice(",.:;")
    return word


def generate_page(page_id: str, *, dpi: int = 200, seed: int = 0) -> LabeledPage:
    """One letter-size page of 10-12 pt text in paragraphs, one-inch margins, ``dpi`` pixels/inch."""
    rng = random.Random(seed)
    width, height = (round(s * dpi) for s in LETTER_INCHES)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin = dpi
    words: list[LabeledWord] = []
    y = margin
    while True:
        size = max(6, round(rng.choice((10, 11, 12)) * dpi / 72))
        font = ImageFont.load_default(size=size)
        leading = round(size * 1.35)
        lines = rng.randint(2, 8)
        if y + lines * leading > height - margin:
            break
        for _ in range(lines):
            x = margin
            while True:
                text = _word(rng)
                x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
                if x1 > width - margin:
                    break
                draw.text((x, y), text, fill=0, font=font)
                words.append(LabeledWord(text, bbox_polygon((x0, y0, x1, y1))))
                x = x1 + round(size * 0.3)
            y += leading
        y += leading
    rgb = np.asarray(image.convert("RGB"))
    return LabeledPage(page_id, rgb, words, ordered=True)


def generate_pages(n: int, *, dpi: int = 200, seed: int = 0) -> list[LabeledPage]:
    """``n`` different pages (page ``i`` uses seed ``seed + i``)."""
    return [generate_page(f"generated-{seed + i:04d}", dpi=dpi, seed=seed + i) for i in range(n)]


def write_pdf(pages: Sequence[LabeledPage], path: Path, *, dpi: int, n_pages: int | None = None) -> Path:
    """Save page images as an image-only PDF of ``n_pages`` pages (cycling through ``pages``)
    whose physical size is letter at ``dpi``."""
    images = [Image.fromarray(p.image).convert("L") for p in pages]
    count = len(images) if n_pages is None else n_pages
    sequence = [images[i % len(images)] for i in range(count)]
    sequence[0].save(path, "PDF", save_all=True, append_images=sequence[1:], resolution=float(dpi))
    return path
