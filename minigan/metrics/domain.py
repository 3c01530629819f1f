"""Image metrics on learned features from a small digits CNN (a domain stand-in for Inception).

FID, KID, the inception score and precision / recall all need a network that maps an image to a
feature vector or to class probabilities. The usual choice, Inception-v3 trained on ImageNet, is
far too big for a NumPy engine and knows nothing about 8x8 digits. minigan ships its own: a
four-layer CNN written with ``minigan.nn``, trained on scikit-learn's digits (reproduce it with
``python -m minigan.metrics.train_features``), stored in ``digits_classifier_16.npz`` next to this
file.

    features(images)     (N, 128) float64: the penultimate layer (after its LeakyReLU)
    class_probs(images)  (N, 10)  float64: the softmax over the ten digit classes

Images are (N, 1, H, W) in [-1, 1] with H = W in 8, 16, 28, 32; every size is resized
(bilinearly, ``minigan.data.images.resize_images``) to the network's 16x16 input. The numbers
these features give are called ``fid_digits``, ``kid_digits``, ``is_digits``: they are comparable
with each other (same network, same image size) and never with published Inception FID / IS values.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, nn
from ..autograd import Tensor, no_grad
from ..data.images import DIGITS_SIZES, Dataset, load_dataset, resize_images
from ..nn import functional as F
from .frechet import frechet_distance
from .kid import kid
from .scores import inception_score, precision_recall

__all__ = [
    "DigitsClassifier", "FEATURE_DIM", "IMAGE_SIZE", "NUM_CLASSES", "SUPPORTED_SIZES", "WEIGHTS_PATH",
    "class_probs", "fid_digits", "features", "image_metrics", "inception_score_digits", "kid_digits",
    "load_classifier", "logits", "precision_recall_digits", "prepare_images",
]

IMAGE_SIZE = 16  # the network's input is (N, 1, 16, 16)
SUPPORTED_SIZES = (8, 16, 28, 32)  # input sizes accepted (and resized to IMAGE_SIZE)
FEATURE_DIM = 128
NUM_CLASSES = 10
RANGE_LIMIT = 1.5  # values beyond ±RANGE_LIMIT are an error: the images are not scaled to [-1, 1]
CONFIDENCE = 0.9  # a sample is "confidently classified" when its top class probability is at least this
WEIGHTS_PATH = Path(__file__).with_name("digits_classifier_16.npz")
HELDOUT_SPECS = ("mnist", "mnist32")  # the image data with a fixed test split (minigan.data.mnist)


# ----------------------------------------------------------------------------- the network


class DigitsClassifier(nn.Module):
    """16x16 digit classifier: three convolutions, a 128-d feature layer, a 10-way linear head.

        (N,1,16,16) -conv3x3,32-> 16x16 -conv3x3/2,64-> 8x8 -conv3x3/2,32-> 4x4 -flatten-> 512
                    -linear-> 128 (features) -linear-> 10 (logits)

    Every convolution is followed by BatchNorm2d and LeakyReLU(0.2); the feature layer by LeakyReLU(0.2).
    """

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, FEATURE_DIM), nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: Tensor) -> Tensor:
        """(N, 1, 16, 16) -> (N, 128): the representation the distribution metrics compare."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        """(N, 1, 16, 16) -> (N, 10) logits."""
        return self.head(self.body(x))


@lru_cache(maxsize=4)
def load_classifier(device: str = "cpu") -> DigitsClassifier:
    """The shipped network in eval mode on ``device``, loaded once and cached (do not modify it)."""
    from ..io import load

    if not WEIGHTS_PATH.is_file():
        raise FileNotFoundError(
            f"the digits feature network {WEIGHTS_PATH} is missing; rebuild it with "
            "`python -m minigan.metrics.train_features`"
        )
    saved = load(WEIGHTS_PATH)
    rng_state = backend.get_rng_state()  # building the layers draws an init we overwrite at once:
    model = DigitsClassifier()           # keep the user's random stream untouched
    backend.set_rng_state(rng_state)
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()


def weights_info() -> dict[str, Any]:
    """What the shipped weights file records about its training (seed, epochs, held-out accuracy, ...)."""
    from ..io import load

    return dict(load(WEIGHTS_PATH)["meta"])


# ----------------------------------------------------------------------------- input checks


def prepare_images(images, name: str = "images") -> np.ndarray:
    """Check (N, 1, H, W) images in [-1, 1] and return them as float32 NumPy (N, 1, 16, 16).

    Accepts NumPy or CuPy arrays and minigan Tensors. Raises ValueError, saying what is wrong, for
    another rank, channel count or size, an empty set, NaN / inf, or values far outside [-1, 1].
    """
    array = backend.to_numpy(images.detach() if isinstance(images, Tensor) else images)
    array = np.asarray(array)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{name}: expected a numeric image array, got dtype {array.dtype}")
    if array.ndim != 4 or array.shape[1] != 1:
        hint = " (add the channel axis: images[:, None])" if array.ndim == 3 else ""
        raise ValueError(f"{name}: expected grayscale images of shape (N, 1, H, W), got {array.shape}{hint}")
    n, _, h, w = array.shape
    if h != w or h not in SUPPORTED_SIZES:
        raise ValueError(
            f"{name}: expected square images of size {', '.join(map(str, SUPPORTED_SIZES))}, got {h}x{w} "
            f"(resize them first, e.g. minigan.data.images.resize_images(images, {IMAGE_SIZE}))"
        )
    if n == 0:
        raise ValueError(f"{name}: got an empty image set")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: contains NaN or inf")
    lo, hi = float(array.min()), float(array.max())
    if lo < -RANGE_LIMIT or hi > RANGE_LIMIT:
        if lo >= 0 and hi > 2:
            why = (f"looks like [0, 255] pixel values (range [{lo:.4g}, {hi:.4g}]); "
                   "scale them with images / 127.5 - 1")
        else:
            why = f"range [{lo:.4g}, {hi:.4g}] is far outside [-1, 1]; generators should end in tanh"
        raise ValueError(f"{name}: the feature network expects images scaled to [-1, 1]; this {why}")
    if h != IMAGE_SIZE:
        array = resize_images(array, IMAGE_SIZE)
    return np.ascontiguousarray(array, dtype=np.float32)


def _device_of(images) -> str:
    return "cuda" if backend.is_cupy_array(images.data if isinstance(images, Tensor) else images) else "cpu"


def _run(images, batch_size: int, what: str, name: str) -> np.ndarray:
    """Run the network over ``images`` in batches, in eval mode and without a graph; float64 NumPy out."""
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    device = _device_of(images)
    array = prepare_images(images, name)
    model = load_classifier(device)
    outputs = []
    with no_grad():
        for start in range(0, len(array), int(batch_size)):
            x = Tensor(backend.to_device(array[start:start + int(batch_size)], device))
            if what == "features":
                y = model.features(x)
            elif what == "logits":
                y = model(x)
            else:
                y = F.softmax(model(x), axis=1)
            outputs.append(backend.to_numpy(y.data).astype(np.float64))
    return np.concatenate(outputs)


def features(images, batch_size: int = 256) -> np.ndarray:
    """(N, 1, H, W) images in [-1, 1] (H = W in 8, 16, 28, 32) -> (N, 128) float64 digit-CNN features."""
    return _run(images, batch_size, "features", "images")


def logits(images, batch_size: int = 256) -> np.ndarray:
    """(N, 1, H, W) images in [-1, 1] -> (N, 10) float64 class logits of the digit CNN."""
    return _run(images, batch_size, "logits", "images")


def class_probs(images, batch_size: int = 256) -> np.ndarray:
    """(N, 1, H, W) images in [-1, 1] -> (N, 10) float64 class probabilities p(y | x) (rows sum to 1)."""
    return _run(images, batch_size, "probs", "images")


# ----------------------------------------------------------------------------- metrics on digit features


def fid_digits(images_a, images_b) -> float:
    """Fréchet distance between Gaussians fitted to the digit-CNN features of two image sets.

    The same formula as FID, on this package's 128-d digit features (not Inception's 2048-d): 0 for
    identical distributions, growing as they differ; biased upward for small sets, so compare values
    computed with the same numbers of images.
    """
    return frechet_distance(_run(images_a, 256, "features", "images_a"),
                            _run(images_b, 256, "features", "images_b"))


def kid_digits(images_a, images_b, subsets: int = 100, subset_size: int = 1000, rng=None) -> tuple[float, float]:
    """KID (unbiased MMD² with a cubic kernel) on digit-CNN features: (mean, std) over random subsets."""
    return kid(_run(images_a, 256, "features", "images_a"), _run(images_b, 256, "features", "images_b"),
               subsets=subsets, subset_size=subset_size, rng=rng)


def inception_score_digits(images, splits: int = 1) -> tuple[float, float]:
    """Inception-style score exp E[KL(p(y|x) || p(y))] with the digit CNN's p(y|x): (mean, std) over splits.

    1 when every image gets the same prediction, up to 10 for confident predictions spread evenly
    over the ten digits.
    """
    return inception_score(class_probs(images), splits=splits)


def precision_recall_digits(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision / recall (k-NN balls) on digit-CNN features: (precision, recall).

    precision: fraction of fake images that land on the real-feature manifold (realism);
    recall: fraction of real images covered by the fake-feature manifold (diversity).
    """
    return precision_recall(_run(real, 256, "features", "real"), _run(fake, 256, "features", "fake"), k=k)


# ----------------------------------------------------------------------------- one call for a run's metrics.json


def _real_images(dataset: str | Dataset, real) -> tuple[np.ndarray, str]:
    if real is not None:
        return np.asarray(backend.to_numpy(real)), "given"
    if isinstance(dataset, Dataset):
        ds = dataset
    elif isinstance(dataset, str):
        if not (dataset in DIGITS_SIZES or dataset in HELDOUT_SPECS or dataset.startswith("mnist:")):
            raise ValueError(f"image_metrics: {dataset!r} is not an image data spec; use one of "
                             f"{', '.join((*DIGITS_SIZES, *HELDOUT_SPECS))} or mnist:PATH")
        ds = load_dataset(dataset)
    else:
        raise TypeError(f"image_metrics: dataset must be a data spec string or a Dataset, got {type(dataset).__name__}")
    if ds.kind != "image":
        raise ValueError(f"image_metrics: {ds.name!r} is {ds.kind} data, not images")
    return ds.data, ds.name


def _heldout_images(dataset: str | Dataset, real) -> tuple[np.ndarray | None, str | None]:
    """The real images the generator never trained on: the test split of mnist / mnist32, else (None, None)."""
    name = dataset.name if isinstance(dataset, Dataset) else dataset
    if real is not None or name not in HELDOUT_SPECS:
        return None, None
    test = load_dataset(name, split="test")
    return test.data, f"{name} test split ({len(test)} images)"


def _default_splits(n: int) -> int:
    """Inception-score splits: one per 500 samples, between 1 and 10."""
    return max(1, min(10, n // 500))


def image_metrics(samples, dataset_name: str | Dataset, real=None, max_real: int = 10_000, seed: int = 0,
                  kid_subsets: int = 100) -> dict[str, Any]:
    """Every digit-feature metric for generated ``samples`` against the real images of ``dataset_name``.

    ``dataset_name`` is a data spec (``digits``, ``digits16``, ``digits28``, ``digits32``,
    ``mnist:PATH``) or a loaded ``Dataset``; ``real`` overrides the real images. The samples must
    have the dataset's image size. Up to ``max_real`` real images are used (a seeded subset of larger
    sets, e.g. MNIST). KID averages ``kid_subsets`` subsets of up to 1000 images; precision / recall
    compare equally many real and fake images; ``seed`` fixes every random subset. Returns a JSON-ready
    dict:

        fid_digits, kid_digits_mean, kid_digits_std, is_digits_mean, is_digits_std, is_splits,
        precision, recall, confident_fraction (top class probability >= 0.9), confident_fraction_real
        (the same for the real images), confident_ratio (the first over the second),
        confident_fraction_heldout and heldout_real_data (the same for real images kept out of training:
        the test split of mnist / mnist32; None for data without one or with ``real`` given),
        class_histogram (counts of the predicted class, 0..9), num_samples, num_real, real_data,
        feature_network
    """
    fake = prepare_images(samples, "samples")  # checks (and resizes) once
    real_images, real_name = _real_images(dataset_name, real)
    heldout, heldout_name = _heldout_images(dataset_name, real)
    real_size = real_images.shape[-1] if real_images.ndim == 4 else None
    samples_size = np.shape(backend.to_numpy(samples))[-1]
    if real_size is not None and real_size != samples_size:
        raise ValueError(f"image_metrics: samples are {samples_size}x{samples_size} but the {real_name} "
                         f"images are {real_size}x{real_size}; generate at the data's size")
    rng = np.random.default_rng(seed)
    if len(real_images) > max_real:
        real_images = real_images[np.sort(rng.choice(len(real_images), max_real, replace=False))]
    real = prepare_images(real_images, "real images")
    if len(fake) < 4 or len(real) < 4:
        raise ValueError(f"image_metrics: needs at least 4 samples and 4 real images, got {len(fake)} and {len(real)}")

    feats_fake, feats_real = features(fake), features(real)
    probs = class_probs(fake)
    kid_mean, kid_std = kid(feats_real, feats_fake, subsets=kid_subsets, subset_size=1000, rng=seed)
    splits = _default_splits(len(fake))
    is_mean, is_std = inception_score(probs, splits=splits)
    m = min(len(feats_real), len(feats_fake))
    pr_real = feats_real[np.sort(rng.choice(len(feats_real), m, replace=False))]
    pr_fake = feats_fake[np.sort(rng.choice(len(feats_fake), m, replace=False))]
    precision, recall = precision_recall(pr_real, pr_fake, k=3)
    predicted = probs.argmax(axis=1)
    confident_real = float(np.mean(class_probs(real).max(axis=1) >= CONFIDENCE))
    confident_heldout = None
    if heldout is not None:
        held = prepare_images(heldout, "held-out images")
        confident_heldout = float(np.mean(class_probs(held).max(axis=1) >= CONFIDENCE))
    return {
        "fid_digits": frechet_distance(feats_real, feats_fake),
        "kid_digits_mean": kid_mean,
        "kid_digits_std": kid_std,
        "is_digits_mean": is_mean,
        "is_digits_std": is_std,
        "is_splits": splits,
        "precision": precision,
        "recall": recall,
        "confident_fraction": float(np.mean(probs.max(axis=1) >= CONFIDENCE)),
        # the same figure for the real images: the classifier is confident on some blobs and unsure of some
        # real digits, so the samples' fraction means something only beside the real one
        "confident_fraction_real": confident_real,
        "confident_ratio": float(np.mean(probs.max(axis=1) >= CONFIDENCE)) / max(confident_real, 1e-12),
        # and for real images the generator never saw (the honest bar for the samples' figure)
        "confident_fraction_heldout": confident_heldout,
        "heldout_real_data": heldout_name,
        "class_histogram": np.bincount(predicted, minlength=NUM_CLASSES).tolist(),
        "num_samples": len(fake),
        "num_real": len(real),
        "real_data": real_name,
        "feature_network": f"minigan digits CNN ({WEIGHTS_PATH.name}, {FEATURE_DIM}-d features, "
                           f"{IMAGE_SIZE}x{IMAGE_SIZE} input)",
    }
