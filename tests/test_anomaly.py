"""Anomaly detection: --exclude-class, the f-AnoGAN encoder and score, the nearest-neighbour score in D's
feature space, `minigan anomaly`, and AUROC."""

import json

import numpy as np
import pytest

import minigan as mg
from minigan import cli, io
from minigan.data import Dataset, load_dataset
from minigan.gan import Trainer, default_config
from minigan.gan.anomaly import (
    Encoder,
    NeighbourDetector,
    anomaly_scores,
    discriminator_features,
    fit_detector,
    score_terms,
    train_encoder,
    unit_features,
    without_class,
)
from minigan.metrics import auroc
from minigan.metrics.roc import midranks

FAST = ["--width", "8", "--batch-size", "16", "--log-every", "2", "--checkpoint-every", "2", "--sample-every",
        "100", "--eval-samples", "0", "--quiet"]


# ----------------------------------------------------------------------------- AUROC


def _pairwise_auroc(y, s):
    """The definition: P(s_pos > s_neg) + ½ P(s_pos = s_neg) over all pairs."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


def test_auroc_extremes_and_ties():
    assert auroc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auroc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert auroc([0, 1, 0, 1], [3.0, 3.0, 3.0, 3.0]) == 0.5
    assert auroc(np.array([True, False, True]), np.array([2, 1, 1])) == 0.75  # a tie counts one half
    np.testing.assert_allclose(midranks([5, 1, 5, 2]), [3.5, 1, 3.5, 2])


def test_auroc_is_the_pairwise_probability():
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.integers(0, 2, size=200)
        s = rng.integers(0, 12, size=200).astype(float)  # many ties
        assert auroc(y, s) == pytest.approx(_pairwise_auroc(y, s), abs=1e-12)


def test_auroc_matches_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for n in (10, 97, 500):
        y = rng.integers(0, 2, size=n)
        y[:2] = (0, 1)
        for s in (rng.standard_normal(n), rng.integers(0, 5, size=n).astype(float)):
            assert auroc(y, s) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)


@pytest.mark.parametrize("y,s,message", [
    ([0, 1], [0.5], "2 labels but y_score has 1"), ([0, 0], [1.0, 2.0], "needs both classes"),
    ([0, 2], [1.0, 2.0], "binary"), ([0, 1], [np.nan, 1.0], "NaN")])
def test_auroc_errors(y, s, message):
    with pytest.raises(ValueError, match=message):
        auroc(y, s)


# ----------------------------------------------------------------------------- --exclude-class


def test_without_class_drops_one_class_and_keeps_the_class_count():
    ds = load_dataset("digits")
    rest = without_class(ds, 3)
    assert 3 not in rest.labels and len(rest) == len(ds) - int((ds.labels == 3).sum())
    assert rest.num_classes == 10 and rest.data.shape[1:] == ds.data.shape[1:]
    with pytest.raises(ValueError, match=r"0\.\.9, got 10"):
        without_class(ds, 10)
    with pytest.raises(ValueError, match="no class labels"):
        without_class(load_dataset("ring8"), 0)
    with pytest.raises(ValueError, match="translation task"):
        without_class(load_dataset("edges2mnist"), 0)


def test_cli_exclude_class_errors_exit_2(tmp_path, capsys):
    assert cli.main(["train", "--data", "ring8", "--exclude-class", "1", "--out", str(tmp_path / "a"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "labelled data" in err and err.count("\n") == 1
    assert cli.main(["train", "--data", "digits", "--exclude-class", "10", "--out", str(tmp_path / "b"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "0..9, got 10" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--exclude-class", "-1"])
    assert exit_info.value.code == 2


def _weights(path):
    state = io.load(path)
    return {k: np.asarray(v) for part in ("G", "D") for k, v in state[part].items()}


def test_exclude_class_is_recorded_and_resume_is_exact(tmp_path, capsys):
    base = ["train", "--data", "digits", "--exclude-class", "4", *FAST]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert cli.main([*base, "--steps", "6", "--out", str(straight)]) == 0
    assert json.loads((straight / "config.json").read_text())["exclude_class"] == 4
    assert cli.main([*base, "--steps", "3", "--out", str(split)]) == 0
    assert cli.main(["train", "--out", str(split), "--resume", "--steps", "6", "--quiet"]) == 0
    a, b = _weights(straight / "checkpoint.npz"), _weights(split / "checkpoint.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    capsys.readouterr()
    assert cli.main(["train", "--out", str(split), "--resume", "--steps", "8", "--exclude-class", "5"]) == 2
    assert "--exclude-class 5 (the run has 4)" in capsys.readouterr().err


def test_the_trainer_never_sees_the_excluded_class():
    trainer = Trainer.from_config(default_config(data="digits", steps=1, exclude_class=7, eval_samples=0),
                                  progress=False)
    assert 7 not in trainer.dataset.labels and len(trainer.dataset) == 1797 - 179


# ----------------------------------------------------------------------------- the score


def test_encoder_features_and_scores_have_the_right_shapes():
    mg.manual_seed(0)
    trainer = Trainer.from_config(default_config(data="digits", steps=1, width=8, eval_samples=0), progress=False)
    x = mg.tensor(trainer.dataset.data[:5])
    E = Encoder((1, 8, 8), trainer.G.nz, width=4)
    assert E(x).shape == (5, trainer.G.nz)
    f = discriminator_features(trainer.D, x)
    assert f.ndim == 2 and f.shape[0] == 5
    s = anomaly_scores(trainer.G, trainer.D, E, trainer.dataset.data[:7])
    assert s.shape == (7,) and s.dtype == np.float64 and np.all(s >= 0)
    with pytest.raises(ValueError, match="Encoder expects images of shape"):
        E(mg.zeros(2, 1, 16, 16))


def _blank_vs_noise_run():
    """A tiny DCGAN trained on near-blank 8×8 images: anything with ink is anomalous to it."""
    rng = np.random.default_rng(0)
    blank = (-1 + 0.05 * rng.random((256, 1, 8, 8))).astype(np.float32)
    ds = Dataset("blank", "image", blank, np.zeros(256, dtype=np.int64), 1, 8, 1)
    cfg = default_config(data="digits", steps=60, width=8, batch_size=32, eval_samples=0, instance_noise=0.0)
    mg.manual_seed(0)
    from minigan.gan import get_family

    G, D = get_family("dcgan").build(cfg, ds)
    trainer = Trainer(G, D, ds, cfg, progress=False)
    trainer.fit()
    return trainer, blank


def test_the_score_ranks_what_the_generator_cannot_draw_higher():
    trainer, blank = _blank_vs_noise_run()
    weights = {k: np.array(v) for k, v in trainer.G.state_dict().items()}
    E = train_encoder(trainer.G, trainer.D, blank, steps=60, batch_size=32)
    assert all(np.array_equal(weights[k], np.asarray(v)) for k, v in trainer.G.state_dict().items())  # G frozen
    rng = np.random.default_rng(1)
    normal = (-1 + 0.05 * rng.random((50, 1, 8, 8))).astype(np.float32)
    strokes = normal.copy()
    strokes[:, :, 2:6, 3:5] = 1.0  # a bright bar
    scores = anomaly_scores(trainer.G, trainer.D, E, np.concatenate([normal, strokes]))
    assert auroc(np.r_[np.zeros(50), np.ones(50)], scores) > 0.95


def test_the_calibrated_score_standardises_both_terms_on_normal_data():
    trainer, blank = _blank_vs_noise_run()
    detector = fit_detector(trainer.G, trainer.D, blank, encoder_steps=60, calibration_images=128)
    calibration = blank[::2]  # the images calibrate() saw: every len // 128 = 2nd
    r, d = score_terms(trainer.G, trainer.D, detector.E, calibration)
    np.testing.assert_allclose(detector.stats, (r.mean(), r.std(), d.mean(), d.std()), rtol=1e-10)
    a = detector.score(calibration)
    np.testing.assert_allclose(a, (r - r.mean()) / r.std() + (d - d.mean()) / d.std(), rtol=1e-9, atol=1e-9)
    assert abs(a.mean()) < 1e-9
    strokes = blank[:50].copy()
    strokes[:, :, 2:6, 3:5] = 1.0
    assert auroc(np.r_[np.zeros(50), np.ones(50)], detector.score(np.concatenate([blank[:50], strokes]))) > 0.95


def test_the_neighbour_score_is_the_mean_cosine_distance_to_the_k_nearest_normal_images():
    mg.manual_seed(0)
    trainer = Trainer.from_config(default_config(data="digits", steps=1, width=8, eval_samples=0), progress=False)
    normal, queries = trainer.dataset.data[:40], trainer.dataset.data[40:47]
    detector = NeighbourDetector.fit(trainer.D, normal, k=3)
    with mg.no_grad():
        trainer.D.eval()
        f_normal = discriminator_features(trainer.D, mg.tensor(normal)).numpy().astype(np.float64)
        f_query = discriminator_features(trainer.D, mg.tensor(queries)).numpy().astype(np.float64)
        trainer.D.train()
    expected = []
    for q in f_query:  # the definition, one query at a time
        cosines = [q @ n / (np.linalg.norm(q) * np.linalg.norm(n)) for n in f_normal]
        expected.append(np.mean(sorted(1 - c for c in cosines)[:3]))
    scores = detector.score(queries, batch=2)  # several chunks
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    assert scores.dtype == np.float64 and trainer.D.training  # D's mode is restored
    np.testing.assert_allclose(np.linalg.norm(unit_features(trainer.D, queries), axis=1), 1.0, rtol=1e-12)
    assert np.all(detector.score(normal[:5]) >= 0) and detector.score(normal[:0]).shape == (0,)
    for k, message in ((0, "positive int"), (True, "positive int"), (41, "at least k = 41")):
        with pytest.raises(ValueError, match=message):
            NeighbourDetector.fit(trainer.D, normal, k=k)


def test_the_neighbour_score_ranks_what_D_never_saw_higher():
    trainer, blank = _blank_vs_noise_run()
    detector = NeighbourDetector.fit(trainer.D, blank)
    strokes = blank[:50].copy()
    strokes[:, :, 2:6, 3:5] = 1.0
    rng = np.random.default_rng(3)
    fresh_blank = (-1 + 0.05 * rng.random((50, 1, 8, 8))).astype(np.float32)
    scores = detector.score(np.concatenate([fresh_blank, strokes]))
    assert auroc(np.r_[np.zeros(50), np.ones(50)], scores) > 0.95


# ----------------------------------------------------------------------------- minigan anomaly


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("anomaly") / "run"
    assert cli.main(["train", "--data", "digits", "--exclude-class", "0", "--steps", "4", "--out", str(out),
                     *FAST]) == 0
    return out


def test_cli_anomaly_writes_one_score_per_image_and_reuses_the_encoder(digits_run, tmp_path, capsys):
    x = load_dataset("digits").data[:9]
    np.save(tmp_path / "x.npy", x)
    args = ["anomaly", "--checkpoint", str(digits_run / "checkpoint.npz"), "--input", str(tmp_path / "x.npy"),
            "--method", "f-anogan", "--encoder-steps", "3"]
    assert cli.main([*args, "--out", str(tmp_path / "s.npy")]) == 0
    assert "training the encoder" in capsys.readouterr().out
    scores = np.load(tmp_path / "s.npy")
    assert scores.shape == (9,) and np.all(np.isfinite(scores))
    assert (digits_run / "anomaly_encoder.npz").exists()
    assert cli.main([*args, "--out", str(tmp_path / "t.npy")]) == 0
    assert "training the encoder" not in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), scores)


def test_cli_anomaly_default_is_the_neighbour_score_of_the_runs_training_images(digits_run, tmp_path, capsys):
    x = load_dataset("digits").data[100:111]
    np.save(tmp_path / "x.npy", x)
    args = ["anomaly", "--checkpoint", str(digits_run / "checkpoint.npz"), "--input", str(tmp_path / "x.npy")]
    assert cli.main([*args, "--out", str(tmp_path / "s.npy")]) == 0
    assert "(neighbours)" in capsys.readouterr().out
    from minigan.anomaly_cli import load_detector

    detector, config, dataset = load_detector(str(digits_run / "checkpoint.npz"), method="neighbours")
    assert config.exclude_class == 0 and not np.any(dataset.labels == 0)
    assert isinstance(detector, NeighbourDetector) and len(detector.normal) == len(dataset)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), detector.score(x))
    assert cli.main([*args, "--encoder-steps", "3", "--out", str(tmp_path / "t.npy")]) == 2
    err = capsys.readouterr().err
    assert "--method f-anogan" in err and err.count("\n") == 1 and not (tmp_path / "t.npy").exists()


def test_cli_anomaly_errors_exit_2_with_one_line(digits_run, tmp_path, capsys):
    ckpt = str(digits_run / "checkpoint.npz")
    np.save(tmp_path / "wrong.npy", np.zeros((3, 1, 16, 16), dtype=np.float32))
    np.save(tmp_path / "rgb.npy", np.zeros((3, 3, 8, 8), dtype=np.float32))
    np.save(tmp_path / "range.npy", np.full((3, 1, 8, 8), 200.0, dtype=np.float32))
    (tmp_path / "text.npy").write_text("not an array")
    cases = [
        (["--checkpoint", ckpt, "--input", str(tmp_path / "wrong.npy")], "(N, 1, 8, 8), got (3, 1, 16, 16)"),
        (["--checkpoint", ckpt, "--input", str(tmp_path / "rgb.npy")], "(N, 1, 8, 8), got (3, 3, 8, 8)"),
        (["--checkpoint", ckpt, "--input", str(tmp_path / "range.npy")], "values in [-1, 1]"),
        (["--checkpoint", ckpt, "--input", str(tmp_path / "text.npy")], "not a NumPy .npy"),
        (["--checkpoint", ckpt, "--input", str(tmp_path / "missing.npy")], "no such input file"),
        (["--checkpoint", str(tmp_path / "none.npz"), "--input", str(tmp_path / "wrong.npy")], "no such checkpoint"),
    ]
    for args, message in cases:
        assert cli.main(["anomaly", *args, "--out", str(tmp_path / "s.npy")]) == 2, message
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "s.npy").exists()


def test_cli_anomaly_refuses_a_conditional_checkpoint(tmp_path, capsys):
    out = tmp_path / "cgan"
    assert cli.main(["train", "--data", "digits", "--model", "cgan", "--steps", "2", "--out", str(out), *FAST]) == 0
    np.save(tmp_path / "x.npy", load_dataset("digits").data[:2])
    assert cli.main(["anomaly", "--checkpoint", str(out / "checkpoint.npz"), "--input", str(tmp_path / "x.npy"),
                     "--out", str(tmp_path / "s.npy")]) == 2
    assert "unconditional generator" in capsys.readouterr().err

