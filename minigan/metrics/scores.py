"""Inception-style score, improved precision / recall (Kynkäänniemi et al., 2019), and the samples' spread."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.distance import cdist, pdist
from scipy.special import xlogy

from .frechet import as_feature_matrix, as_float64, check_same_dim

SMALL_SPLIT = 100  # splits with fewer images than this give a noticeably low score


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """IS = exp E_x[KL(p(y|x) || p(y))] per split, with p(y) the split's mean of the rows; (mean, std).

    ``probs`` is (N, C): row i is a classifier's p(y | x_i). The score runs from 1 (every image gets
    the same prediction) to C (confident predictions, all classes equally often). The marginal p(y)
    is estimated from each split alone, so small splits look less diverse than they are and bias the
    score downward; a UserWarning says so when a split holds fewer than 100 images.
    """
    p = as_float64(probs, "probs")
    if p.ndim != 2:
        raise ValueError(f"probs must be 2-D (num_images, num_classes), got shape {p.shape}")
    if np.any(p < 0):
        raise ValueError("probs must be non-negative (class probabilities, e.g. a softmax output)")
    row_sums = p.sum(axis=1)
    if not np.allclose(row_sums, 1.0, atol=1e-3):
        worst = row_sums[np.argmax(np.abs(row_sums - 1.0))]
        raise ValueError(f"each row of probs must sum to 1 (logits, not softmax?); one sums to {worst:.4g}")
    splits = int(splits)
    if not 1 <= splits <= len(p):
        raise ValueError(f"splits must be between 1 and the number of images ({len(p)}), got {splits}")
    if len(p) // splits < SMALL_SPLIT:
        warnings.warn(
            f"inception_score: splits of {len(p) // splits} images (fewer than {SMALL_SPLIT}); the class "
            "marginal p(y) is estimated from each split, and small splits bias the score downward. "
            "Use more images or fewer splits.",
            UserWarning,
            stacklevel=2,
        )
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1)  # 0 log 0 = 0
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def mean_pairwise_distance(samples) -> float:
    """The mean Euclidean distance between two different samples: (2 / n(n − 1)) Σ_{i<j} ‖x_i − x_j‖₂, each
    sample flattened (a diversity measure: 0 when every sample is the same). Needs at least two samples."""
    flat = as_float64(samples, "samples")
    flat = flat.reshape(len(flat), -1)
    if len(flat) < 2:
        raise ValueError(f"mean_pairwise_distance needs at least 2 samples, got {len(flat)}")
    return float(pdist(flat).mean())


def _chunk_rows(num_columns: int, max_elements: int = 2**22) -> int:
    """Rows per chunk so that a (rows, num_columns) float64 distance block stays under ~32 MB."""
    return max(1, max_elements // max(num_columns, 1))


def knn_radii(feats: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (a point is never its own neighbour)."""
    n = len(feats)
    radii = np.empty(n)
    step = _chunk_rows(n)
    for start in range(0, n, step):
        d = cdist(feats[start:start + step], feats)
        rows = np.arange(len(d))
        d[rows, start + rows] = np.inf  # exclude the point itself
        radii[start:start + step] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def _fraction_inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Fraction of ``points`` within distance radii[j] of at least one centres[j]."""
    inside = 0
    step = _chunk_rows(len(centres))
    for start in range(0, len(points), step):
        d = cdist(points[start:start + step], centres)
        inside += int(np.count_nonzero((d <= radii[None, :]).any(axis=1)))
    return inside / len(points)


def precision_recall(feats_real, feats_fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) with k-NN balls.

    Each real point r gets a ball of radius r_k(r) = distance to its k-th nearest other real point;
    the union of the balls approximates the real manifold. Likewise for the fake points.

        precision = fraction of fake points inside at least one real ball   (are samples realistic?)
        recall    = fraction of real points inside at least one fake ball   (is the data covered?)
    """
    real = as_feature_matrix(feats_real, "feats_real")
    fake = as_feature_matrix(feats_fake, "feats_fake")
    check_same_dim(real, fake, ("feats_real", "feats_fake"))
    k, largest = int(k), min(len(real), len(fake)) - 1
    if not 1 <= k <= largest:
        raise ValueError(f"k must be between 1 and (smaller set size - 1) = {largest}, got {k}")
    precision = _fraction_inside(fake, real, knn_radii(real, k))
    recall = _fraction_inside(real, fake, knn_radii(fake, k))
    return precision, recall
