"""Assignment: 2-D convolution with stride and padding, forward and backward, in plain NumPy.

As in every deep-learning library, "convolution" is a cross-correlation (the kernel is not flipped):

    out[n, f, i, j] = b[f] + Σ_{c, p, q} x_pad[n, c, i·S + p, j·S + q] · w[f, c, p, q]

    x (N, C, H, W), w (F, C, HH, WW), b (F,), stride S and padding P are ints,
    x_pad is x with P zeros on each side of H and W, and
    out (N, F, H_out, W_out) with H_out = (H + 2P − HH) // S + 1, W_out = (W + 2P − WW) // S + 1.

Loops are fine for a first version; im2col + one matrix product is the fast one.
Check your work with:  minigan check conv2d conv2d.py
"""

import numpy as np  # noqa: F401  (you will need it)


def conv2d_forward(x, w, b, stride, padding):
    """Returns out (N, F, H_out, W_out)."""
    # TODO: pad x with np.pad, then slide each filter over it with step `stride`
    raise NotImplementedError("TODO: conv2d_forward")


def conv2d_backward(dout, x, w, b, stride, padding):
    """dout = dL/d out, shape (N, F, H_out, W_out). Returns (dx, dw, db) shaped like x, w, b.

    db[f]          = Σ_{n, i, j} dout[n, f, i, j]
    dw[f, c, p, q] = Σ_{n, i, j} dout[n, f, i, j] · x_pad[n, c, i·S + p, j·S + q]
    dx_pad[n, c, i·S + p, j·S + q] += Σ_f dout[n, f, i, j] · w[f, c, p, q]   (then drop the padding)
    """
    # TODO
    raise NotImplementedError("TODO: conv2d_backward")
