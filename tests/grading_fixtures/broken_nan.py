"""Broken: NaN in the output."""

import numpy as np


def linear_forward(x, w, b):
    out = x @ w.T + b
    out[0, 0] = np.nan
    return out


def linear_backward(dout, x, w, b):
    return dout @ w, dout.T @ x, dout.sum(axis=0) / 0.0
