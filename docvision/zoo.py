"""The model zoo: the one place a weights folder becomes models, manifests and stage objects.

:data:`ARCHITECTURES` says, for each weights name, the architecture its manifest must name and how the
model is built from the manifest. Everything that reads weights (the pipeline, ``train --init``,
``quantize``, ``eval`` through the pipeline) goes through :func:`read` and :func:`load_model`, so each
makes the same checks and reports a bad folder the same way: a :class:`WeightsError` naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from docvision.config import DET_MAX_SIDE, DetectorConfig, PipelineConfig, PostprocessConfig, RecognizerConfig, from_dict
from docvision.detection.detector import MEAN, STD, Detector
from docvision.errors import WeightsError
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.models.fold import fold_batch_norms
from docvision.models.int8 import Int8Detector, int8_file, openvino_pays
from docvision.models.onnx_crnn import OnnxCRNN
from docvision.models.weights import PACKAGE_WEIGHTS, Manifest, has_weights, load_weights, read_manifest, sha256_file
from docvision.recognition.lexicon import Lexicon
from docvision.recognition.recognizer import Recognizer
from docvision.recognition.vocab import Vocab

UNTRAINED = "untrained"
log = logging.getLogger("docvision")


@dataclass(frozen=True)
class Architecture:
    """What a weights name holds: the manifest's ``architecture``, its config type and the model
    built from that config and the manifest (``None``: the untrained default)."""

    architecture: str
    config: type
    build: Callable[[Any, Manifest | None], torch.nn.Module]
    vocabulary: bool = False
    """Whether the manifest must carry the model's vocabulary."""


def vocabulary(manifest: Manifest | None) -> Vocab:
    """The recognizer's characters: its manifest's, or the package's for an untrained model."""
    return Vocab(tuple(manifest.vocabulary or ())) if manifest is not None else Vocab.load()


ARCHITECTURES: dict[str, Architecture] = {
    "detector": Architecture("dbnet", DetectorConfig, lambda config, manifest: DBNet(config)),
    "recognizer": Architecture(
        "crnn", RecognizerConfig, lambda config, manifest: CRNN(vocabulary(manifest).num_classes, config), vocabulary=True
    ),
}


def normalization(manifest: Manifest | None) -> tuple[np.ndarray, np.ndarray]:
    """The RGB mean and std a detector's inputs are standardized with: its manifest's, else the defaults."""
    mean = MEAN if manifest is None or manifest.mean is None else np.asarray(manifest.mean, np.float32)
    std = STD if manifest is None or manifest.std is None else np.asarray(manifest.std, np.float32)
    return mean, std


def postprocess(config: PostprocessConfig, manifest: Manifest | None) -> PostprocessConfig:
    """``config`` with the shrink ratio the detector of ``manifest`` was trained with, when recorded."""
    return config if manifest is None or manifest.shrink_ratio is None else replace(config, shrink_ratio=manifest.shrink_ratio)


def det_max_side(config: PipelineConfig, manifest: Manifest | None) -> int:
    """The detector input's longest side: ``config``'s, else the one the detector of ``manifest`` was trained at."""
    if config.det_max_side:
        return config.det_max_side
    return DET_MAX_SIDE if manifest is None or not manifest.max_side else manifest.max_side


def model_config(directory: Path, name: str, manifest: Manifest) -> Any:
    """The model config of ``manifest`` (invalid: a :class:`WeightsError` naming the manifest)."""
    return _checked(directory, name, lambda: from_dict(ARCHITECTURES[name].config, manifest.config))


def build(directory: Path, name: str, manifest: Manifest | None) -> torch.nn.Module:
    """The (unloaded) model ``manifest`` describes; ``None``: the untrained default model."""
    arch = ARCHITECTURES[name]
    if manifest is None:
        return arch.build(arch.config(), None)
    config = model_config(directory, name, manifest)
    return _checked(directory, name, lambda: arch.build(config, manifest))


def read(directory: Path, name: str) -> Manifest:
    """The manifest of ``name`` in ``directory``, checked: its architecture, its vocabulary where the
    model needs one, and that its config builds the model (on the meta device: no memory, no weights)."""
    manifest = read_manifest(directory, name)
    arch = ARCHITECTURES[name]
    path = directory / f"{name}.json"
    if manifest.architecture != arch.architecture:
        raise WeightsError(f"{path}: architecture {manifest.architecture!r}, expected {arch.architecture!r}")
    if arch.vocabulary and not manifest.vocabulary:
        raise WeightsError(f"{path}: manifest has no vocabulary")
    with torch.device("meta"):
        build(directory, name, manifest)
    return manifest


def load_model(directory: Path, name: str, manifest: Manifest | None = None) -> tuple[torch.nn.Module, Manifest]:
    """The trained model ``name`` of ``directory`` and its manifest (``manifest``: already :func:`read`)."""
    if not has_weights(directory, name):
        raise WeightsError(f"{directory / (name + '.safetensors')}: weights file missing")
    manifest = manifest or read(directory, name)
    model = build(directory, name, manifest)
    load_weights(model, directory, name, manifest)
    return model, manifest


def _checked(directory: Path, name: str, make: Callable[[], Any]) -> Any:
    """``make()``, with an invalid manifest config or vocabulary reported as a :class:`WeightsError`."""
    try:
        return make()
    except (ValueError, TypeError, KeyError) as err:
        raise WeightsError(f"{directory / (name + '.json')}: invalid model config or vocabulary ({err})") from None


INT8_RUNTIMES = ("int8", "openvino")
"""Runtimes that name an int8 model: its absence or refusal is an error, not a fallback to fp32."""


@dataclass
class Weights:
    """A checked weights folder as the pipeline reads it: the ``manifests`` found, the names results
    report (``models``; :data:`UNTRAINED` for a missing model) and the int8 detector when asked for by name."""

    directory: Path
    manifests: dict[str, Manifest] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    int8: Int8Detector | None = None
    """The int8 detector, read by :func:`open_weights` when ``det_runtime`` names it (``int8``, ``openvino``:
    an error now, not later)."""


def open_weights(directory: Path, config: PipelineConfig, device: torch.device) -> Weights:
    """Check ``directory``'s manifests for the pipeline ``config`` on ``device``. Without weights in the
    package the models stay untrained; a folder given explicitly must hold both models. An int8 model
    asked for by name (``det_runtime`` ``int8`` or ``openvino``, ``rec_runtime`` ``int8``) is checked now: an
    error, not a warning later."""
    weights = Weights(directory)
    explicit = directory != PACKAGE_WEIGHTS
    runtimes = {"detector": config.det_runtime, "recognizer": config.rec_runtime}
    for name in ARCHITECTURES:
        if has_weights(directory, name):
            weights.manifests[name] = read(directory, name)
            weights.models[name] = weights.manifests[name].name
            if _wants_int8(directory, name, runtimes[name], device):
                weights.models[name] += "+int8"
        elif explicit or runtimes[name] == "int8":
            raise WeightsError(f"{directory / (name + '.safetensors')}: weights file missing")
        else:
            weights.models[name] = UNTRAINED
    if config.det_runtime in INT8_RUNTIMES:
        weights.int8 = int8_detector(directory, config.det_runtime, device, weights.manifests["detector"])
    if config.rec_runtime == "int8":
        problem = _int8_file_problem(directory, "recognizer", device, weights.manifests["recognizer"])
        if problem:
            raise WeightsError(f"{directory / int8_file('recognizer')}: {problem}")
    return weights


def stages(weights: Weights, config: PipelineConfig, device: torch.device, lexicon: Lexicon | None) -> tuple[Detector, Recognizer]:
    """The detector and recognizer of ``weights`` (checked by :func:`open_weights`) with ``config``'s settings;
    ``weights.models`` is corrected if an int8 model is refused. Torch models run with their BatchNorms
    folded into the convolutions (same outputs, less time)."""
    manifest = weights.manifests.get("detector")
    mean, std = normalization(manifest)
    post = postprocess(config.postprocess, manifest)
    int8 = weights.int8
    if int8 is None and manifest is not None:
        int8 = int8_detector(weights.directory, config.det_runtime, device, manifest)
    if int8 is not None:
        det_model: torch.nn.Module = int8
    elif manifest is not None:
        weights.models["detector"] = manifest.name
        det_model = fold_batch_norms(load_model(weights.directory, "detector", manifest)[0])
    else:
        det_model = fold_batch_norms(build(weights.directory, "detector", None))

    manifest = weights.manifests.get("recognizer")
    if manifest is not None:
        crnn = fold_batch_norms(load_model(weights.directory, "recognizer", manifest)[0])
        rec_model = int8_recognizer(weights.directory, crnn, config.rec_runtime, device, manifest)
        if rec_model is None:
            weights.models["recognizer"] = manifest.name
            rec_model = recognizer_model(crnn, config.rec_runtime, device)
    else:
        rec_model = recognizer_model(fold_batch_norms(build(weights.directory, "recognizer", None)), config.rec_runtime, device)
    detector = Detector(
        det_model, max_side=det_max_side(config, weights.manifests.get("detector")), max_upscale=config.det_max_upscale,
        postprocess=post, device=device, mean=mean, std=std,
    )
    recognizer = Recognizer(
        rec_model,
        vocabulary(manifest),
        batch_size=config.rec_batch_size,
        device=device,
        lexicon=lexicon,
        lexicon_margin=config.lexicon_margin,
        lexicon_beam=config.lexicon_beam,
    )
    return detector, recognizer


def _wants_int8(directory: Path, name: str, runtime: str, device: torch.device) -> bool:
    """Whether ``runtime`` asks for the int8 model ``name`` of ``directory`` (it may still be refused)."""
    path = directory / int8_file(name)
    return runtime in INT8_RUNTIMES or (runtime == "auto" and device.type == "cpu" and path.is_file())


def _int8_file_problem(directory: Path, name: str, device: torch.device, manifest: Manifest) -> str:
    """Why the int8 file of ``name`` cannot be used, as far as the file tells (empty: it can be tried)."""
    path = directory / int8_file(name)
    if device.type != "cpu":
        return f"the int8 {name} runs on CPUs only"
    if not path.is_file():
        return "file missing (docvision quantize writes it)"
    if manifest.int8_sha256 and sha256_file(path) != manifest.int8_sha256:
        return f"sha256 does not match {name}.json (corrupt or replaced file; run docvision quantize again)"
    return ""


def _int8_model(
    directory: Path, name: str, runtime: str, device: torch.device, manifest: Manifest,
    make: Callable[[Path], torch.nn.Module],
) -> torch.nn.Module | None:
    """The int8 model ``name`` of ``directory`` (built by ``make`` from its file) when ``runtime`` wants
    it, its file checks out (:func:`_int8_file_problem`) and it was quantized from these weights; None:
    run the fp32 model (with a warning when the file was refused). A runtime named (``int8``, ``openvino``)
    turns every refusal into an error."""
    if not _wants_int8(directory, name, runtime, device):
        return None
    path = directory / int8_file(name)
    problem = _int8_file_problem(directory, name, device, manifest)
    if not problem:
        try:
            model = make(path)
        except Exception as err:  # onnxruntime missing or the file unreadable
            problem = f"unusable ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        else:
            if model.source_sha256 == manifest.sha256:
                return model
            problem = f"quantized from other {name} weights (run docvision quantize again)"
    if runtime in INT8_RUNTIMES:
        raise WeightsError(f"{path}: {problem}")
    log.warning("%s: %s; using the fp32 %s", path, problem, name)
    return None


def int8_detector(directory: Path, runtime: str, device: torch.device, manifest: Manifest) -> Int8Detector | None:
    """The int8 detector of ``directory`` when ``runtime`` wants it and it belongs to these weights
    (:func:`_int8_model`), in OpenVINO when named or, for ``auto``, where it pays (:func:`openvino_pays`;
    ONNX Runtime if OpenVINO then fails)."""

    def make(path: Path) -> Int8Detector:
        if runtime == "auto" and openvino_pays():
            try:
                return Int8Detector(path, engine="openvino")
            except Exception as err:  # a broken install: ONNX Runtime runs the same file
                log.warning("%s: OpenVINO unusable (%s); using ONNX Runtime", path, str(err).splitlines()[0])
        return Int8Detector(path, engine="openvino" if runtime == "openvino" else "onnxruntime")

    return _int8_model(directory, "detector", runtime, device, manifest, make)


def int8_recognizer(directory: Path, crnn: CRNN, runtime: str, device: torch.device, manifest: Manifest) -> OnnxCRNN | None:
    """The int8 recognizer of ``directory`` (in ONNX Runtime beside ``crnn``, whose config and classes it
    reports) when ``runtime`` wants it and it belongs to these weights (:func:`_int8_model`)."""
    return _int8_model(directory, "recognizer", runtime, device, manifest, lambda path: OnnxCRNN(crnn, graph=path))


def recognizer_model(crnn: torch.nn.Module, runtime: str, device: torch.device) -> torch.nn.Module:
    """``crnn`` in fp32, in ONNX Runtime where ``runtime`` asks for it (``auto``: on CPUs)."""
    if runtime == "torch" or (runtime in ("auto", "int8") and device.type != "cpu"):
        return crnn
    try:
        return OnnxCRNN(crnn)
    except Exception as err:  # the exporter or ONNX Runtime of this install refused: torch still reads
        if runtime == "onnx":
            raise WeightsError(f"recognizer: ONNX Runtime unusable ({str(err).splitlines()[0]})") from None
        log.warning("recognizer: ONNX Runtime unusable (%s); using torch", str(err).splitlines()[0])
        return crnn
