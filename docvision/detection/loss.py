"""DBNet loss as the reference code trains it: 5 x balanced BCE + 1 x Dice + 10 x L1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

BCE_WEIGHT, DICE_WEIGHT, L1_WEIGHT = 5.0, 1.0, 10.0
NEGATIVE_RATIO = 3.0
EPS = 1e-6


def balanced_bce(logits: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """BCE over all positives and the hardest negatives (at most 3 per positive)."""
    positive = gt * mask
    negative = (1 - gt) * mask
    n_pos = int(positive.sum().item())
    n_neg = min(int(negative.sum().item()), int(n_pos * NEGATIVE_RATIO))
    loss = F.binary_cross_entropy_with_logits(logits, gt, reduction="none")
    pos_loss = (loss * positive).sum()
    neg_loss = torch.topk((loss * negative).flatten(), n_neg).values.sum() if n_neg > 0 else loss.sum() * 0
    return (pos_loss + neg_loss) / (n_pos + n_neg + EPS)


def dice_loss(prob: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    intersection = (prob * gt * mask).sum()
    union = (prob * mask).sum() + (gt * mask).sum() + EPS
    return 1 - 2 * intersection / union


def masked_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return ((pred - gt).abs() * mask).sum() / (mask.sum() + EPS)


def db_loss(maps: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """Loss of :meth:`DBNet.training_maps` output ``(N, 3, H, W)`` against targets
    ``(N, 4, H, W)`` = shrink map, shrink mask, threshold map, threshold mask.

    Returns the weighted ``total`` and its unweighted parts ``bce``, ``dice``, ``l1``.
    """
    maps, targets = maps.float(), targets.float()
    prob_logits, thresh, binary_logits = maps[:, 0], maps[:, 1], maps[:, 2]
    gt, mask, thresh_gt, thresh_mask = targets.unbind(1)
    bce = balanced_bce(prob_logits, gt, mask)
    dice = dice_loss(torch.sigmoid(binary_logits), gt, mask)
    l1 = masked_l1(thresh, thresh_gt, thresh_mask)
    total = BCE_WEIGHT * bce + DICE_WEIGHT * dice + L1_WEIGHT * l1
    return {"total": total, "bce": bce.detach(), "dice": dice.detach(), "l1": l1.detach()}
