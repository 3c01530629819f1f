"""Planted bug: batchnorm's dx without the terms through the batch mean."""

import numpy as np
from batchnorm_ok import batchnorm_forward  # noqa: F401


def batchnorm_backward(dout, x, gamma, beta, eps):
    inv_std = 1 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    dx = gamma * inv_std * (dout - x_hat * (dout * x_hat).mean(axis=0))  # BUG: - dout.mean(axis=0) missing
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
