"""DBNet: probability map at the input size in [0, 1]; three training maps."""

from __future__ import annotations

import pytest
import torch

from docvision.config import BackboneConfig, DetectorConfig
from docvision.detection.loss import db_loss
from docvision.models.dbnet import DBNet


def small(stages=(2, 3, 4), depth=18) -> DBNet:
    torch.manual_seed(0)
    return DBNet(DetectorConfig(backbone=BackboneConfig(depth=depth, stages=stages, fpn_channels=32), head_channels=16))


@pytest.mark.parametrize("stages", [(2, 3, 4), (1, 2, 3, 4), (3, 4)])
def test_forward_is_probability_at_input_size(stages):
    model = small(stages).eval()
    with torch.no_grad():
        prob = model(torch.randn(2, 3, 64, 96))
    assert prob.shape == (2, 1, 64, 96)
    assert float(prob.min()) >= 0.0 and float(prob.max()) <= 1.0


def test_default_is_resnet50_over_stages_2_to_4():
    model = DBNet().eval()
    assert model.backbone.stages == (2, 3, 4)
    assert model.backbone.fpn.inner_blocks[-1][0].in_channels == 2048  # ResNet-50 layer4
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 1, 64, 64)


def test_training_maps_three_channels_and_consistent_with_forward():
    model = small().eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        maps = model.training_maps(x)
        prob = model(x)
    assert maps.shape == (1, 3, 64, 64)
    prob_logits, thresh, binary_logits = maps[:, 0], maps[:, 1], maps[:, 2]
    torch.testing.assert_close(torch.sigmoid(prob_logits), prob[:, 0])
    assert float(thresh.min()) >= 0 and float(thresh.max()) <= 1
    torch.testing.assert_close(binary_logits, model.config.k * (torch.sigmoid(prob_logits) - thresh))


def test_training_maps_feed_the_loss_and_backpropagate():
    model = small().train()
    x = torch.randn(2, 3, 64, 64)
    targets = torch.zeros(2, 4, 64, 64)
    targets[:, 0, 20:40, 10:50] = 1  # shrink map
    targets[:, 1] = 1  # shrink mask
    targets[:, 2] = 0.5  # threshold map
    targets[:, 3, 15:45, 5:55] = 1  # threshold mask
    loss = db_loss(model.training_maps(x), targets)["total"]
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert torch.isfinite(loss)
