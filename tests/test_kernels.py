"""The two kernel tiers (minigan/kernels.py): the switch, and each fast kernel equal to its textbook twin
(values and gradients, shapes drawn by hypothesis, float32 and float64)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import to_np
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
import minigan.nn.functional as F
from minigan import optim
from minigan.ops import conv

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
DTYPES = st.sampled_from(["float32", "float64"])


def on_tier(tier, fn, *arrays, dtype="float64"):
    """fn on fresh leaves made from ``arrays``, run on ``tier``: its value and the gradients of Σ v·fn."""
    previous = mg.set_kernels(tier)
    try:
        leaves = [mg.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
        y = fn(*leaves)
        v = np.random.default_rng(1).standard_normal(y.shape)
        (y * mg.tensor(v, dtype=dtype)).sum().backward()
        return [to_np(y)] + [to_np(t.grad) for t in leaves]
    finally:
        mg.set_kernels(previous)


def assert_tiers_agree(fn, *arrays, dtype="float64"):
    fast, textbook = on_tier("fast", fn, *arrays, dtype=dtype), on_tier("textbook", fn, *arrays, dtype=dtype)
    for a, b in zip(fast, textbook):
        np.testing.assert_allclose(a, b, **TOL[dtype])


# ----------------------------------------------------------------------------- the switch


def test_set_and_get_kernels():
    start = mg.get_kernels()
    try:
        mg.set_kernels("fast")
        assert mg.set_kernels("textbook") == "fast"
        assert mg.get_kernels() == "textbook" and mg.kernels.textbook()
        assert mg.set_kernels("fast") == "textbook" and not mg.kernels.textbook()
    finally:
        mg.set_kernels(start)
    with pytest.raises(ValueError, match="'fast', 'numpy' or 'textbook'"):
        mg.set_kernels("slow")


def test_environment_variable_selects_the_tier():
    env = {**os.environ, "MINIGAN_KERNELS": "textbook"}
    out = subprocess.run([sys.executable, "-c", "import minigan as mg; print(mg.get_kernels())"], env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "textbook"
    env["MINIGAN_KERNELS"] = "quick"
    bad = subprocess.run([sys.executable, "-c", "import minigan"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "MINIGAN_KERNELS" in bad.stderr


# ----------------------------------------------------------------------------- convolution


@st.composite
def conv_geometry(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))
    h, w = draw(st.integers(max(1, kh - 2 * ph), 8)), draw(st.integers(max(1, kw - 2 * pw), 8))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return dict(n=n, c=c, f=f, h=h, w=w, kernel=(kh, kw), stride=(sh, sw), padding=(ph, pw),
                seed=draw(st.integers(0, 2**16)))


@given(g=conv_geometry(), dtype=DTYPES)
def test_im2col_and_col2im_equal_their_textbook_twins(g, dtype):
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"])).astype(dtype)
    out_hw = tuple(conv.conv_output_size(s, k, st_, p) for s, k, st_, p in
                   zip(x.shape[2:], g["kernel"], g["stride"], g["padding"]))
    args = (g["kernel"], g["stride"], g["padding"], out_hw)
    fast = conv.im2col(x, *args)
    textbook = conv.im2col_textbook(x, *args)
    np.testing.assert_array_equal(fast, textbook)
    cols = rng.standard_normal(textbook.shape).astype(dtype)
    (kh, kw), (ho, wo), c = g["kernel"], out_hw, g["c"]
    taps = cols.reshape(g["n"], ho, wo, kh, kw, c).transpose(3, 4, 0, 1, 2, 5)
    np.testing.assert_allclose(conv.col2im(np.ascontiguousarray(taps), x.shape, g["stride"], g["padding"]),
                               conv.col2im_textbook(cols, x.shape, *args), **TOL[dtype])
    # col2im is im2col's adjoint: ⟨im2col(x), cols⟩ = ⟨x, col2im(cols)⟩
    np.testing.assert_allclose(np.vdot(textbook, cols), np.vdot(x, conv.col2im_textbook(cols, x.shape, *args)),
                               **TOL[dtype])


@given(g=conv_geometry(), dtype=DTYPES, bias=st.booleans())
def test_convolutions_agree_across_tiers(g, dtype, bias):
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"]))
    w = rng.standard_normal((g["f"], g["c"], *g["kernel"]))
    b = rng.standard_normal(g["f"])
    kw = dict(stride=g["stride"], padding=g["padding"])
    if bias:
        assert_tiers_agree(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw), x, w, b, dtype=dtype)
    else:
        assert_tiers_agree(lambda x_, w_: F.conv2d(x_, w_, **kw), x, w, dtype=dtype)
    y = rng.standard_normal((g["n"], g["f"], g["h"], g["w"]))
    wt = rng.standard_normal((g["f"], g["c"], *g["kernel"]))
    out = [conv.conv_transpose_output_size(n, k, s, p) for n, k, s, p in
           zip(y.shape[2:], g["kernel"], g["stride"], g["padding"])]
    if min(out) < 1:
        return
    if bias:
        assert_tiers_agree(lambda y_, w_, b_: F.conv_transpose2d(y_, w_, b_, **kw), y, wt,
                           rng.standard_normal(g["c"]), dtype=dtype)
    else:
        assert_tiers_agree(lambda y_, w_: F.conv_transpose2d(y_, w_, **kw), y, wt, dtype=dtype)


def test_convolution_second_derivatives_agree_across_tiers():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3))

    def penalty(x_, w_):  # ‖∂⟨conv(x), conv(x)⟩/∂x‖², differentiated once more by the helper
        y = F.leaky_relu(F.conv2d(x_, w_, stride=2, padding=1), 0.2)
        (gx,) = mg.grad((y * y).sum(), [x_], create_graph=True)
        return (gx * gx).sum().reshape(1)

    assert_tiers_agree(penalty, x, w)


# ----------------------------------------------------------------------------- batch norm, LeakyReLU, MatMul


@given(shape=st.sampled_from([(4, 3), (3, 2, 2, 3), (2, 1, 3, 1), (5, 2), (2, 4, 3, 2)]), dtype=DTYPES,
       seed=st.integers(0, 2**16))
def test_batch_norm_agrees_across_tiers(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    assert_tiers_agree(lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True), x, gamma, beta,
                       dtype=dtype)


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple), slope=st.floats(0.0, 1.0),
       dtype=DTYPES, seed=st.integers(0, 2**16))
def test_leaky_relu_agrees_across_tiers(shape, slope, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_tiers_agree(lambda a: F.leaky_relu(a, slope), x, dtype=dtype)


@given(n=st.integers(1, 5), m=st.integers(1, 5), k=st.sampled_from([1, 1, 3]), dtype=DTYPES,
       seed=st.integers(0, 2**16))
def test_matmul_agrees_across_tiers(n, m, k, dtype, seed):
    rng = np.random.default_rng(seed)
    assert_tiers_agree(lambda a, b: a @ b, rng.standard_normal((n, k)), rng.standard_normal((k, m)), dtype=dtype)


@given(dtype=DTYPES, seed=st.integers(0, 2**16))
def test_reshape_of_a_channels_last_view_agrees_across_tiers(dtype, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 2, 2))
    assert_tiers_agree(lambda a, b: F.leaky_relu(F.conv2d(a, b, stride=1), 0.2).reshape(2, -1), x, w, dtype=dtype)


# ----------------------------------------------------------------------------- Adam


@given(dtype=DTYPES, seed=st.integers(0, 2**16), weight_decay=st.sampled_from([0.0, 0.1]))
def test_adam_fast_update_equals_the_algorithm(dtype, seed, weight_decay):
    rng = np.random.default_rng(seed)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(5)]
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
    for a, b in zip(results["fast"], results["textbook"]):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOL[dtype])


def _adam_chain(p, g, m, v, t=3):
    """Two functional Adam steps from state (m, v, step t − 1), the second on a gradient that depends on
    the first step's output: p″ summed with m″ and v″, so that every output of the op reaches the result."""
    opt = optim.Adam([mg.tensor(np.zeros(p.shape), requires_grad=True)], lr=0.05, betas=(0.5, 0.9), weight_decay=0.01)
    state = [dict(step=t - 1, exp_avg=m, exp_avg_sq=v)]
    (p1,), state = optim.functional_step(opt, [p], [g], state)
    (p2,), state = optim.functional_step(opt, [p1], [g * p1], state)
    return p2 + 0.5 * state[0]["exp_avg"] + 0.25 * state[0]["exp_avg_sq"]


@given(dtype=DTYPES, seed=st.integers(0, 2**16))
def test_functional_adam_op_equals_the_textbook_chain(dtype, seed):
    """The fast tier's AdamStep gives the textbook chain's values and gradients for p, g, m and v."""
    rng = np.random.default_rng(seed)
    p, g, m = (rng.standard_normal((3, 4)) for _ in range(3))
    v = rng.uniform(0.01, 2.0, (3, 4))
    assert_tiers_agree(_adam_chain, p, g, m, v, dtype=dtype)


def test_functional_adam_op_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    p, g, m = (mg.tensor(rng.standard_normal((2, 3)), dtype="float64", requires_grad=True) for _ in range(3))
    v = mg.tensor(rng.uniform(0.05, 1.0, (2, 3)), dtype="float64", requires_grad=True)

    def op(p, g, m, v):
        new_p, new_m, new_v = optim.AdamStep.apply(p, g, m, v, lr=0.1, betas=(0.5, 0.9), eps=1e-8, t=2)
        return new_p + 0.3 * new_m * new_m + new_v.exp()

    assert mg.gradcheck(op, (p, g, m, v))
    assert mg.gradgradcheck(op, (p, g, m, v))
