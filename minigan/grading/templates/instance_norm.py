"""Assignment: instance normalisation, forward and backward, in plain NumPy.

For x (N, C, H, W), standardise each channel of each sample over its H·W positions on its own
(M = H · W values), then scale and shift every channel:

    μ[n, c] = mean_{h, w} x[n, c]            σ²[n, c] = mean_{h, w} (x[n, c] − μ[n, c])²   (biased)
    x̂ = (x − μ) / √(σ² + eps)
    out[n, c] = gamma[c] · x̂[n, c] + beta[c]      gamma (C,), beta (C,), eps a float; out (N, C, H, W)

(PyTorch's F.instance_norm with affine parameters, in training mode.) axis=(2, 3), keepdims=True
keeps μ and σ² broadcastable against x.

Check your work with:  minigan check instance_norm instance_norm.py
"""

import numpy as np  # noqa: F401  (you will need it)


def instance_norm_forward(x, gamma, beta, eps):
    """Returns out (N, C, H, W)."""
    # TODO
    raise NotImplementedError("TODO: instance_norm_forward")


def instance_norm_backward(dout, x, gamma, beta, eps):
    """dout = dL/d out, shape (N, C, H, W). Returns (dx, dgamma, dbeta) shaped like x, gamma, beta.

    dbeta[c] = Σ_{n, h, w} dout[n, c]        dgamma[c] = Σ_{n, h, w} dout[n, c] · x̂[n, c]
    μ[n, c] and σ²[n, c] depend on every position of that channel: with ĝ = gamma · dout, dx has
    a term through x̂ directly, one through μ and one through σ² (means over h, w).
    """
    # TODO
    raise NotImplementedError("TODO: instance_norm_backward")
