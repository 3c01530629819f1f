"""Kernel Inception Distance (Bińkowski et al., 2018): an unbiased MMD^2 between two feature sets.

With the cubic polynomial kernel k(x, y) = (x^T y / d + 1)^3 and samples x_1..x_m ~ P, y_1..y_n ~ Q,

    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
              - 2/(mn) sum_{i, j} k(x_i, y_j).

Leaving out the i = j terms makes the estimate unbiased: its expectation is exactly 0 when P = Q
(so single estimates can be negative), unlike FID, which is biased upward for finite samples.
"""

from __future__ import annotations

import numpy as np

from .frechet import as_feature_matrix, check_same_dim


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """K[i, j] = (x_i^T y_j / d + 1)^3 for (m, d) and (n, d) arrays; shape (m, n)."""
    t = x @ y.T / x.shape[1] + 1.0
    return t * t * t  # two products: faster than ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between (m, d) and (n, d) samples with the cubic polynomial kernel (m, n >= 2)."""
    m, n = len(x), len(y)
    k_xx, k_yy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(term_xx + term_yy - 2.0 * k_xy.mean())


def kid(feats_a, feats_b, subsets: int = 100, subset_size: int = 1000, rng=None) -> tuple[float, float]:
    """Mean and std of MMD^2_u over ``subsets`` random subsets of each feature set.

    Each subset draws ``subset_size`` rows without replacement from each set; ``subset_size`` is
    clipped to the smaller set size. ``rng`` is a seed or a ``np.random.Generator``; ``None`` uses the
    fixed seed 0, so the same features always give the same numbers.
    """
    a = as_feature_matrix(feats_a, "feats_a")
    b = as_feature_matrix(feats_b, "feats_b")
    check_same_dim(a, b)
    if int(subsets) < 1:
        raise ValueError(f"subsets must be >= 1, got {subsets}")
    size = min(int(subset_size), len(a), len(b))
    if size < 2:
        raise ValueError(f"subset_size must be >= 2, got {subset_size}")
    rng = np.random.default_rng(0 if rng is None else rng)
    values = np.array([
        mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
        for _ in range(int(subsets))
    ])
    return float(values.mean()), float(values.std())
