"""Activations. Softplus and log-sigmoid are written to be exact for inputs of ±100."""

from __future__ import annotations

from ..autograd import Function, Tensor
from ..backend import array_module


class ReLU(Function):
    """y = max(a, 0);  da = g · [a > 0]."""

    def forward(self, a):
        xp = array_module(a)
        return xp.maximum(a, 0, out=xp.empty_like(a))  # in a's memory order (see conv.channels_first)

    def backward(self, g):
        a = self.inputs[0].data
        return g * (a > 0).astype(a.dtype)


class LeakyReLU(Function):
    """y = scale · a, with scale = 1 where a > 0 and s elsewhere (= max(a, s·a) for 0 ≤ s ≤ 1);
    da = LeakyReLUGrad(g) = scale · g.

    The forward keeps ``scale``, so the backward is one multiply (np.where on a random sign mask
    branches unpredictably and was 10× slower than building the scale from the mask).
    """

    def forward(self, a):
        xp, dtype = array_module(a), a.dtype.type
        self.scale = xp.greater(a, 0, out=xp.empty_like(a))  # in a's memory order (see conv.channels_first)
        self.scale *= dtype(1 - self.negative_slope)
        self.scale += dtype(self.negative_slope)
        return xp.multiply(a, self.scale, out=xp.empty_like(a))

    def backward(self, g):
        return LeakyReLUGrad.apply(g, scale=self.scale)


class LeakyReLUGrad(Function):
    """y = scale · g, with scale = 1 where the input was positive and s elsewhere: a diagonal linear map,
    so it is its own adjoint."""

    def forward(self, g):
        return array_module(g).multiply(g, self.scale, out=array_module(g).empty_like(self.scale))

    def backward(self, gg):
        return LeakyReLUGrad.apply(gg, scale=self.scale)


class Tanh(Function):
    """y = tanh a;  da = g (1 - y²)."""

    def forward(self, a):
        return array_module(a).tanh(a)

    def backward(self, g):
        y = self.output()
        return g * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-a), evaluated without overflow;  da = g y (1 - y)."""

    def forward(self, a):
        xp = array_module(a)
        e = xp.exp(-xp.abs(a))  # in (0, 1]: never overflows
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def backward(self, g):
        y = self.output()
        return g * y * (1 - y)


class Softplus(Function):
    """y = ln(1 + e^a) = max(a, 0) + ln(1 + e^-|a|), exact for large |a|;  da = g σ(a)."""

    def forward(self, a):
        xp = array_module(a)
        return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, g):
        return g * sigmoid(self.inputs[0])


def relu(a) -> Tensor:
    return ReLU.apply(a)


def leaky_relu(a, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(a, negative_slope=float(negative_slope))


def tanh(a) -> Tensor:
    return Tanh.apply(a)


def sigmoid(a) -> Tensor:
    return Sigmoid.apply(a)


def softplus(a) -> Tensor:
    return Softplus.apply(a)


def logsigmoid(a) -> Tensor:
    """ln σ(a) = -softplus(-a): finite for a = -100 (where σ(a) underflows)."""
    return -softplus(-a)
