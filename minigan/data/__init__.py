"""Data for GAN experiments: toy distributions, digits / MNIST images, a seeded loader.

    from minigan.data import load_dataset, DataLoader
    ds = load_dataset("ring8")            # or "digits16", "mnist:path/to/train-images-idx3-ubyte.gz"
    loader = DataLoader(ds.data, batch_size=256, rng=0)
"""

from .images import (
    DIGITS_SIZES,
    Dataset,
    dataset_names,
    find_labels_file,
    load_dataset,
    load_digits,
    load_mnist,
    read_idx,
    resize_images,
    write_idx,
)
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

__all__ = [
    "DIGITS_SIZES",
    "TOY_DATASETS",
    "DataLoader",
    "Dataset",
    "ToyDistribution",
    "as_generator",
    "dataset_names",
    "density",
    "find_labels_file",
    "get_toy",
    "infinite",
    "load_dataset",
    "load_digits",
    "load_mnist",
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
