"""1-D convolution layers (WaveGAN), as ``torch.nn.Conv1d`` / ``ConvTranspose1d``: the same weight layouts,
init and state_dict keys; the maths is the 2-D machinery on height-1 images (``minigan.ops.conv``)."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.conv import conv1d, conv_transpose1d
from .layers import _empty, _reset_like_torch
from .module import Module

__all__ = ["Conv1d", "ConvTranspose1d"]


def _single(value, name: str, layer: str) -> int:
    v = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if not isinstance(v, int):
        raise ValueError(f"{layer}: {name} must be an int, got {value!r}")
    return v


class _Conv1dBase(Module):
    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, bias):
        name = type(self).__name__
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (_single(kernel_size, "kernel_size", name),)
        self.stride, self.padding = (_single(stride, "stride", name),), (_single(padding, "padding", name),)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_channels}, L), got {tuple(x.shape)}")

    def reset_parameters(self) -> None:
        _reset_like_torch(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if getattr(self, "output_padding", (0,)) != (0,):
            s += f", output_padding={self.output_padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_Conv1dBase):
    """1-D convolution.  weight (out_channels, in_channels, k); output length ⌊(L + 2·padding − k) / stride⌋ + 1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, bias)
        self.weight = _empty(out_channels, in_channels, self.kernel_size[0])
        self.bias = _empty(out_channels) if bias else None
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return conv1d(x, self.weight, self.bias, self.stride[0], self.padding[0])


class ConvTranspose1d(_Conv1dBase):
    """1-D transposed convolution.  weight (in_channels, out_channels, k);
    output length (L − 1)·stride − 2·padding + k + output_padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 bias: bool = True):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, bias)
        self.output_padding = (_single(output_padding, "output_padding", "ConvTranspose1d"),)
        self.weight = _empty(in_channels, out_channels, self.kernel_size[0])
        self.bias = _empty(out_channels) if bias else None
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return conv_transpose1d(x, self.weight, self.bias, self.stride[0], self.padding[0], self.output_padding[0])
