"""Planted bug: the conv2d output size forgets the + 1."""

import numpy as np
from conv2d_ok import _window, conv2d_backward  # noqa: F401


def conv2d_forward(x, w, b, stride, padding):
    hh, ww = w.shape[2:]
    ho = (x.shape[2] + 2 * padding - hh) // stride  # BUG: + 1 missing
    wo = (x.shape[3] + 2 * padding - ww) // stride  # BUG: + 1 missing
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i in range(hh):
        for j in range(ww):
            out += np.einsum("nchw,fc->nfhw", x_pad[_window(i, j, ho, wo, stride)], w[:, :, i, j])
    return out + b[None, :, None, None]
