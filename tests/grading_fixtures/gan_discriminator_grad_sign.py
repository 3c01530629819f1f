"""Planted bug: the discriminator loss gradients have the wrong sign."""

from gan_losses_ok import _sigmoid, discriminator_loss, generator_loss, generator_loss_grad  # noqa: F401


def discriminator_loss_grad(real_logits, fake_logits):
    # BUG: both signs flipped (this is the gradient of the loss the discriminator should maximise)
    return _sigmoid(-real_logits) / real_logits.size, -_sigmoid(fake_logits) / fake_logits.size
