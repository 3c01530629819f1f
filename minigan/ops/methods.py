"""Tensor's operators and methods, named and behaving as in PyTorch.

They are written here, beside the ops they call, and set on ``Tensor`` by :func:`install` when
``minigan.ops`` is imported (as DeZero's ``setup_variable`` does), so that ``minigan.autograd``
imports no op and the modules have no import cycle. NumPy's names are kept where they were
used before (``axis``/``keepdims`` in reductions, ``astype``, ``clip``).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import activation, arithmetic, reduce, shape


def _compare(a: Tensor, other, op) -> Tensor:
    """Comparisons give boolean tensors with no gradient."""
    other = other.data if isinstance(other, Tensor) else other
    return Tensor(op(a.data, other))


def _shape_args(shape_args) -> tuple:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    return tuple(shape_args[0]) if len(shape_args) == 1 and isinstance(shape_args[0], (tuple, list)) else shape_args


def _parse_to(args, kwargs) -> tuple[str | None, np.dtype | None]:
    """``to("cuda")``, ``to("float64")``, ``to(np.float64)``, ``to("cpu", "float64")``, ``to(dtype=...)``."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"Tensor.to got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) and arg.lower().split(":")[0] in ("cpu", "cuda", "gpu"):
            device = arg
        else:
            try:
                dtype = np.dtype(arg)
            except TypeError:
                raise TypeError(f"Tensor.to: expected a device ('cpu', 'cuda') or a dtype ('float32', "
                                f"'float64'), got {arg!r}") from None
    return device, None if dtype is None else np.dtype(dtype)


class TensorMethods:
    """The methods set on Tensor; each line says which op it is."""

    # --- arithmetic operators
    def __add__(self, other):
        return arithmetic.add(self, other)

    def __radd__(self, other):
        return arithmetic.add(other, self)

    def __sub__(self, other):
        return arithmetic.sub(self, other)

    def __rsub__(self, other):
        return arithmetic.sub(other, self)

    def __mul__(self, other):
        return arithmetic.mul(self, other)

    def __rmul__(self, other):
        return arithmetic.mul(other, self)

    def __truediv__(self, other):
        return arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return arithmetic.div(other, self)

    def __neg__(self):
        return arithmetic.neg(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        return arithmetic.pow(self, exponent)

    def __rpow__(self, base):
        return arithmetic.rpow(self, base)

    def __matmul__(self, other):
        return arithmetic.matmul(self, other)

    def __rmatmul__(self, other):
        return arithmetic.matmul(other, self)

    def __abs__(self):
        return arithmetic.abs(self)

    def __getitem__(self, index):
        return shape.getitem(self, index)

    # --- comparisons (elementwise, as in NumPy and PyTorch)
    def __lt__(self, other):
        return _compare(self, other, lambda a, b: a < b)

    def __le__(self, other):
        return _compare(self, other, lambda a, b: a <= b)

    def __gt__(self, other):
        return _compare(self, other, lambda a, b: a > b)

    def __ge__(self, other):
        return _compare(self, other, lambda a, b: a >= b)

    def __eq__(self, other):
        return _compare(self, other, lambda a, b: a == b)

    def __ne__(self, other):
        return _compare(self, other, lambda a, b: a != b)

    # --- reductions: dim / keepdim (axis / keepdims accepted)
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim=None, keepdim=False, *, correction=None, unbiased=None, axis=None, keepdims=None, ddof=None):
        return reduce.var(self, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                          keepdims=keepdims, ddof=ddof)

    def std(self, dim=None, keepdim=False, *, correction=None, unbiased=None, axis=None, keepdims=None, ddof=None):
        return reduce.std(self, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                          keepdims=keepdims, ddof=ddof)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # --- shapes
    def reshape(self, *shape_args):
        return shape.reshape(self, _shape_args(shape_args))

    def view(self, *shape_args):
        return shape.reshape(self, _shape_args(shape_args))

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int):
        return shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return shape.permute(self, _shape_args(dims))

    @property
    def T(self):
        return shape.permute(self, tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int):
        return shape.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None):
        return shape.squeeze(self, dim)

    def broadcast_to(self, size):
        return shape.broadcast_to(self, size)

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        return shape.broadcast_to(self, tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes)))

    # --- elementwise functions
    def exp(self):
        return arithmetic.exp(self)

    def log(self):
        return arithmetic.log(self)

    def log1p(self):
        return arithmetic.log1p(self)

    def sqrt(self):
        return arithmetic.sqrt(self)

    def abs(self):
        return arithmetic.abs(self)

    def sign(self):
        return arithmetic.sign(self)

    def clip(self, min=None, max=None):
        return arithmetic.clip(self, min, max)

    def clamp(self, min=None, max=None):
        return arithmetic.clip(self, min, max)

    def tanh(self):
        return activation.tanh(self)

    def sigmoid(self):
        return activation.sigmoid(self)

    def relu(self):
        return activation.relu(self)

    # --- dtype and device
    def astype(self, dtype):
        return arithmetic.astype(self, dtype)

    def float(self):
        return arithmetic.astype(self, "float32")

    def double(self):
        return arithmetic.astype(self, "float64")

    def to(self, *args, **kwargs):
        """A copy on another device and/or in another dtype; gradients flow back to this tensor.
        ``to("cuda")``, ``to("float64")``, ``to("cpu", dtype="float32")``; ``self`` when nothing changes."""
        device, dtype = _parse_to(args, dict(kwargs))
        out = self
        if device is not None and backend.device_of(self.data) != backend._normalise_device(device):
            out = shape.to_device(out, device)
        if dtype is not None:
            out = arithmetic.astype(out, dtype)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")


def install(cls: type = Tensor) -> None:
    """Set every method and property of :class:`TensorMethods` on ``cls``."""
    for name, value in vars(TensorMethods).items():
        if callable(value) or isinstance(value, property):
            setattr(cls, name, value)
