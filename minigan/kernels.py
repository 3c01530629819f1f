"""Three tiers of kernels, one truth.

Where speed needs a kernel that hides the maths (col2im by residue planes, batch norm's fused
backward, Adam's in-place update, LeakyReLU's saved scale, ...), the op keeps a *textbook* twin in the
same file: plain NumPy, written as the formula (at most a loop over kernel offsets). The fast kernel is
an optimisation of it, and the tests check that both give the same values and gradients.

    mg.set_kernels("textbook")   # the whole engine on the textbook tier, to read and step through
    mg.set_kernels("numpy")      # the vectorised NumPy fast kernels only (no compiled loops)
    mg.set_kernels("fast")       # the default: compiled loops where numba is installed, else "numpy"
    mg.get_kernels()             # the tier in use

On the CPU the ``"fast"`` tier runs compiled loops (minigan/compiled_loops.py, the optional extra
``pip install "minigan[fast]"``) on host arrays when numba is importable; CuPy arrays never reach them.
Without numba, or with ``MINIGAN_NUMBA=0`` in the environment, ``"fast"`` is the same as ``"numpy"``.
The environment variable ``MINIGAN_KERNELS=textbook`` (or ``numpy``) selects the tier at import time.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["TIERS", "compiled", "disable_numba", "get_kernels", "numba_available", "set_kernels", "textbook"]

TIERS = ("fast", "numpy", "textbook")


def _checked(tier: str, where: str) -> str:
    if tier not in TIERS:
        raise ValueError(f"{where}: kernels must be 'fast', 'numpy' or 'textbook', got {tier!r}")
    return tier


_tier = _checked(os.environ.get("MINIGAN_KERNELS", "fast").strip().lower() or "fast", "MINIGAN_KERNELS")
_numba: bool | None = None  # found once, on first need: importing minigan neither imports nor compiles numba


def set_kernels(tier: str) -> str:
    """Run every op on the ``"fast"``, ``"numpy"`` or ``"textbook"`` tier from now on; returns the previous tier."""
    global _tier
    previous, _tier = _tier, _checked(tier, "set_kernels")
    return previous


def get_kernels() -> str:
    """The tier in use: ``"fast"``, ``"numpy"`` or ``"textbook"``."""
    return _tier


def textbook() -> bool:
    """True when ops should run their textbook twins."""
    return _tier == "textbook"


def numba_available() -> bool:
    """True when numba can be imported and ``MINIGAN_NUMBA`` is not ``0`` (checked once)."""
    global _numba
    if _numba is None:
        _numba = os.environ.get("MINIGAN_NUMBA", "1").strip() != "0" and importlib.util.find_spec("numba") is not None
    return _numba


def disable_numba() -> None:
    """Turn the compiled loops off for this process (numba was found but failed to import)."""
    global _numba
    _numba = False


def compiled() -> bool:
    """True when ops should run the compiled loops on host arrays (the fast tier, with numba)."""
    return _tier == "fast" and numba_available()
