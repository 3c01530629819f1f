"""A training run: :class:`Trainer` calls its family's step ``config.steps`` times and keeps the run folder.

    trainer = Trainer.from_config(default_config(data="ring8", loss="wgan-gp"), out_dir="runs/ring8")
    trainer.fit()

The step itself (``minigan.gan.step`` for the basic game) is a function of the networks, their optimizers,
the real batches, the noise and the config; this module owns everything around it. A run directory holds
``config.json``, ``checkpoint.npz`` (G, D, the EMA copy, both optimizers, every random-generator state, the
step), ``history.csv``, ``samples.png`` (a grid from fixed noise), ``losses.png`` and ``metrics.json``.

* Resume: ``Trainer.resume(out_dir)`` continues a run exactly where it stopped: on the CPU, 200 steps +
  resume + 200 steps gives the same weights, bit for bit, as 400 steps straight.
* Crashes: checkpoints are written atomically, so a killed run leaves the last one whole; history rows
  written after it are dropped on resume. The first Ctrl-C stops after the current step and saves.
* NaN guard: a NaN or Inf in the logged statistics or in a weight raises :class:`TrainingDiverged` and keeps
  the last good checkpoint.
* Failure modes: :class:`TrainingWarning` when the discriminator wins or the samples collapse.

The step's statistics stay on the device: they are summed there and fetched once per ``log_every`` steps.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import os
import signal
import threading
import time
import warnings
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .. import backend, io, metrics, optim, threads
from ..autograd import Tensor, no_grad
from ..backend import get_rng_state, manual_seed, set_rng_state
from ..data import Dataset, load_dataset
from . import anomaly, dp, unrolled
from .config import WARMUP_CRITIC_UPDATES, TrainConfig, check_config
from .families import check_basic_options, get_family
from .losses import PROBABILITY_LOSSES
from .sources import Noise, RealBatches

__all__ = ["Trainer", "TrainingDiverged", "TrainingWarning"]


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN or infinite; the last good checkpoint is kept."""


class TrainingWarning(UserWarning):
    """A known GAN failure mode seems to be happening (the discriminator wins, mode collapse)."""


def _write_text(path: str, text: str) -> None:
    """Replace a small text file in one step (a crash never leaves half of it)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class _StopOnCtrlC:
    """The first Ctrl-C asks the loop to stop after the current step (so the checkpoint is consistent);
    a second one interrupts at once. Only the main thread can own a signal handler; elsewhere this is a no-op."""

    def __init__(self):
        self.requested = False
        self.installed = False
        self.previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after this step and saving a checkpoint (Ctrl-C again to stop at once)")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
            self.installed = True
        return self

    def __exit__(self, *exc):
        if self.installed:
            signal.signal(signal.SIGINT, self.previous if self.previous is not None else signal.SIG_DFL)
        return False


def _optimizer(module, config: TrainConfig, lr: float, betas) -> optim.Optimizer:
    if config.optimizer == "rmsprop":  # the original WGAN
        return optim.RMSprop(module.parameters(), lr=lr)
    return optim.Adam(module.parameters(), lr=lr, betas=tuple(betas))


class Trainer:
    """Trains a generator ``G`` and a discriminator ``D`` on ``dataset`` as ``config`` says.

    ``config.model`` names the family (``minigan.gan.families``) whose step and sampler are used.
    ``out_dir`` None keeps everything in memory (``trainer.history``); otherwise the run's files are
    written there. An ``out_dir`` that already holds a run is refused unless ``resume=True``.
    """

    def __init__(self, G, D, dataset: Dataset, config: TrainConfig, out_dir: str | None = None,
                 progress: bool = True, resume: bool = False):
        cfg = self.config = config
        check_config(cfg)
        unrolled.check_config(cfg)
        dp.check_config(cfg)
        self.family = get_family(cfg.model)
        check_basic_options(self.family, cfg)
        self.out_dir, self.progress, self.dataset = out_dir, progress, dataset
        if out_dir is not None and not resume:
            earlier = [name for name in ("checkpoint.npz", "config.json", "history.csv")
                       if os.path.exists(os.path.join(out_dir, name))]
            if earlier:
                raise FileExistsError(f"{out_dir} already holds a run ({', '.join(earlier)}); resume it "
                                      "(--resume / Trainer.resume) or choose another output directory")
        self.device = backend._normalise_device(cfg.device)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.conditional = self.family.conditional
        self.opt_G = _optimizer(G, cfg, cfg.lr_g, cfg.betas_g)
        self.opt_D = _optimizer(D, cfg, cfg.lr_d, cfg.betas_d)
        self.G_ema = copy.deepcopy(G) if cfg.ema else None
        self.history_columns = ("step", *self.family.stats, "time") + (("epsilon",) if cfg.dp else ())
        self.accountant = dp.prepare(cfg, len(dataset)) if cfg.dp else None  # ε of a --dp run

        # What the step draws from: real batches (the data on the device, shuffled by a seeded loader) and
        # noise (minigan's global generator; class labels of fake samples from one of their own).
        xp = backend.xp_for(self.device)
        labels = xp.asarray(dataset.labels) if self.conditional else None
        if self.family.batches is not None:  # data of the family's own shape (image-to-image pairs)
            self.batches = self.family.batches(dataset, cfg.batch_size, np.random.default_rng([cfg.seed, 1]),
                                               self.device)
        else:
            self.batches = RealBatches(xp.asarray(dataset.data), labels, cfg.batch_size,
                                       np.random.default_rng([cfg.seed, 1]))
        self.loader = self.batches.loader
        self.label_rng = np.random.default_rng([cfg.seed, 2])
        self.noise = Noise(getattr(G, "nz", 0), self.device, dataset.num_classes if self.conditional else None,
                           self.label_rng)  # nz 0: a generator without a noise input (image-to-image)
        self.fixed_z, self.fixed_labels = self._fixed_noise()
        self.real_diversity = float(np.std(dataset.data, axis=0).mean())

        self.step, self.elapsed = 0, 0.0
        self.history: list[dict[str, float]] = []
        self.warnings: list[str] = []
        self._sums, self._count = None, 0  # device-side sums of the step statistics since the last log
        self._streaks = {"d_wins": 0, "collapse": 0}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: TrainConfig, out_dir: str | None = None, progress: bool = True,
                    resume: bool = False) -> Trainer:
        """Seed everything with ``config.seed``, load the data, build the family's models and the trainer."""
        manual_seed(config.seed)
        dataset = load_dataset(config.data, rng=np.random.default_rng([config.seed, 0]))
        if config.exclude_class is not None:  # anomaly detection: train on the other classes only
            dataset = anomaly.without_class(dataset, config.exclude_class)
        with backend.using_device(config.device):  # initialised from the run's device stream, whatever the backend
            G, D = get_family(config.model).build(config, dataset)
        return cls(G, D, dataset, config, out_dir=out_dir, progress=progress, resume=resume)

    @classmethod
    def resume(cls, out_dir: str, progress: bool = True, **overrides: Any) -> Trainer:
        """Rebuild the trainer of the run in ``out_dir`` from its checkpoint and continue from there.

        ``overrides`` may change settings that do not alter the model, e.g. ``steps=4000`` to train longer.
        """
        path = os.path.join(out_dir, "checkpoint.npz")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"cannot resume: no checkpoint at {path}")
        state = io.load(path)
        if not isinstance(state, dict) or "config" not in state or "step" not in state:
            raise ValueError(f"cannot resume: {path} is not a minigan training checkpoint (no config / step inside)")
        config = TrainConfig.from_json(state["config"])
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
        trainer = cls.from_config(config, out_dir=out_dir, progress=progress, resume=True)
        trainer.load_state(state, path)
        for name in os.listdir(out_dir):  # temporary files of checkpoint writes that a crash cut short (io.save)
            if name.startswith(".checkpoint.npz.") and name.endswith(".tmp"):
                os.remove(os.path.join(out_dir, name))
        return trainer

    def _fixed_noise(self):
        """The noise (and labels) behind every samples.png, so that frames of one run are comparable."""
        cfg, xp = self.config, backend.xp_for(self.device)
        n = {"image": 64}.get(self.dataset.kind, 1000)
        labels = None
        if self.conditional:  # a 10 × 10 grid: row i shows class i
            k = self.dataset.num_classes
            n, labels = 10 * k, xp.asarray(np.repeat(np.arange(k), 10))
        z = np.random.default_rng([cfg.seed, 3]).standard_normal((n, getattr(self.G, "nz", 0))).astype(np.float32)
        return Tensor(xp.asarray(z)), labels

    # ------------------------------------------------------------------ one step
    def train_step(self) -> None:
        """One step of the family (the basic game: ``minigan.gan.step.train_step``); its statistics are summed
        on the device."""
        stats = self.family.step(self.G, self.D, self.opt_G, self.opt_D, self.batches, self.noise, self.config,
                                 self.step, self.G_ema)
        xp = backend.xp_for(self.device)
        values = xp.stack([xp.asarray(stats[name], dtype=xp.float64) for name in self.family.stats])
        self._sums = values if self._sums is None else self._sums + values
        self._count += 1

    # ------------------------------------------------------------------ the loop
    def fit(self) -> list[dict[str, float]]:
        """Train until ``config.steps``, writing samples, history and checkpoints on the way; returns the history.

        Ctrl-C stops after the current step and saves a checkpoint first (then re-raises KeyboardInterrupt).
        A NaN/Inf raises ``TrainingDiverged`` and keeps the last good checkpoint.
        """
        cfg = self.config
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
            _write_text(self._path("config.json"), cfg.to_json() + "\n")
        bar = tqdm(total=cfg.steps, initial=self.step, disable=not self.progress, desc="training",
                   dynamic_ncols=True)
        if self.step < cfg.critic_warmup:  # its steps are ~20× slower: the time left reads far too long
            bar.set_description(f"critic warm-up ({WARMUP_CRITIC_UPDATES} D updates per step to step "
                                f"{cfg.critic_warmup}; time left overestimated)", refresh=False)
        start = time.perf_counter() - self.elapsed
        try:
            with _StopOnCtrlC() as ctrl_c, self._blas_threads():
                while self.step < cfg.steps:
                    self.train_step()
                    self.step += 1
                    self.elapsed = time.perf_counter() - start
                    if self.step == cfg.critic_warmup:  # tqdm's smoothed rate forgets the warm-up in a few updates
                        bar.set_description("training", refresh=False)
                    bar.update()
                    if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                        self._log(bar)
                    if self.out_dir is not None and self.step % cfg.sample_every == 0:
                        self.save_samples()
                    if self.out_dir is not None and self.step % cfg.checkpoint_every == 0:
                        self.save_checkpoint()
                    if ctrl_c.requested:
                        if self.out_dir is not None:
                            self.save_checkpoint()
                        raise KeyboardInterrupt(f"stopped at step {self.step}")
        finally:
            bar.close()
        if self.out_dir is not None:
            self.save_checkpoint()
            self.save_samples()
            self.save_losses()
            self.save_metrics()
        return self.history

    def _blas_threads(self):
        """The BLAS thread policy (``minigan.threads``) for these networks: one thread for small products,
        the idle cores for large ones; on a GPU the host only feeds the device, on one thread."""
        if self.device != "cpu":
            return threads.limit(1)
        if not hasattr(self.G, "nz"):  # a generator of images from images (the translation families): unsized,
            return threads.limit_for_models([], [])  # so one thread unless the environment says otherwise
        xp, n = backend.xp_for(self.device), self.config.batch_size
        x = Tensor(xp.asarray(self.dataset.data[:n]))  # no random state is drawn: the run stays exact
        z = Tensor(xp.zeros((len(x.data), self.G.nz), dtype=xp.float32))
        if not self.conditional:
            return threads.limit_for_models([self.G, self.D], [z, x])
        labels = xp.zeros(len(x.data), dtype=xp.int64)
        return threads.limit_for_models([self.G, self.D], [(z, labels), (x, labels)])

    def _log(self, bar) -> None:
        """Fetch the averaged statistics (the one host copy), write them, and check for failures."""
        if self._count == 0:
            return
        means = backend.to_numpy(self._sums / self._count)
        self._sums, self._count = None, 0
        row = {"step": self.step, **dict(zip(self.family.stats, map(float, means))), "time": round(self.elapsed, 3)}
        if self.accountant is not None:
            row["epsilon"] = self.epsilon()
        self.history.append(row)
        if self.out_dir is not None:
            self._append_history(row)
        bar.set_postfix({k: f"{row[k]:.3f}" for k in self.family.stats[:4] + ("epsilon",) if k in row}, refresh=False)
        if not np.all(np.isfinite(means)):
            self._diverged(", ".join(f"{k}={row[k]:.4g}" for k in self.family.stats[:-1]))
        self._check_failure_modes(row)

    def _diverged(self, what: str):
        kept = "no checkpoint was written"
        path = self._path("checkpoint.npz") if self.out_dir else None
        if path and os.path.exists(path):
            kept = f"the last good checkpoint is kept in {path} (step {int(io.load(path)['step'])})"
        raise TrainingDiverged(
            f"training diverged at step {self.step}: {what} — NaN or Inf appeared. Training stopped and "
            f"{kept}. Try lower learning rates (--lr-g / --lr-d), the nonsaturating or wgan-gp loss, "
            "or spectral normalisation.")

    def _check_failure_modes(self, row: dict) -> None:
        """Warn (once each) when the discriminator wins or the samples collapse, for 5 logs in a row."""
        if self.step < max(500, self.config.steps // 10) or not {"d_real", "d_fake", "diversity"} <= set(row):
            return  # give the game time to start; a family without these statistics is not checked
        wins = self.config.loss in PROBABILITY_LOSSES and row["d_real"] > 0.99 and row["d_fake"] < 0.01
        ratio = row["diversity"] / max(self.real_diversity, 1e-12)
        checks = {
            "d_wins": (wins, f"the discriminator is winning: mean D(x) = {row['d_real']:.3f} and mean D(G(z)) = "
                             f"{row['d_fake']:.3f} for {5 * self.config.log_every} steps, so the generator gets "
                             "almost no gradient (none at all with the minimax loss). Try the nonsaturating or "
                             "wgan-gp loss, a lower --lr-d, or fewer discriminator steps."),
            "collapse": (ratio < 0.1, f"possible mode collapse: generated samples spread {100 * ratio:.1f}% as "
                                      f"much as the data for {5 * self.config.log_every} steps. Try the wgan-gp "
                                      "loss, a minibatch-stddev discriminator or a lower learning rate."),
        }
        for key, (failing, message) in checks.items():
            self._streaks[key] = self._streaks[key] + 1 if failing else 0
            if self._streaks[key] == 5:
                message = f"step {self.step}: {message}"
                self.warnings.append(message)
                warnings.warn(message, TrainingWarning, stacklevel=3)

    # ------------------------------------------------------------------ files
    def _path(self, name: str) -> str:
        return os.path.join(self.out_dir, name)

    def _append_history(self, row: dict) -> None:
        path = self._path("history.csv")
        new = not os.path.exists(path)
        with open(path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.history_columns)
            if new:
                writer.writeheader()
            writer.writerow(row)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: weights, optimizers, random generators, step, config."""
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not None else None,
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "rng": {"global": get_rng_state(), "loader": self.loader.state_dict(),
                    "labels": json.dumps(self.label_rng.bit_generator.state)},
            "step": self.step,
            "elapsed": self.elapsed,
            "stats": {"sums": None if self._sums is None else backend.to_numpy(self._sums), "count": self._count},
            "streaks": dict(self._streaks),
            "config": self.config.to_json(),
        }

    def load_state(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        """Restore :meth:`state_dict` (e.g. ``io.load("checkpoint.npz")``)."""
        try:
            self.G.load_state_dict(state["G"])
            self.D.load_state_dict(state["D"])
            if self.G_ema is not None:
                self.G_ema.load_state_dict(state["G_ema"] if state["G_ema"] is not None else state["G"])
            self.opt_G.load_state_dict(state["opt_G"])
            self.opt_D.load_state_dict(state["opt_D"])
            set_rng_state(state["rng"]["global"])
            self.loader.load_state_dict(state["rng"]["loader"])
            self.label_rng.bit_generator.state = json.loads(state["rng"]["labels"])
        except (KeyError, RuntimeError, ValueError) as err:
            raise ValueError(f"{source} does not fit this run: {err}") from err
        self.batches.restart()
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        sums = state["stats"]["sums"]
        self._sums = None if sums is None else backend.xp_for(self.device).asarray(sums)
        self._count = int(state["stats"]["count"])
        self._streaks = {k: int(v) for k, v in state["streaks"].items()}
        if self.out_dir is not None:
            self._reload_history()

    def _reload_history(self) -> None:
        """Read history.csv back, dropping rows written after the checkpoint (a run killed in between)."""
        path = self._path("history.csv")
        if not os.path.exists(path):
            return
        rows = []
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                try:
                    rows.append({k: float(row[k]) for k in self.history_columns})
                except (KeyError, TypeError, ValueError):  # a line cut short by a crash
                    continue
        self.history = [dict(row, step=int(row["step"])) for row in rows if row["step"] <= self.step]
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.history_columns)
            writer.writeheader()
            writer.writerows(self.history)

    def save_checkpoint(self, path: str | None = None) -> str:
        """Write ``checkpoint.npz`` atomically; refuses (TrainingDiverged) when a weight is NaN/Inf."""
        xp = backend.xp_for(self.device)
        tensors = list(self.G.parameters()) + list(self.D.parameters())
        if not bool(xp.all(xp.stack([xp.isfinite(p.data).all() for p in tensors]))):
            self._diverged("a weight is NaN or Inf")
        path = path or self._path("checkpoint.npz")
        io.save(self.state_dict(), path)
        return path

    # ------------------------------------------------------------------ samples and metrics
    def sample(self, n: int, labels=None, seed: int | None = None, use_ema: bool = True) -> np.ndarray:
        """``n`` generated samples as a NumPy array, in eval mode, from a generator of their own.

        The training random state is untouched. ``labels`` (conditional models): one int for all, or n ints;
        default: random classes.
        """
        rng = np.random.default_rng([self.config.seed if seed is None else seed, 4])
        return self.family.sample(self.G_ema if use_ema and self.G_ema is not None else self.G, n, rng,
                                  num_classes=self.dataset.num_classes if self.conditional else None, labels=labels)

    def save_samples(self, path: str | None = None) -> str:
        """Draw the fixed noise through the (EMA) generator and write ``samples.png``."""
        from .. import viz  # matplotlib loads only when a picture is drawn

        G = self.G_ema if self.G_ema is not None else self.G
        title = f"{self.config.model} {self.config.loss} on {self.config.data}, step {self.step}"
        if self.family.grid is not None:
            return self.family.grid(G, self.dataset, path or self._path("samples.png"), title)
        G.eval()
        with no_grad():
            x = G(self.fixed_z, self.fixed_labels) if self.conditional else G(self.fixed_z)
        G.train()
        nrow = 10 if self.conditional else None
        return viz.plot_samples(x.numpy(), self.dataset, path or self._path("samples.png"), title=title, nrow=nrow)

    def save_losses(self, path: str | None = None) -> str | None:
        from .. import viz

        if not self.history:
            return None
        title = f"{self.config.model} {self.config.loss} on {self.config.data}"
        return viz.plot_losses(self.history, path or self._path("losses.png"), title=title)

    def evaluate(self, n: int | None = None) -> dict[str, Any]:
        """Metrics of ``n`` samples (default ``config.eval_samples``): mode coverage and W1 for toy data,
        ``minigan.metrics.image_metrics`` (digit-classifier FID, KID, ...) for images."""
        n = self.config.eval_samples if n is None else n
        ds, result = self.dataset, {"step": self.step, "samples": n}
        if n == 0:
            return result
        if self.family.evaluate is not None:
            result.update(self.family.evaluate(self.G_ema if self.G_ema is not None else self.G, ds, self.config))
            return result
        samples = self.sample(n)
        if ds.kind == "image":
            result.update(metrics.image_metrics(samples, ds))
            return result
        if ds.distribution is not None and ds.distribution.centers is not None:
            result["mode_coverage"] = metrics.mode_coverage(samples, ds.name)
        if ds.kind == "toy1d":
            real = ds.sample(n, np.random.default_rng([self.config.seed, 5]))
            result.update(mean=float(samples.mean()), std=float(samples.std()),
                          data_mean=float(real.mean()), data_std=float(real.std()),
                          w1=metrics.wasserstein1d(samples, real))
        return result

    def epsilon(self) -> float:
        """ε of the (ε, δ) guarantee so far (``--dp`` runs): step × n_critic private D updates."""
        return self.accountant.epsilon(self.step * self.config.n_critic)

    def save_metrics(self, path: str | None = None) -> str:
        result = dict(self.evaluate(), warnings=self.warnings)
        if self.accountant is not None:
            cfg = self.config
            result.update(epsilon=self.epsilon(), delta=cfg.delta, noise_multiplier=cfg.noise_multiplier,
                          max_grad_norm=cfg.max_grad_norm, sample_rate=self.accountant.sample_rate)
        path = path or self._path("metrics.json")
        _write_text(path, json.dumps(result, indent=2) + "\n")
        return path
