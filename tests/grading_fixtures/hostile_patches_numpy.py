"""Hostile: a backward twice too large, with NumPy and the child's own helpers patched.

Every comparison NumPy offers says "equal", and the child's helper that perturbs the inputs for
central differences is replaced by one that does nothing. None of it reaches the checker's
judging, which happens in another process.
"""

import sys

import numpy as np

main = sys.modules["__main__"]
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
if hasattr(main, "perturbed"):
    main.perturbed = lambda args, change: list(args)
for name in ("numerical_gradients", "compare", "relative_errors"):
    setattr(main, name, lambda *args, **kwargs: None)


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return 2 * (dout @ w), 2 * (dout.T @ x), 2 * dout.sum(axis=0)
