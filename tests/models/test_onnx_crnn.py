"""The CRNN in ONNX Runtime: the torch model's logits on unpadded batches, chosen by rec_runtime."""

from __future__ import annotations

import pytest
import torch

from docvision.config import PipelineConfig, RecognizerConfig
from docvision.models.crnn import CRNN
from docvision.models.onnx_crnn import OnnxCRNN
from docvision.pipeline import load


def test_same_logits_as_torch_at_any_width():
    torch.manual_seed(0)
    model = CRNN(12, RecognizerConfig(channels=(8, 16, 16, 32), lstm_hidden=16, lstm_layers=2)).eval()
    onnx = OnnxCRNN(model, threads=1)
    for n, width in ((1, 16), (3, 96), (2, 400)):
        x = torch.rand(n, 1, 32, width)
        with torch.no_grad():
            expected = model(x)
        assert torch.allclose(onnx(x), expected, atol=1e-4)
        assert torch.allclose(onnx(x, torch.full((n,), width // 4)), expected, atol=1e-4)
    with pytest.raises(ValueError, match="unpadded"):
        onnx(torch.rand(2, 1, 32, 64), torch.tensor([16, 10]))


@pytest.mark.parametrize("runtime,kind", [("auto", OnnxCRNN), ("onnx", OnnxCRNN), ("torch", CRNN)])
def test_rec_runtime_picks_the_model(runtime, kind):
    ocr = load(config=PipelineConfig(rec_runtime=runtime, lexicon=()), device="cpu")
    assert type(ocr.recognizer.model) is kind


def test_unknown_rec_runtime_is_refused():
    with pytest.raises(ValueError, match="rec_runtime must be one of auto, torch, onnx, int8"):
        load(config=PipelineConfig(rec_runtime="tensorrt"))
