"""Assignment: the GAN losses and their gradients with respect to the logits, in plain NumPy.

The discriminator D outputs logits z (before the sigmoid σ); D(x) = σ(z). Averaging over the batch:

    discriminator (minimax):      L_D = −mean log σ(real_logits) − mean log(1 − σ(fake_logits))
    generator (non-saturating):   L_G = −mean log σ(fake_logits)

Logits can be large (±100): log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z), with
softplus(z) = log(1 + e^z) computed as np.logaddexp(0, z), never overflow.

Check your work with:  minigan check gan_losses gan_losses.py
"""

import numpy as np  # noqa: F401  (you will need it)


def discriminator_loss(real_logits, fake_logits):
    """real_logits, fake_logits: arrays of the same shape, (N,) or (N, 1). Returns L_D as a float."""
    # TODO
    raise NotImplementedError("TODO: discriminator_loss")


def generator_loss(fake_logits):
    """Returns L_G as a float."""
    # TODO
    raise NotImplementedError("TODO: generator_loss")


def discriminator_loss_grad(real_logits, fake_logits):
    """Returns (d_real, d_fake) = (dL_D/d real_logits, dL_D/d fake_logits), shaped like the logits.

    Use d/dz softplus(z) = σ(z), and remember the 1/N of the mean.
    """
    # TODO
    raise NotImplementedError("TODO: discriminator_loss_grad")


def generator_loss_grad(fake_logits):
    """Returns d_fake = dL_G/d fake_logits, shaped like fake_logits."""
    # TODO
    raise NotImplementedError("TODO: generator_loss_grad")
