"""The stand-in's machinery: moving between the wrapper and NumPy, refusing host arrays, the copy trace.

Not part of CuPy's API; tests use ``trace_copies`` and ``copies`` from here.
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np

ndarray = None  # set by cupy/__init__.py (the device array type)

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_traces: list[list[tuple[str, str, str]]] = []
copies = {"count": 0}  # every device -> host copy since import


def wrap(x):
    """NumPy results as device arrays (NumPy scalars become 0-d arrays, as CuPy's reductions give)."""
    if isinstance(x, np.ndarray):
        out = object.__new__(ndarray)
        out._a = x
        return out
    if isinstance(x, np.generic):
        return wrap(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(wrap(i) for i in x)
    if isinstance(x, list):
        return [wrap(i) for i in x]
    return x


def device_only(x, where: str):
    """The NumPy arrays under device arrays; a host array raises TypeError as in CuPy."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)} (in {where}: a host array mixed with device arrays; "
                        "move it with cupy.asarray)")
    if isinstance(x, (tuple, list)):
        return type(x)(device_only(i, where) for i in x)
    if isinstance(x, dict):
        return {k: device_only(v, where) for k, v in x.items()}
    return x


def index(key):
    """An index into a device array: device index arrays are unwrapped; host index arrays are accepted."""
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, tuple):
        return tuple(k._a if isinstance(k, ndarray) else k for k in key)
    return key


def _caller() -> tuple[str, str]:
    """("minigan/file.py:line", function) of the minigan code (else the first code outside the stand-in)
    that asked for the copy; minigan/backend.py's device-move helpers are passed through to their caller."""
    frame, first = sys._getframe(2), None
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE):
            parts = path.split(os.sep)
            if "minigan" in parts[:-1]:
                start = len(parts) - 1 - parts[-2::-1].index("minigan") - 1
                name = "/".join(parts[start:])
                if name != "minigan/backend.py":
                    return f"{name}:{frame.f_lineno}", frame.f_code.co_name
            first = first or (f"{path}:{frame.f_lineno}", frame.f_code.co_name)
        frame = frame.f_back
    return first or ("?", "?")


def record(kind: str) -> None:
    """Count one device -> host copy, and note where it came from in every open trace."""
    copies["count"] += 1
    if _traces:
        where, function = _caller()
        for trace in _traces:
            trace.append((kind, where, function))


@contextlib.contextmanager
def trace_copies():
    """``with trace_copies() as t:`` collects (kind, "minigan/file.py:line", function) for each device -> host
    copy: kind is get, float, bool, item, repr, ..."""
    trace: list[tuple[str, str, str]] = []
    _traces.append(trace)
    try:
        yield trace
    finally:
        _traces.remove(trace)


def asnumpy(a, stream=None, order="C", out=None):
    """A host copy of a device array (host input is returned as a NumPy array)."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    import cupy

    return cupy if any(isinstance(a, ndarray) for a in args) else np
