"""Hostile: crashes the interpreter with a segmentation fault through ctypes."""

import ctypes


def linear_forward(x, w, b):
    return ctypes.string_at(0)


def linear_backward(dout, x, w, b):
    return ctypes.string_at(0)
