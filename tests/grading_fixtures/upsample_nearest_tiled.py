"""Planted bug: nearest upsampling with np.tile (the whole image repeated) instead of repeat."""

import numpy as np
from upsample_ok import (  # noqa: F401
    upsample_bilinear_backward,
    upsample_bilinear_forward,
    upsample_nearest_backward,
)


def upsample_nearest_forward(x, scale_factor):
    return np.tile(x, (1, 1, scale_factor, scale_factor))  # BUG: x.repeat(s, axis=2).repeat(s, axis=3)
