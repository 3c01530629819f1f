"""The Trainer: exact resume, crash-safe checkpoints, NaN guard, Ctrl-C, failure warnings, options."""

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import assert_same_state

import minigan as mg
from minigan import io
from minigan.gan import generate_samples
from minigan.gan import step as step_module
from minigan.gan.step import instance_noise, update_ema
from minigan.gan.train import (
    TrainConfig,
    Trainer,
    TrainingDiverged,
    TrainingWarning,
    default_config,
    load_generator,
)

TINY = dict(width=16, depth=2, batch_size=32, log_every=5, sample_every=1000, checkpoint_every=1000, eval_samples=0)


def tiny(data="ring8", loss="nonsaturating", model=None, **overrides):
    settings = dict(TINY, nz=4 if data in ("ring8", "gauss1d") else 8, lr_decay=False)
    if data.startswith("digits"):
        settings.update(width=4, batch_size=16)
    settings.update(overrides)
    return default_config(model=model, loss=loss, data=data, **settings)


def history_rows(out_dir):
    with open(os.path.join(out_dir, "history.csv"), newline="") as f:
        return [{k: v for k, v in row.items() if k != "time"} for row in csv.DictReader(f)]


# ----------------------------------------------------------------------------- exact resume


@pytest.mark.parametrize("data,loss,model,options", [
    ("ring8", "wgan-gp", None, {"ema": True}),
    ("ring8", "wgan", None, {}),
    ("digits", "nonsaturating", "dcgan", {"spectral_norm": True, "minibatch_std": True}),
    ("digits", "hinge", "cgan", {"ema": True}),
    ("ring8", "relativistic", None, {}),
])
def test_resume_is_bit_identical(tmp_path, data, loss, model, options):
    """20 steps, stop, resume for 20 more = 40 steps straight, bit for bit (CPU, same seed)."""
    straight = Trainer.from_config(tiny(data, loss, model, steps=40, **options), str(tmp_path / "a"), progress=False)
    straight.fit()
    first = Trainer.from_config(tiny(data, loss, model, steps=20, **options), str(tmp_path / "b"), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=40)
    assert resumed.step == 20
    resumed.fit()
    assert resumed.step == straight.step == 40
    assert_same_state(straight, resumed)
    assert history_rows(tmp_path / "a") == history_rows(tmp_path / "b")
    np.testing.assert_array_equal(straight.sample(50), resumed.sample(50))


def test_resume_200_plus_200_equals_400(tmp_path):
    config = dict(width=8, depth=1, batch_size=16, nz=2, log_every=50, sample_every=10_000, checkpoint_every=10_000)
    straight = Trainer.from_config(default_config(data="gauss1d", steps=400, **config), None, progress=False)
    straight.fit()
    first = Trainer.from_config(default_config(data="gauss1d", steps=200, **config), str(tmp_path), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path), progress=False, steps=400)
    resumed.fit()
    assert_same_state(straight, resumed)


def test_history_after_a_crash_is_cut_back_to_the_checkpoint(tmp_path):
    out = str(tmp_path)
    Trainer.from_config(tiny(steps=20, checkpoint_every=10), out, progress=False).fit()
    with open(os.path.join(out, "history.csv"), "a") as f:  # rows a killed run wrote after its checkpoint
        f.write("25,1,1,1,1,1,1,1,1\n30,1,1,1,1,1,1,1,1\n")
    resumed = Trainer.resume(out, progress=False)
    assert [row["step"] for row in resumed.history] == [5, 10, 15, 20]
    assert [int(r["step"]) for r in history_rows(out)] == [5, 10, 15, 20]


# ----------------------------------------------------------------------------- crashes and interrupts

CRASH_SCRIPT = """
import sys
from minigan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_during_checkpoint_writes_leaves_a_loadable_checkpoint(tmp_path):
    """Checkpoint every step, kill -9 at random moments, then load and resume from what survived."""
    out = str(tmp_path / "run")
    args = [sys.executable, "-c", CRASH_SCRIPT, "train", "--data", "ring8", "--width", "16", "--batch-size", "16",
            "--steps", "100000", "--checkpoint-every", "1", "--log-every", "1", "--sample-every", "100000",
            "--out", out, "--quiet"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    rng = np.random.default_rng(0)
    checkpoint = os.path.join(out, "checkpoint.npz")
    steps = []
    for attempt in range(4):
        proc = subprocess.Popen(args + (["--resume"] if attempt else []), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.time() + 60
        start_step = steps[-1] if steps else 0
        while time.time() < deadline:  # wait until this process has written checkpoints of its own
            if os.path.exists(checkpoint) and _step_of(checkpoint) > start_step + 2:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = io.load(checkpoint)  # what survived must load, whole
        steps.append(int(state["step"]))
        assert all(np.all(np.isfinite(v)) for v in state["G"].values())
    assert steps == sorted(steps) and steps[-1] > steps[0]
    trainer = Trainer.resume(out, progress=False, steps=steps[-1] + 3)
    assert trainer.step == steps[-1]
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]  # half-written files are cleared
    trainer.fit()
    assert trainer.step == steps[-1] + 3


def _step_of(path):
    try:
        return int(io.load(path)["step"])
    except ValueError:
        pytest.fail(f"{path} could not be read while training was running")


def test_ctrl_c_saves_then_resumes_exactly(tmp_path):
    config = tiny(steps=30)
    straight = Trainer.from_config(config, str(tmp_path / "a"), progress=False)
    straight.fit()

    interrupted = Trainer.from_config(config, str(tmp_path / "b"), progress=False)
    step = interrupted.train_step

    def step_then_ctrl_c():
        step()
        if interrupted.step == 11:  # Ctrl-C arrives during the 12th step
            os.kill(os.getpid(), signal.SIGINT)

    interrupted.train_step = step_then_ctrl_c
    handler_before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN in a background job
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit()
    assert interrupted.step == 12 and io.load(tmp_path / "b" / "checkpoint.npz")["step"] == 12
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler is given back
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False)
    resumed.fit()
    assert_same_state(straight, resumed)


# ----------------------------------------------------------------------------- NaN guard


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = Trainer.from_config(tiny(steps=10, checkpoint_every=10), str(tmp_path), progress=False)
    trainer.fit()
    trainer.config.steps = 30
    next(iter(trainer.G.parameters())).data[...] = np.nan  # something blew up
    with pytest.raises(TrainingDiverged, match=r"diverged at step 15.*last good checkpoint.*step 10"):
        trainer.fit()
    state = io.load(tmp_path / "checkpoint.npz")
    assert state["step"] == 10
    assert all(np.all(np.isfinite(v)) for v in state["G"].values())


def test_nan_guard_refuses_to_checkpoint_non_finite_weights(tmp_path):
    trainer = Trainer.from_config(tiny(steps=3, log_every=100, checkpoint_every=3), str(tmp_path), progress=False)
    next(iter(trainer.D.parameters())).data[...] = np.inf
    with pytest.raises(TrainingDiverged, match="NaN or Inf"):
        trainer.fit()
    assert not os.path.exists(tmp_path / "checkpoint.npz")


def test_nan_guard_from_a_huge_learning_rate():
    trainer = Trainer.from_config(tiny(loss="wgan", steps=400, lr_d=1e30, lr_g=1e30, clip_value=0.0,
                                       optimizer="adam", log_every=20), None, progress=False)
    with pytest.raises(TrainingDiverged, match="lower learning rates"):
        trainer.fit()


# ----------------------------------------------------------------------------- failure modes


def test_warnings_when_the_discriminator_wins_and_the_samples_collapse():
    # a frozen generator whose output is one point, against a discriminator that learns fast
    trainer = Trainer.from_config(tiny(loss="minimax", steps=600, lr_g=0.0, lr_d=1e-2, log_every=10), None,
                                  progress=False)
    last = list(trainer.G.modules())[-1]
    last.weight.data[...] = 0
    with pytest.warns(TrainingWarning) as caught:
        trainer.fit()
    messages = " ".join(str(w.message) for w in caught)
    assert "discriminator is winning" in messages and "mode collapse" in messages
    assert len(trainer.warnings) == 2  # each once
    assert trainer.history[-1]["d_real"] > 0.99 and trainer.history[-1]["d_fake"] < 0.01


def test_no_warnings_on_a_healthy_run(recwarn):
    trainer = Trainer.from_config(tiny("gauss1d", steps=700, log_every=20), None, progress=False)
    trainer.fit()
    assert not [w for w in recwarn if issubclass(w.category, TrainingWarning)] and not trainer.warnings
    assert trainer.history[-1]["diversity"] > 0.25 * trainer.real_diversity  # the collapse warning fires at 0.1


# ----------------------------------------------------------------------------- what a run writes


def test_run_directory_contents(tmp_path):
    out = str(tmp_path / "run")
    trainer = Trainer.from_config(tiny(steps=20, sample_every=10, checkpoint_every=10, eval_samples=500), out,
                                  progress=False)
    history = trainer.fit()
    assert sorted(os.listdir(out)) == sorted(["config.json", "checkpoint.npz", "history.csv", "samples.png",
                                              "losses.png", "metrics.json"])
    with open(os.path.join(out, "config.json")) as f:
        assert TrainConfig.from_json(f.read()) == trainer.config
    rows = history_rows(out)
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20] == [h["step"] for h in history]
    assert set(history[0]) == {"step", "d_loss", "g_loss", "d_real", "d_fake", "grad_norm_g", "grad_norm_d",
                               "diversity", "time"}
    assert all(0 < h["d_real"] < 1 and 0 < h["d_fake"] < 1 for h in history)  # probabilities for this loss
    assert all(h["grad_norm_g"] > 0 and h["grad_norm_d"] > 0 for h in history)
    state = io.load(os.path.join(out, "checkpoint.npz"))
    assert {"G", "D", "G_ema", "opt_G", "opt_D", "rng", "step", "config"} <= set(state)
    assert {"global", "loader", "labels"} <= set(state["rng"])
    assert TrainConfig.from_json(state["config"]) == trainer.config
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["mode_coverage"]["num_modes"] == 8 and metrics["step"] == 20 and metrics["samples"] == 500


def test_a_directory_with_a_run_is_not_overwritten(tmp_path):
    Trainer.from_config(tiny(steps=5), str(tmp_path), progress=False).fit()
    with pytest.raises(FileExistsError, match="already holds a run"):
        Trainer.from_config(tiny(steps=5), str(tmp_path), progress=False)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer.resume(str(tmp_path / "elsewhere"))


def test_same_seed_same_run_different_seed_different_run():
    def run(seed):
        trainer = Trainer.from_config(tiny(steps=10, seed=seed), None, progress=False)
        trainer.fit()
        return trainer.sample(20)

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.allclose(run(0), run(1))


def test_no_host_copies_inside_a_step(monkeypatch):
    trainer = Trainer.from_config(tiny(loss="wgan-gp", steps=5, ema=True), None, progress=False)
    calls = []
    for name in ("item", "numpy", "tolist", "__float__"):
        original = getattr(mg.Tensor, name)
        monkeypatch.setattr(mg.Tensor, name, lambda self, *a, _n=name, _o=original: calls.append(_n) or _o(self, *a))
    original_to_numpy = mg.backend.to_numpy
    monkeypatch.setattr(mg.backend, "to_numpy", lambda x: calls.append("to_numpy") or original_to_numpy(x))
    for _ in range(3):
        trainer.train_step()
    assert calls == []


# ----------------------------------------------------------------------------- options


def test_wgan_clips_the_critic_weights():
    trainer = Trainer.from_config(tiny(loss="wgan", steps=5), None, progress=False)
    assert trainer.config.clip_value == 0.01 and trainer.config.optimizer == "rmsprop"
    trainer.fit()
    assert all(np.abs(p.numpy()).max() <= 0.01 for p in trainer.D.parameters())


def test_ema_update_formula():
    trainer = Trainer.from_config(tiny(steps=1, ema=True), None, progress=False)
    p_ema, p = next(iter(trainer.G_ema.parameters())), next(iter(trainer.G.parameters()))
    p_ema.data[...] = 1.0
    p.data[...] = 3.0
    update_ema(trainer.G_ema, trainer.G, 0, 0.999)  # at step 0: β = min(0.999, 1/10)
    np.testing.assert_allclose(p_ema.numpy(), 0.1 * 1 + 0.9 * 3, rtol=1e-6)
    update_ema(trainer.G_ema, trainer.G, 10_000, 0.999)
    np.testing.assert_allclose(p_ema.numpy(), 0.999 * 2.8 + 0.001 * 3, rtol=1e-6)


def test_critic_warmup_and_n_critic_count_discriminator_updates():
    trainer = Trainer.from_config(tiny(loss="wgan-gp", steps=4, critic_warmup=2, n_critic=3, batch_size=8), None,
                                  progress=False)
    calls = []
    step = trainer.opt_D.step
    trainer.opt_D.step = lambda: calls.append(1) or step()
    trainer.fit()
    assert len(calls) == 100 + 100 + 3 + 3


def test_label_smoothing_only_for_probability_losses():
    trainer = Trainer.from_config(tiny(steps=2, label_smoothing=0.1), None, progress=False)
    trainer.fit()
    with pytest.raises(ValueError, match="label smoothing"):
        Trainer.from_config(tiny(loss="hinge", steps=2, label_smoothing=0.1), None, progress=False)


def test_linear_learning_rate_decay():
    trainer = Trainer.from_config(tiny(steps=10, lr_decay=True, lr_g=1e-3, lr_d=2e-3), None, progress=False)
    trainer.fit()
    assert trainer.opt_G.param_groups[0]["lr"] == pytest.approx(1e-3 * (1 - 9 / 10))  # set before step 10
    assert trainer.opt_D.param_groups[0]["lr"] == pytest.approx(2e-3 * (1 - 9 / 10))


def test_paper_defaults():
    main = default_config()  # the main job (config.MAIN_JOB)
    assert (main.model, main.data, main.loss) == ("cgan", "mnist", "nonsaturating")
    assert default_config(model="dcgan").data == "mnist" and default_config(data="mnist").model == "dcgan"
    dcgan = default_config(data="digits16")
    assert (dcgan.model, dcgan.data, dcgan.loss, dcgan.nz) == ("dcgan", "digits16", "nonsaturating", 100)
    assert (dcgan.lr_g, dcgan.lr_d, dcgan.betas_g, dcgan.betas_d) == (2e-4, 2e-4, (0.5, 0.999), (0.5, 0.999))
    gp = default_config(data="digits16", loss="wgan-gp")  # the 2-D mixtures have tuned settings (TUNED)
    assert gp.model == "dcgan" and gp.gp_lambda == 10 and gp.n_critic == 5
    assert (gp.betas_g, gp.betas_d) == ((0.0, 0.9), (0.0, 0.9)) and gp.lr_g == gp.lr_d == 1e-4
    wgan = default_config(data="ring8", loss="wgan")
    assert (wgan.optimizer, wgan.lr_d, wgan.clip_value, wgan.n_critic) == ("rmsprop", 5e-5, 0.01, 5)
    assert default_config(data="ring8", loss="wgan-gp", n_critic=3, lr_g=None).n_critic == 3
    with pytest.raises(ValueError, match="ring8"):
        default_config(data="rings")
    with pytest.raises(ValueError, match="wgan-gp"):
        default_config(loss="wgan_gp")
    with pytest.raises(TypeError, match="learning_rate"):
        default_config(learning_rate=1e-3)
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; choose adam or rmsprop"):
        Trainer.from_config(tiny(optimizer="sgd", steps=1), None, progress=False)


def test_load_generator_and_sample(tmp_path):
    trainer = Trainer.from_config(tiny("digits", model="cgan", steps=4, ema=True), str(tmp_path), progress=False)
    trainer.fit()
    G, config, dataset = load_generator(str(tmp_path / "checkpoint.npz"))
    assert config == trainer.config and dataset.name == "digits"
    x = trainer.sample(12, labels=3)
    assert x.shape == (12, 1, 8, 8)
    with pytest.raises(ValueError, match="labels must be in 0..9"):
        trainer.sample(3, labels=12)
    with pytest.raises(ValueError, match="not a minigan training checkpoint"):
        io.save({"x": np.zeros(3)}, tmp_path / "other.npz")
        load_generator(str(tmp_path / "other.npz"))


def test_instance_noise_has_the_configured_std_and_anneals_to_zero(monkeypatch):
    x = mg.zeros(4000, 2)
    assert np.std(instance_noise(x, 0.5).numpy()) == pytest.approx(0.5, rel=0.05)
    assert instance_noise(x, 0.0) is x
    seen = []  # the σ the step uses at each step t: 0.5 · (1 − t / 10) when annealed
    monkeypatch.setattr(step_module, "instance_noise", lambda x, sigma: seen.append(sigma) or x)
    trainer = Trainer.from_config(tiny(steps=10, instance_noise=0.5, anneal_noise=True), None, progress=False)
    trainer.fit()  # trains with the noise switched on
    assert seen[::3] == pytest.approx([0.5 * (1 - t / 10) for t in range(10)])  # three D calls per step
    seen.clear()
    Trainer.from_config(tiny(steps=2, instance_noise=0.3), None, progress=False).fit()
    assert seen == [0.3] * 6


# ----------------------------------------------------------------------------- checkpoints of earlier versions

OLD_RUN = os.path.join(os.path.dirname(__file__), "fixtures", "run_gauss1d_481daa3")


def test_a_checkpoint_from_before_the_split_loads_and_resumes_exactly(tmp_path):
    """A run folder written by the single-file trainer (tests/fixtures/.../README.md) resumes from its step 10
    to the weights of 20 steps straight with today's code (to rounding), and samples as it did then."""
    import shutil

    G, config, _ = load_generator(os.path.join(OLD_RUN, "checkpoint.npz"))
    x = generate_samples(G, 5, np.random.default_rng(0))
    np.testing.assert_allclose(x.ravel(), [-0.1907625, -0.14632648, -0.24869955, 0.2277874, -0.25528255], rtol=1e-5)
    G, _, _ = load_generator(os.path.join(OLD_RUN, "checkpoint.npz"), use_ema=False)
    x = generate_samples(G, 5, np.random.default_rng(0))
    np.testing.assert_allclose(x.ravel(), [-0.19103575, -0.1467309, -0.2488568, 0.22720331, -0.25582537], rtol=1e-5)

    out = str(tmp_path / "old")
    shutil.copytree(OLD_RUN, out)
    # on the kernels that wrote the checkpoint: NumPy's (numba's loops sum in another order)
    previous = mg.set_kernels("numpy")
    try:
        resumed = Trainer.resume(out, progress=False, steps=20)
        assert resumed.step == 10 and [row["step"] for row in resumed.history] == [5, 10]
        resumed.fit()
        straight = Trainer.from_config(dataclasses.replace(config, steps=20), None, progress=False)
        straight.fit()
    finally:
        mg.set_kernels(previous)
    # Its first ten steps ran on the NumPy and OpenBLAS builds of that time: a later build may round the
    # last bits differently (numpy 2.4.6 with OpenBLAS 0.3.31: Adam's second moments differ by 2e-7
    # relative), so the values are compared to rounding; resuming bit for bit is tested on one build elsewhere.
    assert_same_state(straight, resumed, rtol=1e-5, atol=1e-12)
    assert [int(r["step"]) for r in history_rows(out)] == [5, 10, 15, 20]


# ----------------------------------------------------------------------------- the family seam


def test_a_new_family_plugs_in_with_its_own_step(tmp_path, monkeypatch):
    """A family registered with a step of its own trains, logs that step's statistics, resumes exactly and is
    offered by the CLI; the run needs no change."""
    from minigan import cli
    from minigan.gan import families, step

    monkeypatch.setattr(families, "FAMILIES", dict(families.FAMILIES))

    def counting_step(G, D, opt_G, opt_D, batches, noise, config, t, G_ema=None):
        stats = step.train_step(G, D, opt_G, opt_D, batches, noise, config, t, G_ema)
        return dict(stats, t=t)

    family = families.Family(build=lambda config, data: families.build_basic_models(
        dataclasses.replace(config, model="mlp"), data), step=counting_step, sample=generate_samples,
        stats=(*step.STATS, "t"))
    families.register_family("mlp-t", family)
    with pytest.raises(ValueError, match="exists already"):
        families.register_family("mlp-t", family)
    with pytest.raises(ValueError, match="unknown model 'mlp-u'.*mlp-t"):
        Trainer.from_config(tiny(model="mlp-u", steps=2), None, progress=False)
    assert cli.build_parser().parse_args(["train", "--model", "mlp-t"]).model == "mlp-t"

    straight = Trainer.from_config(tiny(model="mlp-t", steps=20), str(tmp_path / "a"), progress=False)
    straight.fit()
    assert [row["t"] for row in straight.history] == [2, 7, 12, 17]  # the mean of t over each 5 logged steps
    Trainer.from_config(tiny(model="mlp-t", steps=10), str(tmp_path / "b"), progress=False).fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=20)
    resumed.fit()
    assert_same_state(straight, resumed)
    assert history_rows(tmp_path / "a") == history_rows(tmp_path / "b") and "t" in history_rows(tmp_path / "a")[0]
    G, config, _ = load_generator(str(tmp_path / "b" / "checkpoint.npz"))
    assert config.model == "mlp-t"
    np.testing.assert_array_equal(generate_samples(G, 7, np.random.default_rng(4)),
                                  generate_samples(resumed.G, 7, np.random.default_rng(4)))


def test_the_trainer_names_are_exported_where_users_look_for_them():
    import minigan.gan as gan
    import minigan.gan.train as train

    for name in ("Trainer", "TrainConfig", "default_config", "generate_samples", "load_generator",
                 "TrainingDiverged", "TrainingWarning"):
        assert getattr(train, name) is getattr(gan, name), name
    assert train.LOSSES is gan.losses.LOSSES
