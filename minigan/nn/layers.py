"""Layers: Modules that hold parameters and call the functions in ``minigan.nn.functional``.

Names, arguments, defaults, weight layouts and initialisation follow ``torch.nn``,
so a state_dict moves between the two. A layer checks the shape of its input and
names itself in the error: ``Conv2d(3, 64, kernel_size=4) expects input of shape
(N, 3, H, W), got (16, 1, 28, 28)``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops import flatten, reshape
from ..ops.conv import as_pair as _pair
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "Embedding", "Flatten", "Identity",
    "LayerNorm", "LeakyReLU", "Linear", "ReLU", "Sigmoid", "Tanh", "Unflatten",
]


def _empty(*shape: int) -> Parameter:
    """A float32 Parameter on the default device, to be filled by an init function."""
    return Parameter(Tensor(backend.array_module().zeros(shape, dtype=np.float32)))


_TORCH_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                      "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _torch_name(dtype) -> str:
    return _TORCH_DTYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _check_dtype(layer: Module, x: Tensor, weight: Tensor | None, message: str) -> None:
    """PyTorch's dtype-mismatch message, naming the layer: layers never convert their input silently."""
    if weight is not None and x.dtype != weight.dtype:
        a, b = _torch_name(x.dtype), _torch_name(weight.dtype)
        raise TypeError(f"{layer!r}: " + message.format(a=a, b=b, a_low=a.lower(), b_low=b.lower()) +
                        f" (input {x.dtype}, weight {weight.dtype}); convert one with .float() or .double()")


def _short(pair: tuple[int, int]):
    """4 for (4, 4), (3, 5) otherwise: how the repr shows a pair."""
    return pair[0] if pair[0] == pair[1] else pair


def _reset_like_torch(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default: W ~ kaiming_uniform(a=√5) = U(±1/√fan_in), b ~ U(±1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


# ----------------------------------------------------------------------------- linear and convolution


class Linear(Module):
    """y = x Wᵀ + b.  weight (out_features, in_features), bias (out_features,)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty(out_features, in_features)
        self.bias = _empty(out_features) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_like_torch(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r} expects input of shape (..., {self.in_features}), got {tuple(x.shape)}")
        _check_dtype(self, x, self.weight, "mat1 and mat2 must have the same dtype, but got {a} and {b}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _ConvNd(Module):
    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        _check_dtype(self, x, self.weight, "Input type ({a_low}) and weight type ({b_low}) should be the same")

    def reset_parameters(self) -> None:
        _reset_like_torch(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={_short(self.kernel_size)}"
        if self.stride != (1, 1):
            s += f", stride={_short(self.stride)}"
        if self.padding != (0, 0):
            s += f", padding={_short(self.padding)}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            s += f", output_padding={_short(self.output_padding)}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation).  weight (out_channels, in_channels, kh, kw).

    Output size: ⌊(H + 2·padding − kh) / stride⌋ + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.weight = _empty(out_channels, in_channels, *self.kernel_size)
        self.bias = _empty(out_channels) if bias else None
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution (conv2d's adjoint, an upsampler).  weight (in_channels, out_channels, kh, kw).

    Output size: (H − 1)·stride − 2·padding + kh + output_padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
        self.padding, self.output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
        self.weight = _empty(in_channels, out_channels, *self.kernel_size)
        self.bias = _empty(out_channels) if bias else None
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding)


# ----------------------------------------------------------------------------- normalisation


class _BatchNorm(Module):
    """y = (x − mean) / √(var + eps) · weight + bias, per channel.

    Training: batch statistics, and running ← (1 − momentum)·running + momentum·batch
    (momentum=None: a cumulative average over ``num_batches_tracked`` batches).
    Eval: the running statistics.
    """

    _ndims: tuple[int, ...] = ()
    _shape_text = ""  # the expected input shape, with {c} for num_features

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        xp = backend.array_module()
        self.weight = Parameter(Tensor(xp.ones(num_features, dtype=np.float32))) if affine else None
        self.bias = Parameter(Tensor(xp.zeros(num_features, dtype=np.float32))) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", xp.zeros(num_features, dtype=np.float32))
            self.register_buffer("running_var", xp.ones(num_features, dtype=np.float32))
            self.register_buffer("num_batches_tracked", xp.zeros((), dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked (as after construction)."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            expected = self._shape_text.format(c=self.num_features)
            raise ValueError(f"{self!r} expects input of shape {expected}, got {tuple(x.shape)}")
        _check_dtype(self, x, self.weight, "mixed dtype (CPU): all inputs must share same datatype")
        if self.training and x.size // self.num_features <= 1:
            raise ValueError(f"{self!r} in training mode needs more than 1 value per channel to compute batch "
                             f"statistics, got input of shape {tuple(x.shape)} (use a batch larger than 1, "
                             "or call .eval())")

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked.data)
        # running statistics (when tracked) are updated in training and used in eval
        use_batch_stats = self.training or self.running_mean is None
        running_mean = None if self.running_mean is None else self.running_mean.data
        running_var = None if self.running_var is None else self.running_var.data
        shape = x.shape
        if x.ndim == 3:  # (N, C, L) is normalised like (N, C, L, 1)
            x = reshape(x, shape + (1,))
        y = F.batch_norm(x, running_mean, running_var, self.weight, self.bias, use_batch_stats, momentum, self.eps)
        return reshape(y, shape)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, statistics per channel C."""

    _ndims = (2, 3)
    _shape_text = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, statistics per channel over (N, H, W)."""

    _ndims = (4,)
    _shape_text = "(N, {c}, H, W)"


class LayerNorm(Module):
    """y = (x − mean) / √(var + eps) · weight + bias over the last dims ``normalized_shape`` (per sample)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        xp = backend.array_module()
        self.weight = Parameter(Tensor(xp.ones(shape, dtype=np.float32))) if elementwise_affine else None
        self.bias = Parameter(Tensor(xp.zeros(shape, dtype=np.float32))) if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - n:]) != self.normalized_shape or x.ndim < n:
            raise ValueError(f"{self!r} expects input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                             f"got {tuple(x.shape)}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# ----------------------------------------------------------------------------- activations


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope · x.  (``inplace`` is accepted for PyTorch code and ignored.)"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ReLU(Module):
    """y = max(x, 0).  (``inplace`` is accepted for PyTorch code and ignored.)"""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Tanh(Module):
    """y = tanh x, in (−1, 1): the usual generator output for images scaled to [−1, 1]."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """y = 1 / (1 + e^−x), in (0, 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


# ----------------------------------------------------------------------------- shapes and the rest


class Flatten(Module):
    """Merge dims start_dim..end_dim into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        start, end = self.start_dim % max(x.ndim, 1), self.end_dim % max(x.ndim, 1)
        if start > end:
            raise ValueError(f"{self!r}: start_dim comes after end_dim for input of shape {tuple(x.shape)}")
        return flatten(x, start, end)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 3136) → (N, 64, 7, 7)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        dim = self.dim % x.ndim
        if x.shape[dim] != math.prod(self.unflattened_size):
            raise ValueError(f"{self!r} needs dim {self.dim} of size {math.prod(self.unflattened_size)}, "
                             f"got input of shape {tuple(x.shape)}")
        return reshape(x, x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Embedding(Module):
    """A lookup table: integer indices (any shape) → rows of weight (num_embeddings, embedding_dim) ~ N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = _empty(num_embeddings, embedding_dim)
        init.normal_(self.weight)

    def forward(self, indices) -> Tensor:
        if not isinstance(indices, Tensor):
            if not backend.is_cupy_array(indices):
                F.check_embedding_indices(np.asarray(indices), self.num_embeddings)  # on the host, before the move
            indices = Tensor(backend.array_module(self.weight.data).asarray(indices))
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1 − p); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Identity(Module):
    """y = x (a placeholder, e.g. for a layer switched off by a config)."""

    def forward(self, x):
        return x
