"""Normalisation layers beyond batch norm: GroupNorm, InstanceNorm1d/2d (as ``torch.nn``), PixelNorm
(ProGAN) and AdaptiveInstanceNorm2d (StyleGAN's AdaIN with its style projection). The maths is in
``minigan.ops.norm``."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops.norm import adaptive_instance_norm, group_norm, instance_norm, pixel_norm
from .layers import Linear
from .module import Module, Parameter

__all__ = ["AdaptiveInstanceNorm2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "PixelNorm"]


def _ones(n: int) -> Parameter:
    return Parameter(Tensor(backend.array_module().ones(n, dtype=np.float32)))


def _zeros(n: int) -> Parameter:
    return Parameter(Tensor(backend.array_module().zeros(n, dtype=np.float32)))


class GroupNorm(Module):
    """Group norm over (N, C, *): C split into ``num_groups`` groups, each standardised per sample;
    weight (C,) = 1 and bias (C,) = 0 when ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels {num_channels} must be divisible by num_groups {num_groups}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = _ones(num_channels) if affine else None
        self.bias = _zeros(num_channels) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.num_channels}, *), got {tuple(x.shape)}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    """Instance norm: each (sample, channel) standardised over its positions. As PyTorch: no affine and no
    running statistics by default; with ``track_running_stats`` they are updated in training and used in eval
    (``num_batches_tracked`` is kept for PyTorch's state_dict keys and, as there, not counted)."""

    _ndim = 0
    _shape_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = _ones(num_features) if affine else None
        self.bias = _zeros(num_features) if affine else None
        if track_running_stats:
            xp = backend.array_module()
            self.register_buffer("running_mean", xp.zeros(num_features, dtype=np.float32))
            self.register_buffer("running_var", xp.ones(num_features, dtype=np.float32))
            self.register_buffer("num_batches_tracked", xp.zeros((), dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != self._ndim or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects input of shape {self._shape_text.format(c=self.num_features)}, "
                             f"got {tuple(x.shape)}")
        use_input_stats = self.training or not self.track_running_stats
        rm = None if self.running_mean is None else self.running_mean.data
        rv = None if self.running_var is None else self.running_var.data
        return instance_norm(x, rm, rv, self.weight, self.bias, use_input_stats, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) input."""

    _ndim = 3
    _shape_text = "(N, {c}, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) input (pix2pix, CycleGAN)."""

    _ndim = 4
    _shape_text = "(N, {c}, H, W)"


class PixelNorm(Module):
    """y = x / √(mean_c x² + eps) at every position (ProGAN's generator normalisation); no parameters."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2:
            raise ValueError(f"{self!r} expects input of shape (N, C, *), got {tuple(x.shape)}")
        return pixel_norm(x, self.eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"


class AdaptiveInstanceNorm2d(Module):
    """StyleGAN's AdaIN: instance norm whose per-sample scale and bias come from a style vector w.

        (s, b) = style(w) = w Aᵀ + a   (one Linear, w_dim → 2·C; a starts as (1, …, 1, 0, …, 0))
        y[n, c] = s[n, c] · x̂[n, c] + b[n, c]

    so that a fresh layer is a plain instance norm. ``forward(x, w)``: x (N, C, H, W), w (N, w_dim).
    state_dict keys: ``style.weight`` (2·C, w_dim), ``style.bias`` (2·C,).
    """

    def __init__(self, num_features: int, w_dim: int, eps: float = 1e-5):
        super().__init__()
        self.num_features, self.w_dim, self.eps = num_features, w_dim, eps
        self.style = Linear(w_dim, 2 * num_features)
        self.style.bias.data[...] = 0
        self.style.bias.data[:num_features] = 1

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        c, name = self.num_features, f"AdaptiveInstanceNorm2d({self.extra_repr()})"
        if x.ndim != 4 or x.shape[1] != c:
            raise ValueError(f"{name} expects input of shape (N, {c}, H, W), got {tuple(x.shape)}")
        if w.ndim != 2 or w.shape != (x.shape[0], self.w_dim):
            raise ValueError(f"{name} expects a style of shape ({x.shape[0]}, {self.w_dim}), got {tuple(w.shape)}")
        style = self.style(w)
        return adaptive_instance_norm(x, style[:, :c], style[:, c:], self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, w_dim={self.w_dim}, eps={self.eps}"
