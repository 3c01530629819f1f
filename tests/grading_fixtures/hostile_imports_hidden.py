"""Hostile: imports minigan under a name built at run time, after putting every path back."""

import sys

for folder in ("__PACKAGE_ROOT__", "/autograder/source"):
    sys.path.insert(0, folder)
_name = "".join(["mini", "gan"])
F = __import__(_name + ".nn.functional", fromlist=["linear"])


def linear_forward(x, w, b):
    return F.linear(x, w, b)


def linear_backward(dout, x, w, b):
    return None
