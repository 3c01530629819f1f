"""Assignment: group normalisation, forward and backward, in plain NumPy.

For x (N, C, H, W), split the C channels of each sample into G = num_groups groups of C/G
consecutive channels (channels 0 .. C/G − 1 are group 0). Each group of each sample, its C/G
channels and all H·W positions together (M = C/G · H · W values), is standardised on its own,
then every channel is scaled and shifted:

    μ = mean over the group's M values       σ² = mean (x − μ)²   (biased: divide by M)
    x̂ = (x − μ) / √(σ² + eps)
    out[n, c] = gamma[c] · x̂[n, c] + beta[c]      gamma (C,), beta (C,), eps a float; out (N, C, H, W)

x.reshape(N, G, -1) puts each group's values on one row. Unlike batch norm, nothing is averaged
over the batch: group norm works the same for a batch of 1.

Check your work with:  minigan check group_norm group_norm.py
"""

import numpy as np  # noqa: F401  (you will need it)


def group_norm_forward(x, gamma, beta, num_groups, eps):
    """Returns out (N, C, H, W)."""
    # TODO
    raise NotImplementedError("TODO: group_norm_forward")


def group_norm_backward(dout, x, gamma, beta, num_groups, eps):
    """dout = dL/d out, shape (N, C, H, W). Returns (dx, dgamma, dbeta) shaped like x, gamma, beta.

    dbeta[c] = Σ_{n, h, w} dout[n, c]        dgamma[c] = Σ_{n, h, w} dout[n, c] · x̂[n, c]
    μ and σ² of a group depend on every value of that group: with ĝ = gamma · dout, dx has a term
    through x̂ directly, one through μ and one through σ² (means over the group's M values).
    Derive them as for batch norm, on the rows of x.reshape(N, G, -1).
    """
    # TODO
    raise NotImplementedError("TODO: group_norm_backward")
