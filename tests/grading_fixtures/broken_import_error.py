"""Broken: imports a module that does not exist."""

import numpy_but_faster  # noqa: F401


def linear_forward(x, w, b):
    return x @ w.T + b
