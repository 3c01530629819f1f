"""A strict stand-in for CuPy: NumPy-backed "device" arrays that refuse to mix with host arrays.

It exists so that ``MINIGAN_BACKEND=cupy`` runs the test suite on a machine without a GPU
(``MINIGAN_FAKE_CUPY=1`` puts this package on the path; see tests/conftest.py). It imitates CuPy
where minigan's correctness depends on it:

- ``cupy.ndarray`` is not a ``numpy.ndarray``; mixing the two raises ``TypeError`` as CuPy does:
  binary ops and ufuncs with a host array, ``numpy.asarray(device)``, assigning a host array or a
  list into a device slice, and CuPy functions given host arrays;
- NumPy functions and ufuncs called on device arrays dispatch here (``__array_function__`` /
  ``__array_ufunc__``) and return device arrays; reductions return 0-d device arrays, not scalars;
- ``.get()``, ``cupy.asnumpy``, ``cupy.get_array_module``, ``cupy.random`` (seeded ``RandomState``),
  ``cupy.cuda.Device`` / ``cupy.cuda.runtime.getDeviceCount()``, ``cupy.lib.stride_tricks.as_strided``;
- only names that real CuPy exports (a NumPy name CuPy lacks is an ``AttributeError``);
- elementwise results are C-contiguous (CuPy does not keep the inputs' memory order as NumPy's
  order "K" does);
- every device→host copy (``.get()``, ``float()``, ``bool()``, ``.item()``, ``repr``...) can be traced
  with the minigan file:line that caused it: ``cupy._stand_in.trace_copies()``.

Stricter than CuPy in one place: an out-of-bounds integer index raises ``IndexError`` (NumPy's rule) where
CuPy wraps around silently, so a missing range check shows up here instead of as wrong numbers on a GPU.

What it does not model: numerics (results are NumPy's, bit for bit; cuBLAS and CUDA reductions differ
in the last bits, and CuPy's random streams differ from NumPy's), speed, memory (no device memory
limit or pool), asynchrony and streams (every op is done at once), several devices, and most of CuPy's
API beyond what minigan and its tests use.
"""

from __future__ import annotations

import numpy as _np

from . import _stand_in

__version__ = "0+stand-in"
from ._stand_in import device_only, wrap


class _Flags:
    """The three flags CuPy arrays have."""

    def __init__(self, flags):
        self.c_contiguous, self.f_contiguous, self.owndata = flags.c_contiguous, flags.f_contiguous, flags.owndata

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous, "OWNDATA": self.owndata}[name]


class _MemoryPointer:
    def __init__(self, array):
        self.ptr = array.__array_interface__["data"][0]


_METHODS = {  # ndarray methods CuPy has, run on the NumPy array underneath; results stay on the device
    "reshape", "transpose", "swapaxes", "ravel", "flatten", "squeeze", "sum", "mean", "var", "std", "max",
    "min", "argmax", "argmin", "prod", "any", "all", "clip", "dot", "cumsum", "fill", "view", "nonzero",
    "repeat", "take", "round", "conj", "diagonal", "trace", "sort", "argsort", "put", "copy",
}


def _binary(name, reflected=False):
    ufunc = getattr(_np, name)

    def op(self, other):
        if getattr(type(other), "__array_ufunc__", False) is None:  # e.g. a minigan Tensor: let it answer
            return NotImplemented
        return ufunc(other, self) if reflected else ufunc(self, other)

    return op


def _inplace(name):
    ufunc = getattr(_np, name)

    def op(self, other):
        ufunc(self, other, out=(self,))
        return self

    return op


class ndarray:  # noqa: N801  (CuPy's name)
    """A device array: a NumPy array that only device code may touch."""

    __slots__ = ("_a", "__weakref__")

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = _np.empty(shape, dtype=dtype, order=order)

    # --- NumPy's protocols: device arrays take over NumPy's functions; host arrays are refused
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        args = device_only(inputs, ufunc.__name__)
        if out is not None:
            kwargs["out"] = device_only(out, ufunc.__name__)
        elif method == "__call__":
            kwargs["order"] = "C"  # CuPy allocates elementwise results C-contiguous
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        namespace = linalg.__dict__ if func.__module__ == "numpy.linalg" else globals()
        if name not in namespace or name.startswith("_"):
            return NotImplemented  # NumPy then raises TypeError: CuPy has no such function
        return namespace[name](*args, **kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    # --- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: _Flags(self._a.flags))
    data = property(lambda self: _MemoryPointer(self._a))
    device = property(lambda self: cuda.Device(0))
    T = property(lambda self: wrap(self._a.T))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    def __getattr__(self, name):
        if name in _METHODS:
            method = getattr(self._a, name)
            return lambda *args, **kwargs: wrap(method(*device_only(args, name), **device_only(kwargs, name)))
        raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return wrap(self._a.astype(dtype, order=order, copy=copy))

    # --- device -> host (each one a synchronisation, traced)
    def get(self, stream=None, order="C", out=None):
        _stand_in.record("get")
        host = _np.array(self._a, order=order)
        if out is not None:
            out[...] = host
            return out
        return host

    def set(self, arr, stream=None):
        if not isinstance(arr, _np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        self._a[...] = arr

    def item(self):
        _stand_in.record("item")
        return self._a.item()

    def tolist(self):
        _stand_in.record("tolist")
        return self._a.tolist()

    def __float__(self):
        _stand_in.record("float")
        return float(self._a)

    def __int__(self):
        _stand_in.record("int")
        return int(self._a)

    def __index__(self):
        _stand_in.record("index")
        return self._a.__index__()

    def __bool__(self):
        _stand_in.record("bool")
        return bool(self._a)

    def __complex__(self):
        _stand_in.record("complex")
        return complex(self._a)

    def __repr__(self):
        _stand_in.record("repr")
        return repr(self._a)

    def __str__(self):
        _stand_in.record("str")
        return str(self._a)

    def __format__(self, spec):
        _stand_in.record("format")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    # --- containers
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (wrap(row) for row in self._a)

    def __getitem__(self, index):
        return wrap(self._a[_stand_in.index(index)])

    def __setitem__(self, index, value):
        if not (isinstance(value, (ndarray, int, float, bool, complex)) or _np.isscalar(value)):
            raise TypeError(f"Unsupported type {type(value)}")
        self._a[_stand_in.index(index)] = value._a if isinstance(value, ndarray) else value

    def __copy__(self):
        return wrap(self._a.copy())

    def __deepcopy__(self, memo):
        return wrap(self._a.copy())

    def __reduce__(self):  # pickling moves the data through the host, as CuPy's does
        _stand_in.record("pickle")
        return (array, (self._a.copy(),))

    # --- operators, through the ufuncs above
    __add__, __radd__, __iadd__ = _binary("add"), _binary("add", True), _inplace("add")
    __sub__, __rsub__, __isub__ = _binary("subtract"), _binary("subtract", True), _inplace("subtract")
    __mul__, __rmul__, __imul__ = _binary("multiply"), _binary("multiply", True), _inplace("multiply")
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __itruediv__ = _inplace("true_divide")
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("remainder"), _binary("remainder", True)
    __pow__, __rpow__, __ipow__ = _binary("power"), _binary("power", True), _inplace("power")
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __and__, __rand__, __or__, __ror__ = (_binary("bitwise_and"), _binary("bitwise_and", True),
                                          _binary("bitwise_or"), _binary("bitwise_or", True))
    __xor__, __iand__, __ior__ = _binary("bitwise_xor"), _inplace("bitwise_and"), _inplace("bitwise_or")
    __lt__, __le__, __gt__, __ge__ = _binary("less"), _binary("less_equal"), _binary("greater"), \
        _binary("greater_equal")
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")
    __hash__ = None

    def __neg__(self):
        return _np.negative(self)

    def __pos__(self):
        return _np.positive(self)

    def __abs__(self):
        return _np.absolute(self)

    def __invert__(self):
        return _np.invert(self)


_stand_in.ndarray = ndarray

# isort: split
from . import cuda, lib, linalg, random  # noqa: E402,F401  (submodules, as in CuPy)
from ._functions import *  # noqa: E402,F401,F403  (the array functions and ufuncs)
from ._functions import array  # noqa: E402
from ._stand_in import asnumpy, get_array_module  # noqa: E402,F401

# isort: split
# dtypes and constants, as CuPy re-exports them
from numpy import (  # noqa: E402,F401
    bool_,
    can_cast,
    complex64,
    complex128,
    e,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    inf,
    int8,
    int16,
    int32,
    int64,
    intp,
    issubdtype,
    nan,
    newaxis,
    pi,
    promote_types,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)

dtype = _np.dtype
