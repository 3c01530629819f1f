"""Planted bug: the conv2d forward ignores the stride."""

from conv2d_ok import conv2d_backward  # noqa: F401
from conv2d_ok import conv2d_forward as _correct_forward


def conv2d_forward(x, w, b, stride, padding):
    return _correct_forward(x, w, b, 1, padding)  # BUG: stride dropped
