"""Forward + backward time of the later GANs' blocks, side by side with PyTorch (CPU, float32).

    python benchmarks/blocks.py [--rounds N] [--batch B]

Cases (batch 32 by default):
  upsample+conv    Upsample(×2, nearest) then Conv2d(64, 64, 3, padding=1) on (B, 64, 16, 16)  (ProGAN / BigGAN G)
  bilinear+conv    the same with mode="bilinear"
  group norm       GroupNorm(8, 128) on (B, 128, 16, 16)
  self-attention   SelfAttention2d(64) on (B, 64, 16, 16), γ = 1 (256 positions attending to 256)

Each candidate computes the output, then the gradients of the input and the parameters. The table gives
median times over alternating rounds and each median's ratio to PyTorch's. ``--cpu-time`` measures the
CPU time of each call instead of the wall clock, with PyTorch on one thread: on a machine shared with
other work the wall clock mostly measures the scheduler. Give NumPy one thread too (spinning BLAS threads
count as CPU time):

    OPENBLAS_NUM_THREADS=1 python benchmarks/blocks.py --cpu-time
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table, time_rounds  # noqa: E402  (first: it sets up the thread pools)

# isort: split
import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402


def torch_attention(torch):
    """SAGAN's block in PyTorch, the same maths and keys as minigan.nn.SelfAttention2d."""

    class SelfAttention2d(torch.nn.Module):
        def __init__(self, channels):
            super().__init__()
            inner = max(1, channels // 8)
            self.query = torch.nn.Conv2d(channels, inner, 1)
            self.key = torch.nn.Conv2d(channels, inner, 1)
            self.value = torch.nn.Conv2d(channels, channels, 1)
            self.gamma = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            n, c, h, w = x.shape
            q, k = self.query(x).flatten(2), self.key(x).flatten(2)
            a = torch.softmax(q.transpose(1, 2) @ k, dim=-1)
            o = self.value(x).flatten(2) @ a.transpose(1, 2)
            return self.gamma * o.reshape(n, c, h, w) + x

    return SelfAttention2d


def _attention(ns, torch):
    if ns is nn:
        block = nn.SelfAttention2d(64)
        block.gamma.data[...] = 1
        return block
    return torch_attention(torch)(64)


CASES = {
    "upsample(x2 nearest)+Conv2d(64,64,3,1,1) on (B,64,16,16)": (
        lambda ns, torch: ns.Sequential(ns.Upsample(scale_factor=2), ns.Conv2d(64, 64, 3, 1, 1)), (64, 16, 16)),
    "upsample(x2 bilinear)+Conv2d(64,64,3,1,1) on (B,64,16,16)": (
        lambda ns, torch: ns.Sequential(ns.Upsample(scale_factor=2, mode="bilinear"), ns.Conv2d(64, 64, 3, 1, 1)),
        (64, 16, 16)),
    "GroupNorm(8,128) on (B,128,16,16)": (lambda ns, torch: ns.GroupNorm(8, 128), (128, 16, 16)),
    "SelfAttention2d(64) on (B,64,16,16)": (_attention, (64, 16, 16)),
}


def minigan_step(layer, x, g):
    xt = mg.tensor(x, requires_grad=True)

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


def cpu_time_rounds(candidates, rounds: int = 7, warmup: int = 2) -> dict[str, list[float]]:
    """As _timing.time_rounds, with the process's CPU time per call instead of the wall clock."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cpu-time", action="store_true", help="CPU time per call, PyTorch on one thread")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
        print("(PyTorch not installed: minigan only)")
    if args.cpu_time and torch is not None:
        torch.set_num_threads(1)
    rounds = cpu_time_rounds if args.cpu_time else time_rounds
    rng = np.random.default_rng(0)
    for title, (make, shape) in CASES.items():
        x = rng.standard_normal((args.batch, *shape)).astype(np.float32)
        layer = make(nn, torch)
        out_shape = layer(mg.tensor(x)).shape
        g = rng.standard_normal(out_shape).astype(np.float32)
        candidates = {"minigan": minigan_step(layer, x, g)}
        if torch is not None:
            candidates["pytorch"] = torch_step(torch, make(torch.nn, torch), x, g)
        times = rounds(candidates, rounds=args.rounds)
        print_table(title.replace("B", str(args.batch), 1) + " — forward + backward", times,
                    reference="pytorch" if torch else None)


if __name__ == "__main__":
    main()
