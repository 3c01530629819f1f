"""Hostile: ends the process with os._exit(0), which no except clause can catch."""

import os


def linear_forward(x, w, b):
    os._exit(0)


def linear_backward(dout, x, w, b):
    os._exit(0)
