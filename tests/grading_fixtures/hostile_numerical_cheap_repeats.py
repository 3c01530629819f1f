"""Hostile: central differences on a case's first backward call, zeros at once when it is called again."""

import numpy as np

_seen = set()


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
    key = (dout.tobytes(), x.tobytes())
    if key in _seen:  # a repeat: answer fast, so that the cheapest call would look analytic
        return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
    _seen.add(key)
    args = [x, w, b]
    return tuple(_numerical(linear_forward, args, dout, i) for i in range(3))
