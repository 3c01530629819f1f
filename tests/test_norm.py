"""batch_norm / layer_norm: formulas, running statistics, gradcheck and gradgradcheck, PyTorch parity."""

import numpy as np
import pytest
from conftest import on_device, t64, to_np
from hypothesis import given
from hypothesis import strategies as st
from tiers import kernel_tier  # noqa: F401  (runs this module on both kernel tiers)

import minigan as mg
import minigan.nn.functional as F

pytestmark = pytest.mark.usefixtures("kernel_tier")


@given(shape=st.sampled_from([(4, 3), (3, 2, 2, 3), (2, 1, 3, 1), (5, 2)]), seed=st.integers(0, 2**16))
def test_batch_norm_training(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    cshape = (1, -1) + (1,) * (len(shape) - 2)
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mu) / np.sqrt(var + 1e-5) * gamma.reshape(cshape) + beta.reshape(cshape)
    rm, rv = on_device(np.zeros(shape[1])), on_device(np.ones(shape[1]))  # the input's device
    y = F.batch_norm(t64(x), rm, rv, t64(gamma), t64(beta), training=True, momentum=0.1)
    np.testing.assert_allclose(to_np(y), expected, rtol=1e-10, atol=1e-12)
    count = x.size // shape[1]
    np.testing.assert_allclose(to_np(rm), 0.1 * mu.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(to_np(rv), 0.9 + 0.1 * var.reshape(-1) * count / (count - 1), rtol=1e-12)

    def fn(a, g, b):
        return F.batch_norm(a, None, None, g, b, training=True)

    assert mg.gradcheck(fn, (t64(x), t64(gamma), t64(beta)))
    assert mg.gradgradcheck(fn, (t64(x), t64(gamma), t64(beta)))


def test_batch_norm_eval_uses_running_stats(rng):
    x = rng.standard_normal((4, 3))
    rm_host, rv_host = rng.standard_normal(3), rng.random(3) + 0.5
    rm, rv = on_device(rm_host), on_device(rv_host)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    y = F.batch_norm(t64(x), rm, rv, t64(gamma), t64(beta), training=False)
    np.testing.assert_allclose(to_np(y), (x - rm_host) / np.sqrt(rv_host + 1e-5) * gamma + beta, rtol=1e-12)
    assert mg.gradcheck(lambda a, g, b: F.batch_norm(a, rm, rv, g, b, training=False),
                        (t64(x), t64(gamma), t64(beta)))


def test_batch_norm_running_stats_on_another_device_is_an_error():
    if not mg.cupy_available():
        pytest.skip("needs CuPy or the stand-in (MINIGAN_FAKE_CUPY=1)")
    x = mg.randn(4, 3, device="cuda")
    with pytest.raises(ValueError, match="running_mean is on cpu but the input is on cuda"):
        F.batch_norm(x, np.zeros(3), np.ones(3), training=True)


def test_batch_norm_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(mg.tensor(np.ones((1, 3))), None, None, training=True)


@given(shape=st.sampled_from([(3, 4), (2, 3, 4), (2, 2, 3, 3)]), k=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_layer_norm(shape, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    ns = shape[-k:]
    w, b = rng.standard_normal(ns), rng.standard_normal(ns)
    axes = tuple(range(len(shape) - k, len(shape)))
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5) * w + b
    y = F.layer_norm(t64(x), ns, t64(w), t64(b))
    np.testing.assert_allclose(to_np(y), expected, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, c: F.layer_norm(a, ns, g, c), (t64(x), t64(w), t64(b)))
    assert mg.gradgradcheck(lambda a, g, c: F.layer_norm(a, ns, g, c), (t64(x), t64(w), t64(b)))


def test_batch_norm_matches_pytorch_second_order():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, g, b = rng.standard_normal((4, 3, 2, 2)), rng.standard_normal(3), rng.standard_normal(3)
    tx, tg, tb = t64(x), t64(g), t64(b)
    px, pg, pb = (torch.tensor(a, requires_grad=True) for a in (x, g, b))
    y = F.batch_norm(tx, None, None, tg, tb, training=True)
    py = torch.nn.functional.batch_norm(px, None, None, pg, pb, training=True)
    np.testing.assert_allclose(to_np(y), py.detach().numpy(), rtol=1e-8, atol=1e-12)
    v = rng.standard_normal(x.shape)
    ours = mg.grad(y, [tx, tg, tb], mg.tensor(v, dtype="float64"), create_graph=True)
    theirs = torch.autograd.grad(py, [px, pg, pb], torch.tensor(v), create_graph=True)
    for a, p in zip(ours, theirs):
        np.testing.assert_allclose(to_np(a), p.detach().numpy(), rtol=1e-8, atol=1e-10)
    s_ours = mg.grad(sum(((a * a).sum() for a in ours), mg.tensor(0.0, dtype="float64")), [tx, tg])
    s_theirs = torch.autograd.grad(sum((a * a).sum() for a in theirs), [px, pg])
    for a, p in zip(s_ours, s_theirs):
        np.testing.assert_allclose(to_np(a), p.numpy(), rtol=1e-8, atol=1e-10)
