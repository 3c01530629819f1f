"""Lessons 11–13 and 19 (DCGAN, conditional GAN, measuring GANs, GANs vs VAEs) in quick mode.

Each lesson asserts its own claims as it runs; these tests check the returned numbers again from
outside, so a lesson that stopped checking (or started returning something else) is caught.
"""

from __future__ import annotations

import math

import pytest

from minigan import lessons_cli


def _run(number: int, out_dir) -> dict:
    module = lessons_cli.load_lesson(number)
    with lessons_cli.lesson_environment():
        results = module.main(quick=True, out_dir=out_dir)
    assert isinstance(results, dict) and results
    return results


def _figures(out_dir, names: set[str]) -> None:
    saved = {p.name: p.stat().st_size for p in out_dir.glob("*.png")}
    assert names <= set(saved), f"missing figures: {names - set(saved)}"
    assert all(size > 5000 for size in saved.values()), saved


def test_lesson11_dcgan_digits(tmp_path):
    r = _run(11, tmp_path)
    # the untrained generator draws grey images that the classifier calls "8" with confidence
    assert r["untrained_classes"] == 1
    # a short run already draws confidently recognised digits of (almost) every kind
    assert r["classes_present"] >= 8
    assert r["confident_fraction"] >= 0.3
    assert sum(r["class_histogram"]) == round(1000 * r["confident_fraction"])
    lo, hi = r["sample_range"]
    assert -1 <= lo < -0.9 and 0.9 < hi <= 1
    assert r["spread"] > 0.5
    assert math.isfinite(r["d_loss"]) and math.isfinite(r["g_loss"])
    assert r["interpolation_largest_jump"] < 0.3
    _figures(tmp_path, {"dcgan_samples.png", "dcgan_interpolations.png", "dcgan_progress.png", "dcgan_losses.png"})


def test_lesson12_conditional_gan(tmp_path):
    r = _run(12, tmp_path)
    assert r["agreement"] >= 0.5
    assert len(r["per_class_agreement"]) == 10
    assert r["agreement"] == pytest.approx(sum(r["per_class_agreement"]) / 10)
    assert r["spread"] >= 0.3
    assert r["d_true_label"] > r["d_wrong_label"]
    _figures(tmp_path, {"cgan_grid.png", "cgan_confusion.png"})


def test_lesson13_measuring_gans(tmp_path):
    r = _run(13, tmp_path)
    # 1. equal losses, different quality
    assert r["same_loss_fid_ratio"] >= 2
    assert r["fid_last"] < 0.5 * r["fid_first"]
    # 2. FID on Gaussians: biased upwards at every N, unbiased after extrapolating to N = infinity
    means = r["fid_means"]
    assert all(m > r["closed_form"] for m in means.values())
    assert list(means.values()) == sorted(means.values(), reverse=True)  # the bias shrinks with N
    assert abs(r["intercept_z"]) < 3 and r["mean_term_z_max"] < 3 and r["bias_z_min"] > 3
    # the closed form agrees with a ground truth that shares no code with it, on non-commuting covariances
    assert r["commutator"] > 0.1
    assert r["closed_form"] == pytest.approx(r["ground_truth_sqrtm"], rel=1e-8)
    assert abs(r["transport_z"]) < 3
    # 3. the table
    t = r["table"]
    real, one_class, repeated = t["real (held out)"], t["one class (3s)"], t["one digit repeated"]
    noisy, mild = t["noise σ = 0.5"], t["noise σ = 0.2"]
    for name, m in t.items():
        if name != "real (held out)":
            assert real["fid"] < m["fid"] and real["kid"] < m["kid"], name
    assert repeated["fid"] > one_class["fid"] > noisy["fid"] > mild["fid"]
    assert real["inception"] > 9 and max(one_class["inception"], repeated["inception"]) < 1.5
    assert r["noise_is_drop"] < 0.05 and r["noise_fid_ratio"] > 1.5
    # 4. precision vs recall
    assert one_class["precision"] >= 0.7 and one_class["recall"] <= 0.1
    assert noisy["precision"] <= 0.5 and noisy["recall"] > one_class["recall"]
    assert min(real["precision"], real["recall"]) >= 0.8
    _figures(tmp_path, {"losses_vs_fid.png", "fid_gaussians.png", "digit_sets.png", "metrics_table.png"})


def test_lesson19_gans_vs_vaes(tmp_path):
    r = _run(19, tmp_path)
    # the VAE has a likelihood bound, tightened by importance sampling; the GAN has a 16-d support in R^64
    assert math.isfinite(r["elbo"]) and r["iwae"] > r["elbo"]
    assert r["gan_jacobian_rank"] == 16
    assert r["reconstruction_rmse"] < 0.35
    t = r["table"]
    vae, gan = t["VAE"], t["GAN"]
    assert vae["sharpness"] < 0.85 and abs(gan["sharpness"] - 1) < 0.2 and gan["sharpness"] > 1.2 * vae["sharpness"]
    assert vae["recall"] > gan["recall"]
    assert min(t["real (training digits)"]["precision"], t["real (training digits)"]["recall"]) > 0.8
    _figures(tmp_path, {"vae_vs_gan_samples.png", "vae_vs_gan_numbers.png"})
