"""A backward built from NumPy arrays: right first derivatives, but it cannot be differentiated again."""

import numpy as np

import minigan as mg


class XTanh(mg.Function):
    def forward(self, x):
        return x * np.tanh(x)

    def backward(self, g):
        x = self.inputs[0].data
        t = np.tanh(x)
        return mg.tensor(g.data * (t + x * (1 - t * t)), dtype="float64")
