"""Equalized learning rate (ProGAN, Karras et al. 2018; StyleGAN): weights stored as N(0, 1) and scaled at
run time by the constant of He's initialisation,

    W = c · W_orig,   c = gain · lr_multiplier / √fan_in     (gain √2 by default)

so that every layer's effective step size is the same under Adam, whatever its fan-in. As
``spectral_norm`` does, the wrapper keeps the stored weight as the Parameter ``weight_orig`` and
recomputes ``weight`` before every forward; W_orig is drawn anew from N(0, 1/lr_multiplier²) and the
bias (if any) zeroed, as in the papers. ``lr_multiplier`` < 1 slows a layer down (StyleGAN's mapping
network uses 0.01).
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from . import init
from .module import Module

__all__ = ["EqualizedLR", "equalized_lr", "remove_equalized_lr"]


class EqualizedLR:
    """The forward pre-hook that sets ``module.<name>`` = c · ``<name>_orig``."""

    def __init__(self, name: str, scale: float):
        self.name, self.scale = name, scale

    def compute_weight(self, module: Module):
        return getattr(module, self.name + "_orig") * self.scale

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def equalized_lr(module: Module, name: str = "weight", gain: float = math.sqrt(2), lr_multiplier: float = 1.0
                 ) -> Module:
    """Give ``module.<name>`` an equalized learning rate and return ``module``.

    ``G = nn.Sequential(equalized_lr(nn.Conv2d(512, 512, 3, padding=1)), nn.LeakyReLU(0.2), nn.PixelNorm())``
    """
    if any(isinstance(h, EqualizedLR) and h.name == name for h in module._forward_pre_hooks.values()):
        raise RuntimeError(f"equalized_lr is already applied to parameter {name!r} of {type(module).__name__}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"equalized_lr: {type(module).__name__} has no parameter named {name!r}")
    if lr_multiplier <= 0:
        raise ValueError(f"equalized_lr: lr_multiplier must be positive, got {lr_multiplier}")
    fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
    hook = EqualizedLR(name, gain * lr_multiplier / math.sqrt(fan_in))
    with no_grad():
        init.normal_(weight, 0.0, 1.0 / lr_multiplier)
        if module._parameters.get("bias") is not None:
            init.zeros_(module._parameters["bias"])
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_equalized_lr(module: Module, name: str = "weight") -> Module:
    """Undo :func:`equalized_lr`: ``<name>`` becomes a Parameter again, holding c · W_orig."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, EqualizedLR) and hook.name == name:
            original = module._parameters[name + "_orig"]
            original.data = hook.compute_weight(module).data
            delattr(module, name + "_orig")
            del module._forward_pre_hooks[key]
            module.register_parameter(name, original)
            return module
    raise ValueError(f"equalized_lr of {name!r} not found in {type(module).__name__}")
