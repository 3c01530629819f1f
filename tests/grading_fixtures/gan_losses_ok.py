"""Correct GAN losses, stable for any logit: -log σ(z) = softplus(-z), -log(1 - σ(z)) = softplus(z)."""

import numpy as np


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return np.exp(-_softplus(-z))


def discriminator_loss(real_logits, fake_logits):
    return float(np.mean(_softplus(-real_logits)) + np.mean(_softplus(fake_logits)))


def generator_loss(fake_logits):
    return float(np.mean(_softplus(-fake_logits)))


def discriminator_loss_grad(real_logits, fake_logits):
    return -_sigmoid(-real_logits) / real_logits.size, _sigmoid(fake_logits) / fake_logits.size


def generator_loss_grad(fake_logits):
    return -_sigmoid(-fake_logits) / fake_logits.size
