"""Weight initialisation, named as in ``torch.nn.init``.

Each ``*_`` function fills a tensor's array in place (no graph is recorded)
and returns the tensor. Random numbers come from minigan's seeded generator,
so ``mg.manual_seed(0)`` makes every initialisation reproducible.

Fans of a weight of shape (out, in, k1, k2, ...):  fan_in = in·k1·k2···,
fan_out = out·k1·k2···. (For ConvTranspose2d, whose weight is (in, out, kh, kw),
PyTorch applies the same formula, so "fan_in" there is out·kh·kw; we follow it.)
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd import Tensor

__all__ = [
    "calculate_gain", "constant_", "dcgan_init", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]


def _fill(tensor: Tensor, values) -> Tensor:
    tensor.data[...] = values
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    return _fill(tensor, backend.random_uniform(tensor.shape, a, b, tensor.dtype, tensor.device))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std²)."""
    z = backend.random_normal(tensor.shape, tensor.dtype, tensor.device)
    return _fill(tensor, z * tensor.dtype.type(std) + tensor.dtype.type(mean))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance stable: √2 for relu, √(2/(1+a²)) for leaky_relu, ..."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(−a, a) with a = gain·√(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """U(−bound, bound) with bound = √3 · gain / √fan  (He et al., 2015).

    PyTorch's default Linear/Conv init is ``a=√5``: gain = √(1/3), so bound = 1/√fan_in.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std²) with std = gain / √fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


_DCGAN_WEIGHT_LAYERS = {"Conv2d", "ConvTranspose2d", "Linear"}
_DCGAN_NORM_LAYERS = {"BatchNorm1d", "BatchNorm2d"}


def dcgan_init(module):
    """The DCGAN paper's initialisation, applied to every sub-module (returns ``module``).

    Conv, ConvTranspose and Linear weights ~ N(0, 0.02²), their biases 0;
    BatchNorm weights ~ N(1, 0.02²), biases 0. (A spectrally normalised layer
    has its weight in ``weight_orig``; that is what gets initialised.) Layers are
    recognised by the names of their classes and base classes, as this module sits
    below ``nn.layers`` and imports none of them.
    """

    def init(m):
        kinds = {cls.__name__ for cls in type(m).__mro__}
        weight = m._parameters.get("weight_orig", m._parameters.get("weight"))
        bias = m._parameters.get("bias")
        if kinds & _DCGAN_WEIGHT_LAYERS:
            normal_(weight, 0.0, 0.02)
            if bias is not None:
                zeros_(bias)
        elif kinds & _DCGAN_NORM_LAYERS and weight is not None:
            normal_(weight, 1.0, 0.02)
            zeros_(bias)

    return module.apply(init)
