"""Hostile: works only for the shapes of the first case (x (4, 5), w (3, 5))."""

import numpy as np


def linear_forward(x, w, b):
    out = np.zeros((4, 3))
    for i in range(4):
        for j in range(3):
            out[i, j] = sum(x[i, k] * w[j, k] for k in range(5)) + b[j]
    return out


def linear_backward(dout, x, w, b):
    return dout.reshape(4, 3) @ w.reshape(3, 5), dout.reshape(4, 3).T @ x.reshape(4, 5), dout.reshape(4, 3).sum(0)
