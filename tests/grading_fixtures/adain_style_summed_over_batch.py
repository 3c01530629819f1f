"""Planted bug: AdaIN's style gradients summed over the batch, as if the style were a parameter."""

import numpy as np
from adain_ok import adain_forward  # noqa: F401


def adain_backward(dout, x, style_scale, style_bias, eps):
    inv_std = 1 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    x_hat = (x - x.mean(axis=(2, 3), keepdims=True)) * inv_std
    g = dout * style_scale[:, :, None, None]
    dx = inv_std * (g - g.mean(axis=(2, 3), keepdims=True) - x_hat * (g * x_hat).mean(axis=(2, 3), keepdims=True))
    return dx, (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))  # BUG: axis=(2, 3)
