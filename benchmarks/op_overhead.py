"""Per-op overhead: forward + backward of one elementwise op on a 10-element tensor.

    python benchmarks/op_overhead.py

Tiny tensors make the arithmetic free, so this measures the bookkeeping of the
autodiff engine (creating tensors, recording the graph, walking it back).
PyTorch runs side by side when it is installed.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import print_table, time_rounds  # noqa: E402  (first: it sets up the thread pools)

# isort: split
import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402

CHAIN = 100  # ops per measured graph


def minigan_chain():
    x = mg.tensor(np.ones(10), requires_grad=True)
    y = x
    for _ in range(CHAIN):
        y = y * 1.0001
    y.sum().backward()


def main() -> None:
    candidates = {"minigan": minigan_chain}
    try:
        import torch

        torch.set_num_threads(1)

        def torch_chain():
            x = torch.ones(10, requires_grad=True)
            y = x
            for _ in range(CHAIN):
                y = y * 1.0001
            y.sum().backward()

        candidates["pytorch"] = torch_chain
    except ImportError:
        print("(PyTorch not installed: minigan only)")
    times = time_rounds(candidates, rounds=15, repeat=20)
    per_op = {name: [t / CHAIN for t in ts] for name, ts in times.items()}
    print_table("µs per elementwise op on 10 elements (forward + backward)", per_op, unit="µs",
                reference="pytorch" if "pytorch" in per_op else None)


if __name__ == "__main__":
    main()
