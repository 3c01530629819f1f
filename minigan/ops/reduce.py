"""Reductions: sum, mean, var, std, amax / amin, max / min, with PyTorch's ``dim`` and ``keepdim``.

NumPy's names ``axis`` and ``keepdims`` are accepted too. ``var`` and ``std`` use PyTorch's default
``correction=1`` (the unbiased estimate, n − 1 in the denominator); ``correction=0`` is the
population variance (NumPy's default, ``ddof=0``).
"""

from __future__ import annotations

from collections import namedtuple

from ..autograd import Function, Tensor
from .shape import broadcast_to, reshape


def _dims(a: Tensor, dim, keepdim, axis, keepdims, name: str) -> tuple[tuple[int, ...], bool]:
    """The reduced dims, sorted and non-negative, and keepdim, from PyTorch's or NumPy's names."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}: pass dim or axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dim is None:
        return tuple(range(a.ndim)), bool(keepdim)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    ndim = a.ndim or 1
    for d in dims:
        if not -ndim <= d < ndim:
            raise ValueError(f"{name}: dim {d} is out of range for a tensor of shape {a.shape}")
    return tuple(sorted(d % ndim for d in dims)) if a.ndim else (), bool(keepdim)


def _kept_shape(shape, dims) -> tuple[int, ...]:
    """The shape a reduction over ``dims`` has with keepdim=True."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _count(a: Tensor, dims) -> int:
    count = 1
    for i in dims:
        count *= a.shape[i]
    return count


class Sum(Function):
    """y = Σ a over ``dim``;  da = g broadcast back over the summed dims."""

    def __init__(self, dim: tuple[int, ...], keepdim: bool):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        return a.sum(axis=self.dim, keepdims=self.keepdim)

    def backward(self, g):
        shape = self.inputs[0].shape
        return broadcast_to(reshape(g, _kept_shape(shape, self.dim)), shape)


def sum(a: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    dim, keepdim = _dims(a, dim, keepdim, axis, keepdims, "sum")
    return Sum.apply(a, dim=dim, keepdim=keepdim)


def mean(a: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Σ a / n over ``dim``; nan where n = 0 (the mean of nothing), as in NumPy and PyTorch."""
    dim, keepdim = _dims(a, dim, keepdim, axis, keepdims, "mean")
    count = _count(a, dim)
    return sum(a, dim, keepdim) * (1.0 / count if count else float("nan"))


def var(a: Tensor, dim=None, keepdim: bool = False, *, correction: int | None = None, unbiased: bool | None = None,
        axis=None, keepdims=None, ddof: int | None = None) -> Tensor:
    """Σ (a − mean a)² / (n − correction) over ``dim``; ``correction=1`` by default, as in PyTorch.

    ``unbiased=False`` (PyTorch's older name) and ``ddof`` (NumPy's) are other names for ``correction``.
    """
    given = [c for c in (correction, ddof, None if unbiased is None else int(unbiased)) if c is not None]
    if len(given) > 1:
        raise TypeError("var: pass one of correction, unbiased, ddof")
    correction = given[0] if given else 1
    dim, keepdim = _dims(a, dim, keepdim, axis, keepdims, "var")
    count = _count(a, dim)
    if count - correction <= 0:
        raise ValueError(f"var over {count} element(s) with correction={correction} is undefined")
    centred = a - mean(a, dim, keepdim=True)
    return sum(centred * centred, dim, keepdim) * (1.0 / (count - correction))


def std(a: Tensor, dim=None, keepdim: bool = False, *, correction: int | None = None, unbiased: bool | None = None,
        axis=None, keepdims=None, ddof: int | None = None) -> Tensor:
    """√var (``correction=1`` by default, as in PyTorch)."""
    return var(a, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis, keepdims=keepdims,
               ddof=ddof) ** 0.5


class AMax(Function):
    """y = max a over ``dim``;  da = g shared equally among the elements that attain the max."""

    def __init__(self, dim: tuple[int, ...], keepdim: bool):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        return a.max(axis=self.dim, keepdims=self.keepdim)

    def backward(self, g):
        a = self.inputs[0]
        kept = _kept_shape(a.shape, self.dim)
        winners = a.data == self.output().data.reshape(kept)
        share = winners / winners.sum(axis=self.dim, keepdims=True)
        return broadcast_to(reshape(g, kept), a.shape) * share.astype(a.dtype)


def amax(a: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The largest value over ``dim`` (``torch.amax``); ties share the gradient equally."""
    if a.size == 0:
        raise ValueError("amax of an empty tensor")
    dim, keepdim = _dims(a, dim, keepdim, axis, keepdims, "amax")
    return AMax.apply(a, dim=dim, keepdim=keepdim)


def amin(a: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The smallest value over ``dim`` (``torch.amin``)."""
    return -amax(-a, dim, keepdim, axis=axis, keepdims=keepdims)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _with_indices(a: Tensor, values: Tensor, dim: int, keepdim: bool, find) -> MaxResult:
    indices = find(a.data, axis=dim)
    if keepdim:
        indices = indices.reshape(_kept_shape(a.shape, (dim % a.ndim,)))
    return MaxResult(values, Tensor(indices))


def max(a: Tensor, dim: int | None = None, keepdim: bool = False, *, axis=None, keepdims=None):
    """As ``torch.max``: the largest value of all (``max()``), or ``(values, indices)`` along one ``dim``.

    NumPy's ``max(axis=...)`` (values only) is kept too: with ``axis`` the values are returned alone.
    """
    if dim is None:
        return amax(a, axis=axis, keepdims=keepdims if keepdims is not None else keepdim)
    values = amax(a, dim, keepdim)
    return _with_indices(a, values, dim, keepdim, lambda x, axis: x.argmax(axis=axis))


def min(a: Tensor, dim: int | None = None, keepdim: bool = False, *, axis=None, keepdims=None):
    """As ``torch.min``: the smallest value of all, or ``(values, indices)`` along one ``dim``."""
    if dim is None:
        return amin(a, axis=axis, keepdims=keepdims if keepdims is not None else keepdim)
    values = amin(a, dim, keepdim)
    return _with_indices(a, values, dim, keepdim, lambda x, axis: x.argmin(axis=axis))
