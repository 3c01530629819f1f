"""Multilayer perceptrons for toy data (and flattened images): the networks of lessons 03–10 and 13."""

from __future__ import annotations

import math

from ... import nn
from ...autograd import Tensor
from .blocks import MinibatchStdDev, norm_layers, spectral

__all__ = ["MLPDiscriminator", "MLPGenerator"]


class MLPGenerator(nn.Module):
    """z → [Linear → ReLU] × depth → Linear → sample (optionally tanh, reshaped to ``out_shape``).

    ``out_shape`` is (dim,) for toy data or (C, H, W) for images (then ``tanh=True``).
    """

    def __init__(self, nz: int, out_shape, hidden: int = 128, depth: int = 3, tanh: bool = False):
        super().__init__()
        self.nz, self.out_shape = nz, tuple(out_shape) if not isinstance(out_shape, int) else (out_shape,)
        layers, width = [], nz
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, math.prod(self.out_shape)))
        if tanh:
            layers.append(nn.Tanh())
        if len(self.out_shape) > 1:
            layers.append(nn.Unflatten(1, self.out_shape))
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


class MLPDiscriminator(nn.Module):
    """x → flatten → [Linear → norm → LeakyReLU(0.2)] × depth → (minibatch std) → Linear → score (N,)."""

    def __init__(self, in_shape, hidden: int = 128, depth: int = 3, norm: str = "none",
                 spectral_norm: bool = False, minibatch_std: bool = False):
        super().__init__()
        in_shape = (in_shape,) if isinstance(in_shape, int) else tuple(in_shape)
        layers, width = [nn.Flatten()], math.prod(in_shape)
        for _ in range(depth):
            layers += [spectral(nn.Linear(width, hidden), spectral_norm), *norm_layers(norm, hidden),
                       nn.LeakyReLU(0.2)]
            width = hidden
        if minibatch_std:
            layers.append(MinibatchStdDev())
            width += 1
        layers.append(spectral(nn.Linear(width, 1), spectral_norm))
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x).reshape(-1)
