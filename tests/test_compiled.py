"""The fast tier's compiled loops (minigan/compiled_loops.py, numba): each equal to its textbook twin
(values and gradients, float32 and float64, shapes, strides and paddings drawn by hypothesis), and the
rules of when they run (host arrays only, layouts, the switch, nothing compiled at import)."""

import os
import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from conftest import to_np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_kernels import TOL, conv_geometry, on_tier  # noqa: E402

import minigan as mg  # noqa: E402
import minigan.nn.functional as F  # noqa: E402
from minigan import compiled, kernels, optim  # noqa: E402
from minigan.ops import conv  # noqa: E402

DTYPES = st.sampled_from(["float32", "float64"])


@pytest.fixture(autouse=True)
def fast_tier():
    if not kernels.numba_available():
        pytest.skip("MINIGAN_NUMBA=0: the compiled loops are off")
    previous = mg.set_kernels("fast")
    yield
    mg.set_kernels(previous)


def channels_last(a):
    """The same (N, C, H, W) values stored channels-last, as the engine's activations are."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def assert_three_tiers_agree(fn, *arrays, dtype="float64"):
    """fast (compiled) == numpy == textbook, values and gradients."""
    results = {tier: on_tier(tier, fn, *arrays, dtype=dtype) for tier in ("fast", "numpy", "textbook")}
    for tier in ("fast", "numpy"):
        for a, b in zip(results[tier], results["textbook"]):
            np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=tier)


# ----------------------------------------------------------------------------- im2col and col2im


@settings(max_examples=40, deadline=None)
@given(g=conv_geometry(), dtype=DTYPES, layout=st.sampled_from(["first", "last"]))
def test_im2col_and_col2im_loops_equal_the_textbook(g, dtype, layout):
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"])).astype(dtype)
    x = channels_last(x) if layout == "last" else x
    out_hw = tuple(conv.conv_output_size(s, k, st_, p) for s, k, st_, p in
                   zip(x.shape[2:], g["kernel"], g["stride"], g["padding"]))
    args = (g["kernel"], g["stride"], g["padding"], out_hw)
    cols = compiled.im2col(x, *args)
    assert cols is not None and cols.dtype == x.dtype
    np.testing.assert_array_equal(cols, conv.im2col_textbook(x, *args))
    windows = rng.standard_normal(cols.shape).astype(dtype)
    (kh, kw), (ho, wo), c = g["kernel"], out_hw, g["c"]
    taps = np.ascontiguousarray(windows.reshape(g["n"], ho, wo, kh, kw, c).transpose(3, 4, 0, 1, 2, 5))
    bias = rng.standard_normal(c).astype(dtype)
    for b in (None, bias):
        x_back = compiled.col2im(taps, x.shape, g["stride"], g["padding"], b)
        assert x_back is not None and x_back.dtype == x.dtype
        expected = conv.col2im_textbook(windows, x.shape, *args) + (0 if b is None else b.reshape(1, -1, 1, 1))
        np.testing.assert_allclose(x_back, expected, **TOL[dtype])


@settings(max_examples=20, deadline=None)
@given(g=conv_geometry(), dtype=DTYPES, bias=st.booleans())
def test_convolutions_agree_on_three_tiers(g, dtype, bias):
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"]))
    w = rng.standard_normal((g["f"], g["c"], *g["kernel"]))
    kw = dict(stride=g["stride"], padding=g["padding"])
    if bias:
        assert_three_tiers_agree(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw), x, w, rng.standard_normal(g["f"]),
                                 dtype=dtype)
    else:
        assert_three_tiers_agree(lambda x_, w_: F.conv2d(x_, w_, **kw), x, w, dtype=dtype)
    y = rng.standard_normal((g["n"], g["f"], g["h"], g["w"]))
    out = [conv.conv_transpose_output_size(n, k, s, p) for n, k, s, p in
           zip(y.shape[2:], g["kernel"], g["stride"], g["padding"])]
    if min(out) >= 1:
        assert_three_tiers_agree(lambda y_, w_, b_: F.conv_transpose2d(y_, w_, b_, **kw), y,
                                 rng.standard_normal((g["f"], g["c"], *g["kernel"])), rng.standard_normal(g["c"]),
                                 dtype=dtype)


# ----------------------------------------------------------------------------- per-channel loops


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(4, 3), (7, 5), (3, 2, 2, 3), (2, 1, 3, 1), (5, 4, 3, 2), (2, 7, 5, 3)]),
       dtype=DTYPES, threads=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_batch_norm_loops_equal_the_textbook(shape, dtype, threads, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 1
    x = channels_last(x) if x.ndim == 4 else x
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    previous = compiled.get_threads()
    try:
        compiled.set_threads(threads)  # the partial sums per row block must not change the result
        assert compiled.batch_norm_forward(x.astype(dtype), *(a.astype(dtype) for a in (gamma, beta)), 1e-5)
        assert_three_tiers_agree(lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True), x, gamma, beta,
                                 dtype=dtype)
    finally:
        compiled.set_threads(previous)


@given(dtype=DTYPES, seed=st.integers(0, 2**16))
def test_channel_sum_is_the_bias_gradient(dtype, seed):
    g = channels_last(np.random.default_rng(seed).standard_normal((3, 4, 5, 2))).astype(dtype)
    np.testing.assert_allclose(compiled.channel_sum(g), g.sum(axis=(0, 2, 3)), **TOL[dtype])
    assert compiled.channel_sum(np.ascontiguousarray(g)) is None  # channels-first 4-D: left to NumPy


def test_batch_norm_backward_takes_a_gradient_in_another_memory_order():
    rng = np.random.default_rng(0)
    x = channels_last(rng.standard_normal((4, 3, 5, 5)))
    g = rng.standard_normal((4, 3, 5, 5))  # channels-first
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    _, mean, _, inv_std = compiled.batch_norm_forward(x, gamma, beta, 1e-5)
    gx, d_gamma, d_beta = compiled.batch_norm_backward(g, x, mean, inv_std, gamma)
    x_hat = (x - mean.reshape(1, -1, 1, 1)) * inv_std.reshape(1, -1, 1, 1)
    axes = (0, 2, 3)
    expected = gamma.reshape(1, -1, 1, 1) * inv_std.reshape(1, -1, 1, 1) * (
        g - g.mean(axes, keepdims=True) - x_hat * (g * x_hat).mean(axes, keepdims=True))
    np.testing.assert_allclose(gx, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d_gamma, (g * x_hat).sum(axes), rtol=1e-10)
    np.testing.assert_allclose(d_beta, g.sum(axes), rtol=1e-10)


# ----------------------------------------------------------------------------- activations


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple), slope=st.floats(0.0, 1.0),
       dtype=DTYPES, seed=st.integers(0, 2**16))
def test_activation_loops_agree_on_three_tiers(shape, slope, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert compiled.leaky_relu(x.astype(dtype), slope) is not None
    assert_three_tiers_agree(lambda a: F.leaky_relu(a, slope), x, dtype=dtype)
    assert_three_tiers_agree(lambda a: F.relu(a), x, dtype=dtype)
    assert_three_tiers_agree(lambda a: mg.tanh(a), x, dtype=dtype)


def test_elementwise_loops_keep_the_memory_order_and_skip_broadcast_views():
    rng = np.random.default_rng(0)
    a = channels_last(rng.standard_normal((2, 3, 4, 5)).astype(np.float32))
    y = compiled.leaky_relu(a, 0.2)
    assert y.strides == a.strides and y.dtype == np.float32
    np.testing.assert_array_equal(y, np.where(a > 0, a, np.float32(0.2) * a))
    g = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)  # another memory order than a
    assert compiled.leaky_relu_backward(g, a, 0.2) is None
    assert compiled.relu_backward(np.broadcast_to(np.float32(1), a.shape), a) is None


def test_second_derivatives_still_use_the_differentiable_ops():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3))

    def penalty(x_, w_):
        y = F.leaky_relu(F.conv2d(x_, w_, stride=2, padding=1), 0.2)
        (gx,) = mg.grad((mg.tanh(y) * y).sum(), [x_], create_graph=True)
        return (gx * gx).sum().reshape(1)

    assert_three_tiers_agree(penalty, x, w)


# ----------------------------------------------------------------------------- Adam


@settings(max_examples=20, deadline=None)
@given(dtype=DTYPES, seed=st.integers(0, 2**16), weight_decay=st.sampled_from([0.0, 0.1]))
def test_adam_loop_equals_the_algorithm(dtype, seed, weight_decay):
    rng = np.random.default_rng(seed)
    start, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(5)]
    results = {}
    for tier in ("fast", "textbook"):
        previous = mg.set_kernels(tier)
        try:
            p = mg.tensor(start, dtype=dtype, requires_grad=True)
            opt = optim.Adam([p], lr=0.01, betas=(0.5, 0.999), weight_decay=weight_decay)
            for g in grads:
                p.grad = mg.tensor(g, dtype=dtype)
                opt.step()
            results[tier] = (to_np(p), to_np(opt.state[p]["exp_avg"]), to_np(opt.state[p]["exp_avg_sq"]))
        finally:
            mg.set_kernels(previous)
    for a, b in zip(*results.values()):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOL[dtype])
    p = np.zeros(3, np.float32)
    assert compiled.adam(p, np.ones(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32),
                         0.5, 0.999, 0.1, 1e-8)
    np.testing.assert_allclose(p, -0.1 * 0.5 / (np.sqrt(0.001) + 1e-8), rtol=1e-5)  # m = 0.5, v = 0.001
    g = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))  # a Linear weight's gradient order
    p, m, v = (np.zeros((2, 3), np.float32) for _ in range(3))
    assert compiled.adam(p, g, m, v, 0.5, 0.999, 0.1, 1e-8)
    np.testing.assert_allclose(m, 0.5 * g, rtol=1e-6)


# ----------------------------------------------------------------------------- when the loops run


def test_loops_run_only_on_host_float_arrays_on_the_fast_tier():
    x = np.ones((2, 3), np.float32)
    assert compiled.usable(x)
    assert not compiled.usable(x.astype(np.int64))
    assert not compiled.usable(x, x.astype(np.float64))  # mixed dtypes

    class DeviceArray(np.ndarray):  # a stand-in for a CuPy array: not an np.ndarray itself
        pass

    assert not compiled.usable(x.view(DeviceArray))
    previous = mg.set_kernels("numpy")
    try:
        assert not kernels.compiled() and not compiled.usable(x) and compiled.leaky_relu(x, 0.1) is None
    finally:
        mg.set_kernels(previous)


def test_import_compiles_nothing_and_minigan_numba_0_turns_the_loops_off():
    code = ("import sys, minigan as mg; print('numba' in sys.modules, mg.kernels.compiled()); "
            "y = mg.leaky_relu(mg.randn(4, 4, device='cpu'), 0.2); print('numba' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "MINIGAN_NUMBA"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]
    off = subprocess.run([sys.executable, "-c", code], env={**env, "MINIGAN_NUMBA": "0"}, capture_output=True,
                         text=True, check=True)
    assert off.stdout.split() == ["False", "False", "False"]


def test_threads_follow_the_blas_variables():
    code = "from minigan import compiled; print(compiled.get_threads())"
    env = {k: v for k, v in os.environ.items() if k not in compiled.THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": "1"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    previous = compiled.get_threads()
    try:
        assert compiled.set_threads(10**6) == numba.config.NUMBA_NUM_THREADS  # at most the cores numba started with
    finally:
        compiled.set_threads(previous)
