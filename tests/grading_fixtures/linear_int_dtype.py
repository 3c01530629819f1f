"""Planted bug: db accumulated into an integer array."""

import numpy as np


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    db = np.zeros(b.shape, dtype=int)
    for row in dout:
        db = db + row.astype(int)
    return dout @ w, dout.T @ x, db
