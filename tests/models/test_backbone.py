"""ResNet + FPN: one map per chosen stage, finest first, at the documented strides."""

from __future__ import annotations

import pytest
import torch

from docvision.models.backbone import ResNetFPN


@pytest.mark.parametrize("stages", [(2, 3, 4), (1, 2, 3, 4), (3, 4)])
def test_stage_sets_shapes_and_strides(stages):
    model = ResNetFPN(18, stages, out_channels=16).eval()
    expected_strides = tuple(2 ** (s + 1) for s in stages)
    assert model.strides == expected_strides
    with torch.no_grad():
        maps = model(torch.zeros(2, 3, 64, 96))
    assert len(maps) == len(stages)
    assert [tuple(m.shape) for m in maps] == [(2, 16, 64 // s, 96 // s) for s in expected_strides]


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_depths(depth):
    model = ResNetFPN(depth, (1, 2, 3, 4), out_channels=8).eval()
    with torch.no_grad():
        maps = model(torch.zeros(1, 3, 64, 64))
    assert [tuple(m.shape) for m in maps] == [(1, 8, 16, 16), (1, 8, 8, 8), (1, 8, 4, 4), (1, 8, 2, 2)]


def test_unused_later_stages_are_not_built():
    model = ResNetFPN(18, (1, 2))
    assert len(model.layers) == 2


def test_stage_order_does_not_matter():
    assert ResNetFPN(18, (4, 2, 3), out_channels=8).stages == (2, 3, 4)


@pytest.mark.parametrize("stages", [(), (0, 1), (2, 5), (2, 2, 3)])
def test_invalid_stages_raise(stages):
    with pytest.raises(ValueError, match="stages"):
        ResNetFPN(18, stages)


@pytest.mark.parametrize("depth", [0, 101, 152])
def test_invalid_depth_raises(depth):
    with pytest.raises(ValueError, match="depth"):
        ResNetFPN(depth)
