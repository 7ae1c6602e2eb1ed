"""DB loss on toy tensors."""

from __future__ import annotations

import pytest
import torch

from docvision.detection.loss import BCE_WEIGHT, DICE_WEIGHT, L1_WEIGHT, balanced_bce, db_loss, dice_loss, masked_l1
from docvision.detection.targets import make_db_targets

import numpy as np


def toy_targets() -> torch.Tensor:
    box = np.array([[8, 10], [56, 10], [56, 26], [8, 26]], np.float32)
    t = make_db_targets([box], [False], 40, 64)
    return torch.from_numpy(np.stack([t.shrink_map, t.shrink_mask, t.thresh_map, t.thresh_mask]))[None]


def maps_from(prob: torch.Tensor, thresh: torch.Tensor, k: float = 50.0) -> torch.Tensor:
    prob = prob.clamp(1e-4, 1 - 1e-4)
    logits = torch.log(prob / (1 - prob))
    return torch.stack([logits, thresh, k * (prob - thresh)], dim=1)


def test_perfect_prediction_beats_wrong_one():
    targets = toy_targets()
    gt, thresh_gt = targets[:, 0], targets[:, 2]
    perfect = db_loss(maps_from(gt, thresh_gt), targets)
    wrong = db_loss(maps_from(1 - gt, 1 - thresh_gt), targets)
    blank = db_loss(maps_from(torch.zeros_like(gt), torch.full_like(gt, 0.5)), targets)
    for part in ("total", "bce", "dice", "l1"):
        assert torch.isfinite(perfect[part]) and torch.isfinite(wrong[part])
    assert perfect["total"] < blank["total"] < wrong["total"]
    assert perfect["bce"] < 0.01 and perfect["dice"] < 0.01 and perfect["l1"] < 1e-5
    total = BCE_WEIGHT * wrong["bce"] + DICE_WEIGHT * wrong["dice"] + L1_WEIGHT * wrong["l1"]
    assert wrong["total"].item() == pytest.approx(total.item(), rel=1e-5)


def test_gradient_flows_to_every_map():
    targets = toy_targets()
    maps = torch.zeros(1, 3, 40, 64, requires_grad=True)
    out = db_loss(maps, targets)
    out["total"].backward()
    assert not out["bce"].requires_grad  # the parts are detached for logging
    grad = maps.grad
    assert torch.isfinite(grad).all()
    assert all(grad[0, c].abs().sum() > 0 for c in range(3))


def test_empty_image_is_finite():
    targets = torch.zeros(2, 4, 32, 32)
    targets[:, 1] = 1  # all background, counted
    targets[:, 2] = 0.3
    maps = torch.randn(2, 3, 32, 32, requires_grad=True)
    out = db_loss(maps, targets)
    assert torch.isfinite(out["total"])
    out["total"].backward()
    assert torch.isfinite(maps.grad).all()


def test_balanced_bce_uses_hardest_negatives_at_3_to_1():
    gt = torch.zeros(1, 1, 10)
    gt[..., 0] = 1
    mask = torch.ones_like(gt)
    logits = torch.full_like(gt, -10.0)
    logits[..., 0] = 10.0  # the positive is right
    logits[..., 1:4] = 5.0  # three confident mistakes among 9 negatives
    loss = balanced_bce(logits, gt, mask)
    # 1 positive -> at most 3 negatives, the 3 worst: mean over 4 terms
    per = torch.nn.functional.binary_cross_entropy_with_logits(logits, gt, reduction="none")[0, 0]
    assert loss.item() == pytest.approx(((per[0] + per[1:4].sum()) / 4).item(), rel=1e-4)


def test_masked_pixels_do_not_count():
    gt = torch.zeros(1, 8, 8)
    mask = torch.ones_like(gt)
    mask[:, :4] = 0
    pred = torch.zeros_like(gt)
    pred[:, :4] = 1  # wrong only where masked
    assert masked_l1(pred, gt, mask).item() == pytest.approx(0.0)
    gt[:, 4:] = 1
    pred = torch.ones_like(gt)  # right where counted, wrong (false positives) where masked
    assert dice_loss(pred, gt, mask).item() == pytest.approx(0.0, abs=1e-6)
    assert dice_loss(pred, gt, torch.ones_like(gt)).item() > 0.3
