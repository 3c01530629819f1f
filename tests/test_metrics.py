"""Tests for minigan.metrics: every metric against a closed form or an independent computation."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.neighbors import NearestNeighbors

import minigan as mg
from minigan.data.toy import mode_centers, mode_std
from minigan.metrics import (
    frechet_distance,
    frechet_distance_from_stats,
    inception_score,
    js_divergence_to_density,
    kid,
    kl_divergence_to_density,
    mean_pairwise_distance,
    mmd2_unbiased,
    mode_coverage,
    polynomial_kernel,
    precision_recall,
    wasserstein1d,
)
from minigan.metrics import scores as scores_module


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def mixture_samples(name, n, seed):
    """Samples of an equal-weight Gaussian mixture, drawn here from its centres and std."""
    rng = np.random.default_rng(seed)
    centres = mode_centers(name)
    noise = mode_std(name) * rng.normal(size=(n, centres.shape[1]))
    return centres[rng.integers(len(centres), size=n)] + noise


class FakeTensor:
    """Anything with a ``.data`` array is treated as a tensor."""

    def __init__(self, data):
        self.data = data


# ----------------------------------------------------------------------------- Fréchet distance


def test_frechet_diagonal_closed_form():
    # Diagonal covariances commute: d^2 = ||mu_a - mu_b||^2 + sum_i (sqrt(s_a,i) - sqrt(s_b,i))^2.
    mu_a, mu_b = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = frechet_distance_from_stats(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert expected == pytest.approx(1.0 + 6.25 + 4.0 + 1.0)
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("d", [2, 5, 16])
def test_frechet_full_covariance_matches_sqrtm(d):
    rng = np.random.default_rng(d)
    mu_a, mu_b = rng.normal(size=d), rng.normal(size=d)
    sigma_a, sigma_b = random_spd(rng, d), random_spd(rng, d)
    # Tr((Sigma_a^1/2 Sigma_b Sigma_a^1/2)^1/2) = Tr((Sigma_a Sigma_b)^1/2): a different matrix, same trace.
    covmean = scipy.linalg.sqrtm(sigma_a @ sigma_b).real
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a + sigma_b - 2 * covmean)
    got = frechet_distance_from_stats(mu_a, sigma_a, mu_b, sigma_b)
    assert got == pytest.approx(expected, rel=1e-6)


def test_frechet_of_samples_uses_sample_statistics():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 6)), rng.normal(size=(200, 6)) @ random_spd(rng, 6) + 0.5
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = frechet_distance_from_stats(a.mean(0), cov_a, b.mean(0), cov_b)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)


def test_frechet_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 16)) @ random_spd(rng, 16)
    assert frechet_distance(a, a) < 1e-6
    few = rng.normal(size=(10, 64))  # rank-deficient covariance
    assert frechet_distance(few, few) < 1e-6


def test_frechet_rank_deficient_is_finite_and_non_negative():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(10, 64)), rng.normal(size=(10, 64)) + 0.3
    value = frechet_distance(a, b)
    assert np.isfinite(value) and isinstance(value, float)
    assert value > 64 * 0.3**2 / 2  # the mean shift alone contributes about 5.8


@settings(max_examples=25, deadline=None)
@given(n_a=st.integers(2, 40), n_b=st.integers(2, 40), d=st.integers(1, 12), seed=st.integers(0, 2**31 - 1))
def test_frechet_is_symmetric(n_a, n_b, d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n_a, d)), 2.0 * rng.normal(size=(n_b, d)) + 1.0
    ab, ba = frechet_distance(a, b), frechet_distance(b, a)
    assert ab >= 0 and np.isfinite(ab)
    assert ab == pytest.approx(ba, rel=1e-6, abs=1e-8)


def test_frechet_grows_with_mean_shift():
    rng = np.random.default_rng(3)
    d = 8
    base = rng.normal(size=(2000, d))
    direction = np.ones(d) / np.sqrt(d)
    shifts = [0.0, 0.5, 1.0, 2.0, 4.0]
    values = [frechet_distance(base, rng.normal(size=(2000, d)) + s * direction) for s in shifts]
    assert all(x < y for x, y in zip(values, values[1:]))
    assert values[-1] == pytest.approx(16.0, rel=0.05)  # ||m||^2 dominates


def test_frechet_accepts_tensor_like_inputs():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + 1
    expected = frechet_distance(a, b)
    got = frechet_distance(FakeTensor(a), FakeTensor(b.astype(np.float32)))
    assert got == pytest.approx(expected, rel=1e-5)


def test_metrics_accept_minigan_tensors():
    import minigan as mg

    rng = np.random.default_rng(25)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + 1
    ta, tb = mg.tensor(a, dtype="float64"), mg.tensor(b, dtype="float64")
    assert frechet_distance(ta, tb) == frechet_distance(a, b)


@pytest.mark.gpu
def test_metrics_accept_cupy_arrays():
    from minigan.backend import cupy_available

    if not cupy_available():
        pytest.skip("needs CuPy and a CUDA device")
    import cupy

    rng = np.random.default_rng(26)
    a, b = rng.normal(size=(200, 4)), rng.normal(size=(150, 4)) + 1
    assert frechet_distance(cupy.asarray(a), cupy.asarray(b)) == pytest.approx(frechet_distance(a, b))
    assert kid(cupy.asarray(a), cupy.asarray(b)) == pytest.approx(kid(a, b))
    assert wasserstein1d(cupy.asarray(a[:, 0]), b[:, 0]) == pytest.approx(wasserstein1d(a[:, 0], b[:, 0]))


def test_frechet_errors():
    rng = np.random.default_rng(5)
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance(rng.normal(size=(5, 3)), rng.normal(size=(5, 4)))
    with pytest.raises(ValueError, match="2-D"):
        frechet_distance(rng.normal(size=5), rng.normal(size=5))
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet_distance(rng.normal(size=(1, 3)), rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((5, 3), np.nan), rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="shape"):
        frechet_distance_from_stats(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))


# ----------------------------------------------------------------------------- KID


def test_mmd2_unbiased_matches_double_loop():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3)) + 0.5

    def k(u, v):
        return (u @ v / 3 + 1) ** 3

    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    yy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / (5 * 4)
    xy = sum(k(x[i], y[j]) for i in range(7) for j in range(5)) / (7 * 5)
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_kid_is_unbiased_for_equal_distributions():
    def biased_mmd2(x, y):  # keeps the i = j kernel terms
        k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
        return k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()

    rng = np.random.default_rng(7)
    pairs = [(rng.normal(size=(20, 4)), rng.normal(size=(20, 4))) for _ in range(2000)]
    draws = np.array([mmd2_unbiased(x, y) for x, y in pairs])
    standard_error = draws.std(ddof=1) / np.sqrt(len(draws))
    assert abs(draws.mean()) < 2 * standard_error
    # The biased estimate on the same data is clearly positive, so this test can tell the two apart.
    assert np.mean([biased_mmd2(x, y) for x, y in pairs]) > 10 * standard_error


def test_kid_positive_for_different_distributions():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(600, 16)), rng.normal(size=(500, 16)) + 0.5
    mean, std = kid(a, b, subsets=20, subset_size=200, rng=0)
    assert mean > 0.1 and mean > 5 * std
    same_mean, _ = kid(a, rng.normal(size=(500, 16)), subsets=20, subset_size=200, rng=0)
    assert abs(same_mean) < 0.1 * mean


def test_kid_seeding_and_subset_clipping():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(30, 4)), rng.normal(size=(12, 4))
    assert kid(a, b, subsets=5, rng=1) == kid(a, b, subsets=5, rng=1)
    assert kid(a, b, subsets=5) == kid(a, b, subsets=5)  # rng=None is a fixed seed
    # subset_size is clipped to 12: every subset of b is all of b.
    mean, std = kid(a[:12], b, subsets=3, subset_size=1000)
    assert std == pytest.approx(0.0, abs=1e-12) and mean == pytest.approx(mmd2_unbiased(a[:12], b))


# ----------------------------------------------------------------------------- inception score


def test_inception_score_uniform_one_hot_is_number_of_classes():
    probs = np.tile(np.eye(10), (100, 1))  # each split of 100 holds every class 10 times
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_identical_rows_is_one():
    row = np.random.default_rng(10).dirichlet(np.ones(10))
    mean, std = inception_score(np.tile(row, (1000, 1)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_matches_loop_formula():
    probs = np.random.default_rng(11).dirichlet(0.3 * np.ones(5), size=400)
    marginal = probs.mean(axis=0)
    kl = [sum(p[c] * np.log(p[c] / marginal[c]) for c in range(5) if p[c] > 0) for p in probs]
    mean, _ = inception_score(probs, splits=1)
    assert mean == pytest.approx(np.exp(np.mean(kl)), rel=1e-10)


def test_inception_score_warns_and_is_biased_low_for_small_splits():
    labels = np.random.default_rng(12).integers(10, size=1000)
    probs = np.eye(10)[labels]
    with pytest.warns(UserWarning, match="bias the score downward"):
        small, _ = inception_score(probs, splits=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        large, _ = inception_score(probs, splits=1)
    assert small < large - 1.0 and large > 9.9


def test_inception_score_validates_probs():
    with pytest.raises(ValueError, match="non-negative"):
        inception_score(np.random.default_rng(13).normal(size=(200, 10)), splits=1)
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(np.full((200, 10), 0.5), splits=1)
    with pytest.raises(ValueError, match="2-D"):
        inception_score(np.ones(10) / 10, splits=1)


# ----------------------------------------------------------------------------- precision / recall


def test_knn_radii_match_sklearn():
    x = np.random.default_rng(14).normal(size=(300, 5))
    distances, _ = NearestNeighbors(n_neighbors=4).fit(x).kneighbors(x)  # column 0 is the point itself
    np.testing.assert_allclose(scores_module.knn_radii(x, 3), distances[:, 3], rtol=1e-10)


def test_precision_recall_matches_brute_force_and_chunking(monkeypatch):
    rng = np.random.default_rng(15)
    real, fake = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) * 1.5 + 0.5
    d_rr, d_ff, d_fr = cdist(real, real), cdist(fake, fake), cdist(fake, real)
    r_real = np.sort(d_rr, axis=1)[:, 3]  # column 0 is the zero self-distance
    r_fake = np.sort(d_ff, axis=1)[:, 3]
    precision = np.mean([(d_fr[i] <= r_real).any() for i in range(50)])
    recall = np.mean([(d_fr[:, j] <= r_fake).any() for j in range(60)])
    assert precision_recall(real, fake, k=3) == pytest.approx((precision, recall))
    monkeypatch.setattr(scores_module, "_chunk_rows", lambda n: 7)
    assert precision_recall(real, fake, k=3) == pytest.approx((precision, recall))


def test_precision_recall_same_distribution_near_one():
    rng = np.random.default_rng(16)
    precision, recall = precision_recall(rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2)), k=3)
    assert precision > 0.95 and recall > 0.95


def test_recall_collapses_on_a_single_cluster():
    rng = np.random.default_rng(17)
    centres = rng.normal(size=(10, 2)) * 10
    real = centres[rng.integers(10, size=2000)] + rng.normal(size=(2000, 2))
    fake = centres[0] + rng.normal(size=(500, 2))
    precision, recall = precision_recall(real, fake, k=3)
    assert recall < 0.3 and precision > 0.9


# ----------------------------------------------------------------------------- mode coverage


def test_mode_coverage_ring8_own_samples():
    result = mode_coverage(mixture_samples("ring8", 4000, seed=18), "ring8")
    assert result["modes"] == 8 and result["num_modes"] == 8
    assert result["high_quality"] >= 0.98  # P(||z|| <= 3) = 1 - exp(-4.5) = 0.989 in 2-D
    assert 0 <= result["kl"] < 0.01


def test_mode_coverage_single_mode():
    x = mode_centers("ring8")[3] + 0.02 * np.random.default_rng(19).normal(size=(500, 2))
    result = mode_coverage(x, "ring8")
    assert result["modes"] == 1
    assert result["kl"] == pytest.approx(np.log(8), rel=1e-12)


def test_mode_coverage_grid25_and_thresholds():
    assert mode_coverage(mixture_samples("grid25", 5000, seed=20), "grid25")["modes"] == 25
    far = mode_coverage(np.full((100, 2), 10.0), "grid25")
    assert far["modes"] == 0 and far["high_quality"] == 0.0 and far["kl"] == pytest.approx(np.log(25))
    at_centre = np.repeat(mode_centers("ring8")[:2], [20, 19], axis=0)
    assert mode_coverage(at_centre, "ring8", min_count=20)["modes"] == 1


# ----------------------------------------------------------------------------- Wasserstein-1


finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(a=st.lists(finite, min_size=1, max_size=30), b=st.lists(finite, min_size=1, max_size=30))
def test_wasserstein1d_matches_scipy(a, b):
    assert wasserstein1d(a, b) == pytest.approx(scipy.stats.wasserstein_distance(a, b), rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(a=st.lists(finite, min_size=1, max_size=30), c=finite)
def test_wasserstein1d_shift(a, c):
    a = np.array(a)
    assert wasserstein1d(a, a + c) == pytest.approx(abs(c), rel=1e-9, abs=1e-9)


def test_wasserstein1d_column_input_and_errors():
    a = np.random.default_rng(21).normal(size=(100, 1))
    expected = scipy.stats.wasserstein_distance(a[:, 0], a[:77, 0] + 1)
    assert wasserstein1d(a, a[:77] + 1.0) == pytest.approx(expected)
    with pytest.raises(ValueError, match="1-D"):
        wasserstein1d(np.zeros((4, 2)), np.zeros(4))


# ----------------------------------------------------------------------------- divergences to a known density


def test_js_divergence_to_density_small_for_own_samples_and_larger_when_shifted():
    rng = np.random.default_rng(22)
    n, bins = 20000, 50
    pdf = scipy.stats.norm.pdf
    own, own_err = js_divergence_to_density(rng.normal(size=n), pdf, bins=bins, range=(-5, 5))
    shifted, shifted_err = js_divergence_to_density(rng.normal(size=n) + 1, pdf, bins=bins, range=(-5, 5))
    assert own < 3 * (bins - 1) / (8 * n)  # the sampling-noise floor of the binned estimate
    assert shifted > 0.08 and shifted > 50 * own
    assert 0 < own_err < 0.01 and 0 < shifted_err < 0.01
    far, _ = js_divergence_to_density(rng.normal(size=n) + 50, pdf)
    assert far == pytest.approx(np.log(2), rel=1e-6)  # disjoint supports, default range


def test_binned_bias_matches_the_documented_floor():
    rng = np.random.default_rng(23)
    n, bins = 5000, 40
    pdf = scipy.stats.norm.pdf
    values = [js_divergence_to_density(rng.normal(size=n), pdf, bins, (-4, 4))[0] for _ in range(30)]
    assert np.mean(values) == pytest.approx((bins - 1) / (8 * n), rel=0.3)


def test_kl_divergence_to_density_known_value():
    # KL(N(1, 1) || N(0, 1)) = 1/2.
    samples = np.random.default_rng(24).normal(size=50000) + 1
    value, stderr = kl_divergence_to_density(samples, scipy.stats.norm.pdf, bins=200, range=(-6, 7))
    assert value == pytest.approx(0.5, abs=0.03) and 0 < stderr < 0.02
    assert kl_divergence_to_density(samples, scipy.stats.norm.pdf, 200, (-6, 7), seed=0) == (value, stderr)


def test_mean_pairwise_distance_is_the_mean_over_distinct_pairs():
    x = np.random.default_rng(0).normal(size=(7, 1, 3, 2))
    pairs = [np.linalg.norm(x[i] - x[j]) for i in range(7) for j in range(i + 1, 7)]
    assert mean_pairwise_distance(x) == pytest.approx(np.mean(pairs), rel=1e-12)
    assert mean_pairwise_distance(mg.tensor(x.astype(np.float32))) == pytest.approx(np.mean(pairs), rel=1e-5)
    assert mean_pairwise_distance(np.repeat(x[:1], 4, axis=0)) == 0.0
    with pytest.raises(ValueError, match="at least 2 samples"):
        mean_pairwise_distance(x[:1])
