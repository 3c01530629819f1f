"""Batch normalisation and layer normalisation.

Training-mode batch norm over the axes A (batch, and space for images):

    μ = mean_A x,   σ² = mean_A (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
    dx = (1/√(σ² + ε)) · (ĝ − mean_A ĝ − x̂ · mean_A(ĝ x̂)),   ĝ = γ g
    dγ = Σ_A g x̂,   dβ = Σ_A g

The backward uses x̂ and 1/√(σ²+ε) saved by the forward only when no graph is
being recorded; with ``create_graph=True`` it rebuilds them from ``x`` with
minigan ops, so second derivatives are exact.
"""

from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from .reduce import mean, sum


def _stat_axes(x_ndim: int) -> tuple[int, ...]:
    return (0,) if x_ndim == 2 else (0, 2, 3)


def _channel_shape(x_ndim: int, channels: int) -> tuple[int, ...]:
    return (1, channels) if x_ndim == 2 else (1, channels, 1, 1)


def _sum_of_products(a, b):
    """Σ_A a·b per channel, without the temporary a·b (channels are axis 1)."""
    axes = "nchw"[:a.ndim]
    return array_module(a).einsum(f"{axes},{axes}->c", a, b)


class BatchNormTrain(Function):
    """Training-mode batch norm with batch statistics (see the module docstring for the math)."""

    def forward(self, x, gamma, beta):
        xp = array_module(x)
        axes = _stat_axes(x.ndim)
        shape = _channel_shape(x.ndim, x.shape[1])
        self.mean = x.mean(axis=axes, keepdims=True)
        # results in x's memory order (channels-last after a convolution, see conv.channels_first)
        self.centred = xp.subtract(x, self.mean, out=xp.empty_like(x))  # kept for the backward (x̂ is not)
        self.var = (_sum_of_products(self.centred, self.centred) / (x.size // x.shape[1])).reshape(shape)
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))
        y = xp.multiply(self.centred, gamma.reshape(shape) * self.inv_std, out=xp.empty_like(x))
        y += beta.reshape(shape)
        return y

    def backward(self, g):
        x, gamma, _ = self.inputs
        axes = _stat_axes(x.ndim)
        shape = _channel_shape(x.ndim, x.shape[1])
        if not is_grad_enabled():  # plain arrays, the fewest passes over the data
            return self._backward_arrays(g.data, gamma.data.reshape(shape))
        # recording a graph: rebuild x̂ and 1/σ from x with minigan ops so that they are differentiable
        centred = x - mean(x, axes, keepdims=True)
        inv_std = 1 / (mean(centred * centred, axes, keepdims=True) + self.eps) ** 0.5
        x_hat = centred * inv_std
        g_hat = g * gamma.reshape(shape)
        gx = inv_std * (g_hat - mean(g_hat, axes, keepdims=True) - x_hat * mean(g_hat * x_hat, axes, keepdims=True))
        g_gamma = sum(g * x_hat, axes).reshape(gamma.shape)
        g_beta = sum(g, axes).reshape(gamma.shape)
        return gx, g_gamma, g_beta

    def _backward_arrays(self, g, gamma):
        """The same formulas with c = x − μ, 1/σ and two sums per channel (m values each):
        dx = γ/σ · g − γ/σ · Σg/m − c · γ/σ³ · Σ(g c)/m,  dγ = Σ(g c)/σ,  dβ = Σg."""
        m = g.size // gamma.size
        sum_g = g.sum(axis=_stat_axes(g.ndim), keepdims=True)
        sum_g_centred = _sum_of_products(g, self.centred).reshape(gamma.shape)
        scale = gamma * self.inv_std
        gx = array_module(g).multiply(g, scale, out=array_module(g).empty_like(self.centred))
        gx -= self.centred * (scale * self.inv_std * self.inv_std * (sum_g_centred / m))
        gx -= scale * (sum_g / m)
        return Tensor(gx), Tensor((sum_g_centred * self.inv_std).reshape(-1)), Tensor(sum_g.reshape(-1))


def batch_norm_train(x, gamma, beta, eps: float):
    """Returns y and the batch mean / biased variance (raw arrays, for the running statistics)."""
    fn = BatchNormTrain(eps=eps)
    y = fn(x, gamma, beta)
    return y, fn.mean, fn.var
