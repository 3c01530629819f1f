"""Shared timing helpers for the benchmark scripts: warm-up, alternating rounds, medians."""

from __future__ import annotations

import statistics
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
