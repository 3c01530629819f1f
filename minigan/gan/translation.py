"""What the image-to-image families (pix2pix, SRGAN, CycleGAN) share: their batches, translating, the
samples grid and the metrics of a run.

A translation generator is a Module whose ``forward(a)`` maps domain A to domain B and whose
``translate(x, direction)`` maps either way (``"a2b"``; ``"b2a"`` only for CycleGAN's pair). The family
registers :class:`TranslationBatches` as its ``batches``, :func:`save_translation_grid` as its ``grid`` and
a ``evaluate`` built on :func:`translation_metrics` of the test split (``minigan.gan.families``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from ..data import DataLoader, infinite, load_dataset
from ..data.translation import TranslationDataset

__all__ = ["DIRECTIONS", "TranslationBatches", "check_inputs", "save_translation_grid", "test_split", "translate",
           "translation_sample"]

DIRECTIONS = ("a2b", "b2a")
GRID_COLUMNS = 10  # test images in samples.png: one of each digit


class _Loaders:
    """Two seeded loaders (one per domain) seen by the run as one: ``state_dict`` holds both."""

    def __init__(self, a: DataLoader, b: DataLoader):
        self.a, self.b = a, b

    def state_dict(self) -> dict:
        return {"a": self.a.state_dict(), "b": self.b.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.a.load_state_dict(state["a"])
        self.b.load_state_dict(state["b"])


class TranslationBatches:
    """An endless iterator of ``(a, b)`` minibatches on the device.

    Paired tasks draw the same rows of ``a`` and ``b`` (one seeded loader); unpaired ones draw each side
    with a loader of its own, so the two batches are independent. ``loader`` is what the run checkpoints;
    after ``loader.load_state_dict(...)`` call :meth:`restart`.
    """

    def __init__(self, dataset: TranslationDataset, batch_size: int, rng: np.random.Generator, device: str):
        xp = backend.xp_for(device)
        self.a, self.b, self.paired = xp.asarray(dataset.a), xp.asarray(dataset.b), dataset.paired
        if self.paired:
            self.loader = DataLoader(np.arange(len(dataset.a)), batch_size=batch_size, rng=rng)
        else:
            rng_b = np.random.default_rng(rng.integers(2**63))
            self.loader = _Loaders(DataLoader(np.arange(len(dataset.a)), batch_size=batch_size, rng=rng),
                                   DataLoader(np.arange(len(dataset.b)), batch_size=batch_size, rng=rng_b))
        self.restart()

    def restart(self) -> None:
        """Continue from the loader's current state (its next batch)."""
        if self.paired:
            self._a = self._b = infinite(self.loader)
        else:
            self._a, self._b = infinite(self.loader.a), infinite(self.loader.b)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[Tensor, Tensor]:
        xp = backend.array_module(self.a)
        (ia,) = next(self._a)
        ib = ia if self.paired else next(self._b)[0]
        return Tensor(self.a[xp.asarray(ia)]), Tensor(self.b[xp.asarray(ib)])


def check_inputs(x, shape: tuple[int, ...], what: str = "input") -> np.ndarray:
    """float32 (N, *shape) images in [−1, 1], or a ValueError saying what is wrong."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"{what}: expected numeric images, got dtype {x.dtype}")
    if x.ndim != 1 + len(shape) or tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"{what}: expected images of shape (N, {', '.join(map(str, shape))}), got {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{what}: got no images")
    if not np.all(np.isfinite(x)) or x.min() < -1.001 or x.max() > 1.001:
        raise ValueError(f"{what}: expected values in [-1, 1], got range [{np.nanmin(x):.4g}, {np.nanmax(x):.4g}]"
                         " (scale [0, 255] pixels with x / 127.5 - 1)")
    return x.astype(np.float32)


def translate(G, x, direction: str = "a2b", batch_size: int = 64) -> np.ndarray:
    """G's translation of NumPy images ``x`` (eval mode, no graph), in batches; returns float32 NumPy."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    device = next(iter(G.parameters())).device
    was_training = G.training
    G.eval()
    out = []
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                chunk = Tensor(backend.to_device(np.asarray(x[start:start + batch_size], np.float32), device))
                out.append(backend.to_numpy(G.translate(chunk, direction).data))
    finally:
        G.train(was_training)
    return np.concatenate(out).astype(np.float32)


def test_split(task: str) -> TranslationDataset:
    """The test split of a translation task (every metric is measured there)."""
    return load_dataset(task, split="test")


def translation_sample(G, n: int, rng: np.random.Generator, num_classes=None, labels=None) -> np.ndarray:
    """``Family.sample`` of the translation families: G's outputs for ``n`` random test inputs of its task."""
    test = test_split(G.task)
    rows = rng.choice(len(test.a), size=n, replace=n > len(test.a))
    return translate(G, test.a[rows])


def _show(x: np.ndarray, size: int) -> np.ndarray:
    """Images enlarged to size×size by pixel repetition (a 7×7 input shown beside 28×28 outputs)."""
    factor = size // x.shape[-1]
    return np.repeat(np.repeat(x, factor, axis=2), factor, axis=3) if factor > 1 else x


def _one_per_class(labels: np.ndarray) -> np.ndarray:
    """The first row of each class 0..9 (the test splits are in file order, one class after another)."""
    return np.array([np.flatnonzero(labels == c)[0] for c in range(GRID_COLUMNS)])


def save_translation_grid(G, dataset: TranslationDataset, path: str, title: str) -> str:
    """samples.png: one test image of each digit per column, rows input / output / target; for an unpaired
    task, a / G(a) / F(G(a)) and b / F(b) / G(F(b)) (the cycles). ``title`` ends with the run's ", step N"."""
    from .. import viz  # matplotlib loads only when a picture is drawn

    test = test_split(dataset.name)
    a, b = test.a[_one_per_class(test.labels_a)], test.b[_one_per_class(test.labels_b)]
    step = title.rsplit(", ", 1)[-1]
    if dataset.paired:
        rows = [_show(a, b.shape[-1]), translate(G, a), b]
        title = f"{dataset.name}, {step}: input / output / target"
    else:
        ab, ba = translate(G, a, "a2b"), translate(G, b, "b2a")
        rows = [a, ab, translate(G, ab, "b2a"), b, ba, translate(G, ba, "a2b")]
        title = f"{dataset.name}, {step}: a, G(a), F(G(a)) / b, F(b), G(F(b))"
    return viz.save_image_grid(np.concatenate(rows), path, nrow=GRID_COLUMNS, title=title)


def paired_metrics(G, dataset: TranslationDataset, config: Any) -> dict[str, Any]:
    """The metrics of a paired task on its test split: L1 / PSNR / SSIM and the MNIST judge's accuracy."""
    from ..metrics.translation import translation_metrics

    test = test_split(dataset.name)
    out = translate(G, test.a)
    return {"split": "test", "pairs": len(out), **translation_metrics(out, test.b, test.labels_b, "mnist")}


def super_resolution_metrics(G, dataset: TranslationDataset, config: Any) -> dict[str, Any]:
    """:func:`paired_metrics`, and the same metrics of bicubic upsampling of the same inputs (the baseline)."""
    from ..metrics.translation import bicubic_upsample, translation_metrics

    test = test_split(dataset.name)
    bicubic = np.clip(bicubic_upsample(test.a, test.b.shape[-1]), -1, 1)
    baseline = translation_metrics(bicubic, test.b, test.labels_b, "mnist")
    return {**paired_metrics(G, dataset, config), **{f"bicubic_{k}": v for k, v in baseline.items() if k != "l1_blank"}}


def cycle_metrics(G, dataset: TranslationDataset, config: Any) -> dict[str, Any]:
    """An unpaired task's metrics on its test split: the label kept each way (the MNIST judge on G(a), the
    digits CNN on F(b)), the share of G(a) a domain classifier takes for MNIST, the cycle errors."""
    from ..metrics.translation import label_accuracy, mnist_domain_fraction

    test = test_split(dataset.name)
    ab, ba = translate(G, test.a, "a2b"), translate(G, test.b, "b2a")
    return {"split": "test", "images_a": len(test.a), "images_b": len(test.b),
            "a2b_label_accuracy": label_accuracy(ab, test.labels_a, "mnist"),
            "b2a_label_accuracy": label_accuracy(ba, test.labels_b, "digits"),
            "a2b_mnist_domain_fraction": mnist_domain_fraction(ab),
            "real_a_mnist_domain_fraction": mnist_domain_fraction(test.a),
            "real_b_mnist_domain_fraction": mnist_domain_fraction(test.b),
            "cycle_l1_a": float(np.abs(translate(G, ab, "b2a") - test.a).mean()),
            "cycle_l1_b": float(np.abs(translate(G, ba, "a2b") - test.b).mean())}
