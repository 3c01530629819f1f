"""Hostile: prints 150 MB when imported; its functions are right."""

import sys

chunk = ("y" * 1023 + "\n") * 1024
for _ in range(150):
    sys.stdout.write(chunk)


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return dout @ w, dout.T @ x, dout.sum(axis=0)
