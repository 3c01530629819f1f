"""When the fast tier's compiled loops (minigan/compiled_loops.py) run, on which views, on how many threads.

Each function here returns the result of a compiled loop, or ``None`` when the loop does not apply,
and the op then runs its NumPy code as before. A loop applies when

- the tier is ``"fast"`` and numba is importable (``kernels.compiled()``; ``MINIGAN_NUMBA=0`` or
  ``mg.set_kernels("numpy")`` turn the loops off),
- every array is a host ``np.ndarray`` of float32 or float64, all of one dtype (a CuPy array never
  reaches a loop: the GPU analogue of these loops would be CuPy ``ElementwiseKernel``/``ReductionKernel``
  fusions, or ``cupy.fuse``),
- and the layout is one the loop reads: per-channel work needs the rows (M, C) of a channels-last
  image or a C-ordered (N, C) batch, elementwise work a dense array (no broadcast strides).

``import minigan`` imports neither numba nor the loops: the first call that applies does, and numba
compiles each loop then (or loads it from its on-disk cache).

Threads. numba's loops and OpenBLAS's products run one after the other in the same Python thread, so
they never compete with each other; both must leave the cores to the rest of a loaded machine. numba uses
the same number of threads as the BLAS policy: the first of ``MINIGAN_NUMBA_THREADS``,
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` that is set, else numba's default (the
cores). :func:`set_threads` changes it at run time (a BLAS thread limit should call it with the same count).
numba's OpenMP layer lets idle threads spin briefly after each loop; ``OMP_WAIT_POLICY=PASSIVE`` in the
environment makes them sleep at once (advisable on a shared machine when more than one thread is used).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from . import kernels

__all__ = ["adam", "batch_norm_backward", "batch_norm_forward", "channel_sum", "col2im", "get_threads",
           "im2col", "leaky_relu", "leaky_relu_backward", "loops", "relu_backward", "set_threads",
           "tanh_backward", "usable"]

THREAD_VARIABLES = ("MINIGAN_NUMBA_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_loops = None


def loops():
    """The compiled loops module (imports numba on the first call, and sets its thread count); None when
    numba is installed but cannot be imported (the fast tier then stays on its NumPy kernels)."""
    global _loops
    if _loops is None:
        try:
            from . import compiled_loops
        except ImportError as err:
            kernels.disable_numba()
            warnings.warn(f"numba could not be imported ({err}); the fast tier runs its NumPy kernels",
                          RuntimeWarning, stacklevel=3)
            return None
        _loops = compiled_loops
        set_threads(_threads_from_environment())
    return _loops


def _threads_from_environment() -> int | None:
    for name in THREAD_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def set_threads(threads: int | None) -> int:
    """Run the compiled loops on ``threads`` threads (None: numba's default, the cores), at most the cores
    numba started with; returns the count in use."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(most if threads is None else max(1, min(int(threads), most)))
    return numba.get_num_threads()


def get_threads() -> int:
    """The compiled loops' thread count (numba must be importable)."""
    loops()
    import numba

    return numba.get_num_threads()


def usable(*arrays) -> bool:
    """True when the compiled loops may run on these arrays: the fast tier with numba, host float arrays
    of one dtype."""
    if not kernels.compiled():
        return False
    dtype = arrays[0].dtype if arrays else None
    if not (all(type(a) is np.ndarray and a.dtype == dtype for a in arrays) and dtype in _FLOATS):
        return False
    return loops() is not None


# ----------------------------------------------------------------------------- views


def _blocks(rows) -> int:
    """Row blocks for a per-channel sum: one per thread, at most one per row."""
    import numba

    return max(1, min(rows.shape[0], numba.get_num_threads()))


def _rows(a):
    """The (M, C) rows of an (N, C) C-ordered array or of an (N, C, H, W) array stored channels-last; else None."""
    if a.ndim == 2:
        return a if a.flags.c_contiguous else None
    if a.ndim == 4:
        t = a.transpose(0, 2, 3, 1)
        return t.reshape(-1, a.shape[1]) if t.flags.c_contiguous else None
    return None


def _from_rows(rows, shape):
    """(M, C) rows back to the shape of the array they came from (an (N, C, H, W) channels-last view)."""
    if len(shape) == 2:
        return rows
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _flat(*arrays):
    """The arrays as 1-D views, all in the memory order of the first, and the axis order; None if not dense."""
    order = tuple(int(k) for k in np.argsort([-s for s in arrays[0].strides], kind="stable"))
    views = []
    for a in arrays:
        if a.shape != arrays[0].shape:
            return None
        t = a.transpose(order)
        if not t.flags.c_contiguous:
            return None
        views.append(t.reshape(-1))
    return views, order


def _elementwise(loop, arrays, *scalars):
    """``loop`` over the dense arrays in memory order; the result has the first array's shape and layout."""
    if not usable(*arrays):
        return None
    flat = _flat(*arrays)
    if flat is None:
        return None
    views, order = flat
    out = getattr(loops(), loop)(*views, *(arrays[0].dtype.type(s) for s in scalars))
    return out.reshape([arrays[0].shape[k] for k in order]).transpose(np.argsort(order))


# ----------------------------------------------------------------------------- the ops' entry points


def im2col(x, kernel, stride, padding, out_hw):
    """im2col_textbook's rows (N·Ho·Wo, kh·kw·C) of x (N, C, H, W), or None."""
    if not usable(x) or x.ndim != 4:
        return None
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel, stride, padding, out_hw
    cols = loops().im2col(x.transpose(0, 2, 3, 1), kh, kw, sh, sw, ph, pw, ho, wo)
    return cols.reshape(x.shape[0] * ho * wo, kh * kw * x.shape[1])


def col2im(taps, x_shape, stride, padding, bias=None):
    """col2im of the offset-major ``taps`` (kh, kw, N, Ho, Wo, C) → (N, C, H, W) stored channels-last, the sums
    starting from ``bias`` (C,); or None."""
    if bias is None:
        bias = np.zeros(taps.shape[-1], dtype=taps.dtype)
    if not usable(taps, bias) or not taps.flags.c_contiguous:
        return None
    x = loops().col2im(taps, x_shape[2], x_shape[3], *stride, *padding, bias)
    return x.transpose(0, 3, 1, 2)


def channel_sum(g):
    """Σ over every axis but the channels (axis 1) of a (N, C) or channels-last (N, C, H, W) array; or None."""
    rows = _rows(g) if usable(g) else None
    return None if rows is None else loops().channel_sum(rows, _blocks(rows))


def batch_norm_forward(x, gamma, beta, eps: float):
    """(y, μ, σ², 1/√(σ² + ε)) of training-mode batch norm (μ, σ², 1/σ of shape (C,)); or None."""
    rows = _rows(x) if usable(x, gamma, beta) else None
    if rows is None:
        return None
    y, mean, var, inv_std = loops().batch_norm_forward(rows, gamma, beta, float(eps), _blocks(rows))
    return _from_rows(y, x.shape), mean, var, inv_std


def batch_norm_backward(g, x, mean, inv_std, gamma):
    """(dx, dγ, dβ) of training-mode batch norm from the forward's μ and 1/σ (C,); or None."""
    rows = _rows(x) if usable(g, x, mean, inv_std, gamma) else None
    if rows is None:
        return None
    g_rows = _rows(g)
    if g_rows is None:  # the gradient in another memory order: one copy into the rows of x's layout
        g_rows = np.ascontiguousarray(g.transpose(0, 2, 3, 1) if g.ndim == 4 else g).reshape(rows.shape)
    gx, d_gamma, d_beta = loops().batch_norm_backward(g_rows, rows, mean, inv_std, gamma,
                                                               _blocks(rows))
    return _from_rows(gx, x.shape), d_gamma, d_beta


def leaky_relu(a, negative_slope: float):
    return _elementwise("leaky_relu", (a,), negative_slope)


def leaky_relu_backward(g, a, negative_slope: float):
    return _elementwise("leaky_relu_backward", (g, a), negative_slope)


def relu_backward(g, a):
    return _elementwise("relu_backward", (g, a))


def tanh_backward(g, y):
    return _elementwise("tanh_backward", (g, y))


def adam(p, g, m, v, beta1: float, beta2: float, step_size: float, eps_hat: float) -> bool:
    """Adam's step in place on p, m, v (see compiled_loops.adam); False (nothing done) when it does not apply."""
    if not usable(p, g, m, v) or not all(a.flags.c_contiguous and a.shape == p.shape for a in (p, m, v)) \
            or g.shape != p.shape:
        return False
    g = np.ascontiguousarray(g)  # a gradient stored in another order (a Linear weight's, g = xᵀ·gy): one copy
    t = p.dtype.type
    loops().adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(beta1), t(beta2), t(step_size),
                 t(eps_hat))
    return True
