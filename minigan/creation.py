"""Making tensors: ``mg.tensor`` and friends. Floating-point data is float32 unless you ask otherwise."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .autograd import Tensor

DEFAULT_FLOAT = np.dtype("float32")


def tensor(data: Any, dtype=None, requires_grad: bool = False, device: str | None = None) -> Tensor:
    """A new leaf tensor (a copy of ``data``).

    Floating-point data (Python floats, float64 arrays, ...) becomes float32 unless
    ``dtype`` is given; integer and boolean data keep their type.
    """
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)):
        _refuse_tensors_inside(data)
    device = device or (backend.device_of(data) if backend.is_cupy_array(data) else backend.default_device())
    xp = backend.xp_for(device)
    if backend.is_cupy_array(data) and device == "cpu":
        data = data.get()
    try:
        array = xp.array(data, dtype=None if dtype is None else np.dtype(dtype), copy=True)
    except (TypeError, ValueError) as err:
        raise TypeError(f"mg.tensor: cannot make a tensor of this data ({err}); "
                        "pass numbers, nested lists of numbers, or a numeric array") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(f"mg.tensor: data of dtype {array.dtype} ({_KIND_NAMES.get(array.dtype.kind, 'other')}) "
                        "is not supported; tensors hold booleans, integers or floating-point numbers")
    if dtype is None and array.dtype.kind == "f" and array.dtype != DEFAULT_FLOAT:
        array = array.astype(DEFAULT_FLOAT)
    return Tensor(array, requires_grad=requires_grad)


_KIND_NAMES = {"c": "complex numbers", "O": "Python objects", "U": "strings", "S": "bytes", "M": "dates",
               "m": "time spans", "V": "raw records"}


def _refuse_tensors_inside(items) -> None:
    """A list of Tensors would become an object array: say how to combine them instead."""
    for item in items:
        if isinstance(item, Tensor):
            raise TypeError("mg.tensor: got a list holding Tensors; combine tensors with mg.stack(list) or "
                            "mg.concat(list) (which keep the graph), or pass [t.numpy() for t in list]")
        if isinstance(item, (list, tuple)):
            _refuse_tensors_inside(item)


def _make(fill, shape, dtype, requires_grad, device) -> Tensor:
    xp = backend.xp_for(device or backend.default_device())
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(fill(xp, shape, np.dtype(dtype)), requires_grad=requires_grad)


def zeros(*shape, dtype="float32", requires_grad=False, device=None) -> Tensor:
    shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    return _make(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, requires_grad, device)


def ones(*shape, dtype="float32", requires_grad=False, device=None) -> Tensor:
    shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    return _make(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, requires_grad, device)


def full(shape, value, dtype="float32", requires_grad=False, device=None) -> Tensor:
    return _make(lambda xp, s, d: xp.full(s, value, dtype=d), shape, dtype, requires_grad, device)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad, device=t.device)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad, device=t.device)


def randn(*shape, dtype="float32", requires_grad=False, device=None) -> Tensor:
    """Standard normal samples from the seeded generator (see ``mg.manual_seed``)."""
    shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(backend.random_normal(shape, dtype, device), requires_grad=requires_grad)


def rand(*shape, dtype="float32", requires_grad=False, device=None) -> Tensor:
    """Uniform [0, 1) samples from the seeded generator."""
    shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(backend.random_uniform(shape, 0.0, 1.0, dtype, device), requires_grad=requires_grad)


def arange(*args, dtype=None, device=None) -> Tensor:
    xp = backend.xp_for(device or backend.default_device())
    return Tensor(xp.arange(*args, dtype=dtype))
