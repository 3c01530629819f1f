"""Assignment: batch normalisation in training mode, forward and backward, in plain NumPy.

For x (N, D), normalise each feature over the batch, then scale and shift:

    μ = mean_n x          σ² = mean_n (x − μ)²   (biased: divide by N)
    x̂ = (x − μ) / √(σ² + eps)
    out = γ · x̂ + β       gamma (D,), beta (D,), eps a float; out (N, D)

Check your work with:  minigan check batchnorm batchnorm.py
"""

import numpy as np  # noqa: F401  (you will need it)


def batchnorm_forward(x, gamma, beta, eps):
    """Returns out (N, D)."""
    # TODO
    raise NotImplementedError("TODO: batchnorm_forward")


def batchnorm_backward(dout, x, gamma, beta, eps):
    """dout = dL/d out, shape (N, D). Returns (dx, dgamma, dbeta) shaped like x, gamma, beta.

    dbeta = Σ_n dout        dgamma = Σ_n dout · x̂
    μ and σ² depend on every x[n]: dx has a term through x̂ directly, one through μ and one
    through σ². Derive them with the chain rule (or draw the computation graph), then simplify.
    """
    # TODO
    raise NotImplementedError("TODO: batchnorm_backward")
