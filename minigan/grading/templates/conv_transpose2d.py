"""Assignment: 2-D transposed convolution with stride and padding, forward and backward, in plain NumPy.

The transposed convolution is the adjoint of conv2d (it is conv2d's dx): every input pixel spreads
a copy of the kernel, scaled by its value, onto the output, at steps of `stride`:

    full[n, k, i·S + p, j·S + q] += Σ_c x[n, c, i, j] · w[c, k, p, q]
    out = full with P rows/columns cropped from each side, plus b[k]

    x (N, C_in, H, W), w (C_in, C_out, HH, WW) as in PyTorch, b (C_out,), stride S and padding P ints,
    out (N, C_out, H_out, W_out) with H_out = (H − 1)·S − 2P + HH, W_out = (W − 1)·S − 2P + WW.

Check your work with:  minigan check conv_transpose2d conv_transpose2d.py
"""

import numpy as np  # noqa: F401  (you will need it)


def conv_transpose2d_forward(x, w, b, stride, padding):
    """Returns out (N, C_out, H_out, W_out)."""
    # TODO
    raise NotImplementedError("TODO: conv_transpose2d_forward")


def conv_transpose2d_backward(dout, x, w, b, stride, padding):
    """dout = dL/d out, shape (N, C_out, H_out, W_out). Returns (dx, dw, db) shaped like x, w, b.

    Pad dout by P on each side (undoing the crop) to get dfull; then
    dx[n, c, i, j]    = Σ_{k, p, q} dfull[n, k, i·S + p, j·S + q] · w[c, k, p, q]   (an ordinary conv2d of dout)
    dw[c, k, p, q]    = Σ_{n, i, j} x[n, c, i, j] · dfull[n, k, i·S + p, j·S + q]
    db[k]             = Σ_{n, i, j} dout[n, k, i, j]
    """
    # TODO
    raise NotImplementedError("TODO: conv_transpose2d_backward")
