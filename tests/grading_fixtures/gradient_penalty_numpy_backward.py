"""Planted bug: the right gradient, computed in NumPy, so it cannot be differentiated again."""

import numpy as np

import minigan as mg


class Softplus(mg.Function):
    def forward(self, z):
        return np.logaddexp(0.0, z)

    def backward(self, g):
        (z,) = self.inputs
        sigma = 1 / (1 + np.exp(-z.data))
        return mg.tensor(g.data * sigma)
