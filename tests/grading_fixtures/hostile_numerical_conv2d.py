"""Hostile: conv2d's backward as central differences of a correct forward (imported from a helper file)."""

import numpy as np
from conv2d_ok import conv2d_forward  # noqa: F401  (the graded forward)


def conv2d_backward(dout, x, w, b, stride, padding):
    grads = []
    for a in (x, w, b):
        g = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            saved = a[index]
            a[index] = saved + 1e-5
            plus = np.sum(conv2d_forward(x, w, b, stride, padding) * dout)
            a[index] = saved - 1e-5
            minus = np.sum(conv2d_forward(x, w, b, stride, padding) * dout)
            a[index] = saved
            g[index] = (plus - minus) / 2e-5
        grads.append(g)
    return tuple(grads)
