"""Image-to-image translation: the data specs, the metrics, pix2pix (shapes, updates, exact resume), the CLI."""

import json
import os

import numpy as np
import pytest
from conftest import assert_same_state

import minigan as mg
from minigan import cli
from minigan.data import load_dataset
from minigan.data.mnist import load_mnist_bundled
from minigan.data.translation import block_means, digits_split, sobel_edges
from minigan.gan import Trainer, default_config
from minigan.gan.models.pix2pix import PatchDiscriminator, UNetGenerator
from minigan.gan.translation import TranslationBatches
from minigan.metrics.translation import bicubic_upsample, mean_l1, psnr, ssim

TINY = dict(width=4, batch_size=8, log_every=2, sample_every=1000, checkpoint_every=1000, eval_samples=0)


# ----------------------------------------------------------------------------- data specs


@pytest.mark.parametrize("spec,shape_a,n_a", [("edges2mnist", (1, 28, 28), (4500, 500)),
                                               ("mnist-sr4", (1, 7, 7), (4500, 500)),
                                               ("digits2mnist", (1, 28, 28), (1617, 180))])
def test_translation_specs_shapes_ranges_and_splits(spec, shape_a, n_a):
    train, test = load_dataset(spec, split="train"), load_dataset(spec, split="test")
    for ds, n in ((train, n_a[0]), (test, n_a[1])):
        assert ds.a.shape == (n, *shape_a) and ds.a.dtype == np.float32
        assert ds.b.shape == (4500 if ds is train else 500, 1, 28, 28) and ds.b.dtype == np.float32
        assert ds.a.min() >= -1 and ds.a.max() <= 1 and ds.b.min() >= -1 and ds.b.max() <= 1
        assert len(ds.labels_a) == len(ds.a) and len(ds.labels_b) == len(ds.b)
        assert ds.data is ds.b and ds.labels is ds.labels_b and ds.kind == "translation"
        assert np.bincount(ds.labels_b).min() > 0
    # the test digits are the bundled MNIST test split, none of them in train
    mnist_test, _ = load_mnist_bundled("test")
    assert {x.tobytes() for x in test.b} == {x.tobytes() for x in mnist_test}
    assert not {x.tobytes() for x in test.b} & {x.tobytes() for x in train.b}
    if spec == "digits2mnist":
        assert not train.paired
        assert np.mean(train.labels_a[:1617] == train.labels_b[:1617]) < 0.2  # rows are not aligned
        assert not {x.tobytes() for x in test.a} & {x.tobytes() for x in train.a}
    else:
        assert train.paired
        np.testing.assert_array_equal(train.labels_a, train.labels_b)


def test_sobel_edges_is_the_documented_operator():
    images = load_mnist_bundled("test")[0][:5].astype(np.float64)
    p = (images[:, 0] + 1) / 2
    padded = np.pad(p, ((0, 0), (1, 1), (1, 1)))
    gx = np.zeros_like(p)
    gy = np.zeros_like(p)
    for i in range(28):  # loops over the 3×3 neighbourhood, as written in the docstring
        for j in range(28):
            window = padded[:, i:i + 3, j:j + 3]
            gx[:, i, j] = (window * np.outer([1, 2, 1], [-1, 0, 1])).sum(axis=(1, 2))
            gy[:, i, j] = (window * np.outer([-1, 0, 1], [1, 2, 1])).sum(axis=(1, 2))
    expected = np.where(np.sqrt(gx ** 2 + gy ** 2) > 1.0, 1.0, -1.0)
    np.testing.assert_array_equal(sobel_edges(images)[:, 0], expected)
    assert 0.1 < np.mean(expected > 0) < 0.5  # an outline, not blank or filled


def test_block_means_and_digits_split():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 1, 28, 28)).astype(np.float32)
    expected = np.array([[[[x[n, 0, 4 * i:4 * i + 4, 4 * j:4 * j + 4].mean() for j in range(7)] for i in range(7)]]
                         for n in range(3)])
    np.testing.assert_allclose(block_means(x), expected, atol=1e-6)
    with pytest.raises(ValueError, match="divisible"):
        block_means(x[:, :, :27])
    labels = load_dataset("digits").labels
    train, test = digits_split(labels, "train"), digits_split(labels, "test")
    assert len(test) == 180 and not set(train) & set(test) and len(train) + len(test) == len(labels)


def test_translation_batches_paired_rows_and_unpaired_independence():
    ds = load_dataset("mnist-sr4")
    a, b = next(TranslationBatches(ds, 16, np.random.default_rng(0), "cpu"))
    np.testing.assert_allclose(block_means(b.data), a.data, atol=1e-6)  # the same rows on both sides
    un = load_dataset("digits2mnist")
    batches = TranslationBatches(un, 16, np.random.default_rng(0), "cpu")
    a, b = next(batches)
    assert a.shape == b.shape == (16, 1, 28, 28)
    state = batches.loader.state_dict()
    after = [next(batches) for _ in range(3)]
    batches.loader.load_state_dict(state)
    batches.restart()
    for (a1, b1), (a2, b2) in zip(after, [next(batches) for _ in range(3)]):
        np.testing.assert_array_equal(a1.data, a2.data)
        np.testing.assert_array_equal(b1.data, b2.data)


# ----------------------------------------------------------------------------- metrics


def test_pixel_metrics_on_known_cases():
    y = np.random.default_rng(1).uniform(-1, 1, (4, 1, 28, 28))
    assert mean_l1(y, y) == 0 and psnr(y, y) == pytest.approx(100.0) and ssim(y, y) == pytest.approx(1.0)
    x = y + 0.2  # on [0, 1] an error of 0.1 everywhere: MSE 0.01, PSNR 20 dB
    assert mean_l1(x, y) == pytest.approx(0.2) and psnr(x, y) == pytest.approx(20.0)
    assert ssim(-y, y) < 0.1 < ssim(x, y) < 1
    with pytest.raises(ValueError, match="one shape"):
        mean_l1(x[:2], y)


def test_ssim_matches_an_independent_window_sum():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (2, 1, 28, 28)), rng.uniform(-1, 1, (2, 1, 28, 28))
    p, q = (x + 1) / 2, (y + 1) / 2
    r = np.arange(-5, 6)
    g = np.exp(-(r[:, None] ** 2 + r[None] ** 2) / (2 * 1.5 ** 2))
    g /= g.sum()

    def blur(a):
        padded = np.pad(a, ((0, 0), (0, 0), (5, 5), (5, 5)), mode="symmetric")
        return np.array([[[[(padded[n, 0, i:i + 11, j:j + 11] * g).sum() for j in range(28)] for i in range(28)]]
                         for n in range(len(a))])

    mp, mq = blur(p), blur(q)
    vp, vq, c = blur(p * p) - mp ** 2, blur(q * q) - mq ** 2, blur(p * q) - mp * mq
    m = (2 * mp * mq + 1e-4) * (2 * c + 9e-4) / ((mp ** 2 + mq ** 2 + 1e-4) * (vp + vq + 9e-4))
    assert ssim(x, y) == pytest.approx(m.mean(), rel=1e-6)


def test_bicubic_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).uniform(-1, 1, (2, 1, 7, 7)).astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.tensor(x), size=(28, 28), mode="bicubic", align_corners=False)
    np.testing.assert_allclose(bicubic_upsample(x, 28), expected.numpy(), atol=1e-5)


# ----------------------------------------------------------------------------- pix2pix


def test_pix2pix_shapes_and_errors():
    mg.manual_seed(0)
    G, D = UNetGenerator(8), PatchDiscriminator(2, 8)
    x = mg.randn(3, 1, 28, 28)
    y = G(x)
    assert y.shape == (3, 1, 28, 28) and float(np.abs(y.data).max()) <= 1
    assert D(x, y).shape == (3, 1, 6, 6)
    with pytest.raises(ValueError, match="UNetGenerator"):
        G(mg.randn(3, 1, 32, 32))
    with pytest.raises(ValueError, match="PatchDiscriminator"):
        D(x)
    with pytest.raises(ValueError, match="a2b only"):
        G.translate(x, "b2a")


def _weights(module):
    return {k: v.copy() for k, v in module.state_dict().items() if not k.endswith(("running_mean", "running_var",
                                                                                   "num_batches_tracked"))}


def test_pix2pix_steps_update_every_weight():
    trainer = Trainer.from_config(default_config(data="edges2mnist", steps=3, **TINY), None, progress=False)
    before = {"G": _weights(trainer.G), "D": _weights(trainer.D)}
    trainer.fit()
    for name, weights in before.items():
        after = _weights(getattr(trainer, name))
        unchanged = [k for k in weights if np.array_equal(weights[k], after[k])]
        assert not unchanged, f"{name}: weights not updated: {unchanged}"
    assert set(trainer.history[0]) == {"step", "d_loss", "g_loss", "d_real", "d_fake", "l1", "time"}


def test_pix2pix_resume_is_exact(tmp_path):
    straight = Trainer.from_config(default_config(data="edges2mnist", steps=6, **TINY), str(tmp_path / "a"),
                                   progress=False)
    straight.fit()
    first = Trainer.from_config(default_config(data="edges2mnist", steps=3, **TINY), str(tmp_path / "b"),
                                progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=6)
    resumed.fit()
    assert_same_state(straight, resumed)
    for name in ("samples.png", "losses.png", "metrics.json", "history.csv"):
        assert os.path.exists(tmp_path / "b" / name)


def test_translation_defaults_and_refusals():
    cfg = default_config(data="edges2mnist")
    assert (cfg.model, cfg.loss, cfg.l1_lambda, cfg.lr_g, cfg.lr_d, cfg.betas_g) == (
        "pix2pix", "nonsaturating", 100.0, 2e-4, 2e-4, (0.5, 0.999))
    with pytest.raises(ValueError, match="translation task"):
        default_config(model="dcgan", data="edges2mnist")
    with pytest.raises(ValueError, match="translates images"):
        default_config(model="pix2pix", data="digits16")


# ----------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("p2p") / "run"
    assert cli.main(["train", "--model", "pix2pix", "--data", "edges2mnist", "--steps", "2", "--width", "4",
                     "--batch-size", "8", "--out", str(out), "--quiet"]) == 0
    return out


def test_cli_translate_and_eval(pix2pix_run, tmp_path, capsys):
    checkpoint = str(pix2pix_run / "checkpoint.npz")
    edges = load_dataset("edges2mnist", split="test").a[:5]
    np.save(tmp_path / "in.npy", edges)
    assert cli.main(["translate", "--checkpoint", checkpoint, "--input", str(tmp_path / "in.npy"),
                     "--out", str(tmp_path / "out.npy")]) == 0
    out = np.load(tmp_path / "out.npy")
    assert out.shape == (5, 1, 28, 28) and out.dtype == np.float32
    assert cli.main(["eval", "--checkpoint", checkpoint, "--json", str(tmp_path / "m.json")]) == 0
    result = json.loads((tmp_path / "m.json").read_text())
    assert {"l1", "psnr", "ssim", "label_accuracy", "l1_blank"} <= set(result) and result["pairs"] == 500
    metrics = json.loads((pix2pix_run / "metrics.json").read_text())
    assert metrics["label_accuracy"] == pytest.approx(result["label_accuracy"])


@pytest.mark.parametrize("array,message", [
    (np.zeros((2, 1, 7, 7), np.float32), "expected images of shape"),
    (np.full((2, 1, 28, 28), 255.0, np.float32), "expected values in"),
])
def test_cli_translate_refuses_wrong_inputs(pix2pix_run, tmp_path, capsys, array, message):
    np.save(tmp_path / "bad.npy", array)
    code = cli.main(["translate", "--checkpoint", str(pix2pix_run / "checkpoint.npz"), "--input",
                     str(tmp_path / "bad.npy"), "--out", str(tmp_path / "o.npy")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    code = cli.main(["translate", "--checkpoint", str(pix2pix_run / "checkpoint.npz"), "--input",
                     str(tmp_path / "bad.npy"), "--out", str(tmp_path / "o.npy"), "--direction", "b2a"])
    assert code == 2 and "a2b only" in capsys.readouterr().err
