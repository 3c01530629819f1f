"""Anomaly detection with a trained GAN: an f-AnoGAN encoder (Schlegl et al. 2019) and a two-term score.

A GAN trained only on *normal* data (``minigan train --exclude-class K`` leaves class K out) has a
generator that can only draw normal images and a discriminator that has only seen normal real images.
AnoGAN (Schlegl et al. 2017) scores an image by searching the latent space for the closest generated
image (hundreds of gradient steps per image); f-AnoGAN trains an encoder E : x ↦ z once, with G and D
frozen, so that scoring is one pass. The encoder is trained on the normal training images x ("izi_f"):

    R(x) = (1/n) ‖x − G(E(x))‖²  +  κ (1/n_f) ‖f(x) − f(G(E(x)))‖²,      L(E) = mean of R over a batch,

with n = C·H·W pixels, f the discriminator's last hidden layer (n_f features, eval mode) and κ = 1 as in
the paper (``KAPPA``). R alone is f-AnoGAN's score. Beside it, the discrimination term of AnoGAN and of
Zenati et al. (2018), in its cross-entropy form,

    S(x) = −log σ(D(x)) = softplus(−D(x)),

D's loss for calling x real. The score adds the two after putting them on one scale, each standardised
by its mean and standard deviation over the normal training images (:func:`calibrate`):

    A(x) = (R(x) − μ_R) / σ_R  +  (S(x) − μ_S) / σ_S,      higher = more anomalous.

This is AnoGAN's weighted sum (1 − λ) R + λ S up to scale and shift, with λ / (1 − λ) = σ_R / σ_S fixed by
normal data alone (no anomalies are needed to choose it). Why both terms: the residual misses anomalies G
can nearly reproduce — a held-out 1 is a thin stroke, close in pixels to a thin 7 — while D, which never saw
a real 1, scores it as unlike its real data; D alone in turn swings with the state of the game.

A second score asks the discriminator alone: D has learned features f of normal images only, so an
anomaly should lie far from every normal training image x_j in that feature space. With the features
normalised to unit length, φ(x) = f(x) / ‖f(x)‖, and the cosine distance d(x, x′) = 1 − φ(x)·φ(x′),

    N(x) = (1/k) Σ_{j ∈ k nearest} d(x, x_j),      k = 5 (``NEIGHBOURS``),

the mean distance to the k nearest normal training images (:class:`NeighbourDetector`, the default of
``minigan anomaly``). The cosine is blind to the length of f(x), and so to the amount of ink, which is
what the squared residual mostly measures (see lesson 23). No network is trained for it: the features of
the normal images are computed once, in one pass.

Why an encoder and not AnoGAN's latent search: on two CPU cores the search (500 Adam steps of G and D per
image in the paper) costs minutes per hundred images for each model, while the encoder trains in a few
hundred steps and then scores a thousand images in one pass. ``minigan anomaly`` keeps the encoder and the
calibration in ``anomaly_encoder.npz`` beside the checkpoint.

:func:`without_class` is the data side of ``--exclude-class``: the labelled data set minus one class.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import backend, nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed
from ..data import Dataset
from ..metrics.classify import SmallCNN

__all__ = ["KAPPA", "NEIGHBOURS", "Detector", "Encoder", "NeighbourDetector", "anomaly_scores", "calibrate",
           "discriminator_features", "fit_detector", "mean_nearest_distance", "score_terms", "train_encoder",
           "unit_features", "unit_rows", "without_class"]

KAPPA = 1.0  # weight κ of the feature residual (Schlegl et al. 2019)
NEIGHBOURS = 5  # k of the nearest-neighbour score N(x)


def without_class(dataset: Dataset, k: int) -> Dataset:
    """``dataset`` without the images of class ``k`` (ValueError for unlabelled data or k out of range).

    ``num_classes`` is kept, so a conditional model still has an embedding row for every class."""
    if dataset.kind == "translation":
        raise ValueError(f"--exclude-class leaves a class out of one data set; {dataset.name!r} is a translation "
                         "task (pairs of images), which it would unpair")
    if dataset.labels is None or dataset.num_classes is None:
        raise ValueError(f"--exclude-class needs labelled data; {dataset.name!r} has no class labels")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < dataset.num_classes:
        raise ValueError(f"--exclude-class must be a class of {dataset.name!r}: an integer in "
                         f"0..{dataset.num_classes - 1}, got {k!r}")
    keep = dataset.labels != k
    return dataclasses.replace(dataset, data=dataset.data[keep], labels=dataset.labels[keep])


class Encoder(SmallCNN):
    """x (N, C, H, W) → z (N, nz): two stride-2 convolutions (LeakyReLU 0.2) and a linear map to the latent.

    No normalisation layer: a score must not depend on which other images share its batch."""

    def __init__(self, shape: tuple[int, int, int], nz: int, width: int = 32):
        super().__init__(shape, nz, width)  # the classifier's network, with nz outputs: the latent
        self.nz = nz


def discriminator_features(D, x: Tensor) -> Tensor:
    """f(x): the output of D's last hidden layer, flattened to (N, n_f) — every layer but the final score.

    D is a DCGAN discriminator (``D.main`` a Sequential ending in its scoring convolution) or an MLP one."""
    layers = getattr(D, "main", None)
    if not isinstance(layers, nn.Sequential):
        raise TypeError(f"discriminator_features: expected a discriminator with a Sequential 'main' "
                        f"(dcgan, mlp), got {type(D).__name__}")
    h = x
    for layer in list(layers)[:-1]:
        h = layer(h)
    return h.reshape(h.shape[0], -1)


def score_terms(G, D, E, images, kappa: float = KAPPA, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The two terms of the score for each of ``images`` (N, C, H, W), as float64 NumPy arrays (N,):
    R(x), the f-AnoGAN residual, and S(x) = softplus(−D(x)) = −log σ(D(x)), D's loss for calling x real."""
    images = np.asarray(backend.to_numpy(images), dtype=np.float32)
    device = next(G.parameters()).device
    xp = backend.xp_for(device)
    modes = G.training, D.training, E.training
    G.eval(), D.eval(), E.eval()
    residual, discrimination = [], []
    try:
        with no_grad():
            for start in range(0, len(images), batch):
                x = Tensor(xp.asarray(images[start:start + batch]))
                residual.append(backend.to_numpy(_residuals(G, D, E, x, kappa).data).astype(np.float64))
                logits = backend.to_numpy(D(x).data).astype(np.float64)
                discrimination.append(np.logaddexp(0.0, -logits))
    finally:
        G.train(modes[0]), D.train(modes[1]), E.train(modes[2])
    if not residual:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(residual), np.concatenate(discrimination)


@dataclasses.dataclass
class Detector:
    """G, D, the encoder E and the statistics of both terms on the normal training images; ``score(images)``.

    ``stats`` = (mean R, std R, mean S, std S) over normal images; see the module docstring."""

    G: nn.Module
    D: nn.Module
    E: Encoder
    stats: tuple[float, float, float, float]
    kappa: float = KAPPA

    def score(self, images) -> np.ndarray:
        """A(x) = (R(x) − μ_R)/σ_R + (S(x) − μ_S)/σ_S per image, float64 (N,); higher = more anomalous."""
        r, d = score_terms(self.G, self.D, self.E, images, self.kappa)
        mr, sr, md, sd = self.stats
        return (r - mr) / sr + (d - md) / sd


def calibrate(G, D, E, images, kappa: float = KAPPA) -> tuple[float, float, float, float]:
    """(μ_R, σ_R, μ_S, σ_S): the means and standard deviations of both terms over normal ``images``."""
    r, d = score_terms(G, D, E, images, kappa)
    if len(r) < 2:
        raise ValueError(f"calibrate: needs at least 2 normal images, got {len(r)}")
    return float(r.mean()), max(float(r.std()), 1e-12), float(d.mean()), max(float(d.std()), 1e-12)


def fit_detector(G, D, images, encoder_steps: int = 1000, seed: int = 0, calibration_images: int = 1500,
                 kappa: float = KAPPA) -> Detector:
    """Train the encoder on normal ``images`` (G and D frozen) and calibrate both terms on up to
    ``calibration_images`` of them (evenly spaced, so the same images every time)."""
    images = np.asarray(backend.to_numpy(images), dtype=np.float32)
    E = train_encoder(G, D, images, steps=encoder_steps, seed=seed, kappa=kappa)
    every = max(1, len(images) // calibration_images)
    return Detector(G, D, E, calibrate(G, D, E, images[::every], kappa), kappa)


def _residuals(G, D, E, x: Tensor, kappa: float):
    """Per image: (1/n)‖x − G(E(x))‖² + κ (1/n_f)‖f(x) − f(G(E(x)))‖², shape (N,)."""
    x_hat = G(E(x))
    n = int(np.prod(x.shape[1:]))
    image = ((x - x_hat) ** 2).reshape(x.shape[0], -1).sum(dim=1) / n
    f_real, f_fake = discriminator_features(D, x), discriminator_features(D, x_hat)
    feature = ((f_real - f_fake) ** 2).sum(dim=1) / f_real.shape[1]
    return image + kappa * feature


def train_encoder(G, D, images, steps: int = 1000, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                  kappa: float = KAPPA, width: int = 32) -> Encoder:
    """f-AnoGAN's izi_f training of an :class:`Encoder` on normal ``images`` (N, C, H, W), G and D frozen.

    Adam(lr, β = (0.5, 0.999)) on the mean of the per-image score over random minibatches; G and D stay
    in eval mode (their batch norms use the running statistics) and their weights do not change."""
    images = np.asarray(backend.to_numpy(images), dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"train_encoder: expected images (N, C, H, W), got shape {images.shape}")
    device = next(G.parameters()).device
    xp = backend.xp_for(device)
    manual_seed(seed)
    with backend.using_device(device):
        E = Encoder(images.shape[1:], G.nz, width).to(device)
    opt = optim.Adam(E.parameters(), lr=lr, betas=(0.5, 0.999))
    rng = np.random.default_rng([seed, 7])
    frozen = list(G.parameters()) + list(D.parameters())
    was_training = G.training, D.training
    flags = [p.requires_grad for p in frozen]
    G.eval(), D.eval()
    for p in frozen:
        p.requires_grad_(False)
    data = xp.asarray(images)
    try:
        for _ in range(steps):
            idx = xp.asarray(rng.integers(0, len(images), size=batch_size))
            loss = _residuals(G, D, E, Tensor(data[idx]), kappa).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p, flag in zip(frozen, flags):
            p.requires_grad_(flag)
        G.train(was_training[0]), D.train(was_training[1])
    return E


def anomaly_scores(G, D, E, images, stats=None, kappa: float = KAPPA) -> np.ndarray:
    """A(x) for each of ``images`` (N, C, H, W), float64 (N,), higher = more anomalous: the calibrated sum
    of :class:`Detector` when ``stats`` (from :func:`calibrate`) is given, else the f-AnoGAN residual R(x)."""
    if stats is not None:
        return Detector(G, D, E, tuple(stats), kappa).score(images)
    return score_terms(G, D, E, images, kappa)[0]


def unit_features(D, images, batch: int = 500) -> np.ndarray:
    """φ(x) = f(x) / ‖f(x)‖ for each of ``images``: D's last hidden layer (eval mode), unit length, float64 (N, n_f)."""
    images = np.asarray(backend.to_numpy(images), dtype=np.float32)
    xp = backend.xp_for(next(D.parameters()).device)
    was_training = D.training
    D.eval()
    try:
        with no_grad():
            parts = [backend.to_numpy(discriminator_features(D, Tensor(xp.asarray(images[s:s + batch]))).data)
                     for s in range(0, len(images), batch)]
    finally:
        D.train(was_training)
    return unit_rows(np.concatenate(parts) if parts else np.zeros((0, 1)))


def unit_rows(f) -> np.ndarray:
    """Each row of ``f`` (N, ...) flattened and scaled to unit length, float64 (N, d); zero rows stay zero."""
    f = np.asarray(f, dtype=np.float64)
    f = f.reshape(len(f), int(np.prod(f.shape[1:])))
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)


def mean_nearest_distance(queries: np.ndarray, reference: np.ndarray, k: int = NEIGHBOURS,
                          batch: int = 500) -> np.ndarray:
    """For unit rows ``queries`` (N, d) and ``reference`` (M, d), M ≥ k: the mean cosine distance
    1 − q·r of each query to its k nearest reference rows, float64 (N,)."""
    out = []
    for s in range(0, len(queries), batch):
        distance = 1.0 - queries[s:s + batch] @ reference.T  # (b, M) cosine distances
        out.append(np.partition(distance, k - 1, axis=1)[:, :k].mean(axis=1))
    return np.concatenate(out) if out else np.zeros(0)


@dataclasses.dataclass
class NeighbourDetector:
    """N(x): the mean cosine distance, in D's feature space, to the ``k`` nearest normal training images.

    ``normal`` holds φ of the normal images (:func:`unit_features`); see the module docstring."""

    D: nn.Module
    normal: np.ndarray
    k: int = NEIGHBOURS

    @classmethod
    def fit(cls, D, images, k: int = NEIGHBOURS) -> NeighbourDetector:
        """The detector of D with the normal ``images`` (N, C, H, W) as its reference set (N ≥ k)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"NeighbourDetector: k must be a positive int, got {k!r}")
        if len(images) < k:
            raise ValueError(f"NeighbourDetector: needs at least k = {k} normal images, got {len(images)}")
        return cls(D, unit_features(D, images), k)

    def score(self, images, batch: int = 500) -> np.ndarray:
        """N(x) per image, float64 (N,), in [0, 2]; higher = more anomalous."""
        return mean_nearest_distance(unit_features(self.D, images), self.normal, self.k, batch)
