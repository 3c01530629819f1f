"""Planted bug: group norm with the unbiased variance (ddof=1)."""

import numpy as np
from group_norm_ok import group_norm_backward  # noqa: F401


def group_norm_forward(x, gamma, beta, num_groups, eps):
    xg = x.reshape(x.shape[0], num_groups, -1)
    x_hat = (xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, ddof=1, keepdims=True) + eps)  # BUG
    return gamma[:, None, None] * x_hat.reshape(x.shape) + beta[:, None, None]
