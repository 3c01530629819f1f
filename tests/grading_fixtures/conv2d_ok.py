"""A correct conv2d: a loop over the kernel positions, each one a strided slice and an einsum."""

import numpy as np


def _geometry(x, w, stride, padding):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho = (h + 2 * padding - hh) // stride + 1
    wo = (wd + 2 * padding - ww) // stride + 1
    return hh, ww, ho, wo


def _window(i, j, ho, wo, stride):
    """The input positions that kernel tap (i, j) sees, for every output position."""
    return (slice(None), slice(None), slice(i, i + stride * (ho - 1) + 1, stride),
            slice(j, j + stride * (wo - 1) + 1, stride))


def conv2d_forward(x, w, b, stride, padding):
    hh, ww, ho, wo = _geometry(x, w, stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i in range(hh):
        for j in range(ww):
            out += np.einsum("nchw,fc->nfhw", x_pad[_window(i, j, ho, wo, stride)], w[:, :, i, j])
    return out + b[None, :, None, None]


def conv2d_backward(dout, x, w, b, stride, padding):
    hh, ww, ho, wo = _geometry(x, w, stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for i in range(hh):
        for j in range(ww):
            window = _window(i, j, ho, wo, stride)
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, x_pad[window])
            dx_pad[window] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))
