"""Tests for minigan.data: toy distributions, digits, IDX files, datasets and the loader."""

import gzip
import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import trapezoid
from scipy.stats import norm

from minigan.data import (
    TOY_DATASETS,
    DataLoader,
    density,
    get_toy,
    infinite,
    load_dataset,
    load_digits,
    load_mnist,
    mode_centers,
    mode_std,
    mode_weights,
    read_idx,
    resize_images,
    write_idx,
)

# ----------------------------------------------------------------------------- toy distributions


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_toy_shape_dtype_and_seeding(name):
    toy = TOY_DATASETS[name]
    a = toy.sample(500, np.random.default_rng(7))
    b = toy.sample(500, np.random.default_rng(7))
    c = toy.sample(500, np.random.default_rng(8))
    assert a.shape == (500, toy.dim) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.isfinite(a).all()
    assert toy.sample(0, 0).shape == (0, toy.dim)


def test_toy_dims():
    assert {n: t.dim for n, t in TOY_DATASETS.items()} == {
        "gauss1d": 1, "mixture1d": 1, "ring8": 2, "grid25": 2, "spiral": 2,
    }


def test_gauss1d_moments():
    x = TOY_DATASETS["gauss1d"].sample(200_000, 0)[:, 0].astype(np.float64)
    assert abs(x.mean() - 4.0) < 0.01
    assert abs(x.std() - 1.25) < 0.01


def test_mixture1d_modes_and_weights():
    x = TOY_DATASETS["mixture1d"].sample(100_000, 1)[:, 0].astype(np.float64)
    right = x > 0
    assert abs(right.mean() - 0.5) < 0.01
    assert abs(x[right].mean() - 2.0) < 0.01 and abs(x[~right].mean() + 2.0) < 0.01
    assert abs(x[right].std() - 0.5) < 0.01


def _nearest_mode(x, centers):
    d = np.linalg.norm(x[:, None, :] - centers[None, :, :], axis=2)
    return d.argmin(axis=1), d.min(axis=1)


def test_ring8_radius_and_every_mode_sampled():
    x = TOY_DATASETS["ring8"].sample(16_000, 2).astype(np.float64)
    assert np.abs(np.linalg.norm(x, axis=1) - 2.0).max() < 0.02 * 6
    centers = mode_centers("ring8")
    assert centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(centers[:, 1], centers[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)
    k, dist = _nearest_mode(x, centers)
    assert dist.max() < 0.02 * 6
    counts = np.bincount(k, minlength=8)
    assert counts.min() > 0.9 * 2000 and counts.max() < 1.1 * 2000
    assert mode_std("ring8") == 0.02


def test_grid25_centres_and_coverage():
    centers = mode_centers("grid25")
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert centers.shape == (25, 2) and set(map(tuple, centers.tolist())) == expected
    assert mode_std("grid25") == 0.05
    np.testing.assert_allclose(mode_weights("grid25"), np.full(25, 1 / 25))
    x = TOY_DATASETS["grid25"].sample(25_000, 3).astype(np.float64)
    k, dist = _nearest_mode(x, centers)
    assert dist.max() < 0.05 * 6
    counts = np.bincount(k, minlength=25)
    assert counts.min() > 800 and counts.max() < 1200


def test_spiral_extent_and_no_modes():
    x = TOY_DATASETS["spiral"].sample(5000, 4).astype(np.float64)
    r = np.linalg.norm(x, axis=1)
    assert r.max() < 4.3 and r.max() > 3.8 and r.min() < 0.3
    with pytest.raises(ValueError, match="spiral"):
        mode_centers("spiral")
    with pytest.raises(ValueError, match="density"):
        density("spiral", x)


def test_density_1d_exact_and_normalised():
    x = np.linspace(-10, 14, 20_001)
    np.testing.assert_allclose(density("gauss1d", x), norm.pdf(x, 4, 1.25), rtol=1e-12)
    p = density("mixture1d", x[:, None])
    np.testing.assert_allclose(p, 0.5 * norm.pdf(x, -2, 0.5) + 0.5 * norm.pdf(x, 2, 0.5), rtol=1e-12)
    assert abs(trapezoid(p, x) - 1.0) < 1e-9


def test_density_matches_histogram():
    x = TOY_DATASETS["mixture1d"].sample(400_000, 5)[:, 0]
    hist, edges = np.histogram(x, bins=80, range=(-4, 4), density=False)
    mids = (edges[:-1] + edges[1:]) / 2
    width = edges[1] - edges[0]
    np.testing.assert_allclose(hist / (len(x) * width), density("mixture1d", mids), atol=0.01)


def test_density_2d_at_a_mode_and_shape_errors():
    c = mode_centers("ring8")
    p = density("ring8", c)
    np.testing.assert_allclose(p, 1 / 8 / (2 * np.pi * 0.02**2), rtol=1e-9)
    assert density("ring8", np.zeros((1, 2)))[0] < 1e-100
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        density("ring8", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="unknown toy"):
        get_toy("ring9")


# ----------------------------------------------------------------------------- digits


def test_load_digits_format():
    from sklearn.datasets import load_digits as sk

    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == -1.0 and images.max() == 1.0
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
    np.testing.assert_allclose(images[:, 0], sk().images / 8 - 1, atol=1e-6)


@pytest.mark.parametrize("size", [16, 28, 32])
def test_load_digits_resized(size):
    images, labels = load_digits(size)
    small, _ = load_digits(8)
    assert images.shape == (1797, 1, size, size) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.max() > 0.9  # still has bright strokes
    # bilinear resizing keeps the average brightness close
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), small.mean(axis=(1, 2, 3)), atol=0.08)


def test_resize_matches_torch_bilinear():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(-1, 1, (3, 2, 8, 8))
    for size in (5, 16, 28):
        ref = torch.nn.functional.interpolate(torch.tensor(x), size=(size, size), mode="bilinear",
                                              align_corners=False).numpy()
        np.testing.assert_allclose(resize_images(x, size), ref, atol=1e-12)


def test_resize_constant_and_errors():
    out = resize_images(np.full((2, 1, 8, 8), 0.25, np.float32), 32)
    assert out.shape == (2, 1, 32, 32) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.25)
    with pytest.raises(ValueError, match="N, C, H, W"):
        resize_images(np.zeros((8, 8)), 16)


# ----------------------------------------------------------------------------- IDX files


def _idx_bytes(array, code):
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return bytes([0, 0, code, array.ndim]) + dims + array.tobytes()


def test_read_idx_handwritten_raw_and_gz(tmp_path):
    images = np.arange(3 * 2 * 4, dtype=np.uint8).reshape(3, 2, 4)
    (tmp_path / "a-idx3-ubyte").write_bytes(_idx_bytes(images, 0x08))
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(images, 0x08)))
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        out = read_idx(tmp_path / name)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, images)
    floats = np.array([[1.5, -2.0], [3.25, 0.0]], dtype=">f4")
    (tmp_path / "f.idx").write_bytes(_idx_bytes(floats, 0x0D))
    out = read_idx(tmp_path / "f.idx")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, floats.astype(np.float32))


@settings(max_examples=30, deadline=None)
@given(
    dtype=st.sampled_from(["uint8", "int8", "int16", "int32", "float32", "float64"]),
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    gz=st.booleans(),
)
def test_write_read_idx_round_trip(tmp_path_factory, dtype, shape, gz):
    rng = np.random.default_rng(len(shape))
    array = (rng.standard_normal(shape) * 50).astype(dtype)
    path = tmp_path_factory.mktemp("idx") / ("x.idx.gz" if gz else "x.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_read_idx_errors_name_the_file(tmp_path):
    good = _idx_bytes(np.zeros((2, 3, 3), np.uint8), 0x08)
    cases = {
        "truncated-idx3-ubyte": (good[:-5], "truncated"),
        "header-idx3-ubyte": (good[:10], "truncated header"),
        "tiny-idx3-ubyte": (b"\x00\x00", "at least 4"),
        "magic-idx3-ubyte": (b"\x12\x34" + good[2:], "bad magic"),
        "code-idx3-ubyte": (good[:2] + b"\x07" + good[3:], "type code 0x07"),
        "trailing-idx3-ubyte": (good + b"\x00\x00", "2 unexpected bytes"),
        "broken.gz": (gzip.compress(good)[:-12], "gzip"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=message) as info:
            read_idx(tmp_path / name)
        assert name in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_with_auto_detected_labels(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    ext = ".gz" if gz else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{ext}", images)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{ext}", labels)
    x, y = load_mnist(tmp_path / f"train-images-idx3-ubyte{ext}")
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 0, 1] == 1.0
    np.testing.assert_allclose(x[:, 0], images / 127.5 - 1, atol=1e-6)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    x32, _ = load_mnist(tmp_path / f"train-images-idx3-ubyte{ext}", size=32)
    assert x32.shape == (5, 1, 32, 32) and x32.min() >= -1 and x32.max() <= 1


def test_load_mnist_without_labels_and_bad_inputs(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    x, y = load_mnist(tmp_path / "t10k-images-idx3-ubyte")
    assert x.shape == (4, 1, 28, 28) and y is None
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="3 labels for 4 images"):
        load_mnist(tmp_path / "t10k-images-idx3-ubyte")
    write_idx(tmp_path / "flat-images", np.zeros((4, 784), np.uint8))
    with pytest.raises(ValueError, match="flat-images.*shape \\(N, rows, cols\\)"):
        load_mnist(tmp_path / "flat-images")


# ----------------------------------------------------------------------------- datasets


def test_load_dataset_toy():
    ds = load_dataset("ring8", pool_size=1000)
    assert ds.kind == "toy2d" and ds.data.shape == (1000, 2) and ds.dim == 2 and len(ds) == 1000
    assert ds.labels is None and ds.image_size is None
    np.testing.assert_array_equal(ds.data, load_dataset("ring8", pool_size=1000).data)  # seed 0 by default
    np.testing.assert_array_equal(ds.sample(10, 5), TOY_DATASETS["ring8"].sample(10, 5))
    assert load_dataset("gauss1d", rng=1, pool_size=10).kind == "toy1d"


def test_load_dataset_images(tmp_path):
    ds = load_dataset("digits16")
    assert (ds.kind, ds.image_size, ds.channels, ds.num_classes) == ("image", 16, 1, 10)
    assert ds.data.shape == (1797, 1, 16, 16) and ds.shape == (1, 16, 16) and ds.dim == 256
    s = ds.sample(50, 0)
    rows = {ds.data[i].tobytes() for i in range(len(ds))}
    assert s.shape == (50, 1, 16, 16) and all(r.tobytes() in rows for r in s)
    assert len(rows) == 1797 and len({r.tobytes() for r in s}) == 50  # distinct rows, no repeats
    with pytest.raises(ValueError, match="1797"):
        ds.sample(2000, 0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((6, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(6, dtype=np.uint8))
    m = load_dataset(f"mnist:{tmp_path / 'train-images-idx3-ubyte.gz'}")
    assert (m.name, m.kind, m.image_size, m.num_classes) == ("mnist", "image", 28, 10)
    np.testing.assert_array_equal(m.labels, np.arange(6))


def test_load_dataset_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="unknown data spec 'cifar'.*ring8.*digits32.*mnist:PATH"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="needs a path"):
        load_dataset("mnist:")


# ----------------------------------------------------------------------------- loader


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 45), drop_last=st.booleans(), shuffle=st.booleans())
def test_loader_sees_every_sample_once_per_epoch(n, batch_size, drop_last, shuffle):
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="drop_last"):
            DataLoader(np.arange(n), batch_size=batch_size, drop_last=drop_last)
        return
    idx = np.arange(n)
    loader = DataLoader(idx, idx * 10, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, rng=0)
    for epoch in range(2):
        batches = list(loader)
        assert len(batches) == len(loader)
        for a, b in batches:
            np.testing.assert_array_equal(b, a * 10)  # arrays stay aligned
        seen = np.concatenate([a for a, _ in batches])
        assert len(np.unique(seen)) == len(seen)
        if drop_last:
            assert len(loader) == n // batch_size
            assert all(len(a) == batch_size for a, _ in batches)
            assert len(seen) == (n // batch_size) * batch_size
        else:
            assert len(loader) == -(-n // batch_size)
            np.testing.assert_array_equal(np.sort(seen), idx)
        if not shuffle:
            np.testing.assert_array_equal(seen, idx[: len(seen)])
        assert loader.epoch == epoch + 1


def test_loader_seeded_reproducible_and_reshuffles():
    x = np.arange(100)
    a = [b[0] for _ in range(2) for b in DataLoader(x, batch_size=10, rng=3)]
    b = [b[0] for _ in range(2) for b in DataLoader(x, batch_size=10, rng=np.random.default_rng(3))]
    c = [b[0] for b in DataLoader(x, batch_size=10, rng=4)]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))
    assert not np.array_equal(np.concatenate(a[:10]), np.concatenate(c))
    loader = DataLoader(x, batch_size=10, rng=3)
    e1 = np.concatenate([b[0] for b in loader])
    e2 = np.concatenate([b[0] for b in loader])
    assert not np.array_equal(e1, e2)  # a new permutation every epoch
    assert not np.array_equal(e1, x)


@settings(max_examples=25, deadline=None)
@given(stop=st.integers(0, 30), drop_last=st.booleans())
def test_loader_state_dict_resume_is_exact(stop, drop_last):
    x = np.arange(23)
    ref = DataLoader(x, batch_size=5, drop_last=drop_last, rng=11)
    stream = infinite(ref)
    expected = [next(stream)[0] for _ in range(stop + 12)]

    first = DataLoader(x, batch_size=5, drop_last=drop_last, rng=11)
    stream = infinite(first)
    for _ in range(stop):
        next(stream)
    state = json.loads(json.dumps(first.state_dict()))  # survives a plain-text round trip
    resumed = DataLoader(x, batch_size=5, drop_last=drop_last, rng=999)
    resumed.load_state_dict(state)
    epochs = max(0, stop - 1) // len(first)  # an epoch ends when the batch after its last is asked for
    assert (resumed.epoch, state["position"]) == (epochs, stop - epochs * len(first))
    stream = infinite(resumed)
    got = [next(stream)[0] for _ in range(12)]
    for a, b in zip(got, expected[stop:]):
        np.testing.assert_array_equal(a, b)


def test_loader_state_dict_through_npz(tmp_path):
    loader = DataLoader(np.arange(50), batch_size=7, rng=0)
    it = iter(loader)
    next(it), next(it)
    np.savez(tmp_path / "s.npz", **loader.state_dict())
    want = next(it)[0]
    with np.load(tmp_path / "s.npz", allow_pickle=False) as f:
        state = {k: f[k] for k in f.files}
    fresh = DataLoader(np.arange(50), batch_size=7, rng=1)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(next(iter(fresh))[0], want)


def test_loader_errors():
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        DataLoader(np.arange(5), batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be positive, got -2"):
        DataLoader(np.arange(5), batch_size=-2)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(np.arange(5), batch_size=2.0)
    with pytest.raises(ValueError, match=r"same length.*\[5, 4\]"):
        DataLoader(np.arange(5), np.arange(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size=6 is larger than the 5 samples"):
        DataLoader(np.arange(5), batch_size=6)
    assert len(DataLoader(np.arange(5), batch_size=6, drop_last=False)) == 1
    with pytest.raises(TypeError, match="array 1 is None"):
        DataLoader(np.arange(5), None, batch_size=2)
    with pytest.raises(TypeError, match="rng"):
        DataLoader(np.arange(5), batch_size=2, rng="seed")
    loader = DataLoader(np.arange(5), batch_size=2)
    with pytest.raises(ValueError, match="missing keys"):
        loader.load_state_dict({"epoch": 0})


def test_infinite_crosses_epochs():
    loader = DataLoader(np.arange(10), batch_size=3, rng=0)
    stream = infinite(loader)
    batches = [next(stream)[0] for _ in range(7)]
    assert loader.epoch == 2 and all(len(b) == 3 for b in batches)
    assert len(np.unique(np.concatenate(batches[3:6]))) == 9
