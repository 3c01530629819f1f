"""Data for GAN experiments: toy distributions, digits / MNIST images, a seeded loader.

    from minigan.data import load_dataset, DataLoader
    ds = load_dataset("ring8")            # or "digits16", "mnist:path/to/train-images-idx3-ubyte.gz"
    loader = DataLoader(ds.data, batch_size=256, rng=0)
"""

import functools

import numpy as np

from .images import (
    DIGITS_SIZES,
    Dataset,
    find_labels_file,
    load_digits,
    load_mnist,
    read_idx,
    resize_images,
    write_idx,
)
from .images import dataset_names as _image_dataset_names
from .images import load_dataset as _load_image_dataset
from .loader import DataLoader, as_generator, infinite
from .toy import (
    TOY_DATASETS,
    ToyDistribution,
    density,
    get_toy,
    mode_centers,
    mode_std,
    mode_weights,
    sample_gauss1d,
    sample_grid25,
    sample_mixture1d,
    sample_ring8,
    sample_spiral,
)
from .translation import TRANSLATION_TASKS, TranslationDataset, load_translation
from .waves import WAVE_KINDS, WAVE_SPLITS, make_waves


def dataset_names() -> list[str]:
    """Valid data specs: those of ``images.dataset_names`` and the translation tasks."""
    return [*_image_dataset_names(), *TRANSLATION_TASKS, "waves"]


def load_dataset(spec, rng=None, pool_size: int = 100_000, split: str = "train") -> Dataset:
    """``images.load_dataset`` (toy, digits, MNIST specs), or a translation task (``data.translation``):
    ``edges2mnist``, ``mnist-sr4``, ``digits2mnist`` give a :class:`TranslationDataset`; ``waves`` the clips
    of :func:`load_waves`."""
    if isinstance(spec, str) and spec in TRANSLATION_TASKS:
        return load_translation(spec, split)
    if spec == "waves":
        return load_waves(split)
    return _load_image_dataset(spec, rng=rng, pool_size=pool_size, split=split)


@functools.lru_cache(maxsize=2)
def _waves(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    return make_waves(n, seed)[:2]


def load_waves(split: str = "train") -> Dataset:
    """The ``waves`` clips (``data.waves``): kind ``"waveform"``, ``data`` float32 (N, 1, 256) in [−1, 1],
    ``labels`` the waveform kinds (0 sine, 1 square, 2 sawtooth); "train" 4,096 clips (seed 0), "test"
    1,024 (seed 1), "all" both."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"load_dataset: split must be 'train', 'test' or 'all', got {split!r}")
    parts = [_waves(seed, n) for name, (seed, n) in WAVE_SPLITS.items() if split in (name, "all")]
    data, labels = (np.concatenate(p) for p in zip(*parts))  # new arrays: the cached clips stay intact
    return Dataset("waves", "waveform", data, labels, len(WAVE_KINDS), None, 1)


__all__ = [
    "DIGITS_SIZES",
    "TOY_DATASETS",
    "TRANSLATION_TASKS",
    "WAVE_KINDS",
    "DataLoader",
    "Dataset",
    "ToyDistribution",
    "TranslationDataset",
    "as_generator",
    "dataset_names",
    "density",
    "find_labels_file",
    "get_toy",
    "infinite",
    "load_dataset",
    "load_digits",
    "load_mnist",
    "load_translation",
    "load_waves",
    "make_waves",
    "mode_centers",
    "mode_std",
    "mode_weights",
    "read_idx",
    "resize_images",
    "sample_gauss1d",
    "sample_grid25",
    "sample_mixture1d",
    "sample_ring8",
    "sample_spiral",
    "write_idx",
]
