"""Every core op: forward against NumPy, gradcheck in float64, gradgradcheck where twice differentiable."""

import numpy as np
import pytest
from conftest import t64, to_np
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import ops

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: some axes of the second are 1 or missing."""
    a = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    b = [1 if draw(st.booleans()) else n for n in a]
    drop = draw(st.integers(0, len(b) - 1))
    return a, tuple(b[drop:])


def arrays(rng, shape, positive=False, away_from_zero=False):
    x = rng.standard_normal(shape)
    if positive:
        x = np.abs(x) + 0.5
    if away_from_zero:
        x = np.sign(x) * (np.abs(x) + 0.2)
    return x


BINARY = {
    "add": (lambda a, b: a + b, np.add, {}),
    "sub": (lambda a, b: a - b, np.subtract, {}),
    "mul": (lambda a, b: a * b, np.multiply, {}),
    "div": (lambda a, b: a / b, np.divide, {"positive_b": True}),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(pair=broadcast_pair(), seed=st.integers(0, 2**16), swap=st.booleans())
def test_binary_ops_broadcast(name, pair, seed, swap):
    rng = np.random.default_rng(seed)
    op, ref, opts = BINARY[name]
    sa, sb = pair[::-1] if swap else pair
    a = arrays(rng, sa)
    b = arrays(rng, sb, positive=opts.get("positive_b", False))
    ta, tb = t64(a), t64(b)
    np.testing.assert_allclose(to_np(op(ta, tb)), ref(a, b), rtol=1e-12)
    assert mg.gradcheck(op, (ta, tb))
    assert mg.gradgradcheck(op, (ta, tb))


UNARY = {
    "neg": (lambda x: -x, np.negative, {}),
    "exp": (mg.exp, np.exp, {}),
    "log": (mg.log, np.log, {"positive": True}),
    "log1p": (mg.log1p, np.log1p, {"positive": True}),
    "sqrt": (mg.sqrt, np.sqrt, {"positive": True}),
    "abs": (mg.abs, np.abs, {"away": True}),
    "pow3": (lambda x: x ** 3, lambda x: x ** 3, {}),
    "pow_half": (lambda x: x ** 0.5, np.sqrt, {"positive": True}),
    "pow_neg": (lambda x: x ** -1.5, lambda x: x ** -1.5, {"positive": True}),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, {}),
    "tensor_pow": (lambda x: x ** mg.tensor(1.7, dtype="float64"), lambda x: x ** 1.7, {"positive": True}),
    "tanh": (mg.tanh, np.tanh, {}),
    "sigmoid": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), {}),
    "softplus": (mg.softplus, lambda x: np.log1p(np.exp(x)), {}),
    "logsigmoid": (mg.logsigmoid, lambda x: -np.log1p(np.exp(-x)), {}),
    "relu": (mg.relu, lambda x: np.maximum(x, 0), {"away": True}),
    "leaky_relu": (lambda x: mg.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), {"away": True}),
    "clip": (lambda x: x.clip(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), {"away_from_bounds": True}),
}
TWICE_DIFFERENTIABLE = set(UNARY) - {"relu", "clip", "abs"}  # piecewise linear: second derivative 0, still checked


@pytest.mark.parametrize("name", list(UNARY))
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_ops(name, shape, seed):
    rng = np.random.default_rng(seed)
    op, ref, opts = UNARY[name]
    x = arrays(rng, shape, positive=opts.get("positive", False), away_from_zero=opts.get("away", False))
    if opts.get("away_from_bounds"):
        x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.2, x)
    tx = t64(x)
    np.testing.assert_allclose(to_np(op(tx)), ref(x), rtol=1e-12, atol=1e-300)
    assert mg.gradcheck(op, (tx,))
    assert mg.gradgradcheck(op, (tx,))


def test_non_contiguous_inputs_match_numpy(rng):
    base = rng.standard_normal((4, 5))
    view = base.T  # a transposed, non-contiguous view
    tx = t64(view)
    np.testing.assert_allclose(to_np((tx * 2 + 1).exp()), np.exp(view * 2 + 1))
    np.testing.assert_allclose(to_np(tx.sum(axis=0)), view.sum(axis=0))
    assert mg.gradcheck(lambda x: (x * x).sum(axis=1), (t64(view),))


@pytest.mark.parametrize("x", [-100.0, -30.0, 0.0, 30.0, 100.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_and_logsigmoid_are_stable_at_extremes(x, dtype):
    t = mg.tensor([x], dtype=dtype, requires_grad=True)
    sp = mg.softplus(t)
    ls = mg.logsigmoid(t)
    expected_sp = np.logaddexp(0, x)
    np.testing.assert_allclose(to_np(sp), [expected_sp], rtol=1e-6, atol=1e-40)
    np.testing.assert_allclose(to_np(ls), [-np.logaddexp(0, -x)], rtol=1e-6, atol=1e-40)
    (sp.sum() + ls.sum()).backward()
    grad = to_np(t.grad)
    assert np.all(np.isfinite(grad))
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(grad, [sig + (1 - sig)], rtol=1e-5)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**16),
       data=st.data())
def test_reductions(shape, seed, data):
    """The reduce ops (minigan/ops/reduce.py: sum, mean, amax, var): values vs NumPy, gradcheck, gradgradcheck."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    tx = t64(x)
    np.testing.assert_allclose(to_np(tx.sum(axis, keepdims)), x.sum(axis=axis, keepdims=keepdims), rtol=1e-12)
    np.testing.assert_allclose(to_np(tx.mean(axis, keepdims)), x.mean(axis=axis, keepdims=keepdims), rtol=1e-12)
    np.testing.assert_allclose(to_np(tx.amax(axis, keepdims)), x.max(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(to_np(tx.max(axis=axis, keepdims=keepdims)), x.max(axis=axis, keepdims=keepdims))
    for fn in (lambda t: t.sum(axis, keepdims), lambda t: t.mean(axis, keepdims), lambda t: t.amax(axis, keepdims)):
        assert mg.gradcheck(fn, (tx,))
    assert mg.gradgradcheck(lambda t: t.sum(axis, keepdims), (tx,))
    assert mg.gradgradcheck(lambda t: t.mean(axis, keepdims), (tx,))
    n = x.size if axis is None else shape[axis]
    if n > 1:
        np.testing.assert_allclose(to_np(tx.var(axis, keepdims)), x.var(axis=axis, keepdims=keepdims, ddof=1),
                                   rtol=1e-10)
        np.testing.assert_allclose(to_np(tx.var(axis, keepdims, correction=0)), x.var(axis=axis, keepdims=keepdims),
                                   rtol=1e-10)
        assert mg.gradgradcheck(lambda t: t.var(axis, keepdims), (tx,))


def test_max_shares_gradient_between_ties():
    x = t64([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(to_np(x.grad), [0, 0.5, 0.5, 0])


@given(m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4), batch=st.sampled_from([(), (2,), (3, 1)]),
       seed=st.integers(0, 2**16))
def test_matmul(m, k, n, batch, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(batch + (m, k)), rng.standard_normal((k, n))
    ta, tb = t64(a), t64(b)
    np.testing.assert_allclose(to_np(ta @ tb), a @ b, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: x @ y, (ta, tb))
    assert mg.gradgradcheck(lambda x, y: x @ y, (ta, tb))


def test_matmul_vectors(rng):
    v, w, m = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((3, 2))
    np.testing.assert_allclose(to_np(t64(v) @ t64(w)), v @ w)
    np.testing.assert_allclose(to_np(t64(v) @ t64(m)), v @ m)
    np.testing.assert_allclose(to_np(t64(m.T) @ t64(v)), m.T @ v)
    assert mg.gradcheck(lambda a, b: a @ b, (t64(v), t64(m)))
    with pytest.raises(ValueError, match="not aligned"):
        t64(m) @ t64(m)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_shape_ops(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    tx = t64(x)
    perm = tuple(rng.permutation(len(shape)))
    cases = [
        (lambda t: t.reshape(-1), x.reshape(-1)),
        (lambda t: t.permute(perm), x.transpose(perm)),
        (lambda t: t.T, x.T),
        (lambda t: t.broadcast_to((2,) + shape), np.broadcast_to(x, (2,) + shape)),
        (lambda t: ops.sum_to(t, (1,) * len(shape)), x.sum(keepdims=True)),
        (lambda t: t[..., 0], x[..., 0]),
        (lambda t: t[::-1], x[::-1]),
        (lambda t: mg.concat([t, t * 2], axis=-1), np.concatenate([x, 2 * x], axis=-1)),
        (lambda t: mg.stack([t, t * 3], axis=0), np.stack([x, 3 * x])),
        (lambda t: mg.pad(t, 1), np.pad(x, 1)),
    ]
    for fn, expected in cases:
        np.testing.assert_allclose(to_np(fn(tx)), expected, rtol=1e-12)
        assert mg.gradcheck(fn, (tx,))
        assert mg.gradgradcheck(fn, (tx,))


def test_getitem_with_index_arrays_accumulates_repeats(rng):
    x = rng.standard_normal((5, 3))
    idx = np.array([0, 2, 2, 4])
    tx = t64(x)
    np.testing.assert_array_equal(to_np(tx[idx]), x[idx])
    tx[idx].sum().backward()
    np.testing.assert_array_equal(to_np(tx.grad)[:, 0], [1, 0, 2, 0, 1])
    mask = x[:, 0] > 0
    fns = [lambda t: t[idx], lambda t: t[mask], lambda t: t[idx, 1:], lambda t: t[mg.tensor(idx)],
           lambda t: t[[1, 1, 3]]]
    for fn in fns:
        assert mg.gradcheck(fn, (t64(x),))
        assert mg.gradgradcheck(fn, (t64(x),))


def test_where(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 1))
    cond = a > 0
    np.testing.assert_array_equal(to_np(mg.where(cond, t64(a), t64(b))), np.where(cond, a, b))
    assert mg.gradcheck(lambda x, y: mg.where(cond, x, y), (t64(a), t64(b)))


def test_python_scalars_and_arrays_on_either_side():
    x = mg.tensor([1.0, 2.0])
    np.testing.assert_allclose(to_np(1 - x), [0, -1])
    np.testing.assert_allclose(to_np(2 / x), [2, 1])
    np.testing.assert_allclose(to_np(np.array([1.0, 1.0]) * x), [1, 2])
    np.testing.assert_allclose(to_np(2 ** x), [2, 4])
    assert isinstance(np.ones(2) + x, mg.Tensor)
