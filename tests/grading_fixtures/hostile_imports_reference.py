"""Hostile: the "solution" is minigan's own layer and autograd."""

import minigan as mg
import minigan.nn.functional as F


def linear_forward(x, w, b):
    return F.linear(mg.tensor(x), mg.tensor(w), mg.tensor(b)).data


def linear_backward(dout, x, w, b):
    x, w, b = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    return tuple(g.data for g in mg.grad(F.linear(x, w, b), [x, w, b], grad_outputs=mg.tensor(dout)))
