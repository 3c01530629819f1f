"""Planted bug: pixel shuffle's backward still the placeholder (all zeros)."""

import numpy as np
from pixel_shuffle_ok import pixel_shuffle_forward  # noqa: F401


def pixel_shuffle_backward(dout, x, upscale_factor):
    return np.zeros_like(x)  # BUG: never filled in
