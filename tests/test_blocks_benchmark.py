"""benchmarks/blocks.py runs (the MNIST judge beside it has its own tests, tests/test_mnist_judge.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import blocks  # noqa: E402


def test_every_block_case_runs_forward_and_backward(capsys):
    blocks.main(["--rounds", "1", "--batch", "2"])
    out = capsys.readouterr().out
    for title in blocks.CASES:
        assert title.replace("B", "2", 1) in out
