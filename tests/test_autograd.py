"""The autodiff engine: accumulation, graph freeing, higher-order gradients, errors, dtypes."""

import gc
import weakref

import numpy as np
import pytest
from conftest import t64, to_np
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
import minigan.nn.functional as F


def test_backward_accumulates_into_leaves():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), [5, 7, 9])
    assert x.grad.dtype == np.float32


def test_shared_subexpression_gets_summed_gradient():
    x = t64([2.0])
    y = x * x
    z = y + y * x  # x² + x³
    z.backward()
    np.testing.assert_allclose(to_np(x.grad), [2 * 2 + 3 * 4])


def test_no_grad_records_nothing_and_detach_cuts():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.creator is None
    z = (x * 2).detach() * x
    z.backward()
    np.testing.assert_allclose(to_np(x.grad), [2.0])


def test_no_grad_as_decorator():
    @mg.no_grad()
    def f(t):
        return t * 2

    assert not f(mg.tensor([1.0], requires_grad=True)).requires_grad
    assert mg.is_grad_enabled()


def test_long_chain_backprops_without_recursion():
    x = mg.tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(to_np(x.grad), [1.0001 ** 10_000], rtol=1e-9)


def test_graph_is_freed_after_backward():
    x = mg.tensor(np.ones(1000), requires_grad=True)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    gc.collect()
    assert ref() is not None  # kept alive by the graph
    loss.backward()
    gc.collect()
    assert ref() is None  # released once backward has run
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp()).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(to_np(x.grad), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_grad_function_and_create_graph():
    x = t64([0.3, -1.2])
    y = (x ** 3).sum()
    (g,) = mg.grad(y, x, create_graph=True)
    np.testing.assert_allclose(to_np(g), 3 * to_np(x) ** 2)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(to_np(h), 6 * to_np(x))
    assert x.grad is None  # mg.grad does not touch .grad


def test_grad_wrt_intermediate_tensor():
    x = t64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = mg.grad(y, [h, x])
    np.testing.assert_allclose(to_np(gh), 2 * to_np(h))
    np.testing.assert_allclose(to_np(gx), 18 * to_np(x))


@given(n=st.integers(1, 5), seed=st.integers(0, 1000))
def test_hessian_vector_product_matches_finite_differences(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    v = rng.standard_normal(n)

    def f(x):
        return (mg.tanh(x @ mg.tensor(a, dtype="float64")) ** 2).sum() + (x ** 4).sum()

    def gradient(x0):
        x = t64(x0)
        (g,) = mg.grad(f(x), x)
        return to_np(g)

    x0 = rng.standard_normal(n)
    x = t64(x0)
    (g,) = mg.grad(f(x), x, create_graph=True)
    (hv,) = mg.grad((g * mg.tensor(v, dtype="float64")).sum(), x)
    eps = 1e-6
    fd = (gradient(x0 + eps * v) - gradient(x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(to_np(hv), fd, rtol=1e-6, atol=1e-7)


def test_unused_input_error_and_allow_unused():
    x, z = t64([1.0]), t64([2.0])
    with pytest.raises(RuntimeError, match="not used"):
        mg.grad((x * 2).sum(), [x, z])
    gx, gz = mg.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and to_np(gx)[0] == 2


class Cube(mg.Function):
    """y = x³;  dx = 3 x² g."""

    def forward(self, x):
        return x ** 3

    def backward(self, g):
        (x,) = self.inputs
        return g * 3 * x * x


def test_custom_function_gradcheck_and_gradgradcheck():
    x = t64(np.random.default_rng(1).standard_normal((3, 2)))
    assert mg.gradcheck(Cube.apply, (x,))
    assert mg.gradgradcheck(Cube.apply, (x,))


# ----------------------------------------------------------------------------- errors a student can read


def test_non_broadcastable_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(2,3\).*\(4,\)|\(2, ?3\).*\(4,?\)"):
        mg.tensor(np.ones((2, 3))) + mg.tensor(np.ones(4))


def test_backward_on_non_scalar_needs_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="needs a `grad` argument"):
        (x * 2).backward()
    (x * 2).backward(np.ones(2))
    np.testing.assert_allclose(to_np(x.grad), [2, 2])


def test_requires_grad_on_integers_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2, 3], requires_grad=True)


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        mg.gradcheck(lambda t: t * 2, (mg.tensor([1.0], requires_grad=True),))


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


@given(a=st.lists(st.integers(2, 5), min_size=1, max_size=3), b=st.lists(st.integers(2, 5), min_size=1, max_size=3))
def test_broadcast_errors_never_silently_succeed(a, b):
    try:
        expected = np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        with pytest.raises(ValueError):
            mg.tensor(np.ones(a)) * mg.tensor(np.ones(b))
    else:
        assert (mg.tensor(np.ones(a)) * mg.tensor(np.ones(b))).shape == expected


# ----------------------------------------------------------------------------- dtype discipline


def test_float32_stays_float32_through_forward_and_backward():
    """Walk a small network's graph and check every value and every gradient is float32."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((4, 3, 6, 6)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((5, 3, 3, 3)) * 0.1, requires_grad=True)
    wt = mg.tensor(rng.standard_normal((5, 2, 3, 3)) * 0.1, requires_grad=True)
    b, bt = mg.zeros(5, requires_grad=True), mg.zeros(2, requires_grad=True)
    wl = mg.tensor(rng.standard_normal((1, 2 * 5 * 5)) * 0.1, requires_grad=True)
    gamma, beta = mg.ones(5, requires_grad=True), mg.zeros(5, requires_grad=True)
    h = F.conv2d(x, w, b, stride=2, padding=1)
    h = F.batch_norm(h, None, None, gamma, beta, training=True)
    h = F.leaky_relu(h, 0.2)
    h = mg.relu(F.conv_transpose2d(h, wt, bt, stride=2, padding=1))
    h = (h.reshape(4, -1) @ wl.T) * 0.5 + 1
    loss = mg.softplus(-h).mean() + (h ** 2).mean() * 0.1 + mg.logsigmoid(h).sum() / 3 + h.var(correction=0)
    seen = []
    stack, visited = [loss], set()
    while stack:
        t = stack.pop()
        seen.append(t)
        if t.creator is not None and id(t.creator) not in visited:
            visited.add(id(t.creator))
            stack.extend(t.creator.inputs)
    assert all(t.dtype == np.float32 for t in seen if t.dtype.kind == "f"), {str(t.dtype) for t in seen}
    grads = mg.grad(loss, [x, w, wl, gamma, beta], create_graph=True)
    assert all(g.dtype == np.float32 for g in grads)
    second = mg.grad(sum(((g * g).sum() for g in grads), mg.tensor(0.0)), [x, w])
    assert all(g.dtype == np.float32 for g in second)


def test_grad_mode_is_per_thread():
    import threading

    seen = []
    with mg.no_grad():
        thread = threading.Thread(target=lambda: seen.append(mg.is_grad_enabled()))
        thread.start()
        thread.join()
        assert not mg.is_grad_enabled()
    assert seen == [True]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_the_function():
    x = mg.tensor([0.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(FloatingPointError, match="Sqrt"):
        mg.sqrt(x).backward()


class Scale(mg.Function):
    """y = c·x for a constant c, declared in __init__;  dx = c g."""

    def __init__(self, c: float):
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, g):
        return g * self.c


def test_function_parameters_are_declared_in_init():
    x = t64([1.0, -2.0])
    assert mg.gradcheck(lambda t: Scale.apply(t, c=3.0), (x,))
    np.testing.assert_array_equal(to_np(Scale(c=2.0)(x)), [2.0, -4.0])
    with pytest.raises(TypeError, match=r"Cube declares the parameters \[\]"):
        Cube.apply(x, power=3)  # Cube declares no parameters
    with pytest.raises(TypeError, match=r"Scale declares the parameters \['c'\].*\['scale'\]"):
        Scale.apply(x, scale=3.0)  # not the name it declares
