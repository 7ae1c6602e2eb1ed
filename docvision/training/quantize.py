"""``docvision quantize``: the int8 models of a weights folder, calibrated on pages they will see."""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from docvision import zoo
from docvision.config import PipelineConfig
from docvision.datasets.types import LabeledPage
from docvision.detection.detector import detector_input, fit_scale, rescale
from docvision.detection.textsize import detection_scale, letter_height
from docvision.models.fold import fold_batch_norms
from docvision.models.int8 import CRNN_DYNAMIC, export_onnx, int8_file, quantize
from docvision.models.onnx_crnn import export_crnn
from docvision.errors import WeightsError
from docvision.models.weights import Manifest, has_weights, sha256_file, weights_dir, write_manifest
from docvision.recognition.crops import crop_polygon, text_rows, to_recognizer_input
from docvision.recognition.recognizer import WIDTH_BUCKET

log = logging.getLogger("docvision")

MODELS = ("detector", "recognizer")
CALIBRATION_CROPS = 400
"""Word crops the int8 recognizer is calibrated on, taken evenly from the calibration pages' words."""


def calibration_arrays(
    images: Iterable[np.ndarray], config: PipelineConfig, manifest: Manifest | None = None
) -> Iterator[np.ndarray]:
    """Detector inputs ``(1, 3, H, W)`` of RGB pages, prepared as the pipeline with ``config`` prepares
    them for the detector of ``manifest``: at the scale its letter size chooses
    (:func:`~docvision.detection.textsize.detection_scale`), by
    :func:`~docvision.detection.detector.detector_input`; blank pages are skipped."""
    mean, std = zoo.normalization(manifest)
    max_side = zoo.det_max_side(config, manifest)
    for image in images:
        scale = fit_scale(*image.shape[:2], max_side, config.det_max_upscale)
        if config.det_max_letter:
            scale = detection_scale(scale, letter_height(image, scale), config.det_max_letter)
        prepared = detector_input(rescale(image, scale), mean, std)
        if prepared is not None:
            yield prepared[0][None]


def crop_arrays(pages: Iterable[LabeledPage], height: int, count: int = CALIBRATION_CROPS) -> list[np.ndarray]:
    """Recognizer inputs ``(1, 1, height, W)`` of about ``count`` labeled words of ``pages`` (every k-th),
    as the recognizer reads them (their :func:`~docvision.recognition.crops.text_rows`, at widths rounded
    to :data:`~docvision.recognition.recognizer.WIDTH_BUCKET`)."""
    crops = [crop_polygon(page.image, w.polygon) for page in pages for w in page.words if not w.ignore and w.text]
    every = max(1, len(crops) // count)
    return [to_recognizer_input(c[slice(*text_rows(c))], height, WIDTH_BUCKET)[None, None] for c in crops[::every]]


def quantize_models(
    directory: Path, pages: Sequence[LabeledPage], models: Sequence[str] = MODELS,
    config: PipelineConfig = PipelineConfig(),
) -> list[Path]:
    """Write ``directory/<name>.int8.onnx`` for each of ``models`` from the weights there, calibrated on
    ``pages`` (the detector on the pages, the recognizer on their labeled words), and its sha256 into
    ``<name>.json``; returns the paths."""
    written = []
    for name in models:
        model, manifest = zoo.load_model(directory, name)
        model = fold_batch_norms(model)
        out = directory / int8_file(name)
        partial = out.with_name(out.name + ".partial")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                fp32 = Path(tmp) / f"{name}.onnx"
                if name == "detector":
                    export_onnx(model, fp32)
                    arrays = calibration_arrays((p.image for p in pages), config, manifest)
                    quantize(fp32, partial, arrays, manifest.sha256)
                else:
                    fp32.write_bytes(export_crnn(model))
                    arrays = crop_arrays(pages, model.config.height)
                    if not arrays:
                        raise ValueError("no labeled words in the calibration pages to calibrate the recognizer on "
                                         "(quantize --model detector does without)")
                    quantize(fp32, partial, arrays, manifest.sha256, fp32_modules=(), dynamic_modules=CRNN_DYNAMIC)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        manifest.int8_sha256 = sha256_file(out)
        write_manifest(directory, name, manifest)
        written.append(out)
    return written


def _calibration_pages(args: argparse.Namespace) -> list[LabeledPage]:
    """The pages of ``--data`` (the first ``--pages``), else ``--pages`` synthetic ones."""
    if args.data:
        from docvision.datasets.formats import open_labeled

        dataset = open_labeled(args.data)
        count, page = min(args.pages, len(dataset)), dataset.__getitem__
    else:
        from docvision.datasets.synth import SynthConfig, SyntheticPages

        synthetic = SyntheticPages(args.pages, seed=args.seed, config=SynthConfig(dpi=(100, 200)))
        count, page = args.pages, synthetic.__getitem__
    quiet = args.quiet or None  # tqdm's None: a bar on terminals only
    return [page(i) for i in tqdm(range(count), desc="calibration pages", disable=quiet)]


def run_quantize(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    directory = weights_dir(args.weights)
    models = MODELS if args.model == "both" else (args.model,)
    for name in models:  # a missing or bad model is reported before the pages are made
        if not has_weights(directory, name):
            raise WeightsError(f"{directory / (name + '.safetensors')}: weights file missing")
        zoo.read(directory, name)
    start = time.monotonic()
    for out in quantize_models(directory, _calibration_pages(args), models):
        log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    log.info("done in %.0f s", time.monotonic() - start)
    return 0
