"""Stateless layer functions, named as in ``torch.nn.functional``.

    import minigan.nn.functional as F
    y = F.leaky_relu(F.conv2d(x, w, b, stride=2, padding=1), 0.2)
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops import (
    broadcast_to,
    exp,
    getitem,
    log,
    logsigmoid,
    matmul,
    mean,
    relu,
    reshape,
    sigmoid,
    softplus,
    sqrt,
    tanh,
    var,
)
from ..ops import (
    leaky_relu as _leaky_relu,
)
from ..ops.conv import conv2d, conv_transpose2d
from ..ops.norm import batch_norm_train

__all__ = [
    "batch_norm", "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "cross_entropy", "dropout",
    "embedding", "interpolate", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid", "mse_loss",
    "relu", "sigmoid", "softmax", "softplus", "tanh",
]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b with W of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: weight of shape {weight.shape} expects {weight.shape[1]} input features, "
                         f"got input of shape {x.shape}")
    y = matmul(x, weight.T)
    return y if bias is None else y + bias


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """y = x if x > 0 else negative_slope · x."""
    return _leaky_relu(x, negative_slope)


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def batch_norm(x: Tensor, running_mean, running_var, weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N,) for (N, C) input or (N, H, W) for (N, C, H, W) input.

    Training: normalise with the batch mean and biased variance, and update the running
    statistics in place with the *unbiased* variance (as PyTorch):
    running ← (1 − momentum)·running + momentum·batch. Eval: use the running statistics.
    """
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, H, W), got {x.shape}")
    xp = backend.array_module(x.data)
    channels = x.shape[1]
    weight = weight if weight is not None else Tensor(xp.ones(channels, dtype=x.dtype))
    bias = bias if bias is not None else Tensor(xp.zeros(channels, dtype=x.dtype))
    if training:
        count = x.size // channels
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        y, batch_mean, batch_var = batch_norm_train(x, weight, bias, eps)
        if running_mean is not None:
            rm, rv = _raw(running_mean), _raw(running_var)
            m = rm.dtype.type(momentum)
            rm[...] = (1 - m) * rm + m * batch_mean.reshape(-1)
            rv[...] = (1 - m) * rv + m * batch_var.reshape(-1) * rv.dtype.type(count / (count - 1))
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    shape = (1, channels) + (1,) * (x.ndim - 2)
    rm, rv = _raw(running_mean), _raw(running_var)
    inv_std = Tensor((1 / xp.sqrt(rv + rv.dtype.type(eps))).astype(x.dtype).reshape(shape))
    return (x - Tensor(rm.astype(x.dtype).reshape(shape))) * inv_std * weight.reshape(shape) + bias.reshape(shape)


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) axes: (x − μ)/√(σ² + ε) · γ + β."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with normalized_shape "
                         f"{normalized_shape}")
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    y = (x - mean(x, axes, keepdims=True)) / sqrt(var(x, axes, keepdims=True) + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p) (identity in eval)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = backend.random_uniform(x.shape, dtype=x.dtype, device=x.device) >= p
    return x * (keep.astype(x.dtype) * x.dtype.type(1 / (1 - p)))


def embedding(indices, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices``."""
    idx = _raw(indices)
    if np.dtype(idx.dtype).kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got dtype {idx.dtype}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= weight.shape[0]):
        raise ValueError(f"embedding: indices must be in [0, {weight.shape[0]}), got range "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    return getitem(weight, idx)


def interpolate(x: Tensor, scale_factor: int = 2, mode: str = "nearest") -> Tensor:
    """Nearest-neighbour upsampling of (N, C, H, W) by an integer factor (each pixel → an s×s block)."""
    if mode != "nearest":
        raise ValueError(f"interpolate supports mode='nearest' only, got {mode!r}")
    s = int(scale_factor)
    if s != scale_factor or s < 1:
        raise ValueError(f"interpolate needs a positive integer scale_factor, got {scale_factor}")
    if x.ndim != 4:
        raise ValueError(f"interpolate expects (N, C, H, W), got {x.shape}")
    n, c, h, w = x.shape
    blocks = broadcast_to(reshape(x, (n, c, h, 1, w, 1)), (n, c, h, s, w, s))
    return reshape(blocks, (n, c, h * s, w * s))


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def binary_cross_entropy_with_logits(logits: Tensor, targets, reduction: str = "mean") -> Tensor:
    """−[t ln σ(x) + (1 − t) ln(1 − σ(x))] = softplus(x) − t·x, stable for any x."""
    t = targets if isinstance(targets, Tensor) else Tensor(backend.array_module(logits.data).asarray(
        targets, dtype=logits.dtype))
    if t.shape != logits.shape:
        t = broadcast_to(t, logits.shape)
    return _reduce(softplus(logits) - t * logits, reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """(input − target)² averaged (or summed)."""
    diff = input - target
    return _reduce(diff * diff, reduction)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x − log Σ e^x, shifted by the (constant) max for stability."""
    shift = Tensor(x.data.max(axis=axis, keepdims=True))
    z = x - shift
    return z - log(exp(z).sum(axis=axis, keepdims=True))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return exp(log_softmax(x, axis))


def cross_entropy(logits: Tensor, labels, reduction: str = "mean") -> Tensor:
    """−log softmax(logits)[label] for (N, K) logits and integer labels (N,)."""
    idx = _raw(labels)
    xp = backend.array_module(logits.data)
    picked = getitem(log_softmax(logits, axis=1), (xp.arange(logits.shape[0]), xp.asarray(idx)))
    return _reduce(-picked, reduction)



# ----------------------------------------------------------------------------- the layers of the later GANs
# (ProGAN, StyleGAN, SAGAN, BigGAN, pix2pix, CycleGAN, SRGAN, WaveGAN); the maths is in the ops modules.
# This interpolate (sizes, scale factors, nearest / linear / bilinear) replaces the integer-nearest one above.
from ..ops.conv import conv1d, conv_transpose1d  # noqa: E402
from ..ops.norm import adaptive_instance_norm, group_norm, instance_norm, pixel_norm  # noqa: E402
from ..ops.pool import avg_pool2d, interpolate, pad, pixel_shuffle, pixel_unshuffle  # noqa: E402, F811
from ..ops.prelu import prelu  # noqa: E402

__all__ += [
    "adaptive_instance_norm", "avg_pool2d", "conv1d", "conv_transpose1d", "group_norm", "instance_norm", "pad",
    "pixel_norm", "pixel_shuffle", "pixel_unshuffle", "prelu",
]
