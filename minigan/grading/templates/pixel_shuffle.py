"""Assignment: pixel shuffle, forward and backward, in plain NumPy.

Pixel shuffle (Shi et al., 2016: the sub-pixel convolution of SRGAN and ESPCN) upsamples by
moving channels into space: (N, C·r², H, W) becomes (N, C, H·r, W·r), with

    out[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]        0 ≤ i, j < r

as PyTorch's F.pixel_shuffle(x, r). No value changes: it is a permutation of the elements
(a reshape, a transpose, a reshape), so the backward puts every element of dout back where its
value came from.

Check your work with:  minigan check pixel_shuffle pixel_shuffle.py
"""

import numpy as np  # noqa: F401  (you may need it)


def pixel_shuffle_forward(x, upscale_factor):
    """x (N, C·r², H, W); upscale_factor: an int r. Returns out (N, C, H·r, W·r)."""
    # TODO
    raise NotImplementedError("TODO: pixel_shuffle_forward")


def pixel_shuffle_backward(dout, x, upscale_factor):
    """dout = dL/d out, shape (N, C, H·r, W·r). Returns dx shaped like x (N, C·r², H, W)."""
    # TODO
    raise NotImplementedError("TODO: pixel_shuffle_backward")
