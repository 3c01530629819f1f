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

im2col and col2im come in two tiers (``mg.set_kernels``): the textbook ones
loop over the kernel offsets (i, j) and copy or add one strided slice per
offset, as in DeZero; the fast ones read the windows as a strided view
(im2col) and add each offset into one residue-class plane of the input
(col2im). Tests check that both tiers agree.
"""

from __future__ import annotations

from .. import compiled, kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ..backend import array_module
from .reduce import sum


def as_pair(value, name: str) -> tuple[int, int]:
    """(v, v) for an int v, the pair itself for a pair of ints (a kernel size, stride or padding)."""
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """A convolution's output size: ⌊(size + 2·padding − kernel) / stride⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def conv_transpose_output_size(size: int, kernel: int, stride: int, padding: int, output_padding: int = 0) -> int:
    """A transposed convolution's output size: (size − 1)·stride − 2·padding + kernel + output_padding."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


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

    No copy: the ops between layers (batch norm, ReLU, LeakyReLU and their backwards) write their results
    into ``empty_like`` of their input, which keeps this memory order on both backends (NumPy's own
    elementwise results would keep it too, CuPy's are C-ordered), so the next convolution finds its input
    already channels-last, and the layout between layers costs nothing.
    """
    n, h, w = shape_nhw
    return y.reshape(n, h, w, -1).transpose(0, 3, 1, 2)


# ----------------------------------------------------------------------------- im2col and col2im, two tiers


def im2col_textbook(x, kernel, stride, padding, out_hw):
    """Rows (N·Ho·Wo, kh·kw·C): one row per output pixel p, holding the window it sees,
    row[p, (i, j, c)] = x_pad[n, c, s·p + (i, j)]. One strided slice per kernel offset (i, j)."""
    xp = array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel, stride, padding, out_hw
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, ho, wo, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = x_pad[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw].transpose(0, 2, 3, 1)
    return cols.reshape(n * ho * wo, kh * kw * c)


def col2im_textbook(cols, x_shape, kernel, stride, padding, out_hw):
    """The adjoint of im2col: add every row's window back where it came from → (N, C, H, W).
    x_pad[n, c, s·p + (i, j)] += cols[p, (i, j, c)], one strided slice per offset, then drop the padding."""
    xp = array_module(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel, stride, padding, out_hw
    windows = cols.reshape(n, ho, wo, kh, kw, c)
    x_pad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x_pad[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw] += windows[:, :, :, i, j, :].transpose(0, 3, 1, 2)
    return x_pad[:, :, ph:ph + h, pw:pw + w]


def im2col(x, kernel, stride, padding, out_hw):
    """im2col_textbook's rows, fast: the windows are a strided *view* of the channels-last padded input
    (shape (N, Ho, Wo, kh, kw, C)), and the reshape is the one copy."""
    if kernels.textbook():
        return im2col_textbook(x, kernel, stride, padding, out_hw)
    cols = compiled.im2col(x, kernel, stride, padding, out_hw)  # the loop over windows, where numba runs
    if cols is not None:
        return cols
    xp = array_module(x)
    x_pad = channels_last(x, padding)
    n, _, _, c = x_pad.shape
    sn, sh, sw, sc = x_pad.strides
    (kh, kw), (ho, wo) = kernel, out_hw
    windows = xp.lib.stride_tricks.as_strided(
        x_pad, shape=(n, ho, wo, kh, kw, c), strides=(sn, sh * stride[0], sw * stride[1], sh, sw, sc))
    return windows.reshape(n * ho * wo, kh * kw * c)


def _plane_range(offset, padding, stride, out_size, plane_size):
    """Where kernel offset ``offset`` sends window p: input index u = s·p + offset − pad = s·(p + shift) + residue.
    Returns the residue, the shift, and the window range [first, last) that lands inside the plane."""
    residue, shift = (offset - padding) % stride, (offset - padding) // stride
    first = max(0, -shift)
    return residue, shift, first, max(first, min(out_size, plane_size - shift))


def col2im(taps, x_shape, stride, padding, bias=None):
    """col2im_textbook, fast → (N, C, H, W), stored channels-last; the sums start from ``bias`` (C,), else 0.

    ``taps`` (kh, kw, N, Ho, Wo, C) holds, for each kernel offset, the contribution of every window
    (col2im_textbook's cols, offset-major). With stride s the input pixels u ≡ r (mod s) form a plane of
    their own, of ⌈H/s⌉ × ⌈W/s⌉ pixels, and each offset adds into one plane with unit strides on both
    sides; the planes are then interleaved into x: x[n, s·a + r, s·b + t] = planes[r, t, n, a, b].
    """
    kh, kw, n, ho, wo, c = taps.shape
    if kernels.textbook():
        cols = taps.transpose(2, 3, 4, 0, 1, 5).reshape(n * ho * wo, kh * kw * c)
        x = col2im_textbook(cols, x_shape, (kh, kw), stride, padding, (ho, wo))
        return x if bias is None else x + bias.reshape(1, -1, 1, 1)
    x = compiled.col2im(taps, x_shape, stride, padding, bias)  # each pixel gathers its windows, where numba runs
    if x is not None:
        return x
    xp = array_module(taps)
    h, w = x_shape[2:]
    (sh, sw), (ph, pw) = stride, padding
    plane_h, plane_w = -(-h // sh), -(-w // sw)
    planes = xp.empty((sh, sw, n, plane_h, plane_w, c), dtype=taps.dtype)
    planes[...] = 0 if bias is None else bias
    columns = [_plane_range(j, pw, sw, wo, plane_w) for j in range(kw)]
    for i in range(kh):
        row_residue, row_shift, row_first, row_last = _plane_range(i, ph, sh, ho, plane_h)
        rows = slice(row_first + row_shift, row_last + row_shift)
        for j, (col_residue, col_shift, col_first, col_last) in enumerate(columns):
            cols = slice(col_first + col_shift, col_last + col_shift)
            planes[row_residue, col_residue, :, rows, cols, :] += taps[i, j, :, row_first:row_last,
                                                                      col_first:col_last, :]
    # interleave (one copy; none for stride 1), then drop the rows and columns past H and W
    x = planes.transpose(2, 3, 0, 4, 1, 5).reshape(n, plane_h * sh, plane_w * sw, c)[:, :h, :w, :]
    return x.transpose(0, 3, 1, 2)  # a channels-last view, as channels_first


def weight_matrix(w):
    """(F, C, kh, kw) → (F, kh·kw·C), matching the column order of im2col."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _bias_grads(inputs, g) -> tuple:
    """(db,) with db = Σ_{n,p} g when the op was given a bias (a third input), else ()."""
    if len(inputs) < 3:
        return ()
    if not inputs[2].requires_grad:
        return (None,)
    db = None if is_grad_enabled() else compiled.channel_sum(g.data)
    return (sum(g, (0, 2, 3)) if db is None else Tensor(db),)


def _with_bias(x, w, b) -> tuple:
    return (x, w) if b is None else (x, w, b)


# ----------------------------------------------------------------------------- the three ops


class Conv2d(Function):
    """y = x ⋆ w (+ b);  dx = ConvTranspose2d(g, w),  dw = Conv2dWeightGrad(x, g),  db = Σ_{n,p} g.

    ``cols`` may pass im2col(x) computed earlier (only when no graph is being recorded).
    """

    def __init__(self, stride: tuple[int, int], padding: tuple[int, int], cols=None):
        self.stride, self.padding, self.cols = stride, padding, cols

    def forward(self, x, w, b=None):
        n, _, h, width = x.shape
        f, _, kh, kw = w.shape
        out_hw = (conv_output_size(h, kh, self.stride[0], self.padding[0]),
                  conv_output_size(width, kw, self.stride[1], self.padding[1]))
        cols = self.cols if self.cols is not None else im2col(x, (kh, kw), self.stride, self.padding, out_hw)
        self.cols = None if kernels.textbook() else cols  # fast: reused by the weight gradient (no graph)
        y = cols @ weight_matrix(w).T  # one GEMM: (N·P, K) @ (K, F)
        if b is not None:
            y += b  # in place, on the fresh product
        return channels_first(y, (n, *out_hw))

    def backward(self, g):
        x, w = self.inputs[:2]
        gx = None
        if x.requires_grad:
            gx = ConvTranspose2d.apply(g, w, stride=self.stride, padding=self.padding, out_hw=x.shape[2:])
        gw = None
        if w.requires_grad:
            cols = None if is_grad_enabled() else self.cols  # a saved array is only safe without a graph
            gw = Conv2dWeightGrad.apply(x, g, kernel=w.shape[2:], stride=self.stride, padding=self.padding,
                                        cols=cols)
        return (gx, gw) + _bias_grads(self.inputs, g)


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
    stride, padding = as_pair(stride, "stride"), as_pair(padding, "padding")
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
    return Conv2d.apply(*_with_bias(x, w, b), stride=stride, padding=padding)


class ConvTranspose2d(Function):
    """x = Conv2dᵀ(y, w) (+ b), of spatial size ``out_hw``;  dy = Conv2d(g, w),  dw = Conv2dWeightGrad(g, y),
    db = Σ_{n,p} g."""

    def __init__(self, stride: tuple[int, int], padding: tuple[int, int], out_hw: tuple[int, int]):
        self.stride, self.padding, self.out_hw = stride, padding, tuple(out_hw)

    def forward(self, y, w, b=None):
        n, f, ho, wo = y.shape
        _, c, kh, kw = w.shape
        rows = channels_last(y).reshape(n * ho * wo, f)
        if kernels.textbook():  # cols = rows @ W_mat: (N·P, F) @ (F, kh·kw·C), then col2im
            x = col2im_textbook(rows @ weight_matrix(w), (n, c, *self.out_hw), (kh, kw), self.stride,
                                self.padding, (ho, wo))
            return x if b is None else x + b.reshape(1, -1, 1, 1)
        # the same products, offset-major: (kh, kw, N·P, C), so that each of col2im's adds reads one block
        taps = rows @ array_module(w).ascontiguousarray(w.transpose(2, 3, 0, 1))
        return col2im(taps.reshape(kh, kw, n, ho, wo, c), (n, c, *self.out_hw), self.stride, self.padding, b)

    def backward(self, g):
        y, w = self.inputs[:2]
        cols = None  # fast: both gradients need im2col(g); share it when no graph is recorded
        if not kernels.textbook() and not is_grad_enabled() and y.requires_grad and w.requires_grad:
            cols = im2col(g.data, w.shape[2:], self.stride, self.padding, y.shape[2:])
        gy = Conv2d.apply(g, w, stride=self.stride, padding=self.padding, cols=cols) if y.requires_grad else None
        gw = None
        if w.requires_grad:
            gw = Conv2dWeightGrad.apply(g, y, kernel=w.shape[2:], stride=self.stride, padding=self.padding,
                                        cols=cols)
        return (gy, gw) + _bias_grads(self.inputs, g)


def conv_transpose2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride=1, padding=0,
                     output_padding=0) -> Tensor:
    """Transposed convolution (the adjoint of conv2d). x (N, Cin, H, W), w (Cin, Cout, kh, kw).

    Output size: (H − 1)·stride − 2·padding + kh + output_padding.
    """
    stride, padding = as_pair(stride, "stride"), as_pair(padding, "padding")
    output_padding = as_pair(output_padding, "output_padding")
    _check_4d("conv_transpose2d", x, "input (N, C, H, W)")
    _check_4d("conv_transpose2d", w, "weight (in_channels, out_channels, kh, kw)")
    _check_geometry("conv_transpose2d", stride, padding, output_padding)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"conv_transpose2d: weight of shape {w.shape} expects {w.shape[0]} input channels, "
                         f"got input of shape {x.shape}")
    if any(op >= s for op, s in zip(output_padding, stride)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than stride {stride}")
    out_hw = tuple(conv_transpose_output_size(n, k, s, p, op)
                   for n, s, p, k, op in zip(x.shape[2:], stride, padding, w.shape[2:], output_padding))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: output size {out_hw} is not positive for input {x.shape}, "
                         f"kernel {w.shape[2:]}, stride {stride}, padding {padding}")
    _check_bias("conv_transpose2d", b, w.shape[1])
    return ConvTranspose2d.apply(*_with_bias(x, w, b), stride=stride, padding=padding, out_hw=out_hw)


class Conv2dWeightGrad(Function):
    """dw[f,c,i,j] = Σ_{n,p} y[n,f,p] · x_pad[n, c, s·p + (i,j)];  dx = ConvTranspose2d(y, g),  dy = Conv2d(x, g).

    ``cols`` may pass im2col(x) computed earlier (only when no graph is being recorded).
    """

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int], cols=None):
        self.kernel, self.stride, self.padding, self.cols = tuple(kernel), stride, padding, cols

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
        gx = None
        if x.requires_grad:
            gx = ConvTranspose2d.apply(y, g, stride=self.stride, padding=self.padding, out_hw=x.shape[2:])
        gy = Conv2d.apply(x, g, stride=self.stride, padding=self.padding) if y.requires_grad else None
        return gx, gy


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
