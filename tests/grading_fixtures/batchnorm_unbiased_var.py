"""Planted bug: the batchnorm forward uses the unbiased variance (N - 1)."""

import numpy as np
from batchnorm_ok import batchnorm_backward  # noqa: F401


def batchnorm_forward(x, gamma, beta, eps):
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps)  # BUG: ddof=1
    return gamma * x_hat + beta
