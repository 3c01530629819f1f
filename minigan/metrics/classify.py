"""A small classifier trained on given images, and its accuracy on real test images.

The *classification accuracy score* (CAS, Ravuri & Vinyals 2019) judges a conditional generator by what a
classifier learns from it: train a classifier on generated images (x̃, y) with x̃ ~ G(z, y), then measure its
accuracy on *real* test images. A generator whose class-y samples cover what real class-y images look like
gives a high CAS; one that draws a few typical images per class, or the wrong class, gives a low one. The
same function answers the data-augmentation question: train on a few real images with and without generated
ones, and compare the real-test accuracies.

The classifier (:class:`SmallCNN`) is two stride-2 convolutions (LeakyReLU 0.2) and a linear layer to the
class logits, trained with the cross-entropy loss

    L = −(1/B) Σ_i log softmax(f(x_i))_{y_i}

by Adam(lr 1e-3) on random minibatches; the accuracy is the fraction of test images whose arg-max logit is
their label. Everything is seeded: the same inputs and seed give the same number.
"""

from __future__ import annotations

import numpy as np

from .. import backend, nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed
from ..nn import functional as F

__all__ = ["SmallCNN", "accuracy", "classification_accuracy_score", "train_classifier"]


class SmallCNN(nn.Module):
    """(N, C, H, W) → (N, num_classes) logits: Conv(C→w, 4, 2, 1), LeakyReLU, Conv(w→2w, 4, 2, 1), LeakyReLU,
    Linear(2w·H/4·W/4 → num_classes). H and W must be multiples of 4."""

    def __init__(self, shape: tuple[int, int, int], num_classes: int = 10, width: int = 16):
        super().__init__()
        c, h, w = shape
        if h % 4 or w % 4:
            raise ValueError(f"{type(self).__name__}: image height and width must be multiples of 4, got {h}×{w}")
        self.shape = tuple(shape)
        self.main = nn.Sequential(
            nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * (h // 4) * (w // 4), num_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"{type(self).__name__} expects images of shape (N, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        return self.main(x)


def _images_and_labels(images, labels, what: str):
    x = np.asarray(backend.to_numpy(images), dtype=np.float32)
    y = np.asarray(backend.to_numpy(labels)).reshape(-1)
    if x.ndim != 4:
        raise ValueError(f"{what}: expected images of shape (N, C, H, W), got {x.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"{what}: labels must be integers, got dtype {y.dtype}")
    if len(y) != len(x):
        raise ValueError(f"{what}: {len(x)} images but {len(y)} labels")
    if len(x) == 0:
        raise ValueError(f"{what}: got no images")
    return x, y.astype(np.int64)


def train_classifier(images, labels, num_classes: int = 10, steps: int = 600, batch_size: int = 64,
                     lr: float = 1e-3, seed: int = 0, width: int = 16) -> SmallCNN:
    """A :class:`SmallCNN` trained on ``images`` (N, C, H, W) with integer ``labels`` (N,) in 0..num_classes−1."""
    x, y = _images_and_labels(images, labels, "train_classifier")
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"train_classifier: labels must be in 0..{num_classes - 1}, got {y.min()}..{y.max()}")
    manual_seed(seed)
    model = SmallCNN(x.shape[1:], num_classes, width)
    opt = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng([seed, 11])
    xp = backend.xp_for(next(model.parameters()).device)
    x, y = xp.asarray(x), xp.asarray(y)  # on the model's device
    for _ in range(steps):
        idx = xp.asarray(rng.integers(0, len(x), size=min(batch_size, len(x))))
        loss = F.cross_entropy(model(Tensor(x[idx])), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def accuracy(model, images, labels, batch: int = 500) -> float:
    """The fraction of ``images`` whose arg-max logit under ``model`` is their label."""
    x, y = _images_and_labels(images, labels, "accuracy")
    xp = backend.xp_for(next(model.parameters()).device)
    correct = 0
    with no_grad():
        for start in range(0, len(x), batch):
            logits = model(Tensor(xp.asarray(x[start:start + batch]))).numpy()
            correct += int((logits.argmax(axis=1) == y[start:start + batch]).sum())
    return correct / len(x)


def classification_accuracy_score(train_images, train_labels, test_images, test_labels, num_classes: int = 10,
                                  steps: int = 600, seed: int = 0) -> float:
    """Real-test accuracy of a :class:`SmallCNN` trained on (``train_images``, ``train_labels``): the CAS of
    Ravuri & Vinyals (2019) when the training images are generated, a baseline when they are real."""
    model = train_classifier(train_images, train_labels, num_classes, steps=steps, seed=seed)
    return accuracy(model, test_images, test_labels)
