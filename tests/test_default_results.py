"""What the command line's defaults reach, run exactly as a student would (`minigan train ...`, no tuning flags).

One 1-D run is part of the default test command (about 20 s); the rest take minutes each and are marked
slow: `python -m pytest -m slow` runs them (the default digits run is in test_cli.py).
"""

import json

import pytest

from minigan import cli


def run(tmp_path, *args) -> dict:
    out = tmp_path / "run"
    assert cli.main(["train", *args, "--out", str(out), "--quiet"]) == 0
    return json.loads((out / "metrics.json").read_text())


def check_gauss1d(metrics):
    """N(4, 1.25²): the fitted mean within 0.1, the std within 10%."""
    assert abs(metrics["mean"] - 4.0) < 0.1, metrics
    assert abs(metrics["std"] - 1.25) < 0.125, metrics


def test_gauss1d_default_fits_mean_and_std(tmp_path):
    check_gauss1d(run(tmp_path, "--model", "mlp", "--data", "gauss1d", "--seed", "1"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 2])
def test_gauss1d_default_fits_other_seeds(tmp_path, seed):
    check_gauss1d(run(tmp_path, "--model", "mlp", "--data", "gauss1d", "--seed", str(seed)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ring8_wgan_gp_covers_every_mode_precisely(tmp_path, seed):
    """8/8 modes, ≥ 80% of 2,000 samples within 3 std of a mode (real samples: ≈ 98.9%)."""
    coverage = run(tmp_path, "--model", "mlp", "--loss", "wgan-gp", "--data", "ring8", "--seed", str(seed))
    coverage = coverage["mode_coverage"]
    assert coverage["modes"] == 8 and coverage["high_quality"] >= 0.8, coverage
