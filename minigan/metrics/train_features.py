"""Train the digits feature network shipped as ``minigan/metrics/digits_classifier_16.npz``.

    python -m minigan.metrics.train_features            # rebuild the shipped weights (seed 0)
    python -m minigan.metrics.train_features --out my.npz --epochs 5

The 1,797 scikit-learn digits are split once, stratified by class, into 75% training and 25%
held-out images (``heldout_split``, fixed seed). The network (``DigitsClassifier``) trains with
Adam on cross-entropy (learning rate on a cosine schedule) with light augmentation: each training
image is shifted by up to 1.5 px, rotated by up to 8 degrees and scaled by 0.75-1.05 (smaller
digits with a margin, as in MNIST-format images). The same seed gives the same weights, bit for
bit, with the same minigan, NumPy and BLAS (everything runs on the CPU in float32).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from .. import backend
from ..autograd import Tensor, no_grad
from ..data.images import load_digits
from ..io import save
from ..nn import functional as F
from ..optim import Adam
from .domain import IMAGE_SIZE, WEIGHTS_PATH, DigitsClassifier

SPLIT_SEED = 0
HELDOUT_FRACTION = 0.25
DEFAULTS = {"seed": 0, "epochs": 20, "batch_size": 64, "lr": 2e-3}


def heldout_split(labels: np.ndarray, fraction: float = HELDOUT_FRACTION,
                  seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train_indices, heldout_indices): ``fraction`` of each class held out, chosen with ``seed``."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        held.append(rng.choice(members, int(round(fraction * len(members))), replace=False))
    heldout = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(len(labels)), heldout)
    return train, heldout


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random small affine warp of each (1, 16, 16) image: shift <= 1.5 px, rotation <= 8 deg, scale 0.75-1.05.

    Pixels that come from outside the frame are background (-1).
    """
    out = np.empty_like(images)
    centre = (np.array(images.shape[2:]) - 1) / 2
    for i, image in enumerate(images):
        angle = np.deg2rad(rng.uniform(-8, 8))
        scale = rng.uniform(0.75, 1.05)
        shift = rng.uniform(-1.5, 1.5, size=2)
        # output pixel o samples input pixel  A @ (o - centre) + centre - shift  (A = inverse rotation-scale)
        a = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / scale
        offset = centre - a @ centre - shift
        out[i, 0] = ndimage.affine_transform(image[0], a, offset=offset, order=1, mode="constant", cval=-1.0)
    return out


def accuracy(model: DigitsClassifier, images: np.ndarray, labels: np.ndarray, batch_size: int = 512) -> float:
    """Fraction of ``images`` (N, 1, 16, 16) that ``model`` (in eval mode) classifies as ``labels``."""
    model.eval()
    correct = 0
    with no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(Tensor(images[start:start + batch_size])).data
            correct += int(np.sum(np.asarray(logits).argmax(axis=1) == labels[start:start + batch_size]))
    return correct / len(images)


def train(seed: int = DEFAULTS["seed"], epochs: int = DEFAULTS["epochs"], batch_size: int = DEFAULTS["batch_size"],
          lr: float = DEFAULTS["lr"], subset: int | None = None, progress: bool = True
          ) -> tuple[DigitsClassifier, dict]:
    """Train a ``DigitsClassifier`` on the training split; returns it (in eval mode) and a summary dict.

    ``subset`` trains on the first ``subset`` training images only (a quick smoke test). The learning
    rate follows a cosine from ``lr`` to 0. Runs on the CPU whatever the default backend; minigan's
    global generator is re-seeded for the initialisation and restored afterwards.
    """
    previous_device = backend.default_device()
    backend.use_backend("cpu")  # reproducible weights: always on the CPU
    try:
        return _train(seed, epochs, batch_size, lr, subset, progress)
    finally:
        backend.use_backend(previous_device)


def _train(seed: int, epochs: int, batch_size: int, lr: float, subset: int | None, progress: bool
           ) -> tuple[DigitsClassifier, dict]:
    images, labels = load_digits(IMAGE_SIZE)
    train_idx, heldout_idx = heldout_split(labels)
    if subset is not None:
        train_idx = train_idx[:subset]
    saved_state = backend.get_rng_state()
    backend.manual_seed(seed)
    model = DigitsClassifier()
    backend.set_rng_state(saved_state)
    rng = np.random.default_rng(seed)
    params = list(model.parameters())
    optimizer = Adam(params, lr=lr)
    steps_per_epoch = int(np.ceil(len(train_idx) / batch_size))
    total_steps, step = epochs * steps_per_epoch, 0
    start_time = time.perf_counter()
    bar = _progress(epochs, progress)
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(train_idx))
        losses = []
        for b in range(steps_per_epoch):
            batch = order[b * batch_size:(b + 1) * batch_size]
            if len(batch) < 2:  # BatchNorm needs more than one image
                continue
            x = augment(images[train_idx[batch]], rng)
            y = labels[train_idx[batch]]
            for group in optimizer.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * step / total_steps))
            optimizer.zero_grad()
            loss = F.cross_entropy(model(Tensor(x)), y)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.data))
            step += 1
        bar(epoch, float(np.mean(losses)) if losses else float("nan"))
    model.eval()
    summary = {
        "seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
        "num_train": int(len(train_idx)), "num_heldout": int(len(heldout_idx)),
        "split_seed": SPLIT_SEED, "heldout_fraction": HELDOUT_FRACTION,
        "heldout_accuracy": accuracy(model, images[heldout_idx], labels[heldout_idx]),
        "train_seconds": round(time.perf_counter() - start_time, 1),
        "image_size": IMAGE_SIZE,
    }
    return model, summary


def _progress(epochs: int, enabled: bool):
    """A callback (epoch, mean loss) that drives a tqdm bar, or does nothing."""
    if not enabled:
        return lambda epoch, loss: None
    from tqdm import tqdm

    bar = tqdm(total=epochs, desc="digits CNN", unit="epoch", file=sys.stderr)

    def update(epoch: int, loss: float) -> None:
        bar.set_postfix(loss=f"{loss:.4f}")
        bar.update(1)
        if epoch == epochs - 1:
            bar.close()

    return update


def weights_digest(state_dict: dict) -> str:
    """SHA-256 over the state_dict's keys and array bytes (to compare two trainings)."""
    h = hashlib.sha256()
    for key in sorted(state_dict):
        h.update(key.encode())
        h.update(np.ascontiguousarray(state_dict[key]).tobytes())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minigan.metrics.train_features",
                                     description="Train the digits CNN used by fid_digits / is_digits.")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    parser.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    parser.add_argument("--subset", type=int, default=None, help="train on this many images only (smoke test)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help=f"weights file (default: {WEIGHTS_PATH})")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    model, summary = train(args.seed, args.epochs, args.batch_size, args.lr, args.subset, not args.no_progress)
    state = model.state_dict()
    summary["sha256"] = weights_digest(state)
    save({"state_dict": state, "meta": summary}, args.out)
    print(f"held-out accuracy {summary['heldout_accuracy']:.2%} on {summary['num_heldout']} images; "
          f"trained on {summary['num_train']} in {summary['train_seconds']} s")
    print(f"weights sha256 {summary['sha256']}")
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
