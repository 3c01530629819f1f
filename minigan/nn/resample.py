"""Resampling and padding layers, as in ``torch.nn``: Upsample, AvgPool2d, PixelShuffle, PixelUnshuffle,
ReflectionPad2d, ReplicationPad2d, ZeroPad2d, ConstantPad2d. The maths is in ``minigan.ops.pool``."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.pool import avg_pool2d, interpolate, pad, pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["AvgPool2d", "ConstantPad2d", "PixelShuffle", "PixelUnshuffle", "ReflectionPad2d", "ReplicationPad2d",
           "Upsample", "ZeroPad2d"]


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``; modes nearest, linear, bilinear."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(f"Upsample: give exactly one of size and scale_factor, got size={size!r}, "
                             f"scale_factor={scale_factor!r}")
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(f"{self!r} expects input of shape (N, C, H, W) or (N, C, L), got {tuple(x.shape)}")
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class AvgPool2d(Module):
    """Mean over kernel_size windows (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        if ceil_mode:
            raise ValueError("AvgPool2d: ceil_mode=True is not supported (the output size is always rounded down)")

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4:
            raise ValueError(f"{self!r} expects input of shape (N, C, H, W), got {tuple(x.shape)}")
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class PixelShuffle(Module):
    """(N, C·r², H, W) → (N, C, H·r, W·r) (sub-pixel convolution's upsampler, SRGAN)."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: Tensor) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H·r, W·r) → (N, C·r², H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x: Tensor) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * 4
        if len(tuple(padding)) != 4 or not all(isinstance(p, int) for p in padding):
            raise ValueError(f"{type(self).__name__}: padding must be an int or 4 ints (left, right, top, bottom), "
                             f"got {padding!r}")
        self.padding, self.value = tuple(padding), value

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(f"{self!r} expects input of shape (C, H, W) or (N, C, H, W), got {tuple(x.shape)}")
        return pad(x, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pad by reflecting about the edge pixel (not repeated): ``dcb|abcd|cba`` (pix2pix / CycleGAN)."""

    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad by repeating the edge pixel: ``aaa|abcd|ddd``."""

    mode = "replicate"


class ZeroPad2d(_Pad2d):
    """Pad with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad2d(_Pad2d):
    """Pad with ``value``."""
