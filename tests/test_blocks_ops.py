"""The ops of the later GANs: interpolate, avg_pool2d, pixel (un)shuffle, pad, group / instance / adaptive
instance / pixel norm, prelu, conv1d, conv_transpose1d. Each forward against an independent NumPy
reference (written from the definition, element by element or with NumPy's own routines) and PyTorch
(float64) when installed; gradcheck and gradgradcheck over shapes and arguments drawn by hypothesis."""

import math

import numpy as np
import pytest
from conftest import on_device, t64, to_np
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
import minigan.nn.functional as F

# ----------------------------------------------------------------------------- NumPy references


def ref_source(d, n_in, n_out, scale, mode, align):
    """PyTorch's source coordinate of output index d (scalar arithmetic, one index at a time)."""
    if mode == "nearest":
        s = n_in / n_out if scale is None else 1.0 / scale
        return min(math.floor(d * s), n_in - 1)
    if align:
        return d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    s = n_in / n_out if scale is None else 1.0 / scale
    return max(s * (d + 0.5) - 0.5, 0.0)


def ref_interpolate(x, out_sizes, scales, mode, align):
    """Per output element: gather the 1 (nearest) or 2ᵈ (linear) neighbours and weight them."""
    spatial = x.shape[2:]
    y = np.zeros(x.shape[:2] + tuple(out_sizes))
    for idx in np.ndindex(*out_sizes):
        taps = [[]]
        for d, n_in, n_out, s in zip(idx, spatial, out_sizes, scales):
            src = ref_source(d, n_in, n_out, s, mode, align)
            if mode == "nearest":
                options = [(int(src), 1.0)]
            else:
                i0 = int(math.floor(src))
                lam = src - i0
                options = [(i0, 1 - lam), (min(i0 + 1, n_in - 1), lam)]
            taps = [t + [o] for t in taps for o in options]
        for tap in taps:
            where = tuple(i for i, _ in tap)
            weight = np.prod([w for _, w in tap])
            y[(slice(None), slice(None)) + idx] += weight * x[(slice(None), slice(None)) + where]
    return y


def ref_avg_pool(x, k, s, p, count_include_pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    inside = np.pad(np.ones((h, w)), ((p[0], p[0]), (p[1], p[1])))
    ho, wo = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = (slice(i * s[0], i * s[0] + k[0]), slice(j * s[1], j * s[1] + k[1]))
            count = k[0] * k[1] if count_include_pad else inside[win].sum()
            y[:, :, i, j] = xp[(slice(None), slice(None)) + win].sum(axis=(2, 3)) / count
    return y


def ref_pixel_shuffle(x, r):
    n, c, h, w = x.shape
    y = np.zeros((n, c // (r * r), h * r, w * r))
    for ci in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                y[:, ci, i::r, j::r] = x[:, ci * r * r + i * r + j]
    return y


def ref_standardize(x, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def ref_group_norm(x, g, weight, bias, eps):
    n, c = x.shape[:2]
    y = ref_standardize(x.reshape(n, g, -1), (2,), eps).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * weight.reshape(shape) + bias.reshape(shape)


def ref_conv1d(x, w, b, s, p):
    n, c, length = x.shape
    f, _, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    lo = (length + 2 * p - k) // s + 1
    y = np.zeros((n, f, lo))
    for i in range(lo):
        y[:, :, i] = np.einsum("nck,fck->nf", xp[:, :, i * s:i * s + k], w)
    return y + (0 if b is None else b[None, :, None])


def ref_conv_transpose1d(x, w, b, s, p, op):
    n, c, length = x.shape
    _, f, k = w.shape
    full = np.zeros((n, f, (length - 1) * s + k + op))
    for i in range(length):
        full[:, :, i * s:i * s + k] += np.einsum("nc,cfk->nfk", x[:, :, i], w)
    lo = (length - 1) * s - 2 * p + k + op
    y = full[:, :, p:p + lo]
    return y + (0 if b is None else b[None, :, None])


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def check_torch(ours, fn_name, *args, **kwargs):
    """Compare with torch.nn.functional.<fn_name> on float64 copies (skipped without PyTorch)."""
    torch = torch_or_none()
    if torch is None:
        return
    def convert(a):
        return torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray) else a

    theirs = getattr(torch.nn.functional, fn_name)(*map(convert, args),
                                                    **{k: convert(v) for k, v in kwargs.items()}).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def check_grads(fn, *arrays, second=True):
    inputs = tuple(t64(a) for a in arrays)
    assert mg.gradcheck(fn, inputs)
    if second:
        assert mg.gradgradcheck(fn, inputs)


# ----------------------------------------------------------------------------- interpolate


@settings(max_examples=20)
@given(n=st.integers(1, 2), c=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 6),
       mode=st.sampled_from(["nearest", "bilinear"]), align=st.booleans(), by_size=st.booleans(), data=st.data())
def test_interpolate_2d(n, c, h, w, mode, align, by_size, data):
    x = np.random.default_rng(h * 7 + w).standard_normal((n, c, h, w))
    align = align if mode == "bilinear" else None
    if by_size:
        size = (data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9)))
        kwargs, scales = dict(size=size), (None, None)
        out = size
    else:
        scales = (data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])),
                  data.draw(st.sampled_from([0.75, 1.0, 2.0, 3.0])))
        out = tuple(int(math.floor(n_ * s)) for n_, s in zip((h, w), scales))
        if min(out) < 1:
            return
        kwargs = dict(scale_factor=scales)
    y = to_np(F.interpolate(t64(x), mode=mode, align_corners=align, **kwargs))
    np.testing.assert_allclose(y, ref_interpolate(x, out, scales, mode, bool(align)), rtol=1e-12, atol=1e-12)
    check_torch(y, "interpolate", x, mode=mode, align_corners=align, **kwargs)
    check_grads(lambda a: F.interpolate(a, mode=mode, align_corners=align, **kwargs), x)


@settings(max_examples=10)
@given(n=st.integers(1, 2), length=st.integers(1, 7), size=st.integers(1, 12),
       mode=st.sampled_from(["nearest", "linear"]), align=st.booleans())
def test_interpolate_1d(n, length, size, mode, align):
    x = np.random.default_rng(length).standard_normal((n, 2, length))
    align = align if mode == "linear" else None
    y = to_np(F.interpolate(t64(x), size=size, mode=mode, align_corners=align))
    np.testing.assert_allclose(y, ref_interpolate(x, (size,), (None,), mode, bool(align)), atol=1e-12)
    check_torch(y, "interpolate", x, size=size, mode=mode, align_corners=align)
    check_grads(lambda a: F.interpolate(a, size=size, mode=mode, align_corners=align), x)


def test_interpolate_integer_nearest_is_a_block_repeat(rng):
    x = rng.standard_normal((1, 2, 2, 3))
    up = to_np(F.interpolate(t64(x), scale_factor=(2, 3)))
    np.testing.assert_array_equal(up, x.repeat(2, axis=2).repeat(3, axis=3))


def test_interpolate_errors():
    x = mg.randn(1, 2, 3, 3)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"mode for 4-D input must be one of nearest, bilinear, got 'linear'"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="align_corners only applies"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate expects input of shape .* got \(2, 3\)"):
        F.interpolate(mg.randn(2, 3), scale_factor=2)
    with pytest.raises(ValueError, match=r"size must be a positive int or 2 positive ints .* got \(1, 2, 3\)"):
        F.interpolate(x, size=(1, 2, 3))


# ----------------------------------------------------------------------------- avg_pool2d


@settings(max_examples=20)
@given(n=st.integers(1, 2), h=st.integers(2, 6), w=st.integers(2, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
       sh=st.integers(1, 3), sw=st.integers(1, 3), pad=st.integers(0, 1), include=st.booleans())
def test_avg_pool2d(n, h, w, kh, kw, sh, sw, pad, include):
    p = (min(pad, kh // 2), min(pad, kw // 2))
    if h + 2 * p[0] < kh or w + 2 * p[1] < kw:
        return
    x = np.random.default_rng(h + 10 * w).standard_normal((n, 2, h, w))
    kwargs = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=p, count_include_pad=include)
    y = to_np(F.avg_pool2d(t64(x), **kwargs))
    np.testing.assert_allclose(y, ref_avg_pool(x, (kh, kw), (sh, sw), p, include), atol=1e-12)
    check_torch(y, "avg_pool2d", x, **kwargs)
    check_grads(lambda a: F.avg_pool2d(a, **kwargs), x)


def test_avg_pool2d_non_overlapping_default_stride(rng):
    x = rng.standard_normal((2, 3, 4, 6))
    y = to_np(F.avg_pool2d(t64(x), 2))
    np.testing.assert_allclose(y, x.reshape(2, 3, 2, 2, 3, 2).mean(axis=(3, 5)), atol=1e-14)
    check_grads(lambda a: F.avg_pool2d(a, 2), x)


def test_avg_pool2d_errors():
    with pytest.raises(ValueError, match=r"avg_pool2d expects input of shape \(N, C, H, W\), got \(2, 3\)"):
        F.avg_pool2d(mg.randn(2, 3), 2)
    with pytest.raises(ValueError, match="padding .* at most half of kernel_size"):
        F.avg_pool2d(mg.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) is larger than the padded input \(4, 4\)"):
        F.avg_pool2d(mg.randn(1, 1, 4, 4), 5)


# ----------------------------------------------------------------------------- pixel shuffle


@settings(max_examples=10)
@given(n=st.integers(1, 2), c=st.integers(1, 2), r=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 4))
def test_pixel_shuffle_and_unshuffle(n, c, r, h, w):
    x = np.random.default_rng(r * 10 + h).standard_normal((n, c * r * r, h, w))
    y = to_np(F.pixel_shuffle(t64(x), r))
    np.testing.assert_array_equal(y, ref_pixel_shuffle(x, r))
    check_torch(y, "pixel_shuffle", x, r)
    np.testing.assert_array_equal(to_np(F.pixel_unshuffle(t64(y), r)), x)
    check_torch(to_np(F.pixel_unshuffle(t64(y), r)), "pixel_unshuffle", y, r)
    check_grads(lambda a: F.pixel_shuffle(a, r), x)
    check_grads(lambda a: F.pixel_unshuffle(a, r), y)


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"pixel_shuffle expects input of shape \(N, C·4, H, W\).* got \(1, 3, 2, 2\)"):
        F.pixel_shuffle(mg.randn(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match=r"H and W divisible by downscale_factor 2, got \(1, 1, 3, 4\)"):
        F.pixel_unshuffle(mg.randn(1, 1, 3, 4), 2)


# ----------------------------------------------------------------------------- pad


NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "constant": "constant"}


@settings(max_examples=20)
@given(n=st.integers(1, 2), h=st.integers(2, 5), w=st.integers(2, 6), mode=st.sampled_from(list(NUMPY_PAD_MODE)),
       data=st.data())
def test_pad(n, h, w, mode, data):
    limit = (h - 1, w - 1) if mode == "reflect" else (4, 4)
    top, bottom = data.draw(st.integers(0, limit[0])), data.draw(st.integers(0, limit[0]))
    left, right = data.draw(st.integers(0, limit[1])), data.draw(st.integers(0, limit[1]))
    x = np.random.default_rng(h * w).standard_normal((n, 2, h, w))
    value = 0.5 if mode == "constant" else None
    y = to_np(F.pad(t64(x), (left, right, top, bottom), mode, value))
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    extra = dict(constant_values=value) if mode == "constant" else {}
    np.testing.assert_array_equal(y, np.pad(x, widths, mode=NUMPY_PAD_MODE[mode], **extra))
    check_torch(y, "pad", x, (left, right, top, bottom), mode, value)
    check_grads(lambda a: F.pad(a, (left, right, top, bottom), mode, value), x)


def test_pad_1d_reflect_and_errors(rng):
    x = rng.standard_normal((2, 3, 5))
    np.testing.assert_array_equal(to_np(F.pad(t64(x), (4, 2), "reflect")),
                                  np.pad(x, ((0, 0), (0, 0), (4, 2)), mode="reflect"))
    with pytest.raises(ValueError, match=r"reflect padding \(5, 0\) must be smaller than the axis .* size 5"):
        F.pad(t64(x), (5, 0), "reflect")
    with pytest.raises(ValueError, match="mode must be one of constant, reflect, replicate, got 'circular'"):
        F.pad(t64(x), (1, 1), "circular")
    with pytest.raises(ValueError, match="even number of ints"):
        F.pad(t64(x), (1, 1, 1))


# ----------------------------------------------------------------------------- normalisation


@settings(max_examples=12)
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 2), h=st.integers(1, 3),
       w=st.integers(1, 4))
def test_group_norm(n, groups, per_group, h, w):
    c = groups * per_group
    if per_group * h * w < 2:
        return
    rng = np.random.default_rng(c * 10 + h)
    x, weight, bias = rng.standard_normal((n, c, h, w)), rng.standard_normal(c), rng.standard_normal(c)
    y = to_np(F.group_norm(t64(x), groups, t64(weight), t64(bias)))
    np.testing.assert_allclose(y, ref_group_norm(x, groups, weight, bias, 1e-5), atol=1e-10)
    check_torch(y, "group_norm", x, groups, weight, bias)
    check_grads(lambda a, g, b: F.group_norm(a, groups, g, b), x, weight, bias)


@settings(max_examples=10)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(2, 4), affine=st.booleans())
def test_instance_norm(n, c, h, w, affine):
    rng = np.random.default_rng(c + h * w)
    x = rng.standard_normal((n, c, h, w))
    weight, bias = (rng.standard_normal(c), rng.standard_normal(c)) if affine else (None, None)
    y = to_np(F.instance_norm(t64(x), weight=None if weight is None else t64(weight),
                              bias=None if bias is None else t64(bias)))
    ref = ref_standardize(x, (2, 3), 1e-5)
    if affine:
        ref = ref * weight[None, :, None, None] + bias[None, :, None, None]
    np.testing.assert_allclose(y, ref, atol=1e-10)
    check_torch(y, "instance_norm", x, weight=weight, bias=bias)
    if affine:
        check_grads(lambda a, g, b: F.instance_norm(a, weight=g, bias=b), x, weight, bias)
    else:
        check_grads(lambda a: F.instance_norm(a), x)


def test_instance_norm_running_stats_as_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 2, 4, 5))
    rm, rv = on_device(np.zeros(2)), on_device(np.ones(2))
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    for _ in range(2):
        F.instance_norm(t64(x), rm, rv, use_input_stats=True, momentum=0.3)
        torch.nn.functional.instance_norm(torch.from_numpy(x), trm, trv, use_input_stats=True, momentum=0.3)
    np.testing.assert_allclose(to_np(rm), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(to_np(rv), trv.numpy(), atol=1e-12)
    y = to_np(F.instance_norm(t64(x), rm, rv, use_input_stats=False))
    ty = torch.nn.functional.instance_norm(torch.from_numpy(x), trm, trv, use_input_stats=False).numpy()
    np.testing.assert_allclose(y, ty, atol=1e-10)


@settings(max_examples=8)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(2, 3))
def test_adaptive_instance_norm(n, c, h, w):
    rng = np.random.default_rng(n + c * h)
    x, scale, bias = rng.standard_normal((n, c, h, w)), rng.standard_normal((n, c)), rng.standard_normal((n, c))
    y = to_np(F.adaptive_instance_norm(t64(x), t64(scale), t64(bias)))
    ref = ref_standardize(x, (2, 3), 1e-5) * scale[:, :, None, None] + bias[:, :, None, None]
    np.testing.assert_allclose(y, ref, atol=1e-10)
    check_grads(F.adaptive_instance_norm, x, scale, bias)


@settings(max_examples=8)
@given(n=st.integers(1, 2), c=st.integers(1, 4), h=st.integers(1, 3))
def test_pixel_norm(n, c, h):
    x = np.random.default_rng(c * h).standard_normal((n, c, h, h + 1))
    y = to_np(F.pixel_norm(t64(x)))
    np.testing.assert_allclose(y, x / np.sqrt((x ** 2).mean(axis=1, keepdims=True) + 1e-8), rtol=1e-12)
    check_grads(F.pixel_norm, x)


def test_norm_errors():
    with pytest.raises(ValueError, match=r"num_groups must divide the 6 channels of input of shape \(2, 6, 3, 3\)"):
        F.group_norm(mg.randn(2, 6, 3, 3), 4)
    with pytest.raises(ValueError, match=r"weight must have shape \(6,\).* got \(3,\)"):
        F.group_norm(mg.randn(2, 6, 3, 3), 3, mg.randn(3))
    with pytest.raises(ValueError, match=r"style_scale must have shape \(2, 3\).* got \(2, 4\)"):
        F.adaptive_instance_norm(mg.randn(2, 3, 4, 4), mg.randn(2, 4), mg.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(mg.randn(2, 3, 1, 1))


# ----------------------------------------------------------------------------- prelu


@settings(max_examples=8)
@given(n=st.integers(1, 2), c=st.integers(1, 3), per_channel=st.booleans())
def test_prelu(n, c, per_channel):
    rng = np.random.default_rng(c)
    x = rng.standard_normal((n, c, 3, 2))
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink for the numerical gradient
    a = rng.uniform(0.1, 0.5, c if per_channel else 1)
    y = to_np(F.prelu(t64(x), t64(a)))
    np.testing.assert_allclose(y, np.where(x > 0, x, a.reshape(1, -1, 1, 1) * x), rtol=1e-14)
    check_torch(y, "prelu", x, a)
    check_grads(F.prelu, x, a)


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(2,\) must have 1 or 3 elements"):
        F.prelu(mg.randn(2, 3, 4), mg.randn(2))


# ----------------------------------------------------------------------------- conv1d and conv_transpose1d


@settings(max_examples=12)
@given(n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 2), k=st.integers(1, 5),
       s=st.integers(1, 3), p=st.integers(0, 2), length=st.integers(1, 9), bias=st.booleans())
def test_conv1d(n, cin, cout, k, s, p, length, bias):
    if length + 2 * p < k:
        return
    rng = np.random.default_rng(k * 10 + length)
    x, w = rng.standard_normal((n, cin, length)), rng.standard_normal((cout, cin, k))
    b = rng.standard_normal(cout) if bias else None
    y = to_np(F.conv1d(t64(x), t64(w), None if b is None else t64(b), s, p))
    np.testing.assert_allclose(y, ref_conv1d(x, w, b, s, p), atol=1e-12)
    check_torch(y, "conv1d", x, w, b, s, p)
    arrays = (x, w) if b is None else (x, w, b)
    check_grads(lambda *a: F.conv1d(*a, stride=s, padding=p), *arrays)


@settings(max_examples=12)
@given(n=st.integers(1, 2), cin=st.integers(1, 2), cout=st.integers(1, 3), k=st.integers(1, 5),
       s=st.integers(1, 3), p=st.integers(0, 2), length=st.integers(1, 6), bias=st.booleans(), data=st.data())
def test_conv_transpose1d(n, cin, cout, k, s, p, length, bias, data):
    op = data.draw(st.integers(0, s - 1))
    if (length - 1) * s - 2 * p + k + op < 1:
        return
    rng = np.random.default_rng(k * 10 + length)
    x, w = rng.standard_normal((n, cin, length)), rng.standard_normal((cin, cout, k))
    b = rng.standard_normal(cout) if bias else None
    y = to_np(F.conv_transpose1d(t64(x), t64(w), None if b is None else t64(b), s, p, op))
    np.testing.assert_allclose(y, ref_conv_transpose1d(x, w, b, s, p, op), atol=1e-12)
    check_torch(y, "conv_transpose1d", x, w, b, s, p, op)
    arrays = (x, w) if b is None else (x, w, b)
    check_grads(lambda *a: F.conv_transpose1d(*a, stride=s, padding=p, output_padding=op), *arrays)


def test_conv1d_errors():
    with pytest.raises(ValueError, match=r"conv1d expects a 3-D input \(N, C, L\), got shape \(2, 3, 4, 4\)"):
        F.conv1d(mg.randn(2, 3, 4, 4), mg.randn(2, 3, 3))
    with pytest.raises(ValueError, match=r"conv1d: weight of shape \(2, 3, 3\) expects 3 input channels, got input "
                                         r"of shape \(2, 4, 8\)"):
        F.conv1d(mg.randn(2, 4, 8), mg.randn(2, 3, 3))
    with pytest.raises(ValueError, match=r"conv_transpose1d: weight of shape \(3, 2, 3\) expects 3 input channels"):
        F.conv_transpose1d(mg.randn(2, 4, 8), mg.randn(3, 2, 3))
