# %% [markdown]
# # Lesson 02 — Layers as linear algebra
#
# A DCGAN is built from three layers: convolution (the discriminator looks), transposed
# convolution (the generator paints) and batch normalisation (both keep their activations in
# range). None of them is mysterious once written as linear algebra:
#
# * a convolution is **one matrix product** after rearranging the input into columns (*im2col*);
# * a transposed convolution is the **adjoint** (the transpose) of that linear map — which is
#   also why it is the convolution's backward pass;
# * batch norm's backward is a **projection**: it removes from the upstream gradient its mean and
#   its least-squares fit on the normalised input.
#
# We check each claim numerically in float64: the products agree to 1e-10, the adjoint identity
# $\langle \mathrm{conv}(x), y\rangle = \langle x, \mathrm{conv}^\top(y)\rangle$ holds to 1e-10,
# and `mg.gradcheck` passes for all three layers.
#
# Run it: `python lessons/02_layers_as_linear_algebra.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
import minigan.nn.functional as F
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section
from minigan.ops.conv import conv_output_size, im2col, weight_matrix

TOL = 1e-10


def t64(array, requires_grad=False) -> mg.Tensor:
    return mg.tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=requires_grad)


# %% [markdown]
# ## 1. Convolution = im2col + one matrix product
#
# For input $x$ of shape $(N, C, H, W)$ and weight $w$ of shape $(F, C, k_h, k_w)$, output pixel
# $p$ of filter $f$ is a dot product between the filter and the window of $x$ that pixel sees:
#
# $$y[n, f, p] = \sum_{c, i, j} w[f, c, i, j]\; x_{\text{pad}}[n, c, s\,p + (i, j)].$$
#
# *im2col* copies every window into a row: `rows` has shape $(N H_o W_o,\; C k_h k_w)$. Then all
# the dot products at once are one matrix product, $\text{rows} \cdot W_{\text{mat}}^\top$ with
# $W_{\text{mat}} = w$ reshaped to $(F, C k_h k_w)$. We write im2col ourselves (a strided view of
# the windows, then one copy), compare with a plain loop over every output pixel (the
# definition), and with minigan's own `minigan.ops.conv.im2col`, which orders each row
# channels-last (all channels of a pixel side by side, for faster memory access) and reorders the
# weight to match with `weight_matrix`.


# %%
def conv_by_loops(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """The definition, one output pixel at a time."""
    n, c, h, width = x.shape
    f, _, kh, kw = w.shape
    ho, wo = conv_output_size(h, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((n, f, ho, wo))
    for b in range(n):
        for k in range(f):
            for i in range(ho):
                for j in range(wo):
                    window = xp[b, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[b, k, i, j] = np.sum(window * w[k])
    return y


def my_im2col(x: np.ndarray, kh: int, kw: int, stride: int, padding: int) -> tuple[np.ndarray, tuple]:
    """Rows (N·Ho·Wo, C·kh·kw): row (n, p) is the window output pixel p sees, flattened like w[f]."""
    n, c, h, width = x.shape
    ho, wo = conv_output_size(h, kh, stride, padding), conv_output_size(width, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    sn, sc, sh, sw = xp.strides
    windows = np.lib.stride_tricks.as_strided(  # a view, no copy: (N, Ho, Wo, C, kh, kw)
        xp, shape=(n, ho, wo, c, kh, kw), strides=(sn, sh * stride, sw * stride, sc, sh, sw))
    return windows.reshape(n * ho * wo, c * kh * kw), (n, ho, wo)  # the one copy


def conv_by_im2col(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    f, _, kh, kw = w.shape
    rows, (n, ho, wo) = my_im2col(x, kh, kw, stride, padding)
    y = rows @ w.reshape(f, -1).T  # ONE matrix product: (N·Ho·Wo, C·kh·kw) @ (C·kh·kw, F)
    return y.reshape(n, ho, wo, f).transpose(0, 3, 1, 2)


def conv_by_minigan_im2col(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """The same product with the library's im2col (channels-last rows) and matching weight matrix."""
    f, _, kh, kw = w.shape
    n, _, h, width = x.shape
    out_hw = (conv_output_size(h, kh, stride, padding), conv_output_size(width, kw, stride, padding))
    rows = im2col(x, (kh, kw), (stride, stride), (padding, padding), out_hw)
    y = rows @ weight_matrix(w).T
    return y.reshape(n, *out_hw, f).transpose(0, 3, 1, 2)


# %% [markdown]
# ## 2. The transposed convolution is the adjoint
#
# A convolution with fixed $w$ is a linear map $x \mapsto Mx$. Its adjoint $M^\top$ is defined by
#
# $$\langle Mx, y\rangle = \langle x, M^\top y\rangle \quad\text{for all } x, y.$$
#
# In im2col form, $M^\top y$ multiplies by $W_{\text{mat}}^\top$ and then *adds* every column
# back into the window it came from (*col2im*) — that is `F.conv_transpose2d` (whose weight
# layout is $(C_{in}, C_{out}, k_h, k_w)$, so the same array $w$ serves both). Two consequences:
#
# * the backward of a convolution w.r.t. its input is $\partial L/\partial x = M^\top\,\partial L/\partial y$
#   — a transposed convolution;
# * a transposed convolution with stride 2 maps a small image to a larger one: the generator's
#   upsampler. (It is not an inverse: $M^\top M \ne I$.)
#
# For a tiny layer we can write $M$ down, column by column, by convolving each basis image.


# %%
def dense_matrix(linear_map, in_shape: tuple) -> np.ndarray:
    """The matrix of a linear map on arrays of ``in_shape``: column k is map(e_k)."""
    size = int(np.prod(in_shape))
    columns = []
    for k in range(size):
        e = np.zeros(size)
        e[k] = 1.0
        columns.append(linear_map(e.reshape(in_shape)).ravel())
    return np.stack(columns, axis=1)


# %% [markdown]
# ## 3. Batch norm's backward, derived
#
# Over the statistics axes $A$ (batch, and space for images), with $m = |A|$:
#
# $$\mu = \tfrac1m\textstyle\sum x,\quad \sigma^2 = \tfrac1m\sum (x-\mu)^2,\quad
#   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y = \gamma\hat x + \beta.$$
#
# Write $\hat g = \gamma\, \partial L/\partial y$. $\hat x$ depends on $x$ directly and through
# $\mu$ and $\sigma$; using $\partial\mu/\partial x_i = 1/m$ and
# $\partial\sigma^2/\partial x_i = 2(x_i - \mu)/m$, the three paths add up to
#
# $$\frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
#   \Big(\hat g - \operatorname{mean}_A \hat g - \hat x\, \operatorname{mean}_A(\hat g\, \hat x)\Big),
#   \qquad \frac{\partial L}{\partial\gamma} = \textstyle\sum_A g\,\hat x,\quad
#   \frac{\partial L}{\partial\beta} = \sum_A g.$$
#
# Since $\hat x$ has mean 0 and variance 1 (up to $\epsilon$), $\operatorname{mean}(\hat g)$ and
# $\operatorname{mean}(\hat g\hat x)$ are the intercept and slope of the least-squares line of
# $\hat g$ on $\hat x$: **the gradient is the residual of that fit**, scaled by $1/\sigma$. So it
# sums to 0 and (for $\epsilon = 0$) is orthogonal to $\hat x$ — shifting or scaling a channel's input cannot change
# its normalised output, so the loss has no gradient in those directions.


# %%
def batchnorm_backward_by_hand(x, gamma, g, eps):
    """The formula above, in NumPy, for (N, C, H, W) input."""
    axes = (0, 2, 3)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    g_hat = g * gamma.reshape(1, -1, 1, 1)
    dx = inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                    - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))
    return dx, (g * x_hat).sum(axis=axes), g.sum(axis=axes), x_hat, g_hat, inv_std


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    out = output_dir("02_layers_as_linear_algebra", out_dir)
    results: dict = {}

    section("1. conv2d = im2col + one matrix product")
    n, c, h, f = (2, 3, 7, 4) if quick else (4, 3, 9, 5)
    x = rng.normal(size=(n, c, h, h))
    w = rng.normal(size=(f, c, 3, 3))
    for stride, padding in [(1, 0), (2, 1)]:
        loops = conv_by_loops(x, w, stride, padding)
        gemm = conv_by_im2col(x, w, stride, padding)
        library = conv_by_minigan_im2col(x, w, stride, padding)
        layer = F.conv2d(t64(x), t64(w), stride=stride, padding=padding).data
        err = max(np.abs(gemm - loops).max(), np.abs(library - loops).max(), np.abs(layer - loops).max())
        results[f"im2col_error_s{stride}_p{padding}"] = float(err)
        check(f"loops = our im2col GEMM = minigan im2col GEMM = F.conv2d "
              f"(stride {stride}, padding {padding}, output {gemm.shape})",
              float(err), err < TOL)

    section("2. the transposed convolution is the adjoint of the convolution")
    # a tiny layer, written as a matrix: 1 channel, 5x5 input, 3x3 kernel, stride 2, padding 1 -> 3x3
    wk = rng.normal(size=(1, 1, 3, 3))
    conv = lambda a: F.conv2d(t64(a), t64(wk), stride=2, padding=1).data  # noqa: E731
    convt = lambda b: F.conv_transpose2d(t64(b), t64(wk), stride=2, padding=1).data  # noqa: E731
    m_conv = dense_matrix(conv, (1, 1, 5, 5))  # (9, 25)
    m_convt = dense_matrix(convt, (1, 1, 3, 3))  # (25, 9)
    results["matrix_transpose_error"] = float(np.abs(m_convt - m_conv.T).max())
    print(f"  conv as a matrix: {m_conv.shape}; transposed conv as a matrix: {m_convt.shape}")
    check("matrix of conv_transpose2d = (matrix of conv2d)ᵀ", results["matrix_transpose_error"],
          results["matrix_transpose_error"] < TOL)

    # the adjoint identity on a realistic layer: 3 -> 8 channels, 4x4 kernel, stride 2, padding 1 (DCGAN)
    xs = rng.normal(size=(n, 3, 16, 16))
    ws = rng.normal(size=(8, 3, 4, 4))
    y_conv = F.conv2d(t64(xs), t64(ws), stride=2, padding=1).data
    ys = rng.normal(size=y_conv.shape)
    lhs = float(np.sum(y_conv * ys))
    rhs = float(np.sum(xs * F.conv_transpose2d(t64(ys), t64(ws), stride=2, padding=1).data))
    results["adjoint_lhs"], results["adjoint_rhs"] = lhs, rhs
    results["adjoint_error"] = abs(lhs - rhs)
    print(f"  <conv(x), y> = {lhs:.12f}\n  <x, convT(y)> = {rhs:.12f}")
    check("⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩", results["adjoint_error"], results["adjoint_error"] < TOL)

    # ... and so the convolution's backward w.r.t. its input is a transposed convolution
    xt = t64(xs, requires_grad=True)
    F.conv2d(xt, t64(ws), stride=2, padding=1).backward(ys)
    results["backward_is_convT_error"] = float(
        np.abs(xt.grad.data - F.conv_transpose2d(t64(ys), t64(ws), stride=2, padding=1).data).max())
    check("conv2d's backward w.r.t. x = conv_transpose2d(upstream gradient)",
          results["backward_is_convT_error"], results["backward_is_convT_error"] < TOL)

    section("3. batch norm's backward: the residual of a least-squares fit")
    eps = 1e-5
    xb = rng.normal(loc=3.0, scale=2.0, size=(16, 3, 4, 4))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    # an upstream gradient that is partly "shift the channel" and "scale the channel", plus noise
    standardised = (xb - xb.mean(axis=(0, 2, 3), keepdims=True)) / xb.std(axis=(0, 2, 3), keepdims=True)
    gb = 0.8 + 0.6 * standardised + 0.4 * rng.normal(size=xb.shape)
    xt, gt, bt = t64(xb, True), t64(gamma, True), t64(beta, True)
    F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps).backward(gb)
    dx, dgamma, dbeta, x_hat, g_hat, inv_std = batchnorm_backward_by_hand(xb, gamma, gb, eps)
    err = max(np.abs(xt.grad.data - dx).max(), np.abs(gt.grad.data - dgamma).max(),
              np.abs(bt.grad.data - dbeta).max())
    results["batchnorm_hand_error"] = float(err)
    check("hand-derived dx, dγ, dβ = backward()", float(err), err < TOL)
    sums = np.abs(xt.grad.data.sum(axis=(0, 2, 3))).max()
    # orthogonality to x̂ is exact for ε = 0 (with ε > 0, mean x̂² = σ²/(σ² + ε) is not quite 1)
    x0 = t64(xb, True)
    F.batch_norm(x0, None, None, t64(gamma), t64(beta), training=True, eps=0.0).backward(gb)
    ortho = np.abs((x0.grad.data * standardised).sum(axis=(0, 2, 3))).max()
    results["batchnorm_grad_sum"], results["batchnorm_grad_dot_xhat"] = float(sums), float(ortho)
    check("Σ dx = 0 per channel (shift invariance)", float(sums), sums < TOL)
    check("Σ dx · x̂ = 0 per channel (scale invariance; ε = 0)", float(ortho), ortho < TOL)

    section("4. gradcheck for all three layers (float64, central differences)")
    s = 5 if quick else 6
    xg = t64(rng.normal(size=(2, 2, s, s)), True)
    wg = t64(rng.normal(size=(3, 2, 3, 3)), True)
    bg = t64(rng.normal(size=3), True)
    ok_conv = mg.gradcheck(lambda a, k, b: F.conv2d(a, k, b, stride=2, padding=1), (xg, wg, bg))
    wt = t64(rng.normal(size=(2, 3, 4, 4)), True)
    ok_convt = mg.gradcheck(lambda a, k, b: F.conv_transpose2d(a, k, b, stride=2, padding=1), (xg, wt, bg))
    xn = t64(rng.normal(size=(4, 3, 3, 3)), True)
    gn, bn = t64(rng.normal(size=3), True), t64(rng.normal(size=3), True)
    ok_bn = mg.gradcheck(lambda a, g_, b_: F.batch_norm(a, None, None, g_, b_, training=True), (xn, gn, bn))
    results["gradcheck"] = {"conv2d": bool(ok_conv), "conv_transpose2d": bool(ok_convt), "batch_norm": bool(ok_bn)}
    for name, ok in results["gradcheck"].items():
        check(f"gradcheck {name}", ok, ok)

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 3, figsize=(12, 4.2), gridspec_kw=dict(width_ratios=[25, 9, 9]))
    lim = np.abs(m_conv).max()
    ax[0].imshow(m_conv, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax[0].set_title("M: conv2d as a 9×25 matrix\n(5×5 in, 3×3 kernel, stride 2, pad 1)")
    ax[0].set_xlabel("input pixel")
    ax[0].set_ylabel("output pixel")
    ax[1].imshow(m_convt, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax[1].set_title("conv_transpose2d\nas a 25×9 matrix")
    ax[1].set_xlabel("input pixel (3×3)")
    ax[1].set_ylabel("output pixel (5×5)")
    ax[2].imshow(m_convt - m_conv.T, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax[2].set_title(f"difference with Mᵀ\n(max {results['matrix_transpose_error']:.0e})")
    ax[2].set_xlabel("input pixel (3×3)")
    save_figure(fig, out, "conv_matrix.png")

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ch = 0
    xh, gh = x_hat[:, ch].ravel(), g_hat[:, ch].ravel()
    order = np.argsort(xh)
    intercept, slope = gh.mean(), (gh * xh).mean()
    ax[0].scatter(xh, gh, s=8, label="ĝ = γ · ∂L/∂y")
    ax[0].plot(xh[order], intercept + slope * xh[order], "C3",
               label=f"least-squares line {intercept:.2f} {slope:+.2f} x̂")
    ax[0].set_xlabel("x̂ (normalised input)")
    ax[0].set_title("upstream gradient of one channel")
    ax[0].legend(fontsize=8)
    ax[1].scatter(xh, xt.grad.data[:, ch].ravel() / inv_std[0, ch, 0, 0], s=8, color="C2",
                  label="∂L/∂x · σ  (from backward())")
    ax[1].axhline(0, color="grey", lw=0.5)
    ax[1].set_ylim(ax[0].get_ylim())
    ax[1].set_xlabel("x̂ (normalised input)")
    ax[1].set_title("batch-norm backward = residual of that fit")
    ax[1].legend(fontsize=8)
    save_figure(fig, out, "batchnorm_backward.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
