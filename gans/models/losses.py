"""The adversarial losses on D's logits, computed in float32 whatever the autocast dtype."""

import torch
import torch.nn.functional as F


def bce(logits, targets):
    return F.binary_cross_entropy_with_logits(logits.float(), targets.float())


def bce_ones(logits):
    return bce(logits, torch.ones_like(logits))


def bce_zeros(logits):
    return bce(logits, torch.zeros_like(logits))
