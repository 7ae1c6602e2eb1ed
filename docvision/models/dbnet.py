"""DBNet: differentiable binarization text detector (Liao et al., AAAI 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from docvision.config import DetectorConfig
from docvision.models.backbone import ResNetFPN


def _branch(channels: int) -> nn.Sequential:
    """conv-BN-ReLU, two stride-2 transposed convs: one map at 4x the input size."""
    mid = channels // 4
    return nn.Sequential(
        nn.Conv2d(channels, mid, 3, padding=1, bias=False),
        nn.BatchNorm2d(mid),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(mid, mid, 2, stride=2, bias=False),
        nn.BatchNorm2d(mid),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(mid, 1, 2, stride=2),
    )


class DBNet(nn.Module):
    """ResNet-FPN backbone + DB head.

    ``forward`` returns the text probability map ``(N, 1, H, W)`` at the input size.
    ``training_maps`` returns ``(N, 3, H, W)``: probability logits, threshold map
    and binary-map logits ``k (P - T)``, what :func:`docvision.detection.loss.db_loss` takes.
    Input height and width must be multiples of 32.
    """

    def __init__(self, config: DetectorConfig = DetectorConfig()):
        super().__init__()
        bb = config.backbone
        self.config = config
        self.backbone = ResNetFPN(bb.depth, bb.stages, bb.fpn_channels)
        inner = config.head_channels
        self.reduce = nn.ModuleList(
            nn.Conv2d(bb.fpn_channels, inner, 3, padding=1, bias=False) for _ in bb.stages
        )
        fused = inner * len(bb.stages)
        self.prob_head = _branch(fused)
        self.thresh_head = _branch(fused)

    def _fused(self, x: torch.Tensor) -> torch.Tensor:
        levels = self.backbone(x)
        size = levels[0].shape[-2:]
        maps = [conv(level) for conv, level in zip(self.reduce, levels)]
        maps = [maps[0]] + [F.interpolate(m, size=size, mode="nearest") for m in maps[1:]]
        return torch.cat(maps, dim=1)

    def _to_input_size(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if logits.shape[-2:] == x.shape[-2:]:
            return logits
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self._to_input_size(self.prob_head(self._fused(x)), x))

    def training_maps(self, x: torch.Tensor) -> torch.Tensor:
        fused = self._fused(x)
        prob_logits = self._to_input_size(self.prob_head(fused), x)
        thresh = torch.sigmoid(self._to_input_size(self.thresh_head(fused), x))
        binary_logits = self.config.k * (torch.sigmoid(prob_logits) - thresh)
        return torch.cat([prob_logits, thresh, binary_logits], dim=1)
