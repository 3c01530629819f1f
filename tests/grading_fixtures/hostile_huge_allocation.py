"""Hostile: asks for 50 GB."""

import numpy as np


def linear_forward(x, w, b):
    return np.ones(50 * 1024**3 // 8)


def linear_backward(dout, x, w, b):
    return bytearray(50 * 1024**3)
