"""Data for GAN experiments: toy distributions, digits / MNIST images, a seeded loader.

    from minigan.data import load_dataset, DataLoader
    ds = load_dataset("ring8")            # or "digits16", "mnist:path/to/train-images-idx3-ubyte.gz"
    loader = DataLoader(ds.data, batch_size=256, rng=0)
"""

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


def dataset_names() -> list[str]:
    """Valid data specs: those of ``images.dataset_names`` and the translation tasks."""
    return [*_image_dataset_names(), *TRANSLATION_TASKS]


def load_dataset(spec, rng=None, pool_size: int = 100_000, split: str = "train") -> Dataset:
    """``images.load_dataset`` (toy, digits, MNIST specs), or a translation task (``data.translation``):
    ``edges2mnist``, ``mnist-sr4``, ``digits2mnist`` give a :class:`TranslationDataset`."""
    if isinstance(spec, str) and spec in TRANSLATION_TASKS:
        return load_translation(spec, split)
    return _load_image_dataset(spec, rng=rng, pool_size=pool_size, split=split)

__all__ = [
    "DIGITS_SIZES",
    "TOY_DATASETS",
    "TRANSLATION_TASKS",
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
