"""Correct, and slow on purpose: a vectorised forward, a backward of plain Python loops.

An analytic backward this slow must not be taken for a numerical one.
"""

import numpy as np


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    n, fan_in = x.shape
    fan_out = w.shape[0]
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    for i in range(n):
        for j in range(fan_out):
            db[j] += dout[i, j]
            for k in range(fan_in):
                dx[i, k] += dout[i, j] * w[j, k]
                dw[j, k] += dout[i, j] * x[i, k]
    return dx, dw, db
