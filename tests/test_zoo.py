"""The model zoo: every reader of a weights folder makes the pipeline's checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import docvision
from docvision import zoo
from docvision.config import DET_MAX_SIDE, SHRINK_RATIO, PipelineConfig
from docvision.detection.detector import MEAN, STD
from docvision.errors import WeightsError
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.training.quantize import quantize_models


def _copy(source, folder, swap_detector_manifest=False):
    folder.mkdir()
    for name in ("detector.safetensors", "detector.json", "recognizer.safetensors", "recognizer.json"):
        (folder / name).write_bytes((source / name).read_bytes())
    if swap_detector_manifest:
        (folder / "detector.json").write_bytes((source / "recognizer.json").read_bytes())
    return folder


def test_load_model_builds_and_loads_each_architecture(small_weights):
    detector, manifest = zoo.load_model(small_weights, "detector")
    assert isinstance(detector, DBNet) and manifest.name == "test-dbnet"
    recognizer, manifest = zoo.load_model(small_weights, "recognizer")
    assert isinstance(recognizer, CRNN) and recognizer.config == zoo.model_config(small_weights, "recognizer", manifest)
    assert any(p.abs().sum() > 0 for p in detector.parameters()) and not any(p.is_meta for p in detector.parameters())


def test_quantize_checks_the_architecture_as_the_pipeline(tmp_path, small_weights):
    folder = _copy(small_weights, tmp_path / "swapped", swap_detector_manifest=True)
    with pytest.raises(WeightsError, match="architecture 'crnn', expected 'dbnet'"):
        quantize_models(folder, [])


def test_invalid_config_names_the_manifest(tmp_path, small_weights):
    folder = _copy(small_weights, tmp_path / "bad")
    data = json.loads((folder / "detector.json").read_text())
    data["config"]["backbone"]["depth"] = 7
    (folder / "detector.json").write_text(json.dumps(data))
    with pytest.raises(WeightsError, match=f"{folder / 'detector.json'}: invalid model config"):
        zoo.load_model(folder, "detector")


def test_read_builds_nothing_in_memory(small_weights, monkeypatch):
    built = []
    real = zoo.ARCHITECTURES["detector"]
    monkeypatch.setitem(zoo.ARCHITECTURES, "detector", zoo.Architecture(
        real.architecture, real.config, lambda config, manifest: built.append(real.build(config, manifest)) or built[-1]))
    zoo.read(small_weights, "detector")
    assert built and all(p.device == torch.device("meta") for p in built[0].parameters())


def test_pipeline_reads_what_training_recorded(tmp_path, small_weights):
    """Standardization, input size and shrink ratio come from the detector's manifest; old manifests get the
    defaults; a ``det_max_side`` given wins."""
    old = docvision.load(small_weights, device="cpu", config=PipelineConfig(det_runtime="torch")).detector
    assert old.postprocess.shrink_ratio == SHRINK_RATIO and (old.mean == MEAN).all() and (old.std == STD).all()
    assert old.max_side == DET_MAX_SIDE
    folder = _copy(small_weights, tmp_path / "recorded")
    data = json.loads((folder / "detector.json").read_text())
    data.update(mean=[100.0, 110.0, 120.0], std=[50.0, 60.0, 70.0], shrink_ratio=0.5, max_side=1000)
    (folder / "detector.json").write_text(json.dumps(data))
    detector = docvision.load(folder, device="cpu", config=PipelineConfig(det_runtime="torch")).detector
    assert detector.postprocess.shrink_ratio == 0.5 and detector.max_side == 1000
    given = PipelineConfig(det_runtime="torch", det_max_side=640)
    assert docvision.load(folder, device="cpu", config=given).detector.max_side == 640
    assert detector.mean.tolist() == [100.0, 110.0, 120.0] and detector.std.tolist() == [50.0, 60.0, 70.0]
    page = np.full((64, 64, 3), 255, np.uint8)
    page[20:40, 10:50] = 0
    assert not np.allclose(old.probability_map(page)[0], detector.probability_map(page)[0])  # the same weights, other inputs
