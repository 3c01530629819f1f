"""Comparing a student's result with the expected one.

The relative error of one element is |got − expected| / max(|got|, |expected|, floor), with a floor
of ``floor_ratio`` times the largest expected magnitude (or a given ``scale``), and never below
``floor_ratio`` itself, as the cases' inputs are of order 1. So round-off on an element that is 0,
or nearly 0 after cancellation (batchnorm's dx on a batch of 2), does not count as an error. A
result passes when its largest relative error is at most the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Comparison:
    passed: bool
    error: float  # the largest relative error; inf for a result of the wrong shape or not finite
    message: str  # what is wrong, "" when it passes


def relative_errors(got: np.ndarray, expected: np.ndarray, floor_ratio: float = 1e-6,
                    scale: float | None = None) -> np.ndarray:
    if scale is None:
        scale = float(np.max(np.abs(expected), initial=0.0))
    floor = floor_ratio * max(scale, 1.0)
    return np.abs(got - expected) / np.maximum(np.maximum(np.abs(got), np.abs(expected)), floor)


def matches(got: np.ndarray, expected: np.ndarray, tolerance: float = 1e-6) -> bool:
    """Same shape and the same values up to ``tolerance``: used to recognise known mistakes."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or not np.all(np.isfinite(got)) or not np.all(np.isfinite(expected)):
        return False
    return bool(np.all(relative_errors(got, expected) <= tolerance))


def format_index(index: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else ""


def compare(got: np.ndarray, expected: np.ndarray, name: str, tolerance: float, floor_ratio: float = 1e-6,
            scale: float | None = None, labels: tuple[str, str] = ("expected", "got")) -> Comparison:
    """Shape, finiteness, then the worst element; ``labels`` name the two sides in the message."""
    if got.shape != expected.shape:
        if expected.ndim == 0 and got.size == 1:
            got = got.reshape(())  # a loss returned as a one-element array is fine
        else:
            return Comparison(False, np.inf, f"{name} has shape {got.shape}, expected {expected.shape}")
    bad = np.argwhere(~np.isfinite(got))
    if len(bad):
        index = tuple(bad[0])
        return Comparison(False, np.inf, f"{name}{format_index(index)} is {got[index]} (expected "
                                         f"{expected[index]:.6g}): {len(bad)} element(s) are NaN or infinite")
    if got.size == 0:
        return Comparison(True, 0.0, "")
    errors = relative_errors(got, expected, floor_ratio, scale)
    index = np.unravel_index(int(np.argmax(errors)), errors.shape)
    error = float(errors[index])
    if error <= tolerance:
        return Comparison(True, error, "")
    where = f"worst element {name}{format_index(index)}" if got.ndim else name
    return Comparison(False, error, f"{where}: {labels[0]} {expected[index]:.6g}, {labels[1]} {got[index]:.6g} "
                                    f"(relative error {error:.1e})")
