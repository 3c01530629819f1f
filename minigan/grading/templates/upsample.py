"""Assignment: upsampling by an integer factor s, nearest and bilinear, forward and backward, in plain NumPy.

x (N, C, H, W) becomes out (N, C, s·H, s·W), as PyTorch's F.interpolate(x, scale_factor=s, mode=...).

Nearest: every pixel becomes an s×s block,

    out[n, c, i, j] = x[n, c, i // s, j // s]

Bilinear: each output row (and column) d reads the input at a source position src, between the
input rows i0 = ⌊src⌋ and i1 = min(i0 + 1, n − 1), weighted by λ = src − i0,

    y[d] = (1 − λ) · x[i0] + λ · x[i1]          (first along H, then along W)

    align_corners=False (PyTorch's default):  src = max((d + ½) / s − ½, 0)   (pixel centres)
    align_corners=True:                        src = d · (n − 1) / (m − 1)    (corner pixels aligned)

for input size n and output size m = s·n. Along one axis that is a matrix A (m, n) with
y = A x, so out = A_H · x · A_Wᵀ for each image, and the backward is the transpose:
dx = A_Hᵀ · dout · A_W.

Check your work with:  minigan check upsample upsample.py
"""

import numpy as np  # noqa: F401  (you will need it)


def upsample_nearest_forward(x, scale_factor):
    """scale_factor: an int s. Returns out (N, C, s·H, s·W)."""
    # TODO
    raise NotImplementedError("TODO: upsample_nearest_forward")


def upsample_nearest_backward(dout, x, scale_factor):
    """dout = dL/d out, shape (N, C, s·H, s·W). Returns dx shaped like x.

    Each x[n, c, h, w] is copied to the s² outputs of its block: dx is the sum of dout over the block.
    """
    # TODO
    raise NotImplementedError("TODO: upsample_nearest_backward")


def upsample_bilinear_forward(x, scale_factor, align_corners):
    """scale_factor: an int s; align_corners: a bool. Returns out (N, C, s·H, s·W)."""
    # TODO
    raise NotImplementedError("TODO: upsample_bilinear_forward")


def upsample_bilinear_backward(dout, x, scale_factor, align_corners):
    """dout = dL/d out, shape (N, C, s·H, s·W). Returns dx shaped like x: dx = A_Hᵀ · dout · A_W."""
    # TODO
    raise NotImplementedError("TODO: upsample_bilinear_backward")
