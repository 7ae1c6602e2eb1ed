"""Detector training: page crops at the pipeline's scale, DB targets, DB loss, P/R/F1 validation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from docvision.config import PostprocessConfig, to_dict
from docvision.datasets.types import LabeledPage
from docvision.detection.detector import MEAN, STD, Detector, fit_scale, normalize, rescale
from docvision.detection.loss import db_loss
from docvision.detection.targets import make_db_targets
from docvision.evaluation.metrics import Counts, match_detections
from docvision.models.dbnet import DBNet
from docvision.models.weights import Manifest
from docvision.training.config import DetTrainConfig
from docvision.training.data import describe, mixed, open_source, weighted_sampler

TEXT_FOCUS = 0.8
"""Share of crops centred on a random word rather than anywhere on the page (pages have margins)."""


def random_crop(
    page: LabeledPage,
    rng: np.random.Generator,
    *,
    crop_size: int,
    max_side: int,
    scale_range: tuple[float, float],
    max_upscale: float = 1.0,
) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    """A ``crop_size`` square of the page scaled like the pipeline scales it (longest side to
    ``max_side``, up by at most ``max_upscale``) times a random factor, white-padded where the
    page is smaller; words cut by the crop edge are ignored."""
    scale = fit_scale(*page.image.shape[:2], max_side, max_upscale) * rng.uniform(*scale_range)
    image = rescale(page.image, scale)
    sh, sw = image.shape[:2]
    polygons = [word.polygon * scale for word in page.words]
    if polygons and rng.random() < TEXT_FOCUS:
        cx, cy = polygons[rng.integers(len(polygons))].mean(axis=0)
        x0 = int(np.clip(cx - rng.uniform(0.2, 0.8) * crop_size, 0, max(0, sw - crop_size)))
        y0 = int(np.clip(cy - rng.uniform(0.2, 0.8) * crop_size, 0, max(0, sh - crop_size)))
    else:
        x0 = int(rng.integers(0, max(0, sw - crop_size) + 1))
        y0 = int(rng.integers(0, max(0, sh - crop_size) + 1))
    crop = np.full((crop_size, crop_size, 3), 255, np.uint8)
    part = image[y0 : y0 + crop_size, x0 : x0 + crop_size]
    crop[: part.shape[0], : part.shape[1]] = part
    kept, ignore = [], []
    for word, polygon in zip(page.words, polygons):
        shifted = polygon - (x0, y0)
        lo, hi = shifted.min(axis=0), shifted.max(axis=0)
        if (hi <= 0).any() or (lo >= crop_size).any():
            continue
        inside = (lo >= 0).all() and (hi <= crop_size).all()
        kept.append(shifted)
        ignore.append(word.ignore or not inside)
    return crop, kept, ignore


class DetectionCrops(Dataset):
    """``crops_per_page`` training samples per labeled page, each
    ``{"image": (3, S, S), "targets": (4, S, S), "index"}`` (a page is costly to make or
    read; several crops of it keep a fast GPU fed)."""

    def __init__(self, pages: Dataset, config: DetTrainConfig, seed: int):
        self.pages, self.config, self.seed = pages, config, seed

    def __len__(self) -> int:
        return len(self.pages)

    def __getitem__(self, index: int) -> list[dict[str, Any]]:
        rng = np.random.default_rng([self.seed, index])
        c = self.config
        page = self.pages[index]
        samples = []
        for k in range(c.crops_per_page):
            crop, polygons, ignore = random_crop(
                page, rng, crop_size=c.crop_size, max_side=c.max_side, scale_range=c.scale_range,
                max_upscale=c.max_upscale,
            )
            t = make_db_targets(polygons, ignore, c.crop_size, c.crop_size, shrink_ratio=c.shrink_ratio)
            targets = np.stack([t.shrink_map, t.shrink_mask, t.thresh_map, t.thresh_mask])
            samples.append({"image": torch.from_numpy(normalize(crop)), "targets": torch.from_numpy(targets), "index": f"{index}:{k}"})
        return samples


def _collate(pages: Sequence[list[dict[str, Any]]]) -> dict[str, Any]:
    samples = [s for page in pages for s in page]
    return {
        "image": torch.stack([s["image"] for s in samples]),
        "targets": torch.stack([s["targets"] for s in samples]),
        "indices": [s["index"] for s in samples],
    }


class DetectorTask:
    """DBNet training set-up for :func:`docvision.training.loop.fit`."""

    name = "detector"
    metric = "f1"

    def __init__(self, config: DetTrainConfig, model: DBNet | None = None, steps_per_pass: int = 1000):
        self.config = config
        self.model = model or DBNet(config.model)
        self.train_pages, self.weights = mixed(config.train)
        self.steps_per_pass = steps_per_pass
        self.val_pages = [dataset[i] for dataset in map(open_source, config.val) for i in range(len(dataset))]

    def batches(self, seed: int) -> Iterator[dict[str, Any]]:
        loop = self.config.loop
        dataset = DetectionCrops(self.train_pages, self.config, seed)
        pages_per_batch = max(1, loop.batch_size // self.config.crops_per_page)
        sampler = weighted_sampler(self.weights, self.steps_per_pass * pages_per_batch, seed)
        yield from DataLoader(
            dataset, batch_size=pages_per_batch, sampler=sampler, num_workers=loop.workers,
            collate_fn=_collate, drop_last=True,
        )

    def loss(self, batch: dict[str, Any], device: torch.device) -> dict[str, torch.Tensor]:
        image = batch["image"].to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        maps = self.model.training_maps(image)
        return db_loss(maps, batch["targets"].to(device, non_blocking=True))

    def validate(self, device: torch.device) -> dict[str, float]:
        c = self.config
        detector = Detector(self.model, max_side=c.max_side, max_upscale=c.max_upscale,
                            postprocess=PostprocessConfig(shrink_ratio=c.shrink_ratio), device=device)
        total = Counts()
        for page in self.val_pages:
            predicted = [d.polygon for d in detector.detect(page.image)]
            truth = [w.polygon for w in page.words]
            total += match_detections(predicted, truth, [w.ignore for w in page.words]).counts
        return {"precision": total.precision, "recall": total.recall, "f1": total.f1}

    def manifest(self, metrics: dict[str, float]) -> Manifest:
        bb = self.config.model.backbone
        return Manifest(
            architecture="dbnet",
            name=f"dbnet_resnet{bb.depth}",
            config=to_dict(self.config.model),
            mean=MEAN.tolist(),
            std=STD.tolist(),
            max_side=self.config.max_side,
            shrink_ratio=self.config.shrink_ratio,
            training_data=", ".join(map(describe, self.config.train)),
            metrics={"validation": metrics},
        )
