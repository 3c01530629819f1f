"""A probe: who the submission runs as, and what it can write."""

import os

import numpy as np


def probe(package):
    package = package.tobytes().decode()
    return np.array([os.getuid(), os.geteuid(), os.getgid(), len(os.getgroups()),
                     os.access(package, os.W_OK), os.access(os.getcwd(), os.W_OK),
                     os.stat(os.getcwd()).st_mode & 0o077], dtype=float)
