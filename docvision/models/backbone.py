"""ResNet trunk with a feature pyramid over a chosen set of stages."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn
from torchvision.models import resnet18, resnet34, resnet50
from torchvision.ops import FeaturePyramidNetwork

_RESNETS = {18: (resnet18, 64), 34: (resnet34, 64), 50: (resnet50, 256)}
"""depth -> (builder, channels of stage 1); each later stage doubles them."""


class ResNetFPN(nn.Module):
    """ResNet (no pretrained weights) + ``torchvision.ops.FeaturePyramidNetwork``.

    ``forward`` returns one ``(N, out_channels, H / s, W / s)`` map per stage,
    finest first, with strides ``s = 2 ** (stage + 1)`` (4, 8, 16, 32).
    """

    def __init__(self, depth: int = 50, stages: Sequence[int] = (2, 3, 4), out_channels: int = 256):
        super().__init__()
        if depth not in _RESNETS:
            raise ValueError(f"ResNet depth must be one of {sorted(_RESNETS)}, got {depth}")
        stages = tuple(sorted(stages))
        if not stages or any(s not in (1, 2, 3, 4) for s in stages) or len(set(stages)) != len(stages):
            raise ValueError(f"stages must be distinct values in 1..4, got {stages}")
        builder, base = _RESNETS[depth]
        resnet = builder(weights=None)
        self.stem = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        last = max(stages)
        self.layers = nn.ModuleList(getattr(resnet, f"layer{i}") for i in range(1, last + 1))
        self.stages = stages
        self.strides = tuple(2 ** (s + 1) for s in stages)
        self.fpn = FeaturePyramidNetwork([base * 2 ** (s - 1) for s in stages], out_channels)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        feats: OrderedDict[str, torch.Tensor] = OrderedDict()
        for i, layer in enumerate(self.layers, start=1):
            x = layer(x)
            if i in self.stages:
                feats[str(i)] = x
        return list(self.fpn(feats).values())
