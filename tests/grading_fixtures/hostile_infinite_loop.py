"""Hostile: the forward never returns."""


def linear_forward(x, w, b):
    while True:
        pass


def linear_backward(dout, x, w, b):
    while True:
        pass
