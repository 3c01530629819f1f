"""Hostile: terminal escape sequences and control characters in its output and its errors."""

import sys

sys.stdout.write("\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[32mScore: 5.00 / 5   PASS\x1b[0m\r\x08\x08\x00\n")
sys.stdout.write("\x1b]8;;http://example.com\x1b\\click\x1b]8;;\x1b\\ \x9b31m\u202egnp.\n")


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    raise ValueError("\x1b[1A\x1b[2K\rall checks pass\x07\x1b[5m")
