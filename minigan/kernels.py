"""Two tiers of kernels, one truth.

Where speed needs a kernel that hides the maths (col2im by residue planes, batch norm's fused
backward, Adam's in-place update, LeakyReLU's saved scale, ...), the op keeps a *textbook* twin in the
same file: plain NumPy, written as the formula (at most a loop over kernel offsets). The fast kernel is
an optimisation of it, and the tests check that both give the same values and gradients.

    mg.set_kernels("textbook")   # the whole engine on the textbook tier, to read and step through
    mg.get_kernels()             # "textbook"
    mg.set_kernels("fast")       # the default

The environment variable ``MINIGAN_KERNELS=textbook`` selects the tier at import time.
"""

from __future__ import annotations

import os

__all__ = ["TIERS", "get_kernels", "set_kernels", "textbook"]

TIERS = ("fast", "textbook")


def _checked(tier: str, where: str) -> str:
    if tier not in TIERS:
        raise ValueError(f"{where}: kernels must be 'fast' or 'textbook', got {tier!r}")
    return tier


_tier = _checked(os.environ.get("MINIGAN_KERNELS", "fast").strip().lower() or "fast", "MINIGAN_KERNELS")


def set_kernels(tier: str) -> str:
    """Run every op on the ``"fast"`` or the ``"textbook"`` tier from now on; returns the previous tier."""
    global _tier
    previous, _tier = _tier, _checked(tier, "set_kernels")
    return previous


def get_kernels() -> str:
    """The tier in use: ``"fast"`` or ``"textbook"``."""
    return _tier


def textbook() -> bool:
    """True when ops should run their textbook twins."""
    return _tier == "textbook"
