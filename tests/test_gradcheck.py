"""gradcheck must catch wrong backwards and explain where they are wrong."""

import numpy as np
import pytest
from conftest import t64

import minigan as mg


def make_op(backward):
    class Op(mg.Function):
        def forward(self, x):
            return x * x

        def backward(self, g):
            return backward(self, g)

    return Op.apply


def test_correct_op_passes():
    assert mg.gradcheck(make_op(lambda self, g: 2 * g * self.inputs[0]), (t64([1.0, -2.0, 3.0]),))


@pytest.mark.parametrize("bad, hint", [
    (lambda self, g: 2 * self.inputs[0] + 0 * g, None),  # ignores upstream gradient
    (lambda self, g: -2 * g * self.inputs[0], "wrong sign"),
    (lambda self, g: 4 * g * self.inputs[0], "constant factor"),
    (lambda self, g: g * 0, "all zeros"),
])
def test_wrong_backwards_are_caught_with_a_report(bad, hint):
    x = t64(np.arange(1.0, 7.0).reshape(2, 3))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(make_op(bad), (x,))
    report = str(info.value)
    assert "output 0 w.r.t. input 0" in report
    assert "numerical" in report and "analytical" in report
    if hint:
        assert hint in report
    assert mg.gradcheck(make_op(bad), (x,), raise_exception=False) is False


def test_report_names_worst_element():
    def backward(self, g):
        wrong = self.inputs[0].data * 0
        wrong[1, 2] = 100.0
        return 2 * g * self.inputs[0] + mg.tensor(wrong, dtype="float64")

    x = t64(np.ones((2, 3)))
    with pytest.raises(mg.GradcheckError, match=r"\(1, 2\)"):
        mg.gradcheck(make_op(backward), (x,))


def test_fast_mode_catches_errors_too():
    x = t64(np.random.default_rng(0).standard_normal(50))
    assert mg.gradcheck(make_op(lambda self, g: 2 * g * self.inputs[0]), (x,), fast_mode=True)
    with pytest.raises(mg.GradcheckError, match="fast mode"):
        mg.gradcheck(make_op(lambda self, g: 3 * g * self.inputs[0]), (x,), fast_mode=True)


def test_gradgradcheck_catches_a_first_derivative_that_is_not_differentiable():
    class Detached(mg.Function):  # backward uses raw arrays: its second derivative is lost
        def forward(self, x):
            return x ** 3

        def backward(self, g):
            return g * mg.tensor(3 * self.inputs[0].data ** 2, dtype="float64")

    x = t64([0.5, -1.5])
    assert mg.gradcheck(Detached.apply, (x,))
    with pytest.raises(mg.GradcheckError):
        mg.gradgradcheck(Detached.apply, (x,))


def test_numerical_jacobian_of_linear_map():
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = t64(np.ones(4))
    (row,) = mg.numerical_jacobian(lambda t: mg.tensor(a, dtype="float64") @ t, (x,))
    np.testing.assert_allclose(row[0], a, atol=1e-8)


def test_multiple_outputs():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0])
    assert mg.gradcheck(lambda a, b: (a * b, a + b.exp()), (x, y))
