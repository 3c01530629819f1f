"""Planted bug: dx of conv2d computed without flipping the kernel."""

import numpy as np
from conv2d_ok import _geometry, _window, conv2d_forward  # noqa: F401


def conv2d_backward(dout, x, w, b, stride, padding):
    hh, ww, ho, wo = _geometry(x, w, stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for i in range(hh):
        for j in range(ww):
            window = _window(i, j, ho, wo, stride)
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, x_pad[window])
            # BUG: the tap that reaches this window is w[:, :, i, j], not the mirrored one
            dx_pad[window] += np.einsum("nfhw,fc->nchw", dout, w[:, :, hh - 1 - i, ww - 1 - j])
    dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))
