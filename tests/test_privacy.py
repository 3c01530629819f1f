"""The RDP accountant of the sampled Gaussian mechanism (minigan.privacy)."""

import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from minigan import privacy
from minigan.privacy import compute_epsilon, compute_rdp, noise_multiplier_for_epsilon


def _log_a_alpha_by_quadrature(q: float, sigma: float, alpha: float) -> float:
    """log A_α, A_α = E_{x~N(0,σ²)}[((1 − q) + q·e^{(2x − 1)/(2σ²)})^α], integrated numerically."""
    def log_f(x):
        ratio = np.logaddexp(math.log1p(-q), math.log(q) + (2 * x - 1) / (2 * sigma**2))
        return norm.logpdf(x, scale=sigma) + alpha * ratio
    grid = np.linspace(-20 * sigma, alpha + 20 * sigma, 20001)
    shift = log_f(grid).max()
    value, _ = integrate.quad(lambda x: math.exp(log_f(x) - shift), grid[0], grid[-1], points=[0.0, alpha / 2, alpha],
                              limit=400, epsabs=0, epsrel=1e-11)
    return math.log(value) + shift


@pytest.mark.parametrize("q,sigma,alpha", [(0.01, 1.0, 2), (0.05, 0.8, 5), (0.2, 2.0, 12), (0.01, 1.1, 32)])
def test_integer_orders_match_the_defining_integral(q, sigma, alpha):
    (rdp,) = compute_rdp(sigma, q, 1, orders=(alpha,))
    assert rdp == pytest.approx(_log_a_alpha_by_quadrature(q, sigma, alpha) / (alpha - 1), rel=1e-7)


@pytest.mark.parametrize("q,sigma,alpha", [(0.01, 1.0, 2.5), (0.01, 2.0, 1.5), (0.001, 1.1, 7.3)])
def test_fractional_orders_bound_the_defining_integral_tightly(q, sigma, alpha):
    """The |C(α, i)| series is an upper bound; for small q it stays within a few per cent."""
    (rdp,) = compute_rdp(sigma, q, 1, orders=(alpha,))
    exact = _log_a_alpha_by_quadrature(q, sigma, alpha) / (alpha - 1)
    assert exact * (1 - 1e-9) <= rdp <= exact * 1.05


def test_full_batch_is_the_gaussian_mechanism_and_steps_add_up():
    orders = (2, 3.5, 10)
    assert np.allclose(compute_rdp(1.5, 1.0, 1, orders), [a / (2 * 1.5**2) for a in orders])
    one = compute_rdp(1.1, 0.02, 1)
    assert np.allclose(compute_rdp(1.1, 0.02, 250), 250 * one)


def test_epsilon_grows_with_steps_and_rate_and_falls_with_noise():
    base = compute_epsilon(1.0, 0.01, 1000, 1e-5)
    assert compute_epsilon(1.0, 0.01, 4000, 1e-5) > base
    assert compute_epsilon(1.0, 0.04, 1000, 1e-5) > base
    assert compute_epsilon(2.0, 0.01, 1000, 1e-5) < base
    assert compute_epsilon(1.0, 0.01, 1000, 1e-3) < base
    assert compute_epsilon(1.0, 0.0, 1000, 1e-5) == 0.0
    assert compute_epsilon(0.0, 0.01, 1000, 1e-5) == math.inf


def test_noise_multiplier_for_epsilon_inverts_compute_epsilon():
    q, steps, delta = 64 / 1797, 2000, 1e-5
    sigma = noise_multiplier_for_epsilon(5.0, q, steps, delta)
    assert compute_epsilon(sigma, q, steps, delta) <= 5.0
    assert compute_epsilon(sigma * 0.99, q, steps, delta) > 5.0


@pytest.mark.parametrize("args,match", [((-1.0, 0.1, 10, 1e-5), "noise_multiplier"),
                                        ((1.0, 1.5, 10, 1e-5), "sample_rate"),
                                        ((1.0, 0.1, -3, 1e-5), "steps"), ((1.0, 0.1, 10, 0.0), "delta")])
def test_bad_arguments_are_named(args, match):
    with pytest.raises(ValueError, match=match):
        compute_epsilon(*args)


def test_agrees_with_dp_accounting_within_one_percent():
    dp_accounting = pytest.importorskip("dp_accounting")

    def reference(sigma, q, steps, delta):
        accountant = dp_accounting.rdp.RdpAccountant(orders=list(privacy.ORDERS))
        accountant.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
        return accountant.get_epsilon(delta)

    for sigma, q, steps in itertools.product([0.7, 1.1, 3.0], [0.002, 0.02, 0.08], [1, 300, 10_000]):
        for delta in (1e-5,) if steps != 300 else (1e-5, 1e-3):
            ours, theirs = compute_epsilon(sigma, q, steps, delta), reference(sigma, q, steps, delta)
            assert ours == pytest.approx(theirs, rel=0.01), (sigma, q, steps, delta)
