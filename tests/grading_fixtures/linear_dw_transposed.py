"""Planted bug: dw of the linear layer has shape (in, out) instead of (out, in)."""

from linear_ok import linear_forward  # noqa: F401


def linear_backward(dout, x, w, b):
    return dout @ w, x.T @ dout, dout.sum(axis=0)  # BUG: transposed dw
