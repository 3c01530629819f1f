"""The fast tier's compiled loops (numba, the optional extra ``fast``): each the loop that states its maths.

These are the passes over memory around the matrix products of a step. Written in NumPy they are a chain
of single-threaded passes (a temporary per operator); written as one loop, numba compiles them to one
fused pass, split over the threads with ``prange``. Each loop is tested equal to the textbook twin of its
op (tests/test_compiled.py). They take and return host (NumPy) arrays only; minigan/compiled.py decides
when they run (layouts, dtypes, the tier) and imports this module, and so numba, on first use only.
Compiled code is cached on disk (``cache=True``): a process compiles each loop at most once per dtype and
layout, and later processes load it.

Layouts: images are handled channels-last, (N, H, W, C), the memory order of every activation between
layers (see ops/conv.py); per-channel work sees the rows (M, C) of that layout, M = N·H·W, and sums them
in ``blocks`` row blocks (one per thread; 1 ≤ blocks ≤ M) with float64 partial sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# ----------------------------------------------------------------------------- im2col and col2im


@njit(parallel=True, cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, ho, wo):
    """cols[n, p, q, i, j, c] = x_pad[n, s·(p, q) + (i, j), c], x (N, H, W, C) channels-last, zero outside.

    One output row (n, p) per task; the padding is never materialised (a window pixel outside x is 0).
    """
    n, h, w, c = x.shape
    cols = np.empty((n, ho, wo, kh, kw, c), dtype=x.dtype)
    for task in prange(n * ho):
        b, p = task // ho, task % ho
        for q in range(wo):
            for i in range(kh):
                u = p * sh + i - ph
                for j in range(kw):
                    v = q * sw + j - pw
                    if 0 <= u < h and 0 <= v < w:
                        for ch in range(c):
                            cols[b, p, q, i, j, ch] = x[b, u, v, ch]
                    else:
                        for ch in range(c):
                            cols[b, p, q, i, j, ch] = 0
    return cols


@njit(parallel=True, cache=True)
def col2im(taps, h, w, sh, sw, ph, pw, bias):
    """The adjoint of im2col, gathered: x[n, u, v, c] = bias[c] + Σ_{(i, j, p, q): s·(p, q) + (i, j) − pad = (u, v)}
    taps[i, j, n, p, q, c], taps (kh, kw, N, Ho, Wo, C) → x (N, H, W, C).

    Each input pixel sums the windows that saw it (p = (u + pad − i)/s where that is a whole number in
    range), so every output is written once and the tasks (n, u) never touch the same memory.
    """
    kh, kw, n, ho, wo, c = taps.shape
    x = np.empty((n, h, w, c), dtype=taps.dtype)
    for task in prange(n * h):
        b, u = task // h, task % h
        for v in range(w):
            for ch in range(c):
                x[b, u, v, ch] = bias[ch]
            for i in range(kh):
                t = u + ph - i
                if t < 0 or t % sh != 0 or t // sh >= ho:
                    continue
                p = t // sh
                for j in range(kw):
                    t2 = v + pw - j
                    if t2 < 0 or t2 % sw != 0 or t2 // sw >= wo:
                        continue
                    q = t2 // sw
                    for ch in range(c):
                        x[b, u, v, ch] += taps[i, j, b, p, q, ch]
    return x


# ----------------------------------------------------------------------------- per-channel sums


@njit(parallel=True, cache=True)
def channel_sum(g, blocks):
    """Σ_rows g[r, c] per channel c (float64 accumulators), g (M, C): a bias gradient Σ_{n,p} g."""
    m, c = g.shape
    size = -(-m // blocks)
    partial = np.zeros((blocks, c))
    for k in prange(blocks):
        for r in range(k * size, min(m, (k + 1) * size)):
            for ch in range(c):
                partial[k, ch] += g[r, ch]
    return partial.sum(axis=0).astype(g.dtype)


@njit(parallel=True, cache=True)
def batch_norm_forward(x, gamma, beta, eps, blocks):
    """μ = mean_r x,  σ² = mean_r (x − μ)² (two passes, as the textbook),  y = γ (x − μ)/√(σ² + ε) + β.

    x (M, C) → y (M, C), μ (C,), σ² (C,), 1/√(σ² + ε) (C,).
    """
    m, c = x.shape
    size = -(-m // blocks)
    partial = np.zeros((blocks, c))
    for k in prange(blocks):
        for r in range(k * size, min(m, (k + 1) * size)):
            for ch in range(c):
                partial[k, ch] += x[r, ch]
    mean = partial.sum(axis=0) / m
    partial[:] = 0
    for k in prange(blocks):
        for r in range(k * size, min(m, (k + 1) * size)):
            for ch in range(c):
                d = x[r, ch] - mean[ch]
                partial[k, ch] += d * d
    var = partial.sum(axis=0) / m
    inv_std = 1 / np.sqrt(var + eps)
    mu = mean.astype(x.dtype)
    scale = (gamma * inv_std).astype(x.dtype)
    shift = beta.astype(x.dtype)
    y = np.empty_like(x)
    for r in prange(m):
        for ch in range(c):
            y[r, ch] = (x[r, ch] - mu[ch]) * scale[ch] + shift[ch]
    return y, mu, var.astype(x.dtype), inv_std.astype(x.dtype)


@njit(parallel=True, cache=True)
def batch_norm_backward(g, x, mean, inv_std, gamma, blocks):
    """With x̂ = (x − μ)/σ and ĝ = γ g:  dx = (1/σ)(ĝ − mean_r ĝ − x̂ · mean_r(ĝ x̂)),
    dγ = Σ_r g x̂,  dβ = Σ_r g.  One pass for the two sums per channel, one for dx.

    g, x (M, C), μ, 1/σ, γ (C,) → dx (M, C), dγ (C,), dβ (C,).
    """
    m, c = g.shape
    size = -(-m // blocks)
    sum_g = np.zeros((blocks, c))
    sum_g_hat = np.zeros((blocks, c))  # Σ g x̂
    for k in prange(blocks):
        for r in range(k * size, min(m, (k + 1) * size)):
            for ch in range(c):
                sum_g[k, ch] += g[r, ch]
                sum_g_hat[k, ch] += g[r, ch] * ((x[r, ch] - mean[ch]) * inv_std[ch])
    d_beta, d_gamma = sum_g.sum(axis=0), sum_g_hat.sum(axis=0)
    scale = (gamma * inv_std).astype(g.dtype)  # dx = γ/σ · (g − dβ/m − x̂ · dγ/m)
    mean_g = (d_beta / m).astype(g.dtype)
    mean_g_hat = (d_gamma / m).astype(g.dtype)
    gx = np.empty_like(g)
    for r in prange(m):
        for ch in range(c):
            x_hat = (x[r, ch] - mean[ch]) * inv_std[ch]
            gx[r, ch] = scale[ch] * (g[r, ch] - mean_g[ch] - x_hat * mean_g_hat[ch])
    return gx, d_gamma.astype(g.dtype), d_beta.astype(g.dtype)


# ----------------------------------------------------------------------------- activations (flat arrays)


@njit(parallel=True, cache=True)
def leaky_relu(a, s):
    """y = a where a > 0, else s·a."""
    y = np.empty_like(a)
    for k in prange(a.size):
        y[k] = a[k] if a[k] > 0 else s * a[k]
    return y


@njit(parallel=True, cache=True)
def leaky_relu_backward(g, a, s):
    """da = g where a > 0, else s·g."""
    da = np.empty_like(g)
    for k in prange(g.size):
        da[k] = g[k] if a[k] > 0 else s * g[k]
    return da


@njit(parallel=True, cache=True)
def relu_backward(g, a):
    """da = g where a > 0, else 0."""
    da = np.empty_like(g)
    for k in prange(g.size):
        da[k] = g[k] if a[k] > 0 else g[k] * 0  # g · [a > 0], NaN stays NaN
    return da


@njit(parallel=True, cache=True)
def tanh_backward(g, y):
    """da = g (1 − y²), y = tanh a."""
    da = np.empty_like(g)
    for k in prange(g.size):
        da[k] = g[k] * (1 - y[k] * y[k])
    return da


# ----------------------------------------------------------------------------- Adam


@njit(parallel=True, cache=True)
def adam(p, g, m, v, beta1, beta2, step_size, eps_hat):
    """In place, per element:  m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  p ← p − α̂ m / (√v + ε̂),

    with α̂ = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and ε̂ = eps·√(1 − β₂ᵗ): the same as lr · m̂ / (√v̂ + eps).
    """
    for k in prange(p.size):
        m[k] = beta1 * m[k] + (1 - beta1) * g[k]
        v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
        p[k] -= step_size * m[k] / (np.sqrt(v[k]) + eps_hat)
