"""Planted bug: db of conv2d summed over space but not over the batch."""

from conv2d_ok import conv2d_backward as _correct_backward
from conv2d_ok import conv2d_forward  # noqa: F401


def conv2d_backward(dout, x, w, b, stride, padding):
    dx, dw, _ = _correct_backward(dout, x, w, b, stride, padding)
    return dx, dw, dout.sum(axis=(2, 3))  # BUG: shape (N, F); the batch axis 0 is not summed
