"""The work around the matrix products of a DCGAN-28 step, kernel by kernel: numba's loops against NumPy.

    python benchmarks/compiled_kernels.py [--rounds 15]

Each row times one op of the step at the step's shapes (batch 64, float32), forward and backward where
it has both, on the ``"fast"`` tier (numba's compiled loops) and the ``"numpy"`` tier, in alternating
rounds in one process (medians). Needs numba (the extra ``fast``).
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
import minigan.nn.functional as F  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.ops import conv  # noqa: E402


def channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def cases(rng):
    """name → a function of no arguments running the op once on the current tier."""
    f32 = np.float32
    x64 = channels_last(rng.standard_normal((64, 64, 14, 14)).astype(f32))  # D's first activation
    g64 = channels_last(rng.standard_normal((64, 64, 14, 14)).astype(f32))
    taps = rng.standard_normal((4, 4, 64, 7, 7, 64)).astype(f32)  # ConvT(128→64)'s products, offset-major
    gamma, beta = mg.tensor(np.ones(64, f32), requires_grad=True), mg.tensor(np.zeros(64, f32), requires_grad=True)
    params = [mg.tensor(rng.standard_normal(n).astype(f32), requires_grad=True) for n in (819_200, 131_072, 6272)]
    for p in params:
        p.grad = mg.tensor(rng.standard_normal(p.shape).astype(f32))
    adam = optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))

    def fwd_bwd(fn, x, g):
        def run():
            t = mg.tensor(x, requires_grad=True)
            fn(t).backward(mg.tensor(g))
        return run

    return {
        "im2col, Conv2d(64→128, 4, 2, 1)": lambda: conv.im2col(x64, (4, 4), (2, 2), (1, 1), (7, 7)),
        "col2im, ConvT(128→64, 4, 2, 1)": lambda: conv.col2im(taps, (64, 64, 14, 14), (2, 2), (1, 1)),
        "BatchNorm2d(64) fwd + bwd": fwd_bwd(lambda t: F.batch_norm(t, None, None, gamma, beta, training=True),
                                             x64, g64),
        "LeakyReLU(0.2) fwd + bwd": fwd_bwd(lambda t: F.leaky_relu(t, 0.2), x64, g64),
        "ReLU fwd + bwd": fwd_bwd(F.relu, x64, g64),
        "bias gradient Σ_{n,p} g": lambda: conv._bias_grads((None, None, beta), mg.tensor(g64)),
        "Adam, 0.96 M parameters": adam.step,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    if not mg.kernels.numba_available():
        print("numba is not installed (or MINIGAN_NUMBA=0): nothing to compare")
        return {}
    ops = cases(np.random.default_rng(0))
    results = {}
    for name, fn in ops.items():
        graph_free = name.startswith(("im2col", "col2im", "bias"))

        def on(tier, fn=fn, graph_free=graph_free):
            def run():
                previous = mg.set_kernels(tier)
                try:
                    with mg.no_grad() if graph_free else mg.enable_grad():
                        fn()
                finally:
                    mg.set_kernels(previous)
            return run

        times = time_rounds({"numba": on("fast"), "numpy": on("numpy")}, rounds=args.rounds, warmup=2)
        print_table(name, times, reference="numba")
        results[name] = {tier: float(np.median(ts)) * 1e3 for tier, ts in times.items()}
    return results


if __name__ == "__main__":
    main()
