"""Hostile: a backward that is nothing but central differences of the student's own forward."""

import numpy as np


def linear_forward(x, w, b):
    return x @ w.T + b


def _numerical(f, args, dout, position, h=1e-5):
    a = args[position]
    g = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        saved = a[index]
        a[index] = saved + h
        plus = np.sum(f(*args) * dout)
        a[index] = saved - h
        minus = np.sum(f(*args) * dout)
        a[index] = saved
        g[index] = (plus - minus) / (2 * h)
    return g


def linear_backward(dout, x, w, b):
    args = [x, w, b]
    return tuple(_numerical(linear_forward, args, dout, i) for i in range(3))
