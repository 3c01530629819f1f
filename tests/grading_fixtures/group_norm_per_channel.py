"""Planted bug: group norm with the statistics of each channel (instance norm), not of each group."""

import numpy as np
from group_norm_ok import group_norm_backward  # noqa: F401


def group_norm_forward(x, gamma, beta, num_groups, eps):
    mu = x.mean(axis=(2, 3), keepdims=True)  # BUG: over one channel, not the group's C/G channels
    x_hat = (x - mu) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    return gamma[:, None, None] * x_hat + beta[:, None, None]
