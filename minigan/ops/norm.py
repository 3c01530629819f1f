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

from .. import backend, compiled, kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from .reduce import mean, sum
from .shape import sum_to


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
        # c = x − μ, kept for the fast backward (x̂ = c / σ is never stored); results keep x's memory order
        # (channels-last after a convolution, see conv.channels_first)
        self.centred = xp.subtract(x, self.mean, out=xp.empty_like(x))
        if kernels.textbook():
            self.var = (self.centred * self.centred).mean(axis=axes, keepdims=True)
        else:
            self.var = (_sum_of_products(self.centred, self.centred) / (x.size // x.shape[1])).reshape(shape)
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))
        if kernels.textbook():
            return gamma.reshape(shape) * (self.centred * self.inv_std) + beta.reshape(shape)
        y = xp.multiply(self.centred, gamma.reshape(shape) * self.inv_std, out=xp.empty_like(x))
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
        gx = array_module(g).multiply(g, scale, out=array_module(g).empty_like(self.centred))
        gx -= self.centred * (scale * self.inv_std * self.inv_std * (sum_g_centred / m))
        gx -= scale * (sum_g / m)
        return Tensor(gx), Tensor((sum_g_centred * self.inv_std).reshape(-1)), Tensor(sum_g.reshape(-1))


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def _running_stats(running_mean, running_var, x: Tensor):
    """The running statistics as arrays on x's device (they are updated in place, so never copied)."""
    rm, rv = _raw(running_mean), _raw(running_var)
    for name, stat in (("running_mean", rm), ("running_var", rv)):
        if backend.device_of(stat) != x.device:
            raise ValueError(f"batch_norm: {name} is on {backend.device_of(stat)} but the input is on {x.device}; "
                             f"create the statistics on the input's device (e.g. mg.zeros(C, device='{x.device}'))")
    return rm, rv


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
            rm, rv = _running_stats(running_mean, running_var, x)
            m = rm.dtype.type(momentum)
            rm[...] = (1 - m) * rm + m * fn.mean.reshape(-1)
            rv[...] = (1 - m) * rv + m * fn.var.reshape(-1) * rv.dtype.type(count / (count - 1))
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    shape = (1, channels) + (1,) * (x.ndim - 2)
    rm, rv = _running_stats(running_mean, running_var, x)
    inv_std = Tensor((1 / xp.sqrt(rv + rv.dtype.type(eps))).astype(x.dtype).reshape(shape))
    return (x - Tensor(rm.astype(x.dtype).reshape(shape))) * inv_std * weight.reshape(shape) + bias.reshape(shape)


# ----------------------------------------------------------------------------- group, instance and adaptive norm


class Standardize(Function):
    """x̂ = (x − μ) / √(σ² + ε), with μ and σ² (biased) over ``axes`` of each slice: the core of group,
    instance and adaptive instance norm (y = γ x̂ + β with per-channel or per-sample γ, β on top).

        dx = (1/√(σ² + ε)) · (g − mean_A g − x̂ · mean_A(g x̂))

    As for batch norm, the backward rebuilds x̂ and 1/σ from x with minigan ops (x̂ by this op) when a
    graph is being recorded, so second derivatives are exact.
    """

    def __init__(self, axes: tuple[int, ...], eps: float):
        self.axes, self.eps = tuple(axes), eps

    def forward(self, x):
        xp = array_module(x)
        mu = x.mean(axis=self.axes, keepdims=True)
        centred = x - mu
        self.var = (centred * centred).mean(axis=self.axes, keepdims=True)
        self.mean = mu
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))
        self.x_hat = centred * self.inv_std
        return self.x_hat

    def backward(self, g):
        (x,) = self.inputs
        axes = self.axes
        if not is_grad_enabled():
            gd = g.data
            gx = gd - gd.mean(axis=axes, keepdims=True)
            gx -= self.x_hat * (gd * self.x_hat).mean(axis=axes, keepdims=True)
            gx *= self.inv_std
            return Tensor(gx)
        x_hat = Standardize.apply(x, axes=axes, eps=self.eps)
        centred = x - mean(x, axes, keepdims=True)
        inv_std = 1 / (mean(centred * centred, axes, keepdims=True) + self.eps) ** 0.5
        return inv_std * (g - mean(g, axes, keepdims=True) - x_hat * mean(g * x_hat, axes, keepdims=True))


class StandardizeAffine(Function):
    """y = γ · x̂ + β for x (N, G, K, S) standardised over (K, S) (see ``Standardize``), γ and β of shape
    (1, G, K, 1) (per channel: group and instance norm) or (N, G, K, 1) (per sample: AdaIN). One op, so the
    scale and shift cost no extra passes:

        ĝ = γ g,   dx = (1/√(σ² + ε)) · (ĝ − mean ĝ − x̂ · mean(ĝ x̂)),   dγ = Σ g x̂,   dβ = Σ g
    """

    axes = (2, 3)

    def __init__(self, eps: float):
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = array_module(x)
        self.mean = x.mean(axis=self.axes, keepdims=True)
        centred = x - self.mean
        self.var = (centred * centred).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))
        centred *= self.inv_std
        self.x_hat = centred
        y = centred * gamma
        y += beta
        return y

    def backward(self, g):
        x, gamma, beta = self.inputs
        axes = self.axes
        if not is_grad_enabled():  # plain arrays, the fewest passes
            gd, x_hat = g.data, self.x_hat
            g_hat = gd * gamma.data
            gx = g_hat - g_hat.mean(axis=axes, keepdims=True)
            gx -= x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)
            gx *= self.inv_std
            g_gamma = sum_to(Tensor(gd * x_hat), gamma.shape) if gamma.requires_grad else None
            g_beta = sum_to(g, beta.shape) if beta.requires_grad else None
            return Tensor(gx), g_gamma, g_beta
        x_hat = Standardize.apply(x, axes=axes, eps=self.eps)  # rebuilt from x: differentiable again
        centred = x - mean(x, axes, keepdims=True)
        inv_std = 1 / (mean(centred * centred, axes, keepdims=True) + self.eps) ** 0.5
        g_hat = g * gamma
        gx = inv_std * (g_hat - mean(g_hat, axes, keepdims=True) - x_hat * mean(g_hat * x_hat, axes, keepdims=True))
        g_gamma = sum_to(g * x_hat, gamma.shape) if gamma.requires_grad else None
        g_beta = sum_to(g, beta.shape) if beta.requires_grad else None
        return gx, g_gamma, g_beta


def _standardize_affine(x4: Tensor, gamma, beta, eps: float):
    """StandardizeAffine on x4 (N, G, K, S); γ / β None are the constants 1 / 0. Returns y and the raw
    mean / biased variance arrays (N, G, 1, 1)."""
    xp = array_module(x4.data)
    shape = (1, x4.shape[1], x4.shape[2], 1)
    gamma = gamma if gamma is not None else Tensor(xp.ones(shape, dtype=x4.dtype))
    beta = beta if beta is not None else Tensor(xp.zeros(shape, dtype=x4.dtype))
    fn = StandardizeAffine(eps=eps)
    y = fn(x4, gamma, beta)
    return y, fn.mean, fn.var


def _affine(y: Tensor, weight, bias) -> Tensor:
    """y · γ + β with per-channel γ, β (C,) on axis 1."""
    shape = (1, y.shape[1]) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_channels(name: str, t, channels: int, what: str) -> None:
    if t is not None and tuple(t.shape) != (channels,):
        raise ValueError(f"{name}: {what} must have shape ({channels},) (one value per channel), got {tuple(t.shape)}")


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Group norm (Wu & He, 2018): the C channels of each sample split into ``num_groups`` groups of C/G;
    each group is standardised over its channels and all positions, then y = γ_c x̂ + β_c.

        μ_{n,g}, σ²_{n,g} over (c ∈ g, positions),   y = γ · (x − μ) / √(σ² + ε) + β
    """
    if input.ndim < 2:
        raise ValueError(f"group_norm expects input of shape (N, C, *), got {tuple(input.shape)}")
    n, c = input.shape[:2]
    if not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: num_groups must divide the {c} channels of input of shape "
                         f"{tuple(input.shape)}, got {num_groups!r}")
    _check_channels("group_norm", weight, c, "weight")
    _check_channels("group_norm", bias, c, "bias")
    shape = (1, num_groups, c // num_groups, 1)
    y, _, _ = _standardize_affine(input.reshape(n, num_groups, c // num_groups, -1),
                                  None if weight is None else weight.reshape(shape),
                                  None if bias is None else bias.reshape(shape), eps)
    return y.reshape(*input.shape)


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Instance norm (Ulyanov et al., 2016): each (sample, channel) standardised over its positions,
    then y = γ_c x̂ + β_c.

    With ``use_input_stats`` (training, or no running statistics) the running statistics, when given,
    are updated in place as PyTorch does: running ← (1 − momentum)·running + momentum·(the batch mean of
    the per-instance means, resp. unbiased variances). Otherwise they normalise the input.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects input of shape (N, C, L) or (N, C, H, W), got {tuple(input.shape)}")
    c = input.shape[1]
    _check_channels("instance_norm", weight, c, "weight")
    _check_channels("instance_norm", bias, c, "bias")
    count = input.size // (input.shape[0] * c)
    if use_input_stats:
        if count <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element per channel when using input "
                             f"statistics, got input of shape {tuple(input.shape)}")
        shape = (1, c, 1, 1)
        y, mu, var = _standardize_affine(input.reshape(input.shape[0], c, 1, -1),
                                         None if weight is None else weight.reshape(shape),
                                         None if bias is None else bias.reshape(shape), eps)
        y = y.reshape(*input.shape)
        if running_mean is not None and running_var is not None:
            rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
            rv = running_var.data if isinstance(running_var, Tensor) else running_var
            m = rm.dtype.type(momentum)
            rm[...] = (1 - m) * rm + m * mu.reshape(mu.shape[:2]).mean(axis=0)
            rv[...] = (1 - m) * rv + m * var.reshape(var.shape[:2]).mean(axis=0) * rv.dtype.type(count / (count - 1))
        return y
    if running_mean is None or running_var is None:
        raise ValueError("instance_norm without input statistics needs running_mean and running_var")
    xp = array_module(input.data)
    rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.data if isinstance(running_var, Tensor) else running_var
    shape = (1, c) + (1,) * (input.ndim - 2)
    inv_std = Tensor((1 / xp.sqrt(rv + rv.dtype.type(eps))).astype(input.dtype).reshape(shape))
    return _affine((input - Tensor(rm.astype(input.dtype).reshape(shape))) * inv_std, weight, bias)


def adaptive_instance_norm(input: Tensor, style_scale: Tensor, style_bias: Tensor, eps: float = 1e-5) -> Tensor:
    """AdaIN (Huang & Belongie, 2017; StyleGAN's style injection): instance norm with a scale and bias per
    sample and channel, given by the style (not in PyTorch):

        y[n, c] = style_scale[n, c] · (x[n, c] − μ_{n,c}) / √(σ²_{n,c} + ε) + style_bias[n, c]

    input (N, C, *spatial), style_scale and style_bias (N, C).
    """
    if input.ndim < 3:
        raise ValueError(f"adaptive_instance_norm expects input of shape (N, C, H, W), got {tuple(input.shape)}")
    n, c = input.shape[:2]
    for name, t in (("style_scale", style_scale), ("style_bias", style_bias)):
        if tuple(t.shape) != (n, c):
            raise ValueError(f"adaptive_instance_norm: {name} must have shape ({n}, {c}) (one value per sample "
                             f"and channel of input {tuple(input.shape)}), got {tuple(t.shape)}")
    shape = (n, c, 1, 1)
    y, _, _ = _standardize_affine(input.reshape(n, c, 1, -1), style_scale.reshape(shape),
                                  style_bias.reshape(shape), eps)
    return y.reshape(*input.shape)


def pixel_norm(input: Tensor, eps: float = 1e-8) -> Tensor:
    """Pixel norm (ProGAN, Karras et al. 2018): each position's feature vector scaled to unit RMS,
    y[n, :, p] = x[n, :, p] / √(mean_c x[n, c, p]² + ε)."""
    if input.ndim < 2:
        raise ValueError(f"pixel_norm expects input of shape (N, C, *), got {tuple(input.shape)}")
    return input / (mean(input * input, 1, keepdims=True) + eps) ** 0.5
