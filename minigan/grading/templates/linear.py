"""Assignment: a fully connected layer, forward and backward, in plain NumPy.

    out = x Wᵀ + b        x (N, in), w (out, in) as in PyTorch, b (out,), out (N, out)

Check your work with:  minigan check linear linear.py
"""

import numpy as np  # noqa: F401  (you will need it)


def linear_forward(x, w, b):
    """x (N, in), w (out, in), b (out,). Returns out (N, out)."""
    # TODO
    raise NotImplementedError("TODO: linear_forward")


def linear_backward(dout, x, w, b):
    """dout = dL/d out, shape (N, out). Returns (dx, dw, db) with the shapes of x, w and b.

    dx = dout W        dw = doutᵀ x        db = Σ_n dout[n]   (b is shared by the whole batch)
    """
    # TODO
    raise NotImplementedError("TODO: linear_backward")
