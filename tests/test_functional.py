"""The rest of nn.functional: linear, losses, dropout, embedding, interpolate, softmax."""

import numpy as np
import pytest
from conftest import t64, to_np
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
import minigan.nn.functional as F


@given(n=st.integers(1, 4), i=st.integers(1, 4), o=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_linear(n, i, o, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, i)), rng.standard_normal((o, i)), rng.standard_normal(o)
    np.testing.assert_allclose(to_np(F.linear(t64(x), t64(w), t64(b))), x @ w.T + b, rtol=1e-12)
    assert mg.gradcheck(F.linear, (t64(x), t64(w), t64(b)))
    assert mg.gradgradcheck(F.linear, (t64(x), t64(w), t64(b)))


def test_linear_shape_error():
    with pytest.raises(ValueError, match="expects 3 input features"):
        F.linear(mg.tensor(np.ones((2, 4))), mg.tensor(np.ones((5, 3))))


@pytest.mark.parametrize("logit", [-100.0, -5.0, 0.0, 5.0, 100.0])
@pytest.mark.parametrize("target", [0.0, 0.3, 1.0])
def test_bce_with_logits_is_stable(logit, target):
    x = mg.tensor([logit], dtype="float64", requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, np.array([target]))
    expected = np.logaddexp(0, logit) - target * logit
    np.testing.assert_allclose(to_np(loss), expected, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(to_np(x.grad), [1 / (1 + np.exp(-logit)) - target], rtol=1e-10, atol=1e-300)


def test_losses_gradcheck(rng):
    x, t = rng.standard_normal((3, 2)), rng.random((3, 2))
    assert mg.gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t), (t64(x),))
    assert mg.gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t), (t64(x),))
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b), (t64(x), t64(t)))
    np.testing.assert_allclose(to_np(F.mse_loss(t64(x), t64(t))), ((x - t) ** 2).mean())
    labels = np.array([0, 1, 1])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(to_np(F.cross_entropy(t64(x), labels)), -logp[np.arange(3), labels].mean())
    assert mg.gradcheck(lambda a: F.cross_entropy(a, labels), (t64(x),))
    np.testing.assert_allclose(to_np(F.softmax(t64(x), axis=1)).sum(axis=1), 1.0)


def test_dropout_scales_and_is_identity_in_eval():
    mg.manual_seed(0)
    x = mg.ones(10000)
    y = to_np(F.dropout(x, 0.3, training=True))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    with pytest.raises(ValueError):
        F.dropout(x, 1.0)


def test_embedding_and_interpolate(rng):
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 4], [4, 4]])
    np.testing.assert_array_equal(to_np(F.embedding(idx, t64(w))), w[idx])
    assert mg.gradcheck(lambda a: F.embedding(idx, a), (t64(w),))
    with pytest.raises(ValueError, match="indices must be in"):
        F.embedding(np.array([5]), t64(w))
    x = rng.standard_normal((1, 2, 2, 3))
    up = to_np(F.interpolate(t64(x), scale_factor=2))
    np.testing.assert_array_equal(up, x.repeat(2, axis=2).repeat(2, axis=3))
    assert mg.gradcheck(lambda a: F.interpolate(a, scale_factor=2), (t64(x),))


def test_leaky_relu_gradgradcheck_away_from_zero(rng):
    x = rng.standard_normal((3, 4))
    x = np.where(np.abs(x) < 0.1, 0.5, x)
    assert mg.gradgradcheck(lambda a: F.leaky_relu(a, 0.2), (t64(x),))
