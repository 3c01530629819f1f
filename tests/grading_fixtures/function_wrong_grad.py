"""Planted bug: the gradient of b in a matrix product is missing its transpose (and is scaled)."""

import minigan as mg


class MatMul(mg.Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        return g @ b.T, 2 * (a.T @ g)  # BUG: factor 2
