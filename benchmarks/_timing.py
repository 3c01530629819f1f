"""Shared timing helpers for the benchmark scripts: warm-up, alternating rounds, medians.

Import this module before NumPy or PyTorch. Rounds alternate between frameworks in one process, and
both thread pools keep their threads spinning for a while after each parallel op (OpenBLAS under NumPy,
OpenMP under PyTorch): the spinning threads of one framework then take the cores from the next one's
round. Measured on two cores: PyTorch's iteration took 94-110 ms right after NumPy rounds and 81-88 ms
without the spinning, which made NumPy engines look up to 20% closer to it than they are. Both pools
read these variables when they load and then put idle threads to sleep at once.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # shortest spin OpenBLAS allows
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import statistics  # noqa: E402
import time
from collections.abc import Callable


def time_rounds(candidates: dict[str, Callable[[], object]], rounds: int = 7, repeat: int = 1,
                warmup: int = 2) -> dict[str, list[float]]:
    """Seconds per call for each candidate, measured in alternating rounds (fair on a noisy machine)."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            times[name].append((time.perf_counter() - start) / repeat)
    return times


def summary(times: list[float]) -> tuple[float, float, float]:
    return statistics.median(times), min(times), max(times)


def print_table(title: str, times: dict[str, list[float]], unit: str = "ms", reference: str | None = None) -> None:
    scale = {"ms": 1e3, "us": 1e6, "µs": 1e6}[unit]
    print(f"\n{title}")
    print(f"  {'':<22}{'median':>10}{'min':>10}{'max':>10}   ratio")
    ref = statistics.median(times[reference]) if reference in times else None
    for name, ts in times.items():
        med, lo, hi = summary(ts)
        ratio = f"{med / ref:6.2f}x {reference}" if ref and name != reference else ""
        print(f"  {name:<22}{med * scale:>9.2f}{unit[-2:]:<1}{lo * scale:>9.2f} {hi * scale:>9.2f}   {ratio}")
