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
    leaky_relu,
    log,
    logsigmoid,
    matmul,
    mean,
    relu,
    sigmoid,
    softplus,
    sqrt,
    tanh,
    var,
)
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.norm import adaptive_instance_norm, batch_norm, group_norm, instance_norm, pixel_norm
from ..ops.pool import avg_pool2d, interpolate, pad, pixel_shuffle, pixel_unshuffle
from ..ops.prelu import prelu

__all__ = [
    "adaptive_instance_norm", "avg_pool2d", "batch_norm", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "cross_entropy", "dropout", "embedding", "group_norm", "instance_norm",
    "interpolate", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid", "mse_loss", "pad",
    "pixel_norm", "pixel_shuffle", "pixel_unshuffle", "prelu", "relu", "sigmoid", "softmax", "softplus", "tanh",
]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b with W of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: weight of shape {weight.shape} expects {weight.shape[1]} input features, "
                         f"got input of shape {x.shape}")
    y = matmul(x, weight.T)
    return y if bias is None else y + bias


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) axes: (x − μ)/√(σ² + ε) · γ + β."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with normalized_shape "
                         f"{normalized_shape}")
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    y = (x - mean(x, axes, keepdim=True)) / sqrt(var(x, axes, keepdim=True, correction=0) + eps)
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
    check_embedding_indices(idx, weight.shape[0])
    return getitem(weight, idx)


def check_embedding_indices(idx, num_embeddings: int) -> None:
    """Integer indices in [0, num_embeddings). The range is checked for host indices only: on the device it
    would copy to the host at every call (nn.Embedding checks host indices before moving them)."""
    if np.dtype(idx.dtype).kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got dtype {idx.dtype}")
    if not backend.is_cupy_array(idx) and idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_embeddings):
        raise ValueError(f"embedding: indices must be in [0, {num_embeddings}), got range "
                         f"[{int(idx.min())}, {int(idx.max())}]")


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


def _softmax_dim(dim, axis) -> int:
    if axis is not None:
        if dim is not None:
            raise TypeError("softmax: pass dim or axis, not both")
        return axis
    return -1 if dim is None else dim


def log_softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """x − log Σ_dim e^x, shifted by the (constant) max for stability. ``dim`` defaults to the last."""
    dim = _softmax_dim(dim, axis)
    z = x - Tensor(x.data.max(axis=dim, keepdims=True))
    return z - log(exp(z).sum(dim, keepdim=True))


def softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """e^x / Σ_dim e^x (``dim`` defaults to the last)."""
    return exp(log_softmax(x, dim, axis=axis))


def cross_entropy(logits: Tensor, labels, reduction: str = "mean") -> Tensor:
    """−log softmax(logits)[label] for (N, K) logits and integer labels (N,)."""
    idx = _raw(labels)
    xp = backend.array_module(logits.data)
    picked = getitem(log_softmax(logits, 1), (xp.arange(logits.shape[0]), xp.asarray(idx)))
    return _reduce(-picked, reduction)


