"""CuPy's array functions and ufuncs, run by NumPy on the arrays underneath.

Only names that CuPy exports are listed. Every function but ``array`` / ``asarray`` (the host -> device
copies) refuses host arrays, as CuPy's do.
"""

from __future__ import annotations

import numpy as np

from ._stand_in import device_only, ndarray, wrap

_UFUNCS = """
add subtract multiply divide true_divide floor_divide negative positive power float_power remainder mod fmod
absolute abs sign sqrt square cbrt reciprocal exp exp2 expm1 log log2 log10 log1p logaddexp logaddexp2
sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh deg2rad rad2deg
floor ceil trunc rint isfinite isinf isnan signbit copysign maximum minimum fmax fmin
greater greater_equal less less_equal equal not_equal logical_and logical_or logical_xor logical_not
bitwise_and bitwise_or bitwise_xor invert left_shift right_shift
""".split()

_FUNCTIONS = """
empty_like zeros_like ones_like full_like ascontiguousarray asfortranarray copy
reshape ravel transpose swapaxes moveaxis rollaxis expand_dims squeeze broadcast_to broadcast_arrays
concatenate stack hstack vstack dstack column_stack split array_split flip fliplr flipud roll rot90 tile repeat
atleast_1d atleast_2d atleast_3d pad tril triu diag diagonal trace meshgrid
sum mean var std prod max min amax amin argmax argmin cumsum cumprod nansum nanmean any all count_nonzero
nonzero flatnonzero unique sort argsort argpartition partition searchsorted where clip around round
einsum matmul dot vdot inner outer tensordot kron cross allclose isclose array_equal shares_memory
may_share_memory histogram bincount take take_along_axis put copyto diff interp convolve cov corrcoef
shape ndim size linspace
""".split()

_CREATION = "empty zeros ones full arange eye identity tri".split()


class ufunc:  # noqa: N801  (CuPy's name)
    """A CuPy ufunc: NumPy's, refusing host arrays, with C-contiguous results."""

    def __init__(self, np_ufunc):
        self._ufunc = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        args, kwargs = device_only(args, self.__name__), device_only(kwargs, self.__name__)
        if out is None:
            kwargs["order"] = "C"
        result = self._ufunc(*args, **kwargs)
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return wrap(result)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        indices = tuple(i._a if isinstance(i, ndarray) else i for i in indices) if isinstance(indices, tuple) \
            else (indices._a if isinstance(indices, ndarray) else indices)
        self._ufunc.at(a._a, indices, *([] if b is None else [device_only(b, self.__name__ + ".at")]))

    def reduce(self, a, *args, **kwargs):
        return wrap(self._ufunc.reduce(device_only(a, self.__name__), *args, **kwargs))

    def outer(self, a, b, **kwargs):
        return wrap(self._ufunc.outer(device_only(a, self.__name__), device_only(b, self.__name__), **kwargs))


def _device_function(name):
    np_func = getattr(np, name)

    def function(*args, **kwargs):
        return wrap(np_func(*device_only(args, name), **device_only(kwargs, name)))

    function.__name__ = name
    return function


def _creation_function(name):
    np_func = getattr(np, name)

    def function(*args, **kwargs):
        return wrap(np.asarray(np_func(*device_only(args, name), **device_only(kwargs, name))))

    function.__name__ = name
    return function


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    """A new device array: from a device array (a device copy) or from host data (host -> device)."""
    if isinstance(obj, ndarray):
        return wrap(np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    if isinstance(obj, (list, tuple)) and any(isinstance(o, ndarray) for o in obj):
        obj = [o._a if isinstance(o, ndarray) else o for o in obj]
    return wrap(np.array(obj, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def asarray(a, dtype=None, order=None, blocking=False):
    """``a`` itself when it is a device array of ``dtype``; otherwise a device copy of it."""
    if isinstance(a, ndarray):
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        return wrap(a._a.astype(dtype))
    return array(a, dtype=dtype, order=order or "K")


__all__ = ["array", "asarray", "ufunc", *_UFUNCS, *_FUNCTIONS, *_CREATION]
globals().update({name: ufunc(getattr(np, name)) for name in _UFUNCS})
globals().update({name: _device_function(name) for name in _FUNCTIONS})
globals().update({name: _creation_function(name) for name in _CREATION})
