"""``docvision quantize``: the int8 detector of a weights folder, calibrated on pages it will see."""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from docvision import zoo
from docvision.config import PipelineConfig
from docvision.detection.detector import MEAN, STD, detector_input, scale_to_fit
from docvision.models.fold import fold_batch_norms
from docvision.models.int8 import INT8_FILE, export_onnx, quantize
from docvision.models.weights import sha256_file, weights_dir, write_manifest

log = logging.getLogger("docvision")


def calibration_arrays(
    images: Iterator[np.ndarray], config: PipelineConfig, mean: np.ndarray = MEAN, std: np.ndarray = STD
) -> Iterator[np.ndarray]:
    """Detector inputs ``(1, 3, H, W)`` of RGB pages, prepared as the pipeline with ``config``
    prepares them (:func:`~docvision.detection.detector.detector_input`); blank pages are skipped."""
    for image in images:
        prepared = detector_input(scale_to_fit(image, config.det_max_side, config.det_max_upscale)[0], mean, std)
        if prepared is not None:
            yield prepared[0][None]


def quantize_detector(directory: Path, images: Iterator[np.ndarray], config: PipelineConfig = PipelineConfig()) -> Path:
    """Write ``directory/detector.int8.onnx`` from the detector weights there, and its sha256 into
    ``detector.json``; returns its path."""
    model, manifest = zoo.load_model(directory, "detector")
    out = directory / INT8_FILE
    partial = out.with_name(out.name + ".partial")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = Path(tmp) / "detector.onnx"
            export_onnx(fold_batch_norms(model), fp32)
            quantize(fp32, partial, calibration_arrays(images, config, *zoo.normalization(manifest)), manifest.sha256)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    manifest.int8_sha256 = sha256_file(out)
    write_manifest(directory, "detector", manifest)
    return out


def run_quantize(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.data:
        from docvision.datasets.formats import open_labeled

        dataset = open_labeled(args.data)
        count = min(args.pages, len(dataset))
        images = (dataset[i].image for i in range(count))
    else:
        from docvision.datasets.synth import SynthConfig, SyntheticPages

        count = args.pages
        pages = SyntheticPages(count, seed=args.seed, config=SynthConfig(dpi=(100, 200)))
        images = (pages[i].image for i in range(count))
    directory = weights_dir(args.weights)
    start = time.monotonic()
    out = quantize_detector(directory, iter(tqdm(images, total=count, desc="calibration pages")))
    log.info("wrote %s (%.1f MB) in %.0f s", out, out.stat().st_size / 1e6, time.monotonic() - start)
    return 0
