"""Self-attention for 2-D feature maps, as in SAGAN (Zhang et al., 2019).

For x (N, C, H, W) with P = H·W positions, three 1×1 convolutions give queries, keys and values

    q = W_q x  (C/8 channels),   k = W_k x  (C/8),   v = W_v x  (C)
    e[i, j] = q_i · k_j,   a[i, :] = softmax_j e[i, :]      (each position attends over all positions)
    o_i = Σ_j a[i, j] v_j,   y = γ · o + x                    (γ a learned scalar, initialised to 0)

so a fresh block is the identity and the network learns how much non-local evidence to use. Built from
convolutions, batched matrix products and softmax; everything is differentiable again (WGAN-GP, R1).
state_dict keys: ``query.weight`` / ``query.bias`` (C/8, C, 1, 1), ``key.*`` (C/8, C, 1, 1), ``value.*``
(C, C, 1, 1), ``gamma`` (1,).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops import matmul, swapaxes
from . import functional as F
from .layers import Conv2d
from .module import Module, Parameter

__all__ = ["SelfAttention2d"]


class SelfAttention2d(Module):
    """SAGAN's self-attention block: y = γ · attention(x) + x, for (N, channels, H, W) input."""

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        if channels < 1 or reduction < 1:
            raise ValueError(f"SelfAttention2d: channels and reduction must be positive, got {channels}, {reduction}")
        self.channels, self.inner = channels, max(1, channels // reduction)
        self.query = Conv2d(channels, self.inner, 1)
        self.key = Conv2d(channels, self.inner, 1)
        self.value = Conv2d(channels, channels, 1)
        self.gamma = Parameter(Tensor(backend.array_module().zeros(1, dtype=np.float32)))

    def attention(self, x: Tensor) -> Tensor:
        """The (N, P, P) attention weights a[n, i, j] (each row sums to 1)."""
        n, _, h, w = x.shape
        q = self.query(x).reshape(n, self.inner, h * w)
        k = self.key(x).reshape(n, self.inner, h * w)
        return F.softmax(matmul(swapaxes(q, 1, 2), k), axis=-1)  # (N, P, C/8) @ (N, C/8, P)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"{self._name()} expects input of shape (N, {self.channels}, H, W), got {tuple(x.shape)}")
        n, c, h, w = x.shape
        v = self.value(x).reshape(n, c, h * w)
        o = matmul(v, swapaxes(self.attention(x), 1, 2))  # o[:, :, i] = Σ_j a[i, j] v[:, j]
        return self.gamma * o.reshape(n, c, h, w) + x

    def extra_repr(self) -> str:
        return f"{self.channels}, inner={self.inner}"

    def _name(self) -> str:
        """The one-line name errors use (the repr lists the child convolutions too)."""
        return f"SelfAttention2d({self.extra_repr()})"
