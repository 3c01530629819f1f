"""The area under the ROC curve (AUROC) of a score that should rank positives above negatives.

For n₁ positives and n₀ negatives, AUROC is the probability that a random positive scores higher than a
random negative, ties counting one half:

    AUROC = (1 / (n₁ n₀)) Σ_{i ∈ pos} Σ_{j ∈ neg} ( [s_i > s_j] + ½ [s_i = s_j] ).

This is the Mann–Whitney U statistic divided by n₁ n₀, and it is computed from ranks in O(N log N):
with r_i the rank of s_i among all N scores (1 = lowest; tied scores share the mean of their ranks),

    AUROC = (Σ_{i ∈ pos} r_i − n₁(n₁ + 1)/2) / (n₁ n₀),

since Σ r_i over the positives counts, for each positive, the scores at or below it (itself included, and
half of each tie). It equals the trapezoidal area under the ROC curve, scikit-learn's ``roc_auc_score``.
0.5 is chance; 1 puts every positive above every negative.
"""

from __future__ import annotations

import numpy as np

from .. import backend

__all__ = ["auroc", "midranks"]


def midranks(values) -> np.ndarray:
    """Ranks 1..N of ``values`` (1-D) in float64, tied values sharing the mean of the ranks they span."""
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])  # first index of each tie group
    ends = np.r_[starts[1:], len(v)]  # one past the last
    group_rank = (starts + 1 + ends) / 2.0  # mean of the ranks starts+1 .. ends
    ranks = np.empty(len(v), dtype=np.float64)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def auroc(y_true, y_score) -> float:
    """AUROC of ``y_score`` for the binary labels ``y_true`` (1 / True = positive), as scikit-learn's
    ``roc_auc_score(y_true, y_score)``. NumPy or CuPy arrays, or Tensors; ValueError when the lengths differ,
    a score is NaN, the labels are not 0/1, or one class is missing (AUROC is then undefined)."""
    y = backend.to_numpy(y_true).reshape(-1)
    s = backend.to_numpy(y_score).astype(np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"auroc: y_true has {y.size} labels but y_score has {s.size} scores")
    if np.isnan(s).any():
        raise ValueError("auroc: y_score contains NaN")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"auroc: y_true must be binary (0/1 or bool), got values {np.unique(y)[:5].tolist()}")
    positive = y.astype(bool)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError(f"auroc: needs both classes, got {n1} positive and {n0} negative labels")
    ranks = midranks(s)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
