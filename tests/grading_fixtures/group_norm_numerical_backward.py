"""Hostile: a group norm backward that is nothing but central differences of the student's own forward."""

import numpy as np
from group_norm_ok import group_norm_forward


def group_norm_backward(dout, x, gamma, beta, num_groups, eps, h=1e-5):
    args = [x, gamma, beta]
    grads = []
    for a in args:
        g = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            saved = a[index]
            a[index] = saved + h
            plus = np.sum(group_norm_forward(*args, num_groups, eps) * dout)
            a[index] = saved - h
            minus = np.sum(group_norm_forward(*args, num_groups, eps) * dout)
            a[index] = saved
            g[index] = (plus - minus) / (2 * h)
        grads.append(g)
    return tuple(grads)
