"""Folding BatchNorms into convolutions keeps the models' outputs and removes every BatchNorm."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from docvision.config import BackboneConfig, DetectorConfig, RecognizerConfig
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet
from docvision.models.fold import fold_batch_norms


def _with_trained_statistics(model: nn.Module) -> nn.Module:
    """Non-trivial BatchNorm statistics and affine parameters, as after training."""
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.3, 0.3)
    return model.eval()


@pytest.mark.parametrize("depth", [18, 50])
def test_folded_detector_gives_the_same_map(depth):
    model = _with_trained_statistics(
        DBNet(DetectorConfig(backbone=BackboneConfig(depth=depth, fpn_channels=16), head_channels=8))
    )
    folded = fold_batch_norms(copy.deepcopy(model))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.allclose(folded(x), model(x), atol=1e-5)


def test_folded_recognizer_gives_the_same_logits():
    config = RecognizerConfig(channels=(8, 16, 16, 32), lstm_hidden=16, lstm_layers=1)
    model = _with_trained_statistics(CRNN(20, config))
    folded = fold_batch_norms(copy.deepcopy(model))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    x = torch.rand(2, 1, 32, 64)
    steps = torch.tensor([16, 12])
    with torch.no_grad():
        assert torch.allclose(folded(x, steps), model(x, steps), atol=1e-4)
