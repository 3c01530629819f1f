"""Broken: the backward raises an exception."""


def linear_forward(x, w, b):
    return x @ w.T + b


def _helper(dout, w):
    return dout @ w.T  # shapes do not fit


def linear_backward(dout, x, w, b):
    return _helper(dout, w), dout.T @ x, dout.sum(axis=0)
