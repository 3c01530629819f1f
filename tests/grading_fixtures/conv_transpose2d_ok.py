"""A correct transposed convolution: every input pixel spreads w[c] onto the output (scatter form)."""

import numpy as np


def _window(i, j, h, wd, stride):
    """The output positions (before cropping the padding) that kernel tap (i, j) writes to."""
    return (slice(None), slice(None), slice(i, i + stride * (h - 1) + 1, stride),
            slice(j, j + stride * (wd - 1) + 1, stride))


def conv_transpose2d_forward(x, w, b, stride, padding):
    n, _, h, wd = x.shape
    _, c_out, hh, ww = w.shape
    full = np.zeros((n, c_out, (h - 1) * stride + hh, (wd - 1) * stride + ww))
    for i in range(hh):
        for j in range(ww):
            full[_window(i, j, h, wd, stride)] += np.einsum("nchw,ck->nkhw", x, w[:, :, i, j])
    out = full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
    return out + b[None, :, None, None]


def conv_transpose2d_backward(dout, x, w, b, stride, padding):
    _, _, h, wd = x.shape
    _, _, hh, ww = w.shape
    dfull = np.pad(dout, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(hh):
        for j in range(ww):
            region = dfull[_window(i, j, h, wd, stride)]
            dx += np.einsum("nkhw,ck->nchw", region, w[:, :, i, j])
            dw[:, :, i, j] = np.einsum("nchw,nkhw->ck", x, region)
    return dx, dw, dout.sum(axis=(0, 2, 3))
