"""Planted bug: the losses computed as log(sigmoid), which breaks on large logits."""

import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def discriminator_loss(real_logits, fake_logits):
    return float(-np.mean(np.log(_sigmoid(real_logits))) - np.mean(np.log(1 - _sigmoid(fake_logits))))


def generator_loss(fake_logits):
    return float(-np.mean(np.log(_sigmoid(fake_logits))))


def discriminator_loss_grad(real_logits, fake_logits):
    return (_sigmoid(real_logits) - 1) / real_logits.size, _sigmoid(fake_logits) / fake_logits.size


def generator_loss_grad(fake_logits):
    return (_sigmoid(fake_logits) - 1) / fake_logits.size
