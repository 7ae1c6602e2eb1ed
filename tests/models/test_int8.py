"""The int8 models: ONNX export, static (and dynamic) quantization, and ONNX Runtime / OpenVINO inference."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from docvision.config import RecognizerConfig
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.models.fold import fold_batch_norms
from docvision.models.int8 import CRNN_DYNAMIC, FP32_HEAD, Int8Detector, export_onnx, quantize
from docvision.models.onnx_crnn import OnnxCRNN, export_crnn
from tests.conftest import SMALL_DETECTOR


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return fold_batch_norms(DBNet(SMALL_DETECTOR)).eval()


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "detector.onnx"
    export_onnx(model, path)
    return path


def inputs(seed: int, shape=(1, 3, 96, 128)) -> np.ndarray:
    """Page-like inputs: bright paper with dark strokes, normalized as the detector's."""
    rng = np.random.default_rng(seed)
    x = rng.normal(1.8, 0.2, shape).astype(np.float32)
    x[..., 40:56, 16:80] = rng.normal(-1.8, 0.2, (*shape[:2], 16, 64))
    return x


def test_exported_graph_runs_any_size_and_batch_like_torch(model, exported):
    x = inputs(1, (2, 3, 160, 96))  # not the traced 64 x 64, batch of 2
    with torch.inference_mode():
        want = model(torch.from_numpy(x)).numpy()
    got = Int8Detector(exported, threads=1)(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape == (2, 1, 160, 96)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_quantized_detector_is_int8_close_to_fp32_and_names_its_source(model, exported, tmp_path):
    out = tmp_path / "detector.int8.onnx"
    quantize(exported, out, (inputs(s) for s in range(4)), "abc123")
    graph = onnx.load(str(out)).graph
    quantized = {i for n in graph.node if n.op_type == "DequantizeLinear" for i in n.output}
    convs = [n for n in graph.node if n.op_type in ("Conv", "ConvTranspose")]
    head = [n for n in convs if any(f"/{m}" in n.name for m in FP32_HEAD)]
    assert head and all(n.input[1] not in quantized for n in head)  # the head keeps fp32 weights
    assert sum(n.input[1] in quantized for n in convs) == len(convs) - len(head)  # the rest is int8
    assert out.stat().st_size < exported.stat().st_size / 2

    int8 = Int8Detector(out, threads=1)
    assert int8.source_sha256 == "abc123"
    x = inputs(9)
    with torch.inference_mode():
        want = model(torch.from_numpy(x)).numpy()
    got = int8(torch.from_numpy(x)).numpy()
    assert np.abs(got - want).mean() < 0.02 and np.abs(got - want).max() < 0.2


def test_openvino_runs_the_int8_detector_as_onnx_runtime_does(model, exported, tmp_path):
    pytest.importorskip("openvino")
    out = tmp_path / "detector.int8.onnx"
    quantize(exported, out, (inputs(s) for s in range(4)), "abc123")
    ort, ov = Int8Detector(out, threads=1), Int8Detector(out, threads=1, engine="openvino")
    assert ov.engine == "openvino" and ov.source_sha256 == "abc123"
    for shape in ((1, 3, 96, 128), (2, 3, 160, 96)):  # any size and batch
        x = torch.from_numpy(inputs(3, shape))
        want, got = ort(x).numpy(), ov(x).numpy()
        assert got.shape == want.shape and np.abs(got - want).max() < 0.05
    with pytest.raises(ValueError, match="engine must be one of"):
        Int8Detector(out, engine="tensorrt")


def test_crnn_quantized_with_a_dynamic_bilstm_reads_like_fp32(tmp_path):
    """The recognizer's recipe: convolutions static int8, BiLSTM and classifier dynamic int8."""
    torch.manual_seed(0)
    crnn = fold_batch_norms(CRNN(12, RecognizerConfig(channels=(8, 16, 16, 32), lstm_hidden=16))).eval()
    fp32 = tmp_path / "crnn.onnx"
    fp32.write_bytes(export_crnn(crnn))
    rng = np.random.default_rng(0)
    crops = [rng.random((1, 1, 32, w), np.float32) for w in (32, 64, 96, 64)]
    out = tmp_path / "crnn.int8.onnx"
    quantize(fp32, out, crops, "abc123", fp32_modules=(), dynamic_modules=CRNN_DYNAMIC)
    graph = onnx.load(str(out)).graph
    quantized = {i for n in graph.node if n.op_type == "DequantizeLinear" for i in n.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    assert convs and all(n.input[1] in quantized for n in convs)
    assert {n.op_type for n in graph.node} >= {"DynamicQuantizeLSTM", "MatMulInteger"}
    assert "LSTM" not in {n.op_type for n in graph.node}

    int8 = OnnxCRNN(crnn, threads=1, graph=out)
    assert int8.source_sha256 == "abc123"
    x = torch.from_numpy(rng.random((3, 1, 32, 80), np.float32))
    with torch.inference_mode():
        want = crnn(x).softmax(-1)
    got = int8(x).softmax(-1)
    assert got.shape == want.shape == (3, 20, 12)
    assert (got - want).abs().max() < 0.05
