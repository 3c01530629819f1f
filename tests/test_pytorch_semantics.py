"""Where minigan uses PyTorch's name it keeps PyTorch's meaning: one test per item that once differed."""

import numpy as np
import pytest
from conftest import t64, to_np

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F


def test_transpose_of_a_2d_tensor_transposes():
    a = np.arange(6.0).reshape(2, 3)
    x = t64(a)
    y = x.transpose(0, 1)
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(to_np(y), a.T)
    np.testing.assert_array_equal(to_np(x.transpose(1, 0)), a.T)
    np.testing.assert_array_equal(to_np(mg.transpose(x, 0, 1)), a.T)
    y.backward(mg.tensor(np.ones((3, 2)), dtype="float64"))
    np.testing.assert_array_equal(to_np(x.grad), np.ones((2, 3)))
    with pytest.raises(TypeError):
        x.transpose((1, 0))  # a permutation is permute's job, as in PyTorch


def test_reductions_take_dim_and_keepdim():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = t64(a)
    for name, ref in (("sum", np.sum), ("mean", np.mean), ("amax", np.max), ("amin", np.min)):
        method = getattr(x, name)
        np.testing.assert_allclose(to_np(method(dim=1, keepdim=True)), ref(a, axis=1, keepdims=True))
        np.testing.assert_allclose(to_np(method(1, True)), ref(a, axis=1, keepdims=True))
        np.testing.assert_allclose(to_np(method(dim=(0, 2))), ref(a, axis=(0, 2)))
        np.testing.assert_allclose(to_np(method(axis=1, keepdims=True)), ref(a, axis=1, keepdims=True))  # aliases
        with pytest.raises(TypeError, match="dim or axis"):
            method(dim=0, axis=1)
    np.testing.assert_allclose(to_np(x.var(dim=2, keepdim=True)), a.var(axis=2, keepdims=True, ddof=1))
    with pytest.raises(ValueError, match="out of range"):
        x.sum(dim=3)


def test_max_and_min_along_a_dim_give_values_and_indices():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = t64(a).max(dim=1)
    np.testing.assert_array_equal(to_np(values), [5.0, 7.0])
    np.testing.assert_array_equal(to_np(indices), [1, 0])
    result = t64(a).min(0, keepdim=True)
    np.testing.assert_array_equal(to_np(result.values), [[1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(to_np(result.indices), [[0, 1, 0]])
    assert float(t64(a).max()) == 7.0
    np.testing.assert_array_equal(to_np(t64(a).max(axis=1)), [5.0, 7.0])  # NumPy's name: values only


def test_var_and_std_use_correction_1_by_default():
    a = np.array([1.0, 2.0, 4.0, 7.0])
    x = t64(a)
    assert float(x.var()) == pytest.approx(a.var(ddof=1))
    assert float(x.var(correction=0)) == pytest.approx(a.var())
    assert float(x.var(unbiased=False)) == pytest.approx(a.var())
    assert float(x.var(ddof=0)) == pytest.approx(a.var())
    assert float(x.std()) == pytest.approx(a.std(ddof=1))
    assert float(mg.var(x)) == pytest.approx(a.var(ddof=1))
    with pytest.raises(ValueError, match="undefined"):
        t64([3.0]).var()
    with pytest.raises(TypeError, match="one of"):
        x.var(correction=1, ddof=0)


def test_flatten_takes_start_dim_and_end_dim():
    x = t64(np.zeros((2, 3, 4, 5)))
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(start_dim=1, end_dim=2).shape == (2, 12, 5)
    assert x.flatten(0, -2).shape == (24, 5)
    assert nn.Flatten()(x).shape == x.flatten(1).shape
    with pytest.raises(ValueError, match="start_dim"):
        x.flatten(2, 1)


def test_softmax_takes_dim():
    a = np.random.default_rng(1).standard_normal((3, 4))
    x = t64(a)
    expected = np.exp(a) / np.exp(a).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(to_np(F.softmax(x, 0)), expected)
    np.testing.assert_allclose(to_np(F.softmax(x, dim=0)), expected)
    np.testing.assert_allclose(to_np(F.softmax(x, axis=0)), expected)  # the older name still works
    np.testing.assert_allclose(to_np(F.log_softmax(x, dim=0)), np.log(expected))
    np.testing.assert_allclose(to_np(F.softmax(x)).sum(axis=-1), np.ones(3))


def test_to_takes_a_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True, device="cpu")
    y = x.to("float64")
    assert y.dtype == np.float64 and x.dtype == np.float32
    assert x.to(np.float64).dtype == np.float64 and x.to(dtype="float64").dtype == np.float64
    assert x.to("cpu", "float64").dtype == np.float64 and x.to("cpu") is x
    assert x.to(t64([0.0])).dtype == np.float64  # like another tensor
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 4.0])
    with pytest.raises(TypeError, match="device"):
        x.to("sideways")


@pytest.mark.parametrize("activation", ["leaky_relu", "relu"])
def test_a_leaf_reached_through_a_zero_derivative_gets_zeros_after_a_gradient_penalty(activation):
    """D(x) = w₂·act(W₁x + b₁) + b₂. ∇ₓD = W₁ᵀ(act'(W₁x + b₁) ⊙ w₂) depends on b₁ only through act', whose
    derivative is 0: PyTorch gives b₁ a zero gradient (and b₂, which ∇ₓD does not involve, none)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = dict(x=rng.standard_normal((5, 3)), w1=rng.standard_normal((4, 3)), b1=rng.standard_normal(4),
                  w2=rng.standard_normal((1, 4)), b2=rng.standard_normal(1))

    def penalty(lib, F_, t):
        act = (lambda h: F_.leaky_relu(h, 0.2)) if activation == "leaky_relu" else F_.relu
        d = F_.linear(act(F_.linear(t["x"], t["w1"], t["b1"])), t["w2"], t["b2"])
        (g,) = lib.autograd.grad(d.sum(), [t["x"]], create_graph=True) if lib is torch else \
            mg.grad(d.sum(), [t["x"]], create_graph=True)
        return ((g * g).sum(1) - 1) ** 2

    ours = {k: t64(v) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    penalty(mg, F, ours).mean().backward()
    penalty(torch, torch.nn.functional, theirs).mean().backward()
    for k in arrays:
        if theirs[k].grad is None:
            assert ours[k].grad is None, k
        else:
            np.testing.assert_allclose(to_np(ours[k].grad), theirs[k].grad.numpy(), rtol=1e-10, atol=1e-12)
    assert ours["b1"].grad is not None and not np.any(to_np(ours["b1"].grad))
    leaves = [t64(v) for v in arrays.values()]
    gp = penalty(mg, F, dict(zip(arrays, leaves))).mean()
    (gb1,) = mg.grad(gp, [leaves[2]])  # mg.grad too: zeros, not "unused"
    np.testing.assert_array_equal(to_np(gb1), np.zeros(4))


def test_abs_second_derivative_gives_zeros():
    torch = pytest.importorskip("torch")
    a = np.array([-1.5, 0.5, 2.0])
    x, t = t64(a), torch.tensor(a, requires_grad=True)
    (g,) = mg.grad(mg.abs(x).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad(t.abs().sum(), [t], create_graph=True)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), t.grad.numpy(force=True))  # PyTorch: a ZeroTensor
    np.testing.assert_array_equal(to_np(x.grad), np.zeros(3))
