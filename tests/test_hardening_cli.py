"""Bad requests at the command line, where a user meets them: exit status 2, one line on stderr, no
traceback, and nothing lost (the files are unchanged and the folder stays usable)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from minigan import cli, io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--data", "ring8", "--width", "16", "--batch-size", "32", "--log-every", "5", "--quiet"]


def minigan(*args, env=None, cwd=None, timeout=300):
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = ROOT + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=timeout)


def assert_refused(result, *words):
    """Exit 2 with one line on stderr that contains ``words``, and no traceback anywhere."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def snapshot(folder) -> dict[str, bytes]:
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 10-step ring8 run (checkpoints every 5 steps), made once for the module."""
    out = tmp_path_factory.mktemp("runs") / "ring8"
    assert cli.main(["train", *TINY, "--steps", "10", "--checkpoint-every", "5", "--out", str(out)]) == 0
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished_run, out)
    return out


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("option,value,expected", [
    ("--log-every", "0", "at least 1"), ("--checkpoint-every", "0", "at least 1"),
    ("--sample-every", "0", "at least 1"), ("--width", "0", "at least 1"), ("--nz", "0", "at least 1"),
    ("--eval-samples", "-5", "at least 0"), ("--steps", "0", "at least 1"), ("--batch-size", "1", "at least 2"),
    ("--lr-g", "nan", "finite number > 0"), ("--lr-d", "-1e-4", "finite number > 0"),
    ("--instance-noise", "inf", "finite number"), ("--seed", "-1", "at least 0"), ("--steps", "ten", "integer"),
])
def test_arguments_are_checked_before_anything_is_written(tmp_path, option, value, expected):
    out = tmp_path / "run"
    result = minigan("train", *TINY, "--steps", "5", f"{option}={value}", "--out", out)
    assert_refused(result, option, expected)
    assert not out.exists()  # no folder, so nothing to clean up


def test_eval_samples_too_few_for_the_metrics_is_refused_before_training(tmp_path):
    out = tmp_path / "run"
    assert_refused(minigan("train", *TINY, "--steps", "5", "--eval-samples", "2", "--out", out), "--eval-samples")
    assert not (out / "config.json").exists()


# ----------------------------------------------------------------------------- the run folder


def test_an_output_path_that_cannot_be_a_folder(tmp_path):
    assert_refused(minigan("train", *TINY, "--steps", "5", "--out", "/dev/null/x"), "/dev/null/x", "Not a directory")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert_refused(minigan("train", *TINY, "--steps", "5", "--out", a_file), "is a file")
    assert a_file.read_text() == "mine"


def test_a_folder_left_before_the_first_checkpoint_is_reusable(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}\n")  # what a run that crashed at its start left behind
    (out / "history.csv").write_text("step,d_loss\n5,0.1\n")
    assert_refused(minigan("train", "--out", out, "--resume"), "stopped before its first checkpoint",
                   "without --resume")
    result = minigan("train", *TINY, "--steps", "5", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "stopped before its first checkpoint" in result.stdout
    assert io.load(out / "checkpoint.npz")["step"] == 5
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0].startswith("step,") and rows[-1].startswith("5,") and len(rows) == 2  # no stale row


def test_a_folder_holding_a_run_is_still_refused(run_copy):
    before = snapshot(run_copy)
    assert_refused(minigan("train", *TINY, "--steps", "5", "--out", run_copy), "already holds a run", "--resume")
    assert snapshot(run_copy) == before


# ----------------------------------------------------------------------------- resume


def test_resume_refuses_a_file_that_is_not_a_training_checkpoint(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    np.savez(out / "checkpoint.npz", weights=np.zeros(3))
    before = snapshot(out)
    assert_refused(minigan("train", "--out", out, "--resume"), "is not a minigan training checkpoint", "weights")
    assert snapshot(out) == before


def test_resume_refuses_fewer_steps_than_done_and_a_finished_run(run_copy):
    before = snapshot(run_copy)
    assert_refused(minigan("train", "--out", run_copy, "--resume", "--steps", "4"), "has done 10 steps",
                   "--steps 4 is fewer")
    assert_refused(minigan("train", "--out", run_copy, "--resume"), "is finished (10 of 10 steps)")
    assert snapshot(run_copy) == before


def test_resume_refuses_a_checkpoint_of_another_run(run_copy, tmp_path):
    other = tmp_path / "other"
    assert cli.main(["train", *TINY, "--steps", "5", "--seed", "3", "--out", str(other)]) == 0
    shutil.copy(other / "checkpoint.npz", run_copy / "checkpoint.npz")
    before = snapshot(run_copy)
    assert_refused(minigan("train", "--out", run_copy, "--resume", "--steps", "20"),
                   "was not written by the run", "seed 0 in config.json vs 3 in the checkpoint")
    assert snapshot(run_copy) == before


def test_resume_refuses_an_old_checkpoint_that_would_cut_the_history(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--steps", "5", "--checkpoint-every", "5", "--out", str(out)]) == 0
    early = (out / "checkpoint.npz").read_bytes()
    assert cli.main(["train", "--out", str(out), "--resume", "--steps", "20", "--quiet"]) == 0
    (out / "checkpoint.npz").write_bytes(early)  # step 5, while history.csv goes to step 20
    before = snapshot(out)
    assert_refused(minigan("train", "--out", out, "--resume", "--steps", "30"),
                   "holds step 5 but history.csv goes on to step 20")
    assert snapshot(out) == before


def test_extending_a_run_with_a_length_dependent_schedule_says_so(run_copy):
    result = minigan("train", "--out", run_copy, "--resume", "--steps", "15", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "--lr-decay" in result.stdout and "not the same as a straight 15-step run" in result.stdout
    assert io.load(run_copy / "checkpoint.npz")["step"] == 15


# ----------------------------------------------------------------------------- output and Ctrl-C


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_training_prints_in_an_encoding_without_arrows(tmp_path, encoding):
    result = minigan("train", *TINY, "--steps", "5", "--out", tmp_path / "run", env={"PYTHONIOENCODING": encoding})
    assert result.returncode == 0, result.stderr
    assert "->" in result.stdout and "Traceback" not in result.stderr


def test_the_warm_up_is_named_in_the_progress_bar(tmp_path):
    result = minigan("train", "--model", "mlp", "--loss", "wgan-gp", "--data", "ring8", "--width", "8",
                     "--batch-size", "16", "--steps", "2", "--eval-samples", "0", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert "critic warm-up (100 D updates per step to step 25; time left overestimated)" in result.stderr


def test_ctrl_c_interrupts_a_caller_of_main(tmp_path):
    """In-process (a test suite, a notebook) the interrupt reaches the caller after the checkpoint is saved;
    the program itself exits with 130 (tests/test_cli.py)."""
    out = tmp_path / "run"

    def press_ctrl_c():
        deadline = time.time() + 60
        while not (out / "history.csv").exists() and time.time() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        cli.main(["train", *TINY, "--steps", "1000000", "--out", str(out)])
    assert io.load(out / "checkpoint.npz")["step"] > 0


# ----------------------------------------------------------------------------- sample and eval


def test_sample_checks_the_output_name_and_the_memory_first(finished_run, tmp_path):
    checkpoint = finished_run / "checkpoint.npz"
    assert_refused(minigan("sample", "--checkpoint", checkpoint, "--out", tmp_path / "s.txt"), ".npy", ".png")
    assert_refused(minigan("sample", "--checkpoint", checkpoint, "--n", 10**12, "--out", tmp_path / "s.npy"),
                   "GiB of memory")
    assert not os.listdir(tmp_path)
    result = minigan("sample", "--checkpoint", checkpoint, "--n", "7", "--out", tmp_path / "s.npy")
    assert result.returncode == 0 and f"to {tmp_path / 's.npy'}" in result.stdout
    assert os.listdir(tmp_path) == ["s.npy"] and np.load(tmp_path / "s.npy").shape == (7, 2)


def test_eval_works_on_a_toy_run_and_names_a_wrong_samples_file(finished_run):
    result = minigan("eval", "--checkpoint", finished_run / "checkpoint.npz")
    assert result.returncode == 0, result.stderr
    assert "modes covered" in result.stdout and "as in metrics.json" in result.stdout
    metrics = json.loads((finished_run / "metrics.json").read_text())["mode_coverage"]
    assert f"{metrics['modes']} of 8" in result.stdout and f"{metrics['kl']:.3f}" in result.stdout
    line = assert_refused(minigan("eval", "--samples", finished_run / "config.json"), "not a NumPy .npy", "text")
    assert "pickle" not in line


def test_eval_of_an_image_run_repeats_its_metrics_json(tmp_path):
    out = tmp_path / "dcgan"
    assert cli.main(["train", "--data", "digits", "--width", "8", "--steps", "2", "--eval-samples", "100",
                     "--quiet", "--out", str(out)]) == 0
    result = minigan("eval", "--checkpoint", out / "checkpoint.npz")
    assert result.returncode == 0, result.stderr
    fid = json.loads((out / "metrics.json").read_text())["fid_digits"]
    assert f"FID (digits CNN)                    {fid:.3f}" in result.stdout
