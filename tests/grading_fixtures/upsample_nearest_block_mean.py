"""Planted bug: nearest upsampling's dx as the mean of each block of dout, not its sum."""

from upsample_ok import (  # noqa: F401
    upsample_bilinear_backward,
    upsample_bilinear_forward,
    upsample_nearest_forward,
)


def upsample_nearest_backward(dout, x, scale_factor):
    n, c, h, w = x.shape
    s = scale_factor
    return dout.reshape(n, c, h, s, w, s).mean(axis=(3, 5))  # BUG: .sum
