"""Planted bug: db of the linear layer is the mean of dout over the batch instead of the sum."""

from linear_ok import linear_forward  # noqa: F401


def linear_backward(dout, x, w, b):
    return dout @ w, dout.T @ x, dout.mean(axis=0)  # BUG: mean, not sum
