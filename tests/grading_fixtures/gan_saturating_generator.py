"""Planted bug: the saturating generator loss mean log(1 - sigmoid(fake)) instead of the non-saturating one."""

import numpy as np
from gan_losses_ok import _sigmoid, _softplus, discriminator_loss, discriminator_loss_grad  # noqa: F401


def generator_loss(fake_logits):
    return float(np.mean(-_softplus(fake_logits)))  # BUG: log(1 - sigmoid(z)) = -softplus(z)


def generator_loss_grad(fake_logits):
    return -_sigmoid(fake_logits) / fake_logits.size  # BUG: the saturating loss's gradient
