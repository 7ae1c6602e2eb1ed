"""``docvision quantize``: the int8 detector of a weights folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from docvision.cli import main
from docvision.config import PipelineConfig
from docvision.errors import WeightsError
from docvision.models.int8 import INT8_FILE, Int8Detector
from docvision.models.weights import read_manifest, sha256_file
from docvision.training.quantize import calibration_arrays, quantize_detector


def test_calibration_arrays_are_detector_inputs_of_page_content(page_image):
    blank = np.full((300, 200, 3), 255, np.uint8)
    page = np.array(page_image(600, 400, [(300, 200, 389, 229)]))
    (array,) = calibration_arrays(iter([blank, page]), PipelineConfig(det_max_side=300))  # the blank page gives nothing
    # scaled by 1/2: ink at rows 100-114, columns 150-194; content rows 64-146, columns 96-226; padded
    assert array.shape == (1, 3, 96, 160) and array.dtype == np.float32


def test_quantize_detector_writes_an_int8_file_of_these_weights(small_weights, tmp_path, page_image):
    directory = tmp_path / "weights"
    shutil.copytree(small_weights, directory)
    out = quantize_detector(directory, iter([np.array(page_image(320, 240))] * 2), PipelineConfig(det_max_side=256))
    assert out == directory / INT8_FILE
    assert Int8Detector(out, threads=1).source_sha256 == read_manifest(directory, "detector").sha256
    assert read_manifest(directory, "detector").int8_sha256 == sha256_file(out)
    assert sorted(p.name for p in directory.iterdir()) == sorted([*(p.name for p in small_weights.iterdir()), INT8_FILE])


def test_quantize_detector_needs_detector_weights(tmp_path):
    with pytest.raises(WeightsError, match="detector.safetensors"):
        quantize_detector(tmp_path, iter([]))


def test_quantize_command_on_synthetic_pages(small_weights, tmp_path, capsys):
    directory = tmp_path / "weights"
    shutil.copytree(small_weights, directory)
    assert main(["quantize", "--weights", str(directory), "--pages", "1", "--threads", "1"]) == 0
    assert (directory / INT8_FILE).is_file()
    assert main(["quantize", "--weights", str(tmp_path / "none")]) == 2
    assert "weights file missing" in capsys.readouterr().err
