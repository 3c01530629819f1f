"""Reductions: sum, mean, max, min, var (with ``axis`` and ``keepdims`` as in NumPy)."""

from __future__ import annotations

from ..autograd import Function, Tensor
from .shape import broadcast_to, reshape


def _normalise_axis(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _kept_shape(shape, axes) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ a over ``axes``;  da = g broadcast back over the summed axes."""

    def forward(self, a):
        return a.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        shape = self.inputs[0].shape
        return broadcast_to(reshape(g, _kept_shape(shape, self.axes)), shape)


class Max(Function):
    """y = max a over ``axes``;  da = g shared equally among the elements that attain the max."""

    def forward(self, a):
        return a.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        a = self.inputs[0]
        kept = _kept_shape(a.shape, self.axes)
        winners = a.data == self.output().data.reshape(kept)
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return broadcast_to(reshape(g, kept), a.shape) * share.astype(a.dtype)


def sum(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    return Sum.apply(a, axes=_normalise_axis(axis, a.ndim), keepdims=keepdims)


def mean(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Σ a / n over ``axes``; nan where n = 0 (the mean of nothing), as in NumPy and PyTorch."""
    axes = _normalise_axis(axis, a.ndim)
    count = 1
    for i in axes:
        count *= a.shape[i]
    return sum(a, axes, keepdims) * (1.0 / count if count else float("nan"))


def var(a: Tensor, axis=None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance: mean((a - mean a)²) · n / (n - ddof)."""
    axes = _normalise_axis(axis, a.ndim)
    count = 1
    for i in axes:
        count *= a.shape[i]
    if count - ddof <= 0:
        raise ValueError(f"var over {count} element(s) with ddof={ddof} is undefined")
    centred = a - mean(a, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (count - ddof))


def max(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    if a.size == 0:
        raise ValueError("max of an empty tensor")
    return Max.apply(a, axes=_normalise_axis(axis, a.ndim), keepdims=keepdims)


def min(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    return -max(-a, axis, keepdims)
