"""Grad modes: whether operations record a graph (``no_grad``) and whether backward checks for NaN/Inf.

Both are per thread, as in PyTorch (``torch.autograd.grad_mode``).
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["detect_anomaly", "enable_grad", "is_anomaly_enabled", "is_grad_enabled", "no_grad", "set_grad_enabled"]


class _Modes(threading.local):
    """Grad recording and anomaly detection, per thread."""

    grad_enabled = True
    anomaly = False


_modes = _Modes()


def is_grad_enabled() -> bool:
    return _modes.grad_enabled


def is_anomaly_enabled() -> bool:
    return _modes.anomaly


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801  (PyTorch's name)
    """Set grad recording on or off inside a ``with`` block or a decorated function."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous, _modes.grad_enabled = _modes.grad_enabled, self.mode
        return self

    def __exit__(self, *exc):
        _modes.grad_enabled = self.previous
        return False


def no_grad() -> set_grad_enabled:
    """Operations inside ``with mg.no_grad():`` record no graph (for evaluation and optimizer steps)."""
    return set_grad_enabled(False)


def enable_grad() -> set_grad_enabled:
    return set_grad_enabled(True)


@contextlib.contextmanager
def detect_anomaly():
    """Check every gradient for NaN/Inf during backward and name the Function that produced it."""
    previous, _modes.anomaly = _modes.anomaly, True
    try:
        yield
    finally:
        _modes.anomaly = previous
