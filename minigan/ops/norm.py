"""Batch normalisation, in one place: the op, its two tiers, the running statistics and eval mode.

Training-mode batch norm over the axes A (batch, and space for images), m values per channel:

    μ = mean_A x,   σ² = mean_A (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
    dx = (1/√(σ² + ε)) · (ĝ − mean_A ĝ − x̂ · mean_A(ĝ x̂)),   ĝ = γ g
    dγ = Σ_A g x̂,   dβ = Σ_A g

The textbook backward is that formula, written with minigan ops, so it can be differentiated again
(it is also what runs whenever a graph is recorded, ``create_graph=True``). The fast backward, used
when no graph is recorded, evaluates the same formula on arrays from the saved c = x − μ and 1/σ with
two sums per channel (fewer passes over the data). Where numba runs (the fast tier on host arrays, see
minigan/compiled.py), forward and backward are each one compiled loop over the channels-last rows.
"""

from __future__ import annotations

from .. import compiled, kernels
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
    """Training-mode batch norm with batch statistics (see the module docstring for the maths).

    After the forward, ``mean`` and ``var`` hold the batch mean and biased variance (arrays of the
    channel shape), for the running statistics.
    """

    def __init__(self, eps: float):
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = array_module(x)
        axes = _stat_axes(x.ndim)
        shape = _channel_shape(x.ndim, x.shape[1])
        fused = None if kernels.textbook() else compiled.batch_norm_forward(x, gamma, beta, self.eps)
        if fused is not None:  # the loop keeps μ and 1/σ only; the backward rebuilds x − μ from x
            y, mean, var, inv_std = fused
            self.mean, self.var, self.inv_std = mean.reshape(shape), var.reshape(shape), inv_std.reshape(shape)
            self.centred = None
            return y
        self.mean = x.mean(axis=axes, keepdims=True)
        self.centred = x - self.mean  # c = x − μ, kept for the fast backward: x̂ = c / σ is never stored
        if kernels.textbook():
            self.var = (self.centred * self.centred).mean(axis=axes, keepdims=True)
        else:
            self.var = (_sum_of_products(self.centred, self.centred) / (x.size // x.shape[1])).reshape(shape)
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))
        if kernels.textbook():
            return gamma.reshape(shape) * (self.centred * self.inv_std) + beta.reshape(shape)
        y = self.centred * (gamma.reshape(shape) * self.inv_std)
        y += beta.reshape(shape)
        return y

    def backward(self, g):
        if kernels.textbook() or is_grad_enabled():
            return self._backward_textbook(g)
        return self._backward_fast(g.data)

    def _backward_textbook(self, g):
        """The formula, with x̂ and 1/σ rebuilt from x with minigan ops (so that they are differentiable)."""
        x, gamma, _ = self.inputs
        axes = _stat_axes(x.ndim)
        shape = _channel_shape(x.ndim, x.shape[1])
        centred = x - mean(x, axes, keepdim=True)
        inv_std = 1 / (mean(centred * centred, axes, keepdim=True) + self.eps) ** 0.5
        x_hat = centred * inv_std
        g_hat = g * gamma.reshape(shape)
        gx = inv_std * (g_hat - mean(g_hat, axes, keepdim=True) - x_hat * mean(g_hat * x_hat, axes, keepdim=True))
        return gx, sum(g * x_hat, axes).reshape(gamma.shape), sum(g, axes).reshape(gamma.shape)

    def _backward_fast(self, g):
        """The formula with c = x − μ and s = γ/σ:  dx = s·g − s·Σg/m − c·s/σ²·Σ(g c)/m,
        dγ = Σ(g c)/σ,  dβ = Σg."""
        x, gamma = self.inputs[0].data, self.inputs[1].data
        if self.centred is None:  # the forward ran the compiled loop
            fused = compiled.batch_norm_backward(g, x, self.mean.reshape(-1), self.inv_std.reshape(-1), gamma)
            if fused is not None:
                return tuple(Tensor(a) for a in fused)
            self.centred = x - self.mean
        gamma = gamma.reshape(_channel_shape(g.ndim, g.shape[1]))
        m = g.size // gamma.size
        sum_g = g.sum(axis=_stat_axes(g.ndim), keepdims=True)
        sum_g_centred = _sum_of_products(g, self.centred).reshape(gamma.shape)
        scale = gamma * self.inv_std
        gx = g * scale
        gx -= self.centred * (scale * self.inv_std * self.inv_std * (sum_g_centred / m))
        gx -= scale * (sum_g / m)
        return Tensor(gx), Tensor((sum_g_centred * self.inv_std).reshape(-1)), Tensor(sum_g.reshape(-1))


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def batch_norm(x: Tensor, running_mean, running_var, weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N,) for (N, C) input or (N, H, W) for (N, C, H, W) input.

    Training: normalise with the batch mean and biased variance, and update the running
    statistics in place with the *unbiased* variance (as PyTorch):
    running ← (1 − momentum)·running + momentum·batch. Eval: use the running statistics,
    y = (x − running_mean) / √(running_var + ε) · γ + β.
    """
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, H, W), got {x.shape}")
    xp = array_module(x.data)
    channels = x.shape[1]
    weight = weight if weight is not None else Tensor(xp.ones(channels, dtype=x.dtype))
    bias = bias if bias is not None else Tensor(xp.zeros(channels, dtype=x.dtype))
    if training:
        count = x.size // channels
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        fn = BatchNormTrain(eps=eps)
        y = fn(x, weight, bias)
        if running_mean is not None:
            rm, rv = _raw(running_mean), _raw(running_var)
            m = rm.dtype.type(momentum)
            rm[...] = (1 - m) * rm + m * fn.mean.reshape(-1)
            rv[...] = (1 - m) * rv + m * fn.var.reshape(-1) * rv.dtype.type(count / (count - 1))
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    shape = (1, channels) + (1,) * (x.ndim - 2)
    rm, rv = _raw(running_mean), _raw(running_var)
    inv_std = Tensor((1 / xp.sqrt(rv + rv.dtype.type(eps))).astype(x.dtype).reshape(shape))
    return (x - Tensor(rm.astype(x.dtype).reshape(shape))) * inv_std * weight.reshape(shape) + bias.reshape(shape)
