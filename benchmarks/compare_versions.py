"""Two versions of minigan, the same DCGAN iteration, timed in one process in alternation.

    python benchmarks/compare_versions.py /path/to/other/checkout        # other vs this checkout
    python benchmarks/compare_versions.py OLD --rounds 30 --image 28 --batch 64

Each version's modules are imported under the name ``minigan`` in turn and kept apart in
``sys.modules``; its models, optimizers and step are built while it is the one loaded, then the steps
alternate (A, B, A, B, ...). Separate processes differ by more than most changes do on a noisy
machine, so the result is the median of the paired differences B − A, with the medians of each.
This checkout's fast tier is what runs (and its textbook tier with ``--textbook``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _timing  # noqa: E402, F401  (first: it sets up the thread pools)
import dcgan_step  # noqa: E402


def _minigan_modules() -> dict:
    return {k: sys.modules.pop(k) for k in list(sys.modules) if k == "minigan" or k.startswith("minigan.")}


def build(root: str, batch: int, image: int, kernels: str):
    """The DCGAN step of the minigan found in ``root``, with its modules kept out of sys.modules after."""
    saved = _minigan_modules()
    sys.path.insert(0, root)
    try:
        step = dcgan_step.minigan_step(batch, "cpu", image, kernels=kernels)
        import minigan

        step.source = os.path.dirname(minigan.__file__)
    finally:
        sys.path.remove(root)
        _minigan_modules()
        sys.modules.update(saved)
    return step


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the root of the other checkout (the folder that holds minigan/)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--image", type=int, default=28, choices=[28, 64])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--textbook", action="store_true", help="time this checkout's textbook tier")
    args = parser.parse_args(argv)
    this = os.path.dirname(HERE)
    a = build(os.path.abspath(args.other), args.batch, args.image, "fast")
    b = build(this, args.batch, args.image, "textbook" if args.textbook else "fast")
    print(f"A: {a.source}\nB: {b.source}{' (textbook tier)' if args.textbook else ''}")
    for step in (a, b, a, b):  # warm-up
        step()
    times = {"A": [], "B": []}
    for _ in range(args.rounds):
        for name, step in (("A", a), ("B", b)):
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    diffs = [tb - ta for ta, tb in zip(times["A"], times["B"])]
    med_a, med_b, med_d = (statistics.median(v) * 1e3 for v in (times["A"], times["B"], diffs))
    print(f"{args.rounds} paired iterations (batch {args.batch}, image {args.image}): A {med_a:.2f} ms, "
          f"B {med_b:.2f} ms, median of B − A {med_d:+.2f} ms ({med_d / med_a:+.1%})")
    return {"a_ms": med_a, "b_ms": med_b, "median_difference_ms": med_d}


if __name__ == "__main__":
    main()
