"""Planted bug: the backward forgets the product rule (dx = dout · σ(x))."""

import numpy as np


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def swish_forward(x):
    return x * _sigmoid(x)


def swish_backward(dout, x):
    return dout * _sigmoid(x)
