"""Mutation tests: each lesson below must fail when the engine function it teaches is made wrong.

A lesson that still passed on a wrong engine would be checking nothing. Each test patches one engine
function in-process with a plausible mistake (the kind a student or a hasty refactor makes) and runs
the lesson's quick mode, which must stop with an AssertionError from the claim that catches it.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigan.metrics as metrics
import minigan.metrics.frechet as frechet
from minigan import lessons_cli, theory
from minigan.gan import losses


def _run_quick(number: int, out_dir) -> dict:
    module = lessons_cli.load_lesson(number)
    with lessons_cli.lesson_environment():
        return module.main(quick=True, out_dir=out_dir)


def _diagonal_frechet(mu_a, sigma_a, mu_b, sigma_b) -> float:
    """The classic mistake: Tr(Σa^½ Σb Σa^½)^½ replaced by Σ_i (Σa_ii Σb_ii)^½, as if the covariances were diagonal."""
    mu_a, mu_b, sigma_a, sigma_b = (np.asarray(v, dtype=np.float64) for v in (mu_a, mu_b, sigma_a, sigma_b))
    cross = np.sqrt(np.clip(np.diag(sigma_a) * np.diag(sigma_b), 0.0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b) - 2 * cross)


def test_wrong_fid_formula_fails_lesson13(monkeypatch, tmp_path):
    """The same wrong formula in both metrics and theory: only an independent ground truth can catch it."""
    monkeypatch.setattr(frechet, "frechet_distance_from_stats", _diagonal_frechet)
    monkeypatch.setattr(metrics, "frechet_distance_from_stats", _diagonal_frechet)
    monkeypatch.setattr(theory, "frechet_gaussians", _diagonal_frechet)
    with pytest.raises(AssertionError, match="ground truth"):
        _run_quick(13, tmp_path)


def test_optimal_discriminator_off_by_15_percent_fails_lesson04(monkeypatch, tmp_path):
    def wrong(p_data, p_g):
        p, q = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
        return p / (p + 1.15 * q)

    monkeypatch.setattr(theory, "optimal_discriminator", wrong)
    with pytest.raises(AssertionError, match="weighted RMS"):
        _run_quick(4, tmp_path)


def test_swapped_generator_losses_fail_lesson06(monkeypatch, tmp_path):
    """minimax and non-saturating generator losses exchanged (a common copy-paste slip)."""
    saturating, nonsaturating = losses.minimax_generator_loss, losses.nonsaturating_generator_loss
    monkeypatch.setattr(losses, "minimax_generator_loss", nonsaturating)
    monkeypatch.setattr(losses, "nonsaturating_generator_loss", saturating)
    with pytest.raises(AssertionError, match="ratio"):
        _run_quick(6, tmp_path)


def _no_penalty(critic, real, fake, lambda_: float = 10.0):
    """WGAN-GP without its penalty: a zero that keeps the signature (and the graph) of the real one."""
    return 0.0 * critic(real).mean()


def test_gradient_penalty_removed_fails_lesson09(monkeypatch, tmp_path):
    monkeypatch.setattr(losses, "gradient_penalty", _no_penalty)
    with pytest.raises(AssertionError, match="gradient penalty"):
        _run_quick(9, tmp_path)


def test_gradient_penalty_removed_fails_lesson08(monkeypatch, tmp_path):
    """Without the penalty the critic's slopes are unbounded and its generator covers no more modes than minimax."""
    monkeypatch.setattr(losses, "gradient_penalty", _no_penalty)
    with pytest.raises(AssertionError, match="WGAN-GP"):
        _run_quick(8, tmp_path)


def test_the_mutations_are_real():
    """Each patched function really differs from the engine's on an input the lessons use."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    sigma_a, sigma_b = a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(4)
    mu = np.zeros(4)
    assert abs(_diagonal_frechet(mu, sigma_a, mu, sigma_b) - frechet.frechet_distance_from_stats(
        mu, sigma_a, mu, sigma_b)) > 0.1
    p, q = np.array([0.2, 0.5]), np.array([0.3, 0.5])
    assert np.all(np.abs(theory.optimal_discriminator(p, q) - p / (p + 1.15 * q)) > 0.01)
