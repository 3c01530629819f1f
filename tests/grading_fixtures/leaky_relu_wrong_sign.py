"""Planted bug: the LeakyReLU gradient has the wrong sign."""

import numpy as np
from leaky_relu_ok import leaky_relu_forward  # noqa: F401


def leaky_relu_backward(dout, x, negative_slope):
    return -dout * np.where(x > 0, 1.0, negative_slope)  # BUG: minus sign
