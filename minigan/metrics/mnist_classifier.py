"""An MNIST digit classifier, shipped as ``minigan/metrics/mnist_classifier_16.npz``: the judge of MNIST-like outputs.

The digits CNN of ``domain.py`` is trained on scikit-learn's 8×8 digits and reads only about half of the
real MNIST test digits right, so the translation metrics read MNIST-style images with this network
instead: the same architecture (``DigitsClassifier``, inputs resized to 16×16), trained here on the
bundled MNIST ``train`` split (4,500 digits, ``minigan.data.mnist``) with Adam on cross-entropy, a cosine
learning rate and the same light augmentation as the digits CNN. It never sees the ``test`` split, on which
every translation metric is measured (its own accuracy there is in the weights file's ``meta``).

    python -m minigan.metrics.mnist_classifier           # rebuild the shipped weights (seed 0)
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from ..data.images import resize_images
from ..data.mnist import load_mnist_bundled
from ..io import load, save
from ..nn import functional as F
from ..optim import Adam
from .domain import IMAGE_SIZE, DigitsClassifier, prepare_images
from .train_features import augment, weights_digest

__all__ = ["MNIST_WEIGHTS_PATH", "load_mnist_classifier", "mnist_class_probs", "train_mnist_classifier"]

MNIST_WEIGHTS_PATH = Path(__file__).with_name("mnist_classifier_16.npz")
DEFAULTS = {"seed": 0, "epochs": 12, "batch_size": 64, "lr": 2e-3}


@lru_cache(maxsize=4)
def load_mnist_classifier(device: str = "cpu") -> DigitsClassifier:
    """The shipped MNIST classifier in eval mode on ``device`` (cached; do not modify it)."""
    if not MNIST_WEIGHTS_PATH.is_file():
        raise FileNotFoundError(f"the MNIST classifier {MNIST_WEIGHTS_PATH} is missing; rebuild it with "
                                "`python -m minigan.metrics.mnist_classifier`")
    saved = load(MNIST_WEIGHTS_PATH)
    rng_state = backend.get_rng_state()  # the layers' initial draw is overwritten: keep the user's stream
    model = DigitsClassifier()
    backend.set_rng_state(rng_state)
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()


def mnist_class_probs(images, batch_size: int = 256) -> np.ndarray:
    """(N, 1, H, W) images in [−1, 1] (H = W in 8, 16, 28, 32) → (N, 10) float64 p(y | x) of the MNIST judge."""
    array = prepare_images(images, "images")
    model = load_mnist_classifier("cpu")
    out = []
    with no_grad():
        for start in range(0, len(array), batch_size):
            out.append(np.asarray(F.softmax(model(Tensor(array[start:start + batch_size])), axis=1).data,
                                  dtype=np.float64))
    return np.concatenate(out)


def train_mnist_classifier(seed: int = 0, epochs: int = DEFAULTS["epochs"], batch_size: int = DEFAULTS["batch_size"],
                           lr: float = DEFAULTS["lr"]) -> tuple[DigitsClassifier, dict]:
    """Train the judge on the MNIST train split (on the CPU); returns it in eval mode and a summary."""
    images, labels = load_mnist_bundled("train")
    images = resize_images(images, IMAGE_SIZE)
    test_x, test_y = load_mnist_bundled("test")
    test_x = resize_images(test_x, IMAGE_SIZE)
    saved_state = backend.get_rng_state()
    backend.manual_seed(seed)
    model = DigitsClassifier()
    backend.set_rng_state(saved_state)
    rng = np.random.default_rng(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    steps_per_epoch = len(images) // batch_size
    total, step, start = epochs * steps_per_epoch, 0, time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(images))
        for b in range(steps_per_epoch):
            batch = order[b * batch_size:(b + 1) * batch_size]
            for group in optimizer.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * step / total))
            optimizer.zero_grad()
            loss = F.cross_entropy(model(Tensor(augment(images[batch], rng))), labels[batch])
            loss.backward()
            optimizer.step()
            step += 1
        print(f"epoch {epoch + 1}/{epochs}: loss {float(loss.data):.4f}", file=sys.stderr)
    model.eval()
    with no_grad():
        predicted = np.asarray(model(Tensor(test_x)).data).argmax(axis=1)
    summary = {"seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr, "num_train": len(images),
               "test_accuracy": float(np.mean(predicted == test_y)), "image_size": IMAGE_SIZE,
               "train_seconds": round(time.perf_counter() - start, 1)}
    return model, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minigan.metrics.mnist_classifier",
                                     description="Train the MNIST judge of the translation metrics.")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--out", type=Path, default=MNIST_WEIGHTS_PATH)
    args = parser.parse_args(argv)
    backend.use_backend("cpu")
    model, summary = train_mnist_classifier(args.seed, args.epochs)
    state = model.state_dict()
    summary["sha256"] = weights_digest(state)
    save({"state_dict": state, "meta": summary}, args.out)
    print(f"test accuracy {summary['test_accuracy']:.2%} (MNIST test split); {summary['train_seconds']} s; "
          f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
