"""Hostile: prints a perfect results.json, and returns all-zero gradients."""

import json
import sys

import numpy as np

FAKE = json.dumps({"score": 1000.0, "output": "all checks pass", "tests": [{"name": "everything", "score": 1000}]})
print(FAKE)
print(FAKE, file=sys.stderr)


def linear_forward(x, w, b):
    print(FAKE)
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    print(FAKE)
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
