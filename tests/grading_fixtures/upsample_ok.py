"""A correct nearest and bilinear upsampling of (N, C, H, W) input by an integer factor."""

import numpy as np


def upsample_nearest_forward(x, scale_factor):
    return x.repeat(scale_factor, axis=2).repeat(scale_factor, axis=3)


def upsample_nearest_backward(dout, x, scale_factor):
    n, c, h, w = x.shape
    s = scale_factor
    return dout.reshape(n, c, h, s, w, s).sum(axis=(3, 5))


def _matrix(size, scale_factor, align_corners):
    """A (size · scale_factor, size) matrix: output row d mixes input rows i0 and i1."""
    out = size * scale_factor
    d = np.arange(out)
    if align_corners:
        src = d * (size - 1) / (out - 1) if out > 1 else np.zeros(out)
    else:
        src = np.maximum((d + 0.5) / scale_factor - 0.5, 0)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, size - 1)
    lam = src - i0
    a = np.zeros((out, size))
    np.add.at(a, (d, i0), 1 - lam)
    np.add.at(a, (d, i1), lam)
    return a


def upsample_bilinear_forward(x, scale_factor, align_corners):
    a_h = _matrix(x.shape[2], scale_factor, align_corners)
    a_w = _matrix(x.shape[3], scale_factor, align_corners)
    return np.einsum("ph,nchw,qw->ncpq", a_h, x, a_w)


def upsample_bilinear_backward(dout, x, scale_factor, align_corners):
    a_h = _matrix(x.shape[2], scale_factor, align_corners)
    a_w = _matrix(x.shape[3], scale_factor, align_corners)
    return np.einsum("ph,ncpq,qw->nchw", a_h, dout, a_w)
