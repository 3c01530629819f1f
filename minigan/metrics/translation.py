"""Metrics of image-to-image translation: pixel errors against targets, and whether the digit survives.

Images are (N, 1, H, W) in [−1, 1]; the pixel metrics compare them on the scale p = (x + 1)/2 ∈ [0, 1].

* mean L1 = mean |x − y| (on the [−1, 1] scale, the scale of pix2pix's loss);
* PSNR = 10 log₁₀(1 / MSE) dB with MSE on [0, 1], per image, then averaged over images;
* SSIM (Wang et al. 2004) with an 11×11 Gaussian window (σ 1.5), C₁ = (0.01)², C₂ = (0.03)²:

      SSIM(p, q) = mean over windows of (2 μ_p μ_q + C₁)(2 σ_pq + C₂) / ((μ_p² + μ_q² + C₁)(σ_p² + σ_q² + C₂)),

  each image's map averaged over its pixels (windows reflect at the border), then over images;
* label accuracy: how often a classifier reads the image's known digit — the shipped MNIST judge
  (``mnist_classifier``) for MNIST-style outputs, the shipped digits CNN (``domain``) for digits-style ones;
* the baseline of super-resolution, :func:`bicubic_upsample` (Keys' cubic convolution, a = −0.75, pixel
  centres aligned, edges replicated: ``torch.nn.functional.interpolate(mode="bicubic", align_corners=False)``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from scipy import ndimage

from .. import backend
from ..autograd import Tensor
from .domain import class_probs
from .mnist_classifier import mnist_class_probs

__all__ = ["bicubic_upsample", "label_accuracy", "mean_l1", "mnist_domain_fraction", "psnr", "ssim",
           "translation_metrics"]


def _numpy(images, name: str) -> np.ndarray:
    array = np.asarray(backend.to_numpy(images.data if isinstance(images, Tensor) else images), dtype=np.float64)
    if array.ndim != 4:
        raise ValueError(f"{name}: expected (N, C, H, W) images, got shape {array.shape}")
    return array


def _pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = _numpy(x, "outputs"), _numpy(y, "targets")
    if x.shape != y.shape:
        raise ValueError(f"outputs and targets must have one shape, got {x.shape} and {y.shape}")
    return x, y


def mean_l1(x, y) -> float:
    """mean |x − y| over every pixel of every image (images in [−1, 1])."""
    x, y = _pair(x, y)
    return float(np.abs(x - y).mean())


def psnr(x, y) -> float:
    """Mean over images of 10 log₁₀(1 / MSE) dB, pixels on [0, 1] (an exact match counts as 100 dB)."""
    x, y = _pair(x, y)
    mse = (((x - y) / 2) ** 2).reshape(len(x), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-10))))


def ssim(x, y, sigma: float = 1.5) -> float:
    """Mean structural similarity (Wang et al. 2004), Gaussian window σ 1.5 truncated at 11×11, on [0, 1]."""
    x, y = _pair(x, y)
    p, q = (x + 1) / 2, (y + 1) / 2
    c1, c2 = 0.01 ** 2, 0.03 ** 2

    def blur(a):  # one Gaussian per image plane; truncate 3.5σ → radius 5 (11×11)
        return ndimage.gaussian_filter(a, sigma=(0, 0, sigma, sigma), truncate=3.5, mode="reflect")

    mu_p, mu_q = blur(p), blur(q)
    var_p = blur(p * p) - mu_p ** 2
    var_q = blur(q * q) - mu_q ** 2
    cov = blur(p * q) - mu_p * mu_q
    ssim_map = ((2 * mu_p * mu_q + c1) * (2 * cov + c2)) / ((mu_p ** 2 + mu_q ** 2 + c1) * (var_p + var_q + c2))
    return float(ssim_map.reshape(len(x), -1).mean(axis=1).mean())


def label_accuracy(images, labels, judge: str = "mnist") -> float:
    """Fraction of ``images`` whose most likely class (``judge``: "mnist" or "digits") is ``labels``."""
    if judge not in ("mnist", "digits"):
        raise ValueError(f"label_accuracy: judge must be 'mnist' or 'digits', got {judge!r}")
    probs = mnist_class_probs(images) if judge == "mnist" else class_probs(images)
    labels = np.asarray(labels)
    if len(labels) != len(probs):
        raise ValueError(f"label_accuracy: {len(probs)} images but {len(labels)} labels")
    return float(np.mean(probs.argmax(axis=1) == labels))


@lru_cache(maxsize=1)
def _domain_classifier():
    """Logistic regression on the pixels, MNIST (1) vs scikit-learn's digits resized to 28×28 (0), fitted on the
    train splits of both (digits2mnist's), class-balanced; deterministic (lbfgs, fixed data)."""
    from sklearn.linear_model import LogisticRegression

    from ..data.translation import load_translation

    train = load_translation("digits2mnist", "train")
    x = np.concatenate([train.a, train.b]).reshape(len(train.a) + len(train.b), -1)
    y = np.concatenate([np.zeros(len(train.a)), np.ones(len(train.b))])
    return LogisticRegression(C=0.1, max_iter=500, class_weight="balanced").fit(x, y)


def mnist_domain_fraction(images) -> float:
    """The share of (N, 1, 28, 28) images that the domain classifier (MNIST vs digits) takes for MNIST."""
    x = _numpy(images, "images")
    if x.shape[1:] != (1, 28, 28):
        raise ValueError(f"mnist_domain_fraction: expected (N, 1, 28, 28) images, got {x.shape}")
    return float(np.mean(_domain_classifier().predict(x.reshape(len(x), -1)) == 1))


def _cubic_weights(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys' kernel at the offsets t − 1, t, t + 1, t + 2 of the four taps (t ∈ [0, 1))."""
    d = np.stack([t + 1, t, 1 - t, 2 - t], axis=-1)
    near = ((a + 2) * d - (a + 3)) * d * d + 1          # |d| ≤ 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a     # 1 < |d| < 2
    return np.where(d <= 1, near, far)


def _bicubic_axis(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    n_in = x.shape[axis]
    src = (np.arange(size) + 0.5) * (n_in / size) - 0.5  # pixel centres aligned
    base = np.floor(src).astype(int)
    w = _cubic_weights(src - base)                       # (size, 4)
    taps = np.clip(base[:, None] + np.arange(-1, 3), 0, n_in - 1)  # replicated edges
    gathered = np.take(x, taps, axis=axis)               # axis → (size, 4)
    shape = [1] * gathered.ndim
    shape[axis], shape[axis + 1] = size, 4
    return (gathered * w.reshape(shape)).sum(axis=axis + 1)


def bicubic_upsample(images, size: int) -> np.ndarray:
    """(N, C, h, w) → (N, C, size, size) by separable bicubic interpolation (float32, not clipped)."""
    x = _numpy(images, "images")
    return _bicubic_axis(_bicubic_axis(x, size, 2), size, 3).astype(np.float32)


def translation_metrics(outputs, targets=None, labels=None, judge: str = "mnist") -> dict[str, Any]:
    """The metrics of translated ``outputs``: L1 / PSNR / SSIM against ``targets`` when given (paired tasks),
    the judge's label accuracy when ``labels`` are given, and the L1 of a blank image (all −1) for scale."""
    result: dict[str, Any] = {}
    if targets is not None:
        blank = -np.ones_like(_numpy(targets, "targets"))
        result.update(l1=mean_l1(outputs, targets), psnr=psnr(outputs, targets), ssim=ssim(outputs, targets),
                      l1_blank=mean_l1(blank, targets))
    if labels is not None:
        result["label_accuracy"] = label_accuracy(outputs, labels, judge)
    return result
