"""Planted bug: instance norm's dx without the term through the mean."""

import numpy as np
from instance_norm_ok import instance_norm_forward  # noqa: F401


def instance_norm_backward(dout, x, gamma, beta, eps):
    inv_std = 1 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    x_hat = (x - x.mean(axis=(2, 3), keepdims=True)) * inv_std
    g = dout * gamma[:, None, None]
    dx = inv_std * (g - x_hat * (g * x_hat).mean(axis=(2, 3), keepdims=True))  # BUG: - g.mean(...) missing
    return dx, (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
