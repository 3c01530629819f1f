"""Anomaly detection with a trained GAN: the encoder-based score of f-AnoGAN (Schlegl et al. 2019).

A GAN trained only on *normal* data (``minigan train --exclude-class K`` leaves class K out) has a
generator that can only draw normal images. An image it cannot reproduce is anomalous. AnoGAN (Schlegl
et al. 2017) finds the closest generated image by a search in latent space, hundreds of gradient steps
per image; f-AnoGAN trains an encoder E : x ↦ z once, with G and D frozen, so that scoring is one pass.

The encoder (the paper's "izi_f" training, on the normal training images x):

    L(E) = (1/n)   ‖x − G(E(x))‖²                     (image residual, n = C·H·W pixels)
         + κ (1/n_f) ‖f(x) − f(G(E(x)))‖²               (feature residual, n_f features)

where f is the discriminator's last hidden layer (its features before the final score), in eval mode.
The anomaly score of an image is the same quantity,

    A(x) = (1/n) ‖x − G(E(x))‖² + κ (1/n_f) ‖f(x) − f(G(E(x)))‖²,

higher = more anomalous. κ = 1 as in the paper (``KAPPA``): both terms are means of squares, of
pixels in [−1, 1] and of D's features, and are of a similar size for these models.

Why this and not AnoGAN's latent search: on two CPU cores the search (500 Adam steps of G and D per
image in the paper) costs minutes per hundred images for each of ten models, while the encoder trains
in seconds and then scores a thousand images in one pass. The encoder's cost is paid once per
checkpoint; ``minigan anomaly`` keeps it in ``anomaly_encoder.npz`` beside the checkpoint.

:func:`without_class` is the data side of ``--exclude-class``: the labelled data set minus one class.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import backend, nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed
from ..data import Dataset

__all__ = ["KAPPA", "Encoder", "anomaly_scores", "discriminator_features", "train_encoder", "without_class"]

KAPPA = 1.0  # weight κ of the feature residual (Schlegl et al. 2019)


def without_class(dataset: Dataset, k: int) -> Dataset:
    """``dataset`` without the images of class ``k`` (ValueError for unlabelled data or k out of range).

    ``num_classes`` is kept, so a conditional model still has an embedding row for every class."""
    if dataset.labels is None or dataset.num_classes is None:
        raise ValueError(f"--exclude-class needs labelled data; {dataset.name!r} has no class labels")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < dataset.num_classes:
        raise ValueError(f"--exclude-class must be a class of {dataset.name!r}: an integer in "
                         f"0..{dataset.num_classes - 1}, got {k!r}")
    keep = dataset.labels != k
    return dataclasses.replace(dataset, data=dataset.data[keep], labels=dataset.labels[keep])


class Encoder(nn.Module):
    """x (N, C, H, W) → z (N, nz): two stride-2 convolutions (LeakyReLU 0.2) and a linear map to the latent.

    No normalisation layer: a score must not depend on which other images share its batch."""

    def __init__(self, shape: tuple[int, int, int], nz: int, width: int = 32):
        super().__init__()
        c, h, w = shape
        if h % 4 or w % 4:
            raise ValueError(f"Encoder: image height and width must be multiples of 4, got {h}×{w}")
        self.shape, self.nz = tuple(shape), nz
        self.main = nn.Sequential(
            nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * (h // 4) * (w // 4), nz))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"Encoder expects images of shape (N, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        return self.main(x)


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


def anomaly_scores(G, D, E, images, kappa: float = KAPPA, batch: int = 500) -> np.ndarray:
    """A(x) for each of ``images`` (N, C, H, W) as a float64 NumPy array (N,); higher = more anomalous."""
    images = np.asarray(backend.to_numpy(images), dtype=np.float32)
    device = next(G.parameters()).device
    xp = backend.xp_for(device)
    modes = G.training, D.training, E.training
    G.eval(), D.eval(), E.eval()
    out = []
    try:
        with no_grad():
            for start in range(0, len(images), batch):
                x = Tensor(xp.asarray(images[start:start + batch]))
                out.append(backend.to_numpy(_residuals(G, D, E, x, kappa).data).astype(np.float64))
    finally:
        G.train(modes[0]), D.train(modes[1]), E.train(modes[2])
    return np.concatenate(out) if out else np.zeros(0)
