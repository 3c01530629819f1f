"""Hostile: forges the child's answers on its channel (pickled objects, bad sizes).

The channel's descriptors are the child's command-line arguments; the submission writes frames
of its own there before the checker asks anything.
"""

import json
import os
import struct
import sys

import numpy as np

out = int(sys.argv[2])


def frame(header, body=b""):
    head = json.dumps(header).encode()
    os.write(out, struct.pack("<QQ", len(head), len(body)) + head + body)


pickled = np.array([{"score": 100}], dtype=object)
frame({"id": "import", "ok": True})
frame({"id": "anything", "ok": True, "arrays": [{"dtype": "|O", "shape": [1]}]}, b"\0" * 8)
frame({"id": "anything", "ok": True, "arrays": [{"dtype": "<f8", "shape": [10**6]}]}, b"\0" * 8)
del pickled


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return dout @ w, dout.T @ x, dout.sum(axis=0)
