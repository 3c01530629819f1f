"""Image-to-image tasks on digits that ship with the install: paired and unpaired translation data.

Each task is a :class:`TranslationDataset`: arrays ``a`` (the input domain) and ``b`` (the output domain),
float32 (N, 1, H, W) in [−1, 1], with int64 labels ``labels_a`` and ``labels_b``. Like every image
``Dataset`` it also has ``data`` and ``labels``: those of the ``b`` side, the images a generator A → B
has to produce.

* ``"edges2mnist"`` (paired): ``a`` is the edge map of the MNIST digit ``b``, from one fixed operator,
  :func:`sobel_edges`: with the pixels scaled to p ∈ [0, 1],

      gx = S ⋆ p,  gy = Sᵀ ⋆ p,  S = [1 2 1]ᵀ [−1 0 1]  (zero outside the frame),
      edge(p) = 1 where √(gx² + gy²) > EDGE_THRESHOLD = 1, else 0,

  mapped to [−1, 1] as 2·edge − 1 (white edges on black). A full 0 → 1 step gives a magnitude of 4, so the
  threshold marks every pixel next to a stroke boundary: the digit becomes its outline.
* ``"mnist-sr4"`` (paired): ``a`` is the digit reduced to 7×7 by 4×4 block means, :func:`block_means`
  (a_ij = the mean of b over rows 4i..4i+3, columns 4j..4j+3); ``b`` is the 28×28 digit. The
  super-resolution task: ``a`` is (N, 1, 7, 7).
* ``"digits2mnist"`` (unpaired): ``a`` is scikit-learn's 8×8 digits resized to 28×28 (bilinear, as
  ``digits28``), ``b`` the MNIST digits. The two sides are separate image sets with their own index sets,
  and the rows are not aligned: ``b`` is in a fixed shuffled order, so ``labels_a[i] == labels_b[i]`` only
  by chance (about one row in ten). Nothing is paired.

Splits: the MNIST side uses the bundled MNIST split (``minigan.data.mnist``: per digit, the last 50 of 500
are test). The digits side of ``digits2mnist`` has a fixed split of its own, :func:`digits_split`: per
digit, the last ``DIGITS_TEST_PER_CLASS`` = 18 images in file order are test (180 of 1,797), the others
train. Train and test index sets are disjoint on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .images import Dataset, load_digits
from .mnist import load_mnist_bundled

__all__ = ["EDGE_THRESHOLD", "TRANSLATION_TASKS", "TranslationDataset", "block_means", "digits_split",
           "load_translation", "sobel_edges"]

EDGE_THRESHOLD = 1.0          # on the Sobel magnitude of pixels in [0, 1] (a full step gives 4)
SR_FACTOR = 4                 # mnist-sr4: 28×28 → 7×7
DIGITS_TEST_PER_CLASS = 18    # digits2mnist: the digits side's test images per class (about 10%)
UNPAIRED_SEED = 15            # the fixed shuffle of the MNIST side of digits2mnist
TRANSLATION_TASKS = {"edges2mnist": True, "mnist-sr4": True, "digits2mnist": False}  # name → paired


@dataclass(eq=False)
class TranslationDataset(Dataset):
    """A translation task: ``a`` → ``b``. ``data`` / ``labels`` are the ``b`` side (see the module doc).

    paired: row i of ``a`` and row i of ``b`` show the same digit (edges2mnist, mnist-sr4); for an unpaired
    task (digits2mnist) the sides are independent sets of possibly different sizes.
    """

    a: np.ndarray | None = None
    b: np.ndarray | None = None
    labels_a: np.ndarray | None = None
    labels_b: np.ndarray | None = None
    paired: bool = True

    @property
    def shape_a(self) -> tuple[int, ...]:
        """Shape of one input image, e.g. (1, 7, 7) for mnist-sr4."""
        return tuple(self.a.shape[1:])


def sobel_edges(images: np.ndarray, threshold: float = EDGE_THRESHOLD) -> np.ndarray:
    """The edge maps of (N, 1, H, W) images in [−1, 1]: thresholded Sobel magnitude, as 2·edge − 1."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"sobel_edges: expected (N, 1, H, W) images, got shape {images.shape}")
    p = (images + 1) / 2
    sobel = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])[None, None]  # (1, 1, 3, 3): each image on its own
    gx = ndimage.correlate(p, sobel, mode="constant", cval=0.0)
    gy = ndimage.correlate(p, sobel.transpose(0, 1, 3, 2), mode="constant", cval=0.0)
    edges = np.hypot(gx, gy) > threshold
    return (2 * edges - 1).astype(np.float32)


def block_means(images: np.ndarray, factor: int = SR_FACTOR) -> np.ndarray:
    """(N, C, H, W) → (N, C, H/f, W/f): the mean of each f×f block (H and W divisible by f)."""
    images = np.asarray(images)
    n, c, h, w = images.shape
    if h % factor or w % factor:
        raise ValueError(f"block_means: image size {h}x{w} is not divisible by the factor {factor}")
    blocks = images.reshape(n, c, h // factor, factor, w // factor, factor).astype(np.float64)
    return blocks.mean(axis=(3, 5)).astype(np.float32)


def digits_split(labels: np.ndarray, split: str) -> np.ndarray:
    """Rows of scikit-learn's digits in ``split``: per class the last DIGITS_TEST_PER_CLASS are test."""
    if split == "all":
        return np.arange(len(labels))
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        test[rows[-DIGITS_TEST_PER_CLASS:]] = True
    return np.flatnonzero(test if split == "test" else ~test)


def load_translation(spec: str, split: str = "train") -> TranslationDataset:
    """The translation task ``spec`` (one of :data:`TRANSLATION_TASKS`) on ``split`` (train | test | all)."""
    if spec not in TRANSLATION_TASKS:
        raise ValueError(f"unknown translation task {spec!r}; choose one of {', '.join(TRANSLATION_TASKS)}")
    if split not in ("train", "test", "all"):
        raise ValueError(f"load_translation: split must be 'train', 'test' or 'all', got {split!r}")
    b, labels_b = load_mnist_bundled(split)
    if spec == "edges2mnist":
        a, labels_a = sobel_edges(b), labels_b.copy()
    elif spec == "mnist-sr4":
        a, labels_a = block_means(b), labels_b.copy()
    else:
        digits, digit_labels = load_digits(28)
        rows = digits_split(digit_labels, split)
        a, labels_a = digits[rows], digit_labels[rows]
        order = np.random.default_rng(UNPAIRED_SEED).permutation(len(b))
        b, labels_b = b[order], labels_b[order]
    return TranslationDataset(spec, "translation", b, labels_b, 10, 28, 1, a=a, b=b, labels_a=labels_a,
                              labels_b=labels_b, paired=TRANSLATION_TASKS[spec])
