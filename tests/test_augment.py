"""Differentiable augmentation (``minigan.gan.augment``): each transformation against a NumPy reference written
from its definition, gradcheck and gradgradcheck in float64 with the random draws fixed, and the policy's
validation; the run refuses ``--augment`` where no step would apply it."""

import numpy as np
import pytest
from conftest import assert_same_state, t64, to_np
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.gan import augment, default_config
from minigan.gan.run import Trainer
from minigan.gradcheck import gradcheck, gradgradcheck


def ref_translate(x, dy, dx, fill=-1.0):
    """y[n, c, i, j] = x[n, c, i − dy_n, j − dx_n], fill where that is outside the image."""
    n, c, h, w = x.shape
    y = np.full_like(x, fill)
    for k in range(n):
        for i in range(h):
            for j in range(w):
                if 0 <= i - dy[k] < h and 0 <= j - dx[k] < w:
                    y[k, :, i, j] = x[k, :, i - dy[k], j - dx[k]]
    return y


def ref_cutout(x, cy, cx, side, fill=-1.0):
    y = x.copy()
    for k in range(len(x)):
        top, left = cy[k] - side // 2, cx[k] - side // 2
        y[k, :, max(top, 0):max(top + side, 0), max(left, 0):max(left + side, 0)] = fill
    return y


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9), seed=st.integers(0, 99))
def test_shift_matrices_translate_like_the_reference(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    dy, dx = rng.integers(-h, h + 1, n), rng.integers(-w, w + 1, n)
    rows = augment.shift_matrices(np.asarray(dy), h, np.float64)
    cols = augment.shift_matrices(np.asarray(dx), w, np.float64).transpose(0, 1, 3, 2)
    assert rows.shape == (n, 1, h, h)
    np.testing.assert_allclose(rows @ (x + 1) @ cols - 1, ref_translate(x, dy, dx), rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), h=st.integers(1, 9), w=st.integers(1, 9), side=st.integers(1, 6), seed=st.integers(0, 99))
def test_cutout_mask_blanks_the_square(n, h, w, side, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2, h, w))
    cy, cx = rng.integers(0, h, n), rng.integers(0, w, n)
    mask = augment.cutout_mask(np.asarray(cy), np.asarray(cx), h, w, side, np.float64)
    np.testing.assert_allclose((x + 1) * mask - 1, ref_cutout(x, cy, cx, side), rtol=0, atol=1e-12)


def _drawn(policy):
    """diff_augment with the generator re-seeded at each call: the same T every time (for the checks)."""
    def fn(x):
        mg.backend.manual_seed(3)
        return augment.diff_augment(x, policy)
    return fn


@pytest.mark.parametrize("policy", ["translation", "cutout", "brightness", "contrast", "translation,cutout,contrast"])
def test_gradients(policy):
    x = t64(np.random.default_rng(0).standard_normal((3, 2, 8, 8)))
    assert gradcheck(_drawn(policy), (x,))
    assert gradgradcheck(_drawn(policy), (x,))


def test_each_transformation_does_what_it_says():
    x = np.random.default_rng(1).uniform(-1, 1, (64, 1, 16, 16)).astype(np.float32)
    mg.backend.manual_seed(0)
    moved = to_np(augment.diff_augment(mg.tensor(x), "translation").data)
    shifted = [any(np.allclose(moved[k], ref_translate(x[k:k + 1], [dy], [dx])[0], rtol=0, atol=1e-6)
                   for dy in range(-2, 3) for dx in range(-2, 3)) for k in range(len(x))]
    assert all(shifted)  # every image is x shifted by at most round(16 / 8) = 2 pixels each way
    assert sum(np.allclose(moved[k], x[k], rtol=0, atol=1e-6) for k in range(len(x))) < 10  # and most of them did move
    cut = to_np(augment.diff_augment(mg.tensor(x), "cutout").data)
    changed = np.abs(cut - x) > 1e-6
    blanked = changed.reshape(len(x), -1).sum(axis=1)
    assert np.all(cut[changed] == -1) and blanked.max() == 64 and blanked.min() >= 16  # ≤ 8×8, ≥ a corner's 4×4
    bright = to_np(augment.diff_augment(mg.tensor(x), "brightness").data) - x
    assert np.allclose(bright, bright[:, :, :1, :1], atol=1e-6) and np.abs(bright).max() <= 0.5
    contrast = to_np(augment.diff_augment(mg.tensor(x), "contrast").data)
    np.testing.assert_allclose(contrast.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-5)
    ratio = contrast.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert ratio.min() >= 0.5 - 1e-5 and ratio.max() < 1.5 and ratio.std() > 0.1


def test_draws_come_from_the_seeded_generator():
    x = mg.tensor(np.zeros((4, 1, 8, 8), dtype=np.float32) + np.arange(8, dtype=np.float32))
    mg.backend.manual_seed(5)
    first = to_np(augment.diff_augment(x, "translation,cutout").data)
    mg.backend.manual_seed(5)
    np.testing.assert_array_equal(to_np(augment.diff_augment(x, "translation,cutout").data), first)


def test_policy_checks():
    assert augment.check_policy("") == () and augment.check_policy(" cutout, translation ") == ("cutout", "translation")
    with pytest.raises(ValueError, match="unknown augmentation 'flip'"):
        augment.check_policy("translation,flip")
    D = object()
    assert augment.augmented(D, "") is D
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        augment.diff_augment(mg.tensor(np.zeros((4, 2))), "cutout")


def test_the_run_refuses_augmentation_where_no_step_applies_it():
    with pytest.raises(ValueError, match="--augment"):
        Trainer.from_config(default_config("mlp", data="ring8", steps=1, augment="translation"), progress=False)
    with pytest.raises(ValueError, match="--augment"):
        Trainer.from_config(default_config("wavegan", data="waves", steps=1, augment="cutout"), progress=False)
    with pytest.raises(ValueError, match="--dp does not support augment"):
        Trainer.from_config(default_config("dcgan", data="digits16", steps=1, dp=True, augment="cutout"),
                            progress=False)
    with pytest.raises(ValueError, match="unknown augmentation"):
        Trainer.from_config(default_config("dcgan", data="digits16", steps=1, augment="rotate"), progress=False)


def _small(model, **overrides):
    settings = dict(width=4, nz=8, batch_size=8, steps=2, eval_samples=0, log_every=1, sample_every=1000,
                    checkpoint_every=1000, augment="translation,cutout")
    settings.update(overrides)
    return default_config(model=model, data="mnist32", **settings)


@pytest.mark.parametrize("model", ["dcgan", "sagan", "biggan", "progan", "stylegan"])
def test_every_image_family_judges_augmented_images(model, monkeypatch):
    policies = []
    original = augment.diff_augment

    def spy(x, policy):
        policies.append(policy)
        return original(x, policy)

    monkeypatch.setattr(augment, "diff_augment", spy)
    trainer = Trainer.from_config(_small(model, steps=1), progress=False)
    trainer.fit()
    # D's loss sees T(x) and T(G(z)), G's loss T(G(z)); the penalties (R1, gradient penalty) differentiate D ∘ T
    assert len(policies) >= 3 and set(policies) == {("translation", "cutout")}
    assert np.isfinite(trainer.history[-1]["d_loss"])


def test_an_augmented_run_resumes_exactly(tmp_path):
    straight = Trainer.from_config(_small("biggan", steps=4), progress=False)
    straight.fit()
    first = Trainer.from_config(_small("biggan", steps=2), out_dir=str(tmp_path), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path), progress=False, steps=4)
    resumed.fit()
    assert_same_state(straight, resumed)


def test_the_command_line_refuses_a_policy_in_one_line_and_leaves_no_folder(tmp_path, capsys):
    from minigan import cli

    out = tmp_path / "run"
    assert cli.main(["train", "--model", "dcgan", "--data", "digits16", "--augment", "translation,flip",
                     "--steps", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "minigan: error: unknown augmentation 'flip': choose from translation, cutout, brightness, contrast"
    assert not out.exists()
