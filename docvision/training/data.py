"""Training sources: synthetic pages and users' labeled data, mixed by weight."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import ConcatDataset, Dataset, Subset, WeightedRandomSampler

from docvision.datasets.formats import CROP_READERS, open_crops, open_labeled, sniff_format
from docvision.datasets.synth.fonts import find_fonts
from docvision.datasets.synth.generator import SynthConfig, SyntheticPages
from docvision.datasets.synth.layouts import LAYOUTS
from docvision.training.config import DataSource


def describe(source: DataSource) -> str:
    """A training source as a manifest records it. Generated pages also say how many font families drew
    them: what they look like depends on the machine's fonts (without ``make fonts``, a Debian machine has
    under half of the families the Makefile installs)."""
    if source.path != "synth":
        return f"{source.path} (weight {source.weight})"
    fonts = find_fonts(source.font_dir)
    families, hands = (len({f.family for f in fonts if f.handwriting == hand}) for hand in (False, True))
    return f"synth (weight {source.weight}, seed {source.seed}, {families} font families, {hands} handwriting)"


def synth_config(source: DataSource) -> SynthConfig:
    """The generator's options for a ``synth`` source; an unknown layout or a share outside [0, 1] is a ``ValueError``."""
    options: dict[str, Any] = {"dpi": tuple(source.dpi), "font_dir": source.font_dir, "clean": source.clean}
    if source.layouts is not None:
        unknown = set(source.layouts) - set(LAYOUTS)
        weights = list(source.layouts.values())
        if unknown or not all(isinstance(w, (int, float)) and w >= 0 for w in weights) or not sum(weights) > 0:
            raise ValueError(
                f"synth layouts must weigh some of {', '.join(LAYOUTS)} (weights >= 0), got {dict(source.layouts)}"
            )
        options["layouts"] = dict(source.layouts)
    if source.handwritten is not None:
        if not 0 <= source.handwritten <= 1:
            raise ValueError(f"synth handwritten must be a share in [0, 1], got {source.handwritten}")
        options["handwritten"] = source.handwritten
    return SynthConfig(**options)


def open_source(source: DataSource, *, crops: bool = False) -> Dataset:
    """One source: generated pages (``synth``) or a labeled dataset path. Page datasets
    yield :class:`LabeledPage`; with ``crops``, word-crop datasets (recognition LMDB,
    images + labels.json) are accepted too and yield ``(image, text)``. ``source.split``
    keeps a part of it."""
    start, stop = source.split
    if not 0 <= start < stop <= 1:
        raise ValueError(f"{source.path}: split must be two fractions 0 <= start < stop <= 1, got {list(source.split)}")
    if source.path == "synth":
        config = synth_config(source)
        dataset = SyntheticPages(source.size, seed=source.seed, config=config)
    elif crops and sniff_format(source.path) in CROP_READERS:
        dataset = open_crops(source.path)
    else:
        dataset = open_labeled(source.path)
    if (start, stop) == (0, 1):
        return dataset
    n = len(dataset)
    return Subset(dataset, range(round(start * n), round(stop * n)))


def mixed(sources: Sequence[DataSource], *, crops: bool = False) -> tuple[ConcatDataset, torch.Tensor]:
    """All sources concatenated, and per-sample weights giving each source its share."""
    datasets = [open_source(s, crops=crops) for s in sources]
    total = sum(s.weight for s in sources)
    weights = torch.cat(
        [torch.full((len(d),), s.weight / total / max(len(d), 1), dtype=torch.double) for s, d in zip(sources, datasets)]
    )
    return ConcatDataset(datasets), weights


def weighted_sampler(weights: torch.Tensor, num_samples: int, seed: int) -> WeightedRandomSampler:
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(weights, num_samples, replacement=True, generator=generator)

