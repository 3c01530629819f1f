"""Planted bug: AdaIN's dx without the term through the variance."""

import numpy as np
from adain_ok import adain_forward  # noqa: F401


def adain_backward(dout, x, style_scale, style_bias, eps):
    inv_std = 1 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    x_hat = (x - x.mean(axis=(2, 3), keepdims=True)) * inv_std
    g = dout * style_scale[:, :, None, None]
    dx = inv_std * (g - g.mean(axis=(2, 3), keepdims=True))  # BUG: - x_hat * mean(g * x_hat) missing
    return dx, (dout * x_hat).sum(axis=(2, 3)), dout.sum(axis=(2, 3))
