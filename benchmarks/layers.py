"""Forward + backward time of the two layers a DCGAN spends its time in, side by side with PyTorch.

    python benchmarks/layers.py [--threads N]

Conv2d(64, 128, 4, 2, 1) on (64, 64, 14, 14) and ConvTranspose2d(128, 64, 4, 2, 1) on (64, 128, 7, 7),
float32. Each candidate computes the output, then the gradients of the input and the weights.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table, time_rounds  # noqa: E402  (first: it sets up the thread pools)

# isort: split
import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402

CASES = {
    "Conv2d(64,128,4,2,1) on (64,64,14,14)": (lambda m: m.Conv2d(64, 128, 4, 2, 1), (64, 64, 14, 14)),
    "ConvTranspose2d(128,64,4,2,1) on (64,128,7,7)": (lambda m: m.ConvTranspose2d(128, 64, 4, 2, 1), (64, 128, 7, 7)),
}


def minigan_step(layer, x, g):
    xt = mg.tensor(x, requires_grad=True)  # made once, as on the PyTorch side

    def step():
        layer.zero_grad()
        xt.grad = None
        layer(xt).backward(g)
    return step


def torch_step(torch, layer, x, g):
    xt = torch.from_numpy(x).requires_grad_()
    gt = torch.from_numpy(g)

    def step():
        layer.zero_grad()
        xt.grad = None
        layer(xt).backward(gt)
    return step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
        print("(PyTorch not installed: minigan only)")
    rng = np.random.default_rng(0)
    for title, (make, shape) in CASES.items():
        x = rng.standard_normal(shape).astype(np.float32)
        layer = make(nn)
        out_shape = layer(mg.tensor(x)).shape
        g = rng.standard_normal(out_shape).astype(np.float32)
        candidates = {"minigan": minigan_step(layer, x, g)}
        if torch is not None:
            candidates["pytorch"] = torch_step(torch, make(torch.nn), x, g)
        times = time_rounds(candidates, rounds=args.rounds)
        print_table(title + " — forward + backward", times, reference="pytorch" if torch else None)


if __name__ == "__main__":
    main()
