"""2-D convolution and transposed convolution as matrix products: im2col + one GEMM for the convolution,
one product per kernel offset + col2im for its transpose.

Three bilinear functions, each the adjoint of the others, make up the family
(x: input (N, C, H, W), w: weight (F, C, kh, kw), y: output (N, F, Ho, Wo)):

    Conv2d(x, w)          = y        y[n,f,p] = Σ_{c,i,j} w[f,c,i,j] · x_pad[n, c, s·p + (i,j)]
    ConvTranspose2d(y, w) = x        the adjoint in x:  ⟨Conv2d(x, w), y⟩ = ⟨x, ConvTranspose2d(y, w)⟩
    Conv2dWeightGrad(x, y) = w       the adjoint in w:  ⟨Conv2d(x, w), y⟩ = ⟨w, Conv2dWeightGrad(x, y)⟩

Each one's backward is made of the other two, so all three can be
differentiated any number of times (WGAN-GP needs the double backward).
ConvTranspose2d takes the exact spatial size of x: with stride > 1 several
input sizes give the same output size, and the backward of Conv2d must give
back a gradient of exactly x's shape.
"""

from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from .reduce import sum


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(size + 2·padding − kernel) / stride⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def channels_last(x, padding=(0, 0)):
    """(N, C, H, W) → a zero-padded, contiguous (N, H + 2ph, W + 2pw, C) array: each pixel's channels side
    by side. Without padding, an array that is already stored channels-last is returned as it is (no copy)."""
    xp = array_module(x)
    n, c, h, w = x.shape
    ph, pw = padding
    if not (ph or pw):
        return xp.ascontiguousarray(x.transpose(0, 2, 3, 1))
    out = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x.transpose(0, 2, 3, 1)
    return out


def channels_first(y, shape_nhw):
    """(N·H·W, C) rows → an (N, C, H, W) *view*, stored channels-last.

    No copy: elementwise ops keep this memory order (NumPy's order="K"), so the next convolution finds
    its input already channels-last, and the layout between layers costs nothing.
    """
    n, h, w = shape_nhw
    return y.reshape(n, h, w, -1).transpose(0, 3, 1, 2)


def im2col(x, kernel, stride, padding, out_hw):
    """Rows (N·Ho·Wo, kh·kw·C): one row per output pixel, holding the input window it sees.

    The windows are a strided *view* of the channels-last padded input; the reshape is the one copy.
    """
    xp = array_module(x)
    x_pad = channels_last(x, padding)
    n, _, _, c = x_pad.shape
    sn, sh, sw, sc = x_pad.strides
    (kh, kw), (ho, wo) = kernel, out_hw
    windows = xp.lib.stride_tricks.as_strided(
        x_pad, shape=(n, ho, wo, kh, kw, c), strides=(sn, sh * stride[0], sw * stride[1], sh, sw, sc))
    return windows.reshape(n * ho * wo, kh * kw * c)


def _plane_range(tap, padding, stride, out_size, plane_size):
    """Where kernel offset ``tap`` sends window p: input index u = s·p + tap − pad = s·(p + shift) + r.
    Returns the residue r, the shift, and the window range [first, last) that lands inside the plane."""
    residue, shift = (tap - padding) % stride, (tap - padding) // stride
    first = max(0, -shift)
    return residue, shift, first, max(first, min(out_size, plane_size - shift))


def col2im(taps, x_shape, stride, padding, bias=None):
    """The adjoint of im2col: add every window back where it came from → (N, C, H, W), stored channels-last.

    ``taps`` (kh, kw, N, Ho, Wo, C) holds, for each kernel offset, the contribution of every window. With
    stride s, the input pixels u ≡ r (mod s) form a plane of their own, and each offset adds into one plane:
    one add per offset, with unit strides on both sides (adding into every s-th pixel of x directly was
    35% slower). The planes are then interleaved into x. The sums start from ``bias`` (C,), else zero.
    """
    xp = array_module(taps)
    kh, kw, n, ho, wo, c = taps.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw) = stride, padding
    hp, wp = -(-h // sh), -(-w // sw)  # plane size ⌈H/s⌉ × ⌈W/s⌉
    planes = xp.empty((sh, sw, n, hp, wp, c), dtype=taps.dtype)
    planes[...] = 0 if bias is None else bias
    columns = [_plane_range(j, pw, sw, wo, wp) for j in range(kw)]
    for i in range(kh):  # a loop over kernel offsets only
        r, a, p0, p1 = _plane_range(i, ph, sh, ho, hp)
        for j, (t, b, q0, q1) in enumerate(columns):
            planes[r, t, :, p0 + a:p1 + a, q0 + b:q1 + b, :] += taps[i, j, :, p0:p1, q0:q1, :]
    # interleave, x[n, s·a + r, s·b + t] = planes[r, t, n, a, b]: one copy (none for stride 1), then drop
    # the rows and columns past H and W that a plane of ⌈H/s⌉ rows may hold
    x = planes.transpose(2, 3, 0, 4, 1, 5).reshape(n, hp * sh, wp * sw, c)[:, :h, :w, :]
    return x.transpose(0, 3, 1, 2)  # a channels-last view, as channels_first


def weight_matrix(w):
    """(F, C, kh, kw) → (F, kh·kw·C), matching the column order of im2col."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _bias_grads(inputs, g) -> tuple:
    """(db,) with db = Σ_{n,p} g when the op was given a bias (a third input), else ()."""
    if len(inputs) < 3:
        return ()
    return (sum(g, (0, 2, 3)) if inputs[2].requires_grad else None,)


class Conv2d(Function):
    """y = x ⋆ w (+ b);  dx = ConvTranspose2d(g, w),  dw = Conv2dWeightGrad(x, g),  db = Σ_{n,p} g."""

    cols = None  # im2col(x), when the caller already has it

    def forward(self, x, w, b=None):
        n, _, h, width = x.shape
        f, _, kh, kw = w.shape
        out_hw = (conv_output_size(h, kh, self.stride[0], self.padding[0]),
                  conv_output_size(width, kw, self.stride[1], self.padding[1]))
        cols = self.cols if self.cols is not None else im2col(x, (kh, kw), self.stride, self.padding, out_hw)
        self.cols = cols  # reused by the weight gradient when no graph is recorded
        y = cols @ weight_matrix(w).T  # one GEMM: (N·P, K) @ (K, F)
        if b is not None:
            y += b  # in place, on the fresh product
        return channels_first(y, (n, *out_hw))

    def backward(self, g):
        x, w = self.inputs[:2]
        gx = conv_transpose2d_raw(g, w, self.stride, self.padding, x.shape[2:]) if x.requires_grad else None
        gw = None
        if w.requires_grad:
            cols = None if is_grad_enabled() else self.cols  # a saved array is only safe without a graph
            gw = conv2d_weight_grad(x, g, w.shape[2:], self.stride, self.padding, cols)
        return (gx, gw) + _bias_grads(self.inputs, g)


class ConvTranspose2d(Function):
    """x = Conv2dᵀ(y, w) (+ b), of spatial size ``out_hw``;  dy = Conv2d(g, w),  dw = Conv2dWeightGrad(g, y),
    db = Σ_{n,p} g."""

    def forward(self, y, w, b=None):
        n, f, ho, wo = y.shape
        _, c, kh, kw = w.shape
        rows = channels_last(y).reshape(n * ho * wo, f)
        # one (N·P, F) @ (F, C) product per kernel offset, stacked: (kh, kw, N·P, C). Offset-major, so that
        # each of col2im's adds reads one contiguous block (a single (N·P, F) @ (F, kh·kw·C) product
        # interleaves the offsets, and the adds were 40% slower on it)
        taps = rows @ array_module(w).ascontiguousarray(w.transpose(2, 3, 0, 1))
        return col2im(taps.reshape(kh, kw, n, ho, wo, c), (n, c, *self.out_hw), self.stride, self.padding, b)

    def backward(self, g):
        y, w = self.inputs[:2]
        cols = None  # both gradients need im2col(g); share it when no graph is recorded
        if not is_grad_enabled() and y.requires_grad and w.requires_grad:
            cols = im2col(g.data, w.shape[2:], self.stride, self.padding, y.shape[2:])
        gy = conv2d_raw(g, w, self.stride, self.padding, cols) if y.requires_grad else None
        gw = conv2d_weight_grad(g, y, w.shape[2:], self.stride, self.padding, cols) if w.requires_grad else None
        return (gy, gw) + _bias_grads(self.inputs, g)


class Conv2dWeightGrad(Function):
    """dw[f,c,i,j] = Σ_{n,p} y[n,f,p] · x_pad[n, c, s·p + (i,j)];  dx = ConvTranspose2d(y, g),  dy = Conv2d(x, g)."""

    cols = None  # im2col(x), when the caller already has it

    def forward(self, x, y):
        n, f, ho, wo = y.shape
        c = x.shape[1]
        kh, kw = self.kernel
        cols = self.cols if self.cols is not None else im2col(x, self.kernel, self.stride, self.padding, (ho, wo))
        rows = channels_last(y).reshape(n * ho * wo, f)
        gw = rows.T @ cols  # one GEMM: (F, N·P) @ (N·P, K)
        return array_module(gw).ascontiguousarray(gw.reshape(f, kh, kw, c).transpose(0, 3, 1, 2))

    def backward(self, g):
        x, y = self.inputs
        gx = conv_transpose2d_raw(y, g, self.stride, self.padding, x.shape[2:]) if x.requires_grad else None
        gy = conv2d_raw(x, g, self.stride, self.padding) if y.requires_grad else None
        return gx, gy


# ----------------------------------------------------------------------------- raw forms (no checks)


def _with_bias(a, b, bias) -> tuple:
    return (a, b) if bias is None else (a, b, bias)


def conv2d_raw(x, w, stride, padding, cols=None, bias=None) -> Tensor:
    """``cols`` may pass im2col(x) computed earlier (only when no graph is being recorded)."""
    return Conv2d.apply(*_with_bias(x, w, bias), stride=stride, padding=padding, cols=cols)


def conv_transpose2d_raw(y, w, stride, padding, out_hw, bias=None) -> Tensor:
    return ConvTranspose2d.apply(*_with_bias(y, w, bias), stride=stride, padding=padding, out_hw=tuple(out_hw))


def conv2d_weight_grad(x, y, kernel, stride, padding, cols=None) -> Tensor:
    """``cols`` may pass im2col(x) computed earlier (only when no graph is being recorded)."""
    return Conv2dWeightGrad.apply(x, y, kernel=tuple(kernel), stride=stride, padding=padding, cols=cols)


# ----------------------------------------------------------------------------- user-facing forms


def _check_4d(name: str, t: Tensor, what: str) -> None:
    if t.ndim != 4:
        raise ValueError(f"{name} expects a 4-D {what}, got shape {t.shape}")


def _check_geometry(name, stride, padding, output_padding=(0, 0)):
    if min(stride) < 1:
        raise ValueError(f"{name}: stride must be positive, got {stride}")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got padding={padding}, "
                         f"output_padding={output_padding}")


def _check_bias(name: str, b, channels: int) -> None:
    if b is not None and tuple(b.shape) != (channels,):
        raise ValueError(f"{name}: bias must have shape ({channels},) (one value per output channel), "
                         f"got {tuple(b.shape)}")


def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D cross-correlation. x (N, C, H, W), w (F, C, kh, kw), b (F,) → (N, F, Ho, Wo)."""
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    _check_4d("conv2d", x, "input (N, C, H, W)")
    _check_4d("conv2d", w, "weight (out_channels, in_channels, kh, kw)")
    _check_geometry("conv2d", stride, padding)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: weight of shape {w.shape} expects {w.shape[1]} input channels, "
                         f"got input of shape {x.shape}")
    for size, k, p, axis in zip(x.shape[2:], w.shape[2:], padding, ("height", "width")):
        if size + 2 * p < k:
            raise ValueError(f"conv2d: kernel {axis} {k} is larger than the padded input {axis} {size + 2 * p} "
                             f"(input {x.shape}, padding {p})")
    _check_bias("conv2d", b, w.shape[0])
    return conv2d_raw(x, w, stride, padding, bias=b)


def conv_transpose2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride=1, padding=0,
                     output_padding=0) -> Tensor:
    """Transposed convolution (the adjoint of conv2d). x (N, Cin, H, W), w (Cin, Cout, kh, kw).

    Output size: (H − 1)·stride − 2·padding + kh + output_padding.
    """
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding = _pair(output_padding, "output_padding")
    _check_4d("conv_transpose2d", x, "input (N, C, H, W)")
    _check_4d("conv_transpose2d", w, "weight (in_channels, out_channels, kh, kw)")
    _check_geometry("conv_transpose2d", stride, padding, output_padding)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"conv_transpose2d: weight of shape {w.shape} expects {w.shape[0]} input channels, "
                         f"got input of shape {x.shape}")
    if any(op >= s for op, s in zip(output_padding, stride)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than stride {stride}")
    out_hw = tuple((n - 1) * s - 2 * p + k + op
                   for n, s, p, k, op in zip(x.shape[2:], stride, padding, w.shape[2:], output_padding))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_hw} is not positive for input {x.shape}, "
                         f"kernel {w.shape[2:]}, stride {stride}, padding {padding}")
    _check_bias("conv_transpose2d", b, w.shape[1])
    return conv_transpose2d_raw(x, w, stride, padding, out_hw, bias=b)


# ----------------------------------------------------------------------------- 1-D forms (WaveGAN)


def _single(value, name: str, fn: str) -> int:
    v = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if not isinstance(v, int):
        raise ValueError(f"{fn}: {name} must be an int, got {value!r}")
    return v


def _check_3d(name: str, x: Tensor, w: Tensor, in_axis: int, what: str) -> None:
    if x.ndim != 3:
        raise ValueError(f"{name} expects a 3-D input (N, C, L), got shape {x.shape}")
    if w.ndim != 3:
        raise ValueError(f"{name} expects a 3-D weight {what}, got shape {w.shape}")
    if x.shape[1] != w.shape[in_axis]:
        raise ValueError(f"{name}: weight of shape {w.shape} expects {w.shape[in_axis]} input channels, "
                         f"got input of shape {x.shape}")


def conv1d(x: Tensor, w: Tensor, b: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """1-D cross-correlation: x (N, C, L), w (F, C, k), b (F,) → (N, F, ⌊(L + 2·padding − k) / stride⌋ + 1).

    The 2-D op on a height-1 image: y = conv2d(x as (N, C, 1, L), w as (F, C, 1, k)), stride (1, s),
    padding (0, p).
    """
    stride, padding = _single(stride, "stride", "conv1d"), _single(padding, "padding", "conv1d")
    _check_3d("conv1d", x, w, 1, "(out_channels, in_channels, k)")
    n, c, length = x.shape
    f, _, k = w.shape
    if length + 2 * padding < k:
        raise ValueError(f"conv1d: kernel size {k} is larger than the padded input length {length + 2 * padding} "
                         f"(input {x.shape}, padding {padding})")
    y = conv2d(x.reshape(n, c, 1, length), w.reshape(f, c, 1, k), b, (1, stride), (0, padding))
    return y.reshape(n, f, y.shape[3])


def conv_transpose1d(x: Tensor, w: Tensor, b: Tensor | None = None, stride=1, padding=0,
                     output_padding=0) -> Tensor:
    """1-D transposed convolution: x (N, Cin, L), w (Cin, Cout, k) → (N, Cout, (L − 1)·stride − 2·padding + k
    + output_padding), the 2-D op on a height-1 image."""
    stride, padding = _single(stride, "stride", "conv_transpose1d"), _single(padding, "padding", "conv_transpose1d")
    output_padding = _single(output_padding, "output_padding", "conv_transpose1d")
    _check_3d("conv_transpose1d", x, w, 0, "(in_channels, out_channels, k)")
    n, c, length = x.shape
    _, f, k = w.shape
    y = conv_transpose2d(x.reshape(n, c, 1, length), w.reshape(c, f, 1, k), b, (1, stride), (0, padding),
                         (0, output_padding))
    return y.reshape(n, f, y.shape[3])
