"""``docvision quantize``: the int8 detector and recognizer of a weights folder."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
import pytest

from docvision.cli import main
from docvision.config import PipelineConfig
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.errors import WeightsError
from docvision.geometry import bbox_polygon
from docvision.models.int8 import Int8Detector, int8_file
from docvision.models.onnx_crnn import OnnxCRNN
from docvision.models.weights import Manifest, read_manifest, sha256_file
from docvision.training.quantize import calibration_arrays, crop_arrays, quantize_models
from docvision import zoo

BOXES = ((20, 20, 120, 40), (150, 20, 260, 40), (20, 80, 200, 100))


def labeled_page(page_image, width: int = 320, height: int = 240) -> LabeledPage:
    """A generated page whose black word-like boxes are labeled words."""
    words = [LabeledWord(f"w{i}", bbox_polygon(box)) for i, box in enumerate(BOXES)]
    return LabeledPage("p", np.array(page_image(width, height, BOXES)), words)


def test_calibration_arrays_are_detector_inputs_of_page_content(page_image):
    blank = np.full((300, 200, 3), 255, np.uint8)
    page = np.array(page_image(600, 400, [(300, 200, 389, 229)]))
    (array,) = calibration_arrays(iter([blank, page]), PipelineConfig(det_max_side=300))  # the blank page gives nothing
    # scaled by 1/2: ink at rows 100-114, columns 150-194; content rows 64-146, columns 96-226; padded
    assert array.shape == (1, 3, 96, 160) and array.dtype == np.float32


def test_calibration_arrays_are_at_the_size_the_detector_was_trained_at(page_image):
    page = np.array(page_image(600, 400, [(100, 100, 500, 300)]))
    trained = Manifest("dbnet", {}, max_side=300)
    (recorded,) = calibration_arrays([page], PipelineConfig(det_max_letter=0), trained)
    (given,) = calibration_arrays([page], PipelineConfig(det_max_side=150, det_max_letter=0), trained)
    (old,) = calibration_arrays([page], PipelineConfig(det_max_letter=0, det_max_upscale=1.0))  # DET_MAX_SIDE, not up
    assert recorded.shape[3] > given.shape[3] and recorded.shape[3] < old.shape[3]


def test_calibration_arrays_use_the_letter_size_scale(page_image):
    """A page of large letters is detected (and so calibrated) smaller than its det_max_side scale."""
    boxes = [(20 + 40 * i, 20 + 60 * j, 32 + 40 * i, 60 + 60 * j) for i in range(7) for j in range(4)]  # 40 px "letters"
    page = np.array(page_image(300, 260, boxes))
    (fit,) = calibration_arrays([page], PipelineConfig(det_max_side=300, det_max_upscale=1.0, det_max_letter=0))
    (letters,) = calibration_arrays([page], PipelineConfig(det_max_side=300, det_max_upscale=1.0, det_max_letter=20))
    assert letters.shape[2] < fit.shape[2] and letters.shape[3] < fit.shape[3]


def test_crop_arrays_are_recognizer_inputs_of_the_labeled_words(page_image):
    page = labeled_page(page_image)
    page.words.append(LabeledWord("x", bbox_polygon((20, 140, 60, 160)), ignore=True))
    arrays = crop_arrays([page, page], 32)
    assert len(arrays) == 6  # ignored words left out
    assert all(a.shape[:3] == (1, 1, 32) and a.shape[3] % 8 == 0 for a in arrays)
    assert len(crop_arrays([page] * 10, 32, count=5)) == 5  # every 6th of 30


def test_quantize_models_writes_int8_files_of_these_weights(small_weights, tmp_path, page_image):
    directory = tmp_path / "weights"
    shutil.copytree(small_weights, directory)
    outs = quantize_models(directory, [labeled_page(page_image)] * 2, config=PipelineConfig(det_max_side=256))
    assert outs == [directory / int8_file("detector"), directory / int8_file("recognizer")]
    assert Int8Detector(outs[0], threads=1).source_sha256 == read_manifest(directory, "detector").sha256
    crnn, manifest = zoo.load_model(directory, "recognizer")
    assert OnnxCRNN(crnn, threads=1, graph=outs[1]).source_sha256 == manifest.sha256
    for name, out in zip(("detector", "recognizer"), outs):
        assert read_manifest(directory, name).int8_sha256 == sha256_file(out)
    graph = onnx.load(str(outs[1])).graph
    ops = {n.op_type for n in graph.node}
    assert "DynamicQuantizeLSTM" in ops and "QuantizeLinear" in ops  # BiLSTM dynamic, convolutions static
    assert sorted(p.name for p in directory.iterdir()) == sorted([*(p.name for p in small_weights.iterdir()), *(o.name for o in outs)])


def test_quantize_models_needs_the_weights_and_words_for_the_recognizer(small_weights, tmp_path, page_image):
    with pytest.raises(WeightsError, match="detector.safetensors"):
        quantize_models(tmp_path, [])
    unlabeled = LabeledPage("p", np.array(page_image(320, 240, BOXES)))
    with pytest.raises(ValueError, match="no labeled words"):
        quantize_models(small_weights, [unlabeled], ["recognizer"])


def test_quantize_command_on_synthetic_pages(small_weights, tmp_path, capsys):
    directory = tmp_path / "weights"
    shutil.copytree(small_weights, directory)
    assert main(["quantize", "--weights", str(directory), "--pages", "1", "--threads", "1", "--model", "recognizer"]) == 0
    assert (directory / int8_file("recognizer")).is_file() and not (directory / int8_file("detector")).exists()
    assert main(["quantize", "--weights", str(directory), "--pages", "1", "--threads", "1"]) == 0
    assert (directory / int8_file("detector")).is_file()
    assert main(["quantize", "--weights", str(tmp_path / "none")]) == 2
    assert "weights file missing" in capsys.readouterr().err
