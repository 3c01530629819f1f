"""Planted bug: dx of the transposed convolution uses the kernel rotated by 180 degrees."""

import numpy as np
from conv_transpose2d_ok import _window, conv_transpose2d_forward  # noqa: F401


def conv_transpose2d_backward(dout, x, w, b, stride, padding):
    _, _, h, wd = x.shape
    _, _, hh, ww = w.shape
    dfull = np.pad(dout, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(hh):
        for j in range(ww):
            region = dfull[_window(i, j, h, wd, stride)]
            dx += np.einsum("nkhw,ck->nchw", region, w[:, :, hh - 1 - i, ww - 1 - j])  # BUG: flipped
            dw[:, :, i, j] = np.einsum("nchw,nkhw->ck", x, region)
    return dx, dw, dout.sum(axis=(0, 2, 3))
