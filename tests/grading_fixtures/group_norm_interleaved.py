"""Planted bug: group norm whose groups interleave the channels (channel c in group c % G)."""

import numpy as np
from group_norm_ok import group_norm_backward  # noqa: F401


def group_norm_forward(x, gamma, beta, num_groups, eps):
    n, c, h, w = x.shape
    xg = x.reshape(n, c // num_groups, num_groups, h, w)  # BUG: should be (n, num_groups, c // num_groups, h, w)
    x_hat = (xg - xg.mean(axis=(1, 3, 4), keepdims=True)) / np.sqrt(xg.var(axis=(1, 3, 4), keepdims=True) + eps)
    return gamma[:, None, None] * x_hat.reshape(x.shape) + beta[:, None, None]
