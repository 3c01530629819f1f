"""Tests for minigan.theory: optimal D, divergences, Wasserstein and Frechet distances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import sqrtm
from scipy.stats import norm

from minigan.theory import (
    LOG4,
    cdf_from_density,
    f_divergence,
    frechet_gaussians,
    integrate,
    js_divergence,
    kl_divergence,
    kl_gaussians,
    optimal_discriminator,
    value_at_optimum,
    value_of_game,
    w1_from_cdfs,
    w1_gaussians_1d,
    w2_gaussians,
)

mus = st.floats(-2.0, 2.0)
sigmas = st.floats(0.5, 1.5)
X = np.linspace(-15, 15, 30_001)


def bump(x, centre, width):
    """A smooth density with compact support [centre - width, centre + width], normalised on x."""
    t = (x - centre) / width
    inside = np.abs(t) < 1
    f = np.where(inside, np.exp(-1 / np.where(inside, 1 - t**2, 1.0)), 0.0)
    return f / integrate(f, x)


# ----------------------------------------------------------------------------- optimal D and the game


def test_optimal_discriminator_values():
    d = optimal_discriminator(np.array([1.0, 0.0, 3.0, 0.0]), np.array([1.0, 2.0, 1.0, 0.0]))
    np.testing.assert_array_equal(d, [0.5, 0.0, 0.75, 0.5])
    with pytest.raises(ValueError, match="non-negative"):
        optimal_discriminator(np.array([-1.0]), np.array([1.0]))


def test_optimal_discriminator_maximises_the_value():
    p, q = norm.pdf(X, 0, 1), norm.pdf(X, 1.5, 0.7)
    d_star = optimal_discriminator(p, q)
    best = value_at_optimum(p, q, X)
    x = np.linspace(-3, 4, 2001)  # no underflow here, so D* stays below 1 and log(1 - D*) is finite
    px, qx = norm.pdf(x, 0, 1), norm.pdf(x, 1.5, 0.7)
    assert value_of_game(px, qx, optimal_discriminator(px, qx), x) == pytest.approx(
        value_at_optimum(px, qx, x), abs=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = np.clip(d_star + 0.05 * rng.standard_normal(X.shape), 1e-6, 1 - 1e-6)
        assert value_of_game(p, q, d, X) < best
    assert value_of_game(p, q, np.full_like(X, 0.5), X) == pytest.approx(-LOG4, abs=1e-9)


def test_value_at_optimum_when_generator_is_perfect():
    p = norm.pdf(X, 0.3, 1.1)
    np.testing.assert_allclose(optimal_discriminator(p, p), 0.5)
    assert value_at_optimum(p, p, X) == pytest.approx(-np.log(4), abs=1e-10)


@settings(max_examples=20, deadline=None)
@given(mu1=mus, s1=sigmas, mu2=mus, s2=sigmas)
def test_value_at_optimum_equals_minus_log4_plus_2_jsd(mu1, s1, mu2, s2):
    p, q = norm.pdf(X, mu1, s1), norm.pdf(X, mu2, s2)
    jsd = js_divergence(p, q, X)
    assert value_at_optimum(p, q, X) == pytest.approx(-np.log(4) + 2 * jsd, abs=1e-9)


def test_value_of_game_zero_conventions():
    x = np.linspace(0, 1, 5)
    p, q = np.array([1.0, 1, 1, 1, 1]), np.zeros(5)
    assert value_of_game(p, q, np.ones(5), x) == 0.0  # D = 1 on real data, no fake mass
    assert value_of_game(p, q, np.zeros(5), x) == -np.inf
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        value_of_game(p, q, np.full(5, 1.5), x)


# ----------------------------------------------------------------------------- divergences


def test_jsd_identical_is_zero_and_disjoint_is_log2():
    p = norm.pdf(X, 1, 2)
    assert js_divergence(p, p, X) == 0.0
    a, b = bump(X, -3, 2), bump(X, 3, 2)
    assert integrate(a * b, X) == 0.0  # truly disjoint supports
    assert js_divergence(a, b, X) == pytest.approx(np.log(2), abs=1e-12)
    assert value_at_optimum(a, b, X) == pytest.approx(0.0, abs=1e-12)  # -log 4 + 2 log 2
    partial = js_divergence(bump(X, -1, 2), bump(X, 1, 2), X)
    assert 0.05 < partial < np.log(2) - 0.05


@settings(max_examples=25, deadline=None)
@given(mu1=mus, s1=sigmas, mu2=mus, s2=sigmas)
def test_kl_gaussians_closed_form_vs_quadrature(mu1, s1, mu2, s2):
    x = np.linspace(mu1 - 9 * s1, mu1 + 9 * s1, 20_001)
    quad = kl_divergence(norm.pdf(x, mu1, s1), norm.pdf(x, mu2, s2), x)
    assert abs(kl_gaussians(mu1, s1, mu2, s2) - quad) < 1e-6


def test_kl_gaussians_known_values():
    assert kl_gaussians(0, 1, 0, 1) == 0.0
    assert kl_gaussians(1, 1, 0, 1) == pytest.approx(0.5)
    assert kl_gaussians(0, 1, 0, 2) == pytest.approx(np.log(2) + 1 / 8 - 0.5)
    with pytest.raises(ValueError, match="positive"):
        kl_gaussians(0, 0, 0, 1)


def test_kl_infinite_off_support():
    a, b = bump(X, 0, 1), bump(X, 0, 3)
    assert kl_divergence(a, b, X) < np.inf
    assert kl_divergence(b, a, X) == np.inf
    assert f_divergence(a, b, X, "reverse_kl") == np.inf
    assert f_divergence(b, a, X, "pearson") == np.inf


@settings(max_examples=15, deadline=None)
@given(mu1=mus, mu2=mus, s=sigmas, s2=sigmas)
def test_f_divergences_against_gaussian_closed_forms(mu1, mu2, s, s2):
    p, q = norm.pdf(X, mu1, s), norm.pdf(X, mu2, s)
    d = mu1 - mu2
    assert f_divergence(p, q, X, "kl") == pytest.approx(d**2 / (2 * s**2), abs=1e-9)
    assert f_divergence(p, q, X, "pearson") == pytest.approx(np.expm1(d**2 / s**2), rel=1e-7, abs=1e-8)
    assert f_divergence(p, q, X, "tv") == pytest.approx(2 * norm.cdf(abs(d) / (2 * s)) - 1, abs=1e-6)
    r = norm.pdf(X, mu2, s2)
    assert f_divergence(p, r, X, "reverse_kl") == pytest.approx(kl_gaussians(mu2, s2, mu1, s), abs=1e-8)
    bc = np.sqrt(2 * s * s2 / (s**2 + s2**2)) * np.exp(-((mu1 - mu2) ** 2) / (4 * (s**2 + s2**2)))
    assert f_divergence(p, r, X, "hellinger") == pytest.approx(2 * (1 - bc), abs=1e-9)
    assert f_divergence(p, r, X, "js") == js_divergence(p, r, X)


def test_f_divergence_rejects_bad_input():
    p = norm.pdf(X)
    with pytest.raises(ValueError, match="unknown kind 'chi'.*pearson"):
        f_divergence(p, p, X, "chi")
    with pytest.raises(ValueError, match="same length"):
        f_divergence(p[:-1], p, X, "kl")


# ----------------------------------------------------------------------------- Wasserstein / Frechet


def test_cdf_from_density():
    cdf = cdf_from_density(norm.pdf(X, 0.5, 1.2), X)
    assert cdf[0] == 0.0
    np.testing.assert_allclose(cdf, norm.cdf(X, 0.5, 1.2), atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(mu1=mus, s1=sigmas, mu2=mus, s2=sigmas)
def test_w1_closed_form_vs_cdf_quadrature(mu1, s1, mu2, s2):
    w1 = w1_gaussians_1d(mu1, s1, mu2, s2)
    quad = w1_from_cdfs(norm.cdf(X, mu1, s1), norm.cdf(X, mu2, s2), X)
    assert w1 == pytest.approx(quad, abs=1e-6)
    assert abs(mu1 - mu2) - 1e-12 <= w1 <= w2_gaussians(mu1, s1, mu2, s2) + 1e-12  # |E| <= W1 <= W2


def test_w1_w2_known_values():
    assert w1_gaussians_1d(0, 1, 3, 1) == 3.0
    assert w1_gaussians_1d(0, 1, 0, 2) == pytest.approx(np.sqrt(2 / np.pi))  # E|z|
    assert w2_gaussians(0, 1, 3, 5) == pytest.approx(5.0)


@settings(max_examples=25, deadline=None)
@given(mu1=mus, s1=sigmas, mu2=mus, s2=sigmas)
def test_w2_closed_form_vs_quantile_quadrature(mu1, s1, mu2, s2):
    u = np.linspace(0, 1, 200_001)[1:-1]
    z = norm.ppf(u)
    w2sq = integrate(((mu1 + s1 * z) - (mu2 + s2 * z)) ** 2, u)
    assert w2_gaussians(mu1, s1, mu2, s2) ** 2 == pytest.approx(w2sq, rel=1e-3, abs=1e-4)
    assert frechet_gaussians([mu1], [[s1**2]], [mu2], [[s2**2]]) == pytest.approx(
        w2_gaussians(mu1, s1, mu2, s2) ** 2, abs=1e-12)


def test_frechet_diagonal_known_case():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    # ||mu1 - mu2||^2 + sum (sqrt v1 - sqrt v2)^2 = (1 + 0 + 4) + (1 + 0 + 4) = 10
    assert frechet_gaussians(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(10.0, abs=1e-12)


def test_frechet_general_case_vs_sqrtm():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 6)), rng.standard_normal((6, 8))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T / 8
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    ref = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
    got = frechet_gaussians(mu1, s1, mu2, s2)
    assert got == pytest.approx(ref, rel=1e-9)
    assert got == pytest.approx(frechet_gaussians(mu2, s2, mu1, s1), rel=1e-9)  # symmetric
    assert abs(frechet_gaussians(mu1, s1, mu1, s1)) < 1e-10
    with pytest.raises(ValueError, match="covariances"):
        frechet_gaussians(mu1, s1[:5, :5], mu2, s2)


def test_frechet_handles_singular_covariances():
    s = np.diag([1.0, 0.0])  # rank-deficient, as with few samples in many dimensions
    assert frechet_gaussians([0, 0], s, [0, 0], s) == pytest.approx(0.0, abs=1e-12)
    assert frechet_gaussians([0, 0], s, [0, 0], np.zeros((2, 2))) == pytest.approx(1.0, abs=1e-12)
