"""Hostile: the "Softplus" is minigan's own softplus."""

import minigan as mg


class Softplus(mg.Function):
    def forward(self, z):
        return mg.softplus(mg.tensor(z)).data

    def backward(self, g):
        (z,) = self.inputs
        return g * mg.sigmoid(z)
