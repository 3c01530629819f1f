"""GAN losses, models and the trainer."""

from . import losses

__all__ = ["losses"]
