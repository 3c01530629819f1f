"""Elementwise arithmetic and matrix products, with NumPy broadcasting.

Each backward undoes broadcasting with ``sum_to``: if ``a`` of shape (3, 1)
was broadcast against (3, 4), its gradient is summed over the broadcast axis.
Each op's user-facing function is right under its class.
"""

from __future__ import annotations

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor
from ..backend import array_module
from .shape import sum_to, swapaxes


class Add(Function):
    """y = a + b;  da = g, db = g (summed over broadcast axes)."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        a, b = self.inputs
        return sum_to(g, a.shape), sum_to(g, b.shape)


def add(a, b) -> Tensor:
    return Add.apply(a, b)


class Sub(Function):
    """y = a - b;  da = g, db = -g."""

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        a, b = self.inputs
        return sum_to(g, a.shape), sum_to(-g, b.shape)


def sub(a, b) -> Tensor:
    return Sub.apply(a, b)


class Mul(Function):
    """y = a * b;  da = g * b, db = g * a."""

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g * b, a.shape) if a.requires_grad else None
        gb = sum_to(g * a, b.shape) if b.requires_grad else None
        return ga, gb


def mul(a, b) -> Tensor:
    return Mul.apply(a, b)


class Div(Function):
    """y = a / b;  da = g / b, db = -g a / b²."""

    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g / b, a.shape) if a.requires_grad else None
        gb = sum_to(-g * a / (b * b), b.shape) if b.requires_grad else None
        return ga, gb


def div(a, b) -> Tensor:
    return Div.apply(a, b)


class Neg(Function):
    """y = -a;  da = -g."""

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


def neg(a) -> Tensor:
    return Neg.apply(a)


class Pow(Function):
    """y = a ** p for a constant exponent p;  da = g p a^(p-1)."""

    def __init__(self, p: float):
        self.p = p

    def forward(self, a):
        return a ** self.p

    def backward(self, g):
        (a,) = self.inputs
        if self.p == 2:
            return g * 2 * a
        return g * self.p * a ** (self.p - 1)


def pow(a, p) -> Tensor:
    """a ** p. A tensor exponent is computed as exp(p ln a), so a must be positive."""
    if isinstance(p, Tensor):
        return exp(p * log(a))
    return Pow.apply(a, p=p)


def rpow(a, base) -> Tensor:
    """base ** a for a constant base > 0, as exp(a ln base)."""
    return exp(a * float(np.log(base)))


class Exp(Function):
    """y = e^a;  da = g y."""

    def forward(self, a):
        return array_module(a).exp(a)

    def backward(self, g):
        return g * self.output()


def exp(a) -> Tensor:
    return Exp.apply(a)


class Log(Function):
    """y = ln a;  da = g / a."""

    def forward(self, a):
        return array_module(a).log(a)

    def backward(self, g):
        return g / self.inputs[0]


def log(a) -> Tensor:
    return Log.apply(a)


class Log1p(Function):
    """y = ln(1 + a), accurate for small a;  da = g / (1 + a)."""

    def forward(self, a):
        return array_module(a).log1p(a)

    def backward(self, g):
        return g / (1 + self.inputs[0])


def log1p(a) -> Tensor:
    return Log1p.apply(a)


class Sqrt(Function):
    """y = √a;  da = g / (2 y)."""

    def forward(self, a):
        return array_module(a).sqrt(a)

    def backward(self, g):
        return g / (2 * self.output())


def sqrt(a) -> Tensor:
    return Sqrt.apply(a)


class Sign(Function):
    """y = sign(a) ∈ {−1, 0, 1};  da = 0 (a step function: its derivative is 0 wherever it exists).

    The zero is returned as a Tensor, not None, so that a leaf reached only through a sign (as in the
    second derivative of |a|) gets a zero gradient, as in PyTorch.
    """

    def forward(self, a):
        return array_module(a).sign(a)

    def backward(self, g):
        return Tensor(array_module(g.data).zeros_like(g.data))


def sign(a) -> Tensor:
    return Sign.apply(a)


class Abs(Function):
    """y = |a|;  da = g sign(a) (0 at a = 0)."""

    def forward(self, a):
        return array_module(a).abs(a)

    def backward(self, g):
        return g * sign(self.inputs[0])


def abs(a) -> Tensor:
    return Abs.apply(a)


class Clip(Function):
    """y = min(max(a, low), high);  da = g where low ≤ a ≤ high, else 0."""

    def __init__(self, low: float | None, high: float | None):
        self.low, self.high = low, high

    def forward(self, a):
        return array_module(a).clip(a, self.low, self.high)

    def backward(self, g):
        a = self.inputs[0].data
        if self.low is not None and self.high is not None:
            inside = (a >= self.low) & (a <= self.high)
        else:
            inside = a >= self.low if self.low is not None else a <= self.high
        return g * inside.astype(a.dtype)


def clip(a, min=None, max=None) -> Tensor:
    """min(max(a, min), max) (``torch.clamp``); either bound may be None."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min / max")
    return Clip.apply(a, low=min, high=max)


clamp = clip  # PyTorch's name


class Where(Function):
    """y = a where cond else b (cond is a constant boolean array)."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return array_module(a).where(self.cond, a, b)

    def backward(self, g):
        a, b = self.inputs
        zero = Tensor(array_module(g.data).zeros_like(g.data))
        return sum_to(where(self.cond, g, zero), a.shape), sum_to(where(self.cond, zero, g), b.shape)


def where(cond, a, b) -> Tensor:
    """Elementwise choice; ``cond`` is a boolean array or tensor (no gradient flows into it)."""
    cond = cond.data if isinstance(cond, Tensor) else cond
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    device = like.device if like is not None else backend.device_of(cond) if backend.is_cupy_array(cond) \
        else backend.default_device()
    return Where.apply(a, b, cond=backend.to_device(cond, device))  # the condition joins the data's device


class Cast(Function):
    """y = a converted to ``dtype``;  da = g converted back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        self.source_dtype = a.dtype
        return a.astype(self.dtype)

    def backward(self, g):
        return astype(g, self.source_dtype)


def astype(a, dtype) -> Tensor:
    dtype = np.dtype(dtype)
    if isinstance(a, Tensor) and a.dtype == dtype:
        return a
    return Cast.apply(a, dtype=dtype)


class MatMul(Function):
    """y = a @ b on the last two axes (leading axes broadcast);  da = g bᵀ, db = aᵀ g."""

    def forward(self, a, b):
        if not kernels.textbook() and a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == b.shape[-2] == 1:
            return a * b  # inner size 1: the same numbers as an outer product, without a BLAS call
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(matmul(g, swapaxes(b, -1, -2)), a.shape) if a.requires_grad else None
        gb = sum_to(matmul(swapaxes(a, -1, -2), g), b.shape) if b.requires_grad else None
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are promoted to a row / column and squeezed back."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({a.shape[-1]} != {b.shape[0 if b.ndim == 1 else -2]})")
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim == 1:
        return matmul(a.reshape(1, -1), b).reshape(b.shape[:-2] + b.shape[-1:])
    if b.ndim == 1:
        return matmul(a, b.reshape(-1, 1)).reshape(a.shape[:-1])
    return MatMul.apply(a, b)
