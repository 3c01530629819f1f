"""A correct linear layer whose first backward call does some one-off work (a warm-up, a cache)."""

import time

_warm = False


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    global _warm
    if not _warm:  # 20 ms of CPU once: as much as central differences of a small case
        end = time.process_time() + 0.02
        while time.process_time() < end:
            pass
        _warm = True
    return dout @ w, dout.T @ x, dout.sum(axis=0)
