"""Fréchet distance between Gaussians fitted to two feature sets (FID when the features come from a CNN).

Fit N(mu_a, Sigma_a) and N(mu_b, Sigma_b) to the features; their squared 2-Wasserstein distance is

    d^2 = ||mu_a - mu_b||^2 + Tr(Sigma_a + Sigma_b - 2 (Sigma_a^1/2 Sigma_b Sigma_a^1/2)^1/2).

``M = Sigma_a^1/2 Sigma_b Sigma_a^1/2`` is symmetric positive semi-definite, so the trace of its square
root is the sum of the square roots of its eigenvalues. Using symmetric eigendecompositions (``eigh``)
and clipping round-off negatives to 0 keeps the result real and finite, even for rank-deficient
covariances (fewer samples than feature dimensions), where a general ``sqrtm`` can return complex
numbers or NaN.
"""

from __future__ import annotations

import numpy as np

from minigan.backend import to_numpy


def as_float64(x, name: str = "input") -> np.ndarray:
    """A float64 NumPy copy of a NumPy array, a CuPy array or a minigan Tensor; rejects NaN and inf."""
    array = np.asarray(to_numpy(x), dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def as_feature_matrix(feats, name: str) -> np.ndarray:
    """Check that ``feats`` is an (N, D) sample set with N >= 2 and return it as float64."""
    feats = as_float64(feats, name)
    if feats.ndim != 2:
        raise ValueError(f"{name} must be 2-D (num_samples, num_features), got shape {feats.shape}")
    if feats.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples to estimate a covariance, got {feats.shape[0]}")
    return feats


def check_same_dim(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("feats_a", "feats_b")) -> None:
    """Raise a ValueError when two (N, D) feature sets have different D."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} ({names[0]}) vs {b.shape[1]} ({names[1]})")


def gaussian_stats(feats) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean mu (D,) and unbiased covariance Sigma = X_c^T X_c / (N - 1), (D, D), of (N, D) features."""
    feats = as_feature_matrix(feats, "feats")
    mu = feats.mean(axis=0)
    centred = feats - mu
    return mu, centred.T @ centred / (len(feats) - 1)


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root V diag(sqrt(max(w, 0))) V^T of a symmetric PSD matrix."""
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance_from_stats(mu_a, sigma_a, mu_b, sigma_b) -> float:
    """d^2 = ||mu_a - mu_b||^2 + Tr(Sigma_a) + Tr(Sigma_b) - 2 sum_i sqrt(max(lambda_i, 0)),

    lambda_i the eigenvalues of Sigma_a^1/2 Sigma_b Sigma_a^1/2. Returns a float >= 0.
    """
    mu_a, mu_b = as_float64(mu_a, "mu_a"), as_float64(mu_b, "mu_b")
    sigma_a, sigma_b = as_float64(sigma_a, "sigma_a"), as_float64(sigma_b, "sigma_b")
    if mu_a.ndim != 1 or mu_b.ndim != 1 or mu_a.shape != mu_b.shape:
        raise ValueError(f"mu_a and mu_b must be 1-D of the same length, got {mu_a.shape} and {mu_b.shape}")
    d = mu_a.shape[0]
    for name, sigma in (("sigma_a", sigma_a), ("sigma_b", sigma_b)):
        if sigma.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}) to match the means, got {sigma.shape}")
    sigma_a, sigma_b = (sigma_a + sigma_a.T) / 2, (sigma_b + sigma_b.T) / 2  # remove round-off asymmetry
    root_a = _psd_sqrt(sigma_a)
    m = root_a @ sigma_b @ root_a
    eigenvalues = np.linalg.eigvalsh((m + m.T) / 2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * trace_sqrt
    return max(float(value), 0.0)


def frechet_distance(feats_a, feats_b) -> float:
    """Fréchet distance between Gaussians fitted to (N_a, D) and (N_b, D) features (FID on CNN features)."""
    a = as_feature_matrix(feats_a, "feats_a")
    b = as_feature_matrix(feats_b, "feats_b")
    check_same_dim(a, b)
    return frechet_distance_from_stats(*gaussian_stats(a), *gaussian_stats(b))
