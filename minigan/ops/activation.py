"""Activations. Softplus and log-sigmoid are written to be exact for inputs of ±100.

ReLU and LeakyReLU have piecewise-constant derivatives; the derivative is itself an op (``Step``,
``LeakyReLUSlope``) whose own derivative is 0. That zero is a Tensor, not None, so after a gradient
penalty a bias reached only through these slopes gets a zero gradient, as in PyTorch.
"""

from __future__ import annotations

from .. import compiled, kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module


def _fused(loop, g, *arrays):
    """``compiled.<loop>(g, *arrays)`` as a Tensor when no graph is recorded and the loop applies; else None."""
    if is_grad_enabled() or kernels.textbook():
        return None
    out = getattr(compiled, loop)(g.data, *arrays)
    return None if out is None else Tensor(out)


class Step(Function):
    """y = [a > 0] (1 where a > 0, else 0);  da = 0."""

    def forward(self, a):
        return (a > 0).astype(a.dtype)

    def backward(self, g):
        return Tensor(array_module(g.data).zeros_like(g.data))


class ReLU(Function):
    """y = max(a, 0);  da = g · [a > 0]."""

    def forward(self, a):
        xp = array_module(a)
        return xp.maximum(a, 0, out=xp.empty_like(a))  # in a's memory order (see conv.channels_first)

    def backward(self, g):
        fused = _fused("relu_backward", g, self.inputs[0].data)  # one compiled pass, where numba runs
        return g * Step.apply(self.inputs[0]) if fused is None else fused


def relu(a) -> Tensor:
    return ReLU.apply(a)


class LeakyReLUSlope(Function):
    """y = dLeakyReLU/da = 1 where a > 0, s elsewhere;  da = 0.

    ``scale``, when given, is this slope already computed by the forward (the fast tier).
    """

    def __init__(self, negative_slope: float, scale=None):
        self.negative_slope, self.scale = negative_slope, scale

    def forward(self, a):
        if self.scale is not None:
            return self.scale
        return array_module(a).where(a > 0, a.dtype.type(1), a.dtype.type(self.negative_slope))

    def backward(self, g):
        return Tensor(array_module(g.data).zeros_like(g.data))


class LeakyReLU(Function):
    """y = a where a > 0, else s·a (= max(a, s·a) for 0 ≤ s ≤ 1);  da = g · slope(a), slope = 1 or s.

    Textbook tier: y = where(a > 0, a, s·a), and the backward computes the slope from a.
    Fast tier: the forward builds the slope once (y = a · slope) and keeps it for the backward, which is
    then one multiply; the slope is built arithmetically from the mask, [a > 0]·(1 − s) + s, because a
    `where` on a random sign mask branches unpredictably. Where numba runs, forward and backward are each
    one compiled pass (minigan/compiled_loops.py) and no slope is stored.
    """

    def __init__(self, negative_slope: float):
        self.negative_slope = negative_slope
        self.scale = None

    def forward(self, a):
        xp, s = array_module(a), a.dtype.type(self.negative_slope)
        if kernels.textbook():
            return xp.where(a > 0, a, s * a)
        y = compiled.leaky_relu(a, s)
        if y is not None:
            return y
        self.scale = xp.greater(a, 0, out=xp.empty_like(a))  # in a's memory order (see conv.channels_first)
        self.scale *= 1 - s
        self.scale += s
        return xp.multiply(a, self.scale, out=xp.empty_like(a))

    def backward(self, g):
        if self.scale is None:
            fused = _fused("leaky_relu_backward", g, self.inputs[0].data, self.negative_slope)
            if fused is not None:
                return fused
        return g * LeakyReLUSlope.apply(self.inputs[0], negative_slope=self.negative_slope, scale=self.scale)


def leaky_relu(a, negative_slope: float = 0.01) -> Tensor:
    """y = a if a > 0 else negative_slope · a (PyTorch's default slope 0.01)."""
    return LeakyReLU.apply(a, negative_slope=float(negative_slope))


class Tanh(Function):
    """y = tanh a;  da = g (1 - y²)."""

    def forward(self, a):
        return array_module(a).tanh(a)

    def backward(self, g):
        y = self.output()
        fused = _fused("tanh_backward", g, y.data)  # one compiled pass, where numba runs
        return g * (1 - y * y) if fused is None else fused


def tanh(a) -> Tensor:
    return Tanh.apply(a)


class Sigmoid(Function):
    """y = 1 / (1 + e^-a), evaluated without overflow;  da = g y (1 - y)."""

    def forward(self, a):
        xp = array_module(a)
        e = xp.exp(-xp.abs(a))  # in (0, 1]: never overflows
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def backward(self, g):
        y = self.output()
        return g * y * (1 - y)


def sigmoid(a) -> Tensor:
    return Sigmoid.apply(a)


class Softplus(Function):
    """y = ln(1 + e^a) = max(a, 0) + ln(1 + e^-|a|), exact for large |a|;  da = g σ(a)."""

    def forward(self, a):
        xp = array_module(a)
        return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, g):
        return g * sigmoid(self.inputs[0])


def softplus(a) -> Tensor:
    return Softplus.apply(a)


def logsigmoid(a) -> Tensor:
    """ln σ(a) = -softplus(-a): finite for a = -100 (where σ(a) underflows)."""
    return -softplus(-a)
