"""Sample-quality metrics: arrays in, floats out, on either backend.

Every metric accepts NumPy arrays, CuPy arrays or minigan Tensors and computes in float64 NumPy.

* feature-set metrics (features from a CNN, or raw coordinates for toy data):
  ``frechet_distance``, ``frechet_distance_from_stats``, ``kid``, ``precision_recall``
* classifier-output metric: ``inception_score``
* known toy distributions: ``mode_coverage``, ``wasserstein1d``,
  ``js_divergence_to_density``, ``kl_divergence_to_density``
"""

# A small classifier and its real-test accuracy (``classify.py``: the classification accuracy score).
from .classify import SmallCNN, accuracy, classification_accuracy_score, train_classifier

# Learned image features: a small CNN trained on the digits (``domain.py``) gives ``features(images)``
# (for frechet_distance, kid, precision_recall) and ``class_probs(images)`` (for inception_score).
from .domain import (
    class_probs,
    features,
    fid_digits,
    image_metrics,
    inception_score_digits,
    kid_digits,
    precision_recall_digits,
)
from .frechet import frechet_distance, frechet_distance_from_stats, gaussian_stats
from .kid import kid, mmd2_unbiased, polynomial_kernel
from .roc import auroc
from .scores import inception_score, mean_pairwise_distance, precision_recall
from .toy import js_divergence_to_density, kl_divergence_to_density, mode_coverage, wasserstein1d

__all__ = [
    "frechet_distance",
    "frechet_distance_from_stats",
    "gaussian_stats",
    "kid",
    "mmd2_unbiased",
    "polynomial_kernel",
    "inception_score",
    "mean_pairwise_distance",
    "precision_recall",
    "mode_coverage",
    "wasserstein1d",
    "js_divergence_to_density",
    "kl_divergence_to_density",
    "features",
    "class_probs",
    "fid_digits",
    "kid_digits",
    "inception_score_digits",
    "precision_recall_digits",
    "image_metrics",
    "auroc",
    "SmallCNN",
    "accuracy",
    "classification_accuracy_score",
    "train_classifier",
]
