"""Resampling: interpolate (nearest, linear, bilinear), average pooling, pixel (un)shuffle, padding modes.

Every op here is linear in its input, so each is "multiply by a fixed matrix", and its backward is
multiplication by the transpose:

    interpolate:   y = A_H · x · A_Wᵀ   (one small matrix per spatial axis, separable)
                   dx = A_Hᵀ · g · A_W
    avg_pool2d:    a convolution of each channel with the constant kernel 1/(kh·kw)
    pixel_shuffle: a permutation of the elements (reshape + transpose)
    pad:           y = x[idx] along each padded axis (reflect / replicate), or x with a border (constant);
                   dx = the adjoint: g scattered back with repeated indices adding up

Built from ops whose backward is again an op (matmul-like Resample, conv2d, reshape, getitem), so
all of them can be differentiated any number of times.

The sampling rule is PyTorch's. For an output index d on an axis of input size n and output size m,
with scale s = n / m (or 1 / scale_factor when a scale_factor is given):

    nearest:                       src = min(⌊d · s⌋, n − 1)
    linear, align_corners=False:   src = max(s · (d + ½) − ½, 0)
    linear, align_corners=True:    src = d · (n − 1) / (m − 1)      (0 when m = 1)
    y[d] = (1 − λ) · x[i₀] + λ · x[i₁],   i₀ = ⌊src⌋,  i₁ = min(i₀ + 1, n − 1),  λ = src − i₀
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Tensor
from ..backend import array_module
from .conv import conv2d
from .shape import broadcast_to, getitem, permute, reshape
from .shape import pad as _zero_pad

INTERPOLATE_MODES = {3: ("nearest", "linear"), 4: ("nearest", "bilinear")}
PAD_MODES = ("constant", "reflect", "replicate")


# ----------------------------------------------------------------------------- interpolate


class Resample(Function):
    """y = x multiplied along each listed axis by its matrix: y = A_H · x · A_Wᵀ for (N, C, H, W).

    ``matrices`` is a tuple of (axis, A) with A of shape (out_size, in_size), raw arrays on x's device.
    The backward is the same op with every A transposed: dx = A_Hᵀ · g · A_W.
    """

    def __init__(self, matrices: tuple):
        self.matrices = matrices

    def forward(self, x):
        xp = array_module(x)
        for axis, a in self.matrices:  # one GEMM per axis: contract x's axis with A's columns
            x = xp.moveaxis(xp.tensordot(x, a, axes=([axis], [1])), -1, axis)
        return x

    def backward(self, g):
        return Resample.apply(g, matrices=tuple((axis, a.T) for axis, a in self.matrices))


def _source_index(out_size: int, in_size: int, scale: float | None, mode: str, align_corners: bool) -> np.ndarray:
    """PyTorch's source coordinate of every output index (see the module docstring)."""
    d = np.arange(out_size, dtype=np.float64)
    if mode == "nearest":
        s = in_size / out_size if scale is None else 1.0 / scale
        return np.minimum(np.floor(d * s), in_size - 1)
    if align_corners:
        return d * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros(out_size)
    s = in_size / out_size if scale is None else 1.0 / scale
    return np.maximum(s * (d + 0.5) - 0.5, 0.0)


def interpolation_matrix(out_size: int, in_size: int, scale: float | None, mode: str,
                         align_corners: bool) -> np.ndarray:
    """The (out_size, in_size) matrix A with y = A x along one axis: one 1 per row (nearest) or the two
    weights 1 − λ, λ (linear)."""
    src = _source_index(out_size, in_size, scale, mode, align_corners)
    a = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    i0 = np.floor(src).astype(np.int64)
    if mode == "nearest":
        a[rows, i0] = 1.0
        return a
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = src - i0
    np.add.at(a, (rows, i0), 1.0 - lam)
    np.add.at(a, (rows, i1), lam)
    return a


def _output_sizes(name, x, size, scale_factor) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    dims = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    if size is not None:
        sizes = (size,) * dims if isinstance(size, int) else tuple(size)
        if len(sizes) != dims or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"{name}: size must be a positive int or {dims} positive ints for input of shape "
                             f"{tuple(x.shape)}, got {size!r}")
        return sizes, (None,) * dims
    scales = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(scales) != dims or not all(isinstance(s, (int, float)) and s > 0 for s in scales):
        raise ValueError(f"{name}: scale_factor must be a positive number or {dims} of them for input of shape "
                         f"{tuple(x.shape)}, got {scale_factor!r}")
    sizes = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales))
    if min(sizes) < 1:
        raise ValueError(f"{name}: scale_factor {scale_factor} gives an empty output for input of shape "
                         f"{tuple(x.shape)}")
    return sizes, tuple(float(s) for s in scales)


def _repeat(x: Tensor, factors: tuple[int, ...]) -> Tensor:
    """Nearest upsampling by integer factors: every element becomes a block (a broadcast, no matrix)."""
    n, c, *spatial = x.shape
    expanded = (n, c) + tuple(v for size in spatial for v in (size, 1))
    blocks = (n, c) + tuple(v for size, f in zip(spatial, factors) for v in (size, f))
    return reshape(broadcast_to(reshape(x, expanded), blocks), (n, c) + tuple(s * f for s, f in zip(spatial, factors)))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) input to ``size`` or by ``scale_factor`` (PyTorch's rule).

    Modes: ``"nearest"`` (3-D and 4-D), ``"linear"`` (3-D), ``"bilinear"`` (4-D). ``align_corners``
    (linear modes only; default False) maps the corner pixels' centres onto each other.
    """
    if input.ndim not in INTERPOLATE_MODES:
        raise ValueError(f"interpolate expects input of shape (N, C, L) or (N, C, H, W), got {tuple(input.shape)}")
    modes = INTERPOLATE_MODES[input.ndim]
    if mode not in modes:
        raise ValueError(f"interpolate: mode for {input.ndim}-D input must be one of {', '.join(modes)}, "
                         f"got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners only applies to the linear modes, not 'nearest'")
    sizes, scales = _output_sizes("interpolate", input, size, scale_factor)
    in_sizes = tuple(input.shape[2:])
    if mode == "nearest" and all(m % n == 0 for m, n in zip(sizes, in_sizes)):
        factors = tuple(m // n for m, n in zip(sizes, in_sizes))
        if all(s is None or s == f for s, f in zip(scales, factors)):
            return _repeat(input, factors)
    xp = array_module(input.data)
    matrices = tuple(
        (2 + i, xp.asarray(interpolation_matrix(m, n, s, mode, bool(align_corners)).astype(input.dtype)))
        for i, (m, n, s) in enumerate(zip(sizes, in_sizes, scales)) if m != n or s not in (None, 1.0))
    return Resample.apply(input, matrices=matrices) if matrices else input


# ----------------------------------------------------------------------------- average pooling


def _pair(value, name: str, fn: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each kh×kw window: y[n,c,p] = (1/|W_p|) Σ_{(i,j) ∈ W_p} x_pad[n, c, s·p + (i,j)].

    |W_p| = kh·kw (``count_include_pad=True``, zeros of the padding count) or the number of window
    pixels inside the input. Output size ⌊(H + 2·padding − kh) / stride⌋ + 1; stride defaults to the
    kernel size. Non-overlapping windows (stride = kernel, no padding) are a reshape and a mean; the
    general case is a convolution of every channel with the constant kernel 1/(kh·kw).
    """
    kernel = _pair(kernel_size, "kernel_size", "avg_pool2d")
    stride = kernel if stride is None else _pair(stride, "stride", "avg_pool2d")
    padding = _pair(padding, "padding", "avg_pool2d")
    if input.ndim != 4:
        raise ValueError(f"avg_pool2d expects input of shape (N, C, H, W), got {tuple(input.shape)}")
    if ceil_mode:
        raise ValueError("avg_pool2d: ceil_mode=True is not supported (the output size is always rounded down)")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"avg_pool2d: kernel_size and stride must be positive and padding non-negative, got "
                         f"kernel_size={kernel}, stride={stride}, padding={padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"avg_pool2d: padding {padding} should be at most half of kernel_size {kernel}")
    n, c, h, w = input.shape
    if h + 2 * padding[0] < kernel[0] or w + 2 * padding[1] < kernel[1]:
        raise ValueError(f"avg_pool2d: kernel_size {kernel} is larger than the padded input "
                         f"({h + 2 * padding[0]}, {w + 2 * padding[1]}) for input of shape {tuple(input.shape)}")
    (kh, kw), (ph, pw) = kernel, padding
    if stride == kernel and padding == (0, 0) and h % kh == 0 and w % kw == 0:
        return reshape(input, (n, c, h // kh, kh, w // kw, kw)).mean(axis=(3, 5))
    xp = array_module(input.data)
    ones = xp.full((1, 1, kh, kw), 1.0 / (kh * kw), dtype=input.dtype)
    y = conv2d(reshape(input, (n * c, 1, h, w)), Tensor(ones), stride=stride, padding=padding)
    y = reshape(y, (n, c) + tuple(y.shape[2:]))
    if not count_include_pad and (ph or pw):  # divide by the window pixels inside the input instead of kh·kw
        inside = conv2d(Tensor(xp.ones((1, 1, h, w), dtype=input.dtype)), Tensor(ones), stride=stride,
                        padding=padding)
        y = y / inside
    return y


# ----------------------------------------------------------------------------- pixel shuffle


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(N, C·r², H, W) → (N, C, H·r, W·r):  y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]."""
    r = upscale_factor
    if not isinstance(r, int) or r < 1:
        raise ValueError(f"pixel_shuffle: upscale_factor must be a positive int, got {upscale_factor!r}")
    if input.ndim != 4 or input.shape[1] % (r * r):
        raise ValueError(f"pixel_shuffle expects input of shape (N, C·{r * r}, H, W) (channels divisible by "
                         f"upscale_factor² = {r * r}), got {tuple(input.shape)}")
    n, c, h, w = input.shape
    x = reshape(input, (n, c // (r * r), r, r, h, w))
    return reshape(permute(x, (0, 1, 4, 2, 5, 3)), (n, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(N, C, H·r, W·r) → (N, C·r², H, W), the inverse of pixel_shuffle."""
    r = downscale_factor
    if not isinstance(r, int) or r < 1:
        raise ValueError(f"pixel_unshuffle: downscale_factor must be a positive int, got {downscale_factor!r}")
    if input.ndim != 4 or input.shape[2] % r or input.shape[3] % r:
        raise ValueError(f"pixel_unshuffle expects input of shape (N, C, H, W) with H and W divisible by "
                         f"downscale_factor {r}, got {tuple(input.shape)}")
    n, c, h, w = input.shape
    x = reshape(input, (n, c, h // r, r, w // r, r))
    return reshape(permute(x, (0, 1, 3, 5, 2, 4)), (n, c * r * r, h // r, w // r))


# ----------------------------------------------------------------------------- padding


def _border_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of every padded position along one axis: reflect (without repeating the edge,
    ``dcb|abcd|cba``) or replicate (``aaa|abcd|ddd``)."""
    i = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    period = 2 * (size - 1)
    i = np.abs(i) % period if period else np.zeros_like(i)
    return np.where(i >= size, period - i, i)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 axes; ``pad`` = (left, right, top, bottom, ...) starts from the last axis.

    constant: y = ``value`` (default 0) around x. reflect: mirrored about the edge pixel (which is not
    repeated; each pad must be smaller than the axis). replicate: the edge pixel repeated.
    """
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim or not all(isinstance(p, int) for p in pad):
        raise ValueError(f"pad: pad must hold an even number of ints, at most 2 per axis of input of shape "
                         f"{tuple(input.shape)}, got {pad!r}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: padding must be non-negative, got {pad!r}")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(PAD_MODES)}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value applies to mode='constant' only, got value={value!r} with mode={mode!r}")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        y = _zero_pad(input, widths)
        if value:
            xp = array_module(input.data)
            border = xp.full(y.shape, value, dtype=input.dtype)
            border[tuple(slice(b, s - a) for (b, a), s in zip(widths, y.shape))] = 0
            y = y + Tensor(border)
        return y
    xp = array_module(input.data)
    y = input
    for axis, (before, after) in enumerate(widths):
        if not (before or after):
            continue
        size = input.shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the axis it pads "
                             f"(axis {axis} of size {size}, input of shape {tuple(input.shape)})")
        index = xp.asarray(_border_index(size, before, after, mode))
        y = getitem(y, (slice(None),) * axis + (index,))
    return y
