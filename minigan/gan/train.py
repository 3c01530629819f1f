"""The GAN training loop: ``Trainer``, its configuration, and the per-dataset defaults.

One training *step* is n_critic discriminator updates followed by one generator update:

    repeat n_critic times (100 times during the first critic_warmup steps):   (the discriminator / critic)
        x ~ data,  z ~ N(0, I),  x̃ = G(z)
        L_D = loss_D(D(x), D(x̃))  [+ λ·gradient penalty] [+ R1]   → one optimizer step on D
        [WGAN: clip every weight of D to [−c, c]]
    L_G = loss_G(D(x̃))  on the last x̃                             → one optimizer step on G
    [EMA: G_ema ← β·G_ema + (1 − β)·G]

Options: instance noise (every sample D sees in its loss becomes x + σ·ε), one-sided label smoothing
(real targets 1 − s), linear learning-rate decay to 0, an exponential moving average of G's weights (used
for samples and metrics), the WGAN weight clipping, the WGAN-GP penalty (λ = 10), the R1 penalty. The
defaults for each data set and loss are in :func:`default_config`.

    trainer = Trainer.from_config(default_config(data="ring8", loss="wgan-gp"), out_dir="runs/ring8")
    trainer.fit()

A run directory holds ``config.json``, ``checkpoint.npz`` (G, D, the EMA copy,
both optimizers, every random-generator state, the step), ``history.csv``,
``samples.png`` (a grid from fixed noise), ``losses.png`` and ``metrics.json``.
``Trainer.resume(out_dir)`` continues a run exactly where it stopped: on the
CPU, 200 steps + resume + 200 steps gives the same weights, bit for bit, as
400 steps straight.

Nothing inside a step copies numbers from the device to the host: losses and
statistics are summed on the device and fetched once per ``log_every`` steps,
so the GPU never waits for Python.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import functools
import json
import os
import signal
import threading
import time
import warnings
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .. import backend, io, optim
from ..autograd import Tensor, no_grad
from ..backend import get_rng_state, manual_seed, set_rng_state
from ..creation import randn
from ..data import DIGITS_SIZES, TOY_DATASETS, DataLoader, Dataset, dataset_names, infinite, load_dataset
from ..ops import sigmoid
from . import losses
from .models import ConditionalGenerator, build_models

__all__ = [
    "LOSSES", "TrainConfig", "Trainer", "TrainingDiverged", "TrainingWarning", "default_config", "generate_samples",
    "load_generator",
]

LOSSES = ("minimax", "nonsaturating", "lsgan", "wgan", "wgan-gp", "hinge", "relativistic")
PROBABILITY_LOSSES = ("minimax", "nonsaturating")  # D's output is a logit of P(real)
HISTORY_COLUMNS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "grad_norm_g", "grad_norm_d", "diversity",
                   "time")


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN or infinite; the last good checkpoint is kept."""


class TrainingWarning(UserWarning):
    """A known GAN failure mode seems to be happening (the discriminator wins, mode collapse)."""


# ----------------------------------------------------------------------------- configuration


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json`` and inside every checkpoint.

    Build one with :func:`default_config`, which fills in the defaults for the data and loss.
    """

    model: str = "dcgan"              # mlp | dcgan | cgan
    loss: str = "nonsaturating"       # one of LOSSES
    data: str = "digits16"            # a data spec (see minigan.data.load_dataset)
    steps: int = 2000                 # generator updates
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"           # adam | rmsprop (the original WGAN)
    n_critic: int = 1                 # discriminator updates per generator update
    critic_warmup: int = 0            # for this many first steps, D takes WARMUP_CRITIC_UPDATES per G update
    nz: int = 100                     # noise size
    width: int = 64                   # DCGAN base channels, or MLP hidden units
    depth: int = 3                    # MLP hidden layers
    d_norm: str | None = None         # batch | layer | none; None: the model's default
    spectral_norm: bool = False
    minibatch_std: bool = False
    label_smoothing: float = 0.0      # one-sided: real targets 1 − this (minimax / nonsaturating losses)
    instance_noise: float = 0.0       # std of Gaussian noise added to every sample D sees in its loss; 0 = off
    anneal_noise: bool = False        # decay the instance noise linearly to 0 over the steps
    gp_lambda: float = 0.0            # gradient penalty weight (10 for WGAN-GP)
    r1_gamma: float = 0.0             # R1 penalty weight (Mescheder et al. 2018); 0 = off
    clip_value: float = 0.0           # WGAN weight clipping (0.01); 0 = off
    lr_decay: bool = False            # decay both learning rates linearly to 0 over the steps
    ema: bool = False                 # keep an exponential moving average of G's weights
    ema_decay: float = 0.999
    seed: int = 0
    device: str = "cpu"
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    eval_samples: int = 2000          # samples behind metrics.json; 0 = no metrics

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        values = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"config has unknown field(s) {', '.join(unknown)}")
        for key in ("betas_g", "betas_d"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


# The defaults a student gets without flags. They follow the papers:
#   DCGAN (Radford et al. 2016): Adam(lr 2e-4, β1 0.5), N(0, 0.02²) init, nz 100, batch 128 (32 here:
#   more, cheaper steps).
#   WGAN (Arjovsky et al. 2017): RMSprop(lr 5e-5), clip 0.01, 5 critic steps.
#   WGAN-GP (Gulrajani et al. 2017): λ 10, 5 critic steps, Adam(lr 1e-4, β (0, 0.9)).
LOSS_DEFAULTS: dict[str, dict[str, Any]] = {
    "wgan": dict(optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5, clip_value=0.01),
    "wgan-gp": dict(lr_g=1e-4, lr_d=1e-4, betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=5, gp_lambda=10.0),
}
# Per data set: model sizes and step counts for a two-core CPU.
#   gauss1d: a 3×64 MLP pair, 3,000 steps (about 20 s). The discriminator learns 4× faster than the generator
#     (lr 4e-4 vs 1e-4, the two time-scale rule of Heusel et al. 2017): with equal rates the fitted std wanders
#     ±20% around 1.25 for thousands of steps; with TTUR it settles within 5%. The mean still circles 4 by
#     about ±0.1 (the game's rotation); the moving average of G's weights (EMA, Yazıcı et al. 2019) sits
#     at its centre: measured means 4.003, 4.036, 4.069 for seeds 0, 1, 2 (4.122 for seed 1 without it).
#   ring8 / grid25: 3×128 MLPs, batch 256, learning rates decayed linearly to 0 (as in the WGAN-GP code):
#     the modes have std 0.02, and only small final steps place samples that precisely.
#   digits (16×16): DCGAN with base width 32, batch 32, 20,000 steps (255 s on two cores), and
#     instance noise σ 0.3 on everything D sees: on these 1,797 images a clean D soon tells real from fake
#     by detail alone and G's samples stay blurry blends. Measured with the digits classifier (fraction of
#     samples with p ≥ 0.9): 52% after 2,000 steps without noise, 62% with it, 71% after 16,000 steps at
#     batch 32. The conditional model (--model cgan) reaches 92% in 2,000 steps.
DATA_DEFAULTS: dict[str, dict[str, Any]] = {
    "gauss1d": dict(model="mlp", steps=3000, batch_size=256, nz=4, width=64, depth=3, lr_g=1e-4, lr_d=4e-4,
                    ema=True, sample_every=1000, checkpoint_every=1000),
    "mixture1d": dict(model="mlp", steps=3000, batch_size=256, nz=4, width=64, depth=3, lr_g=1e-4, lr_d=4e-4,
                      sample_every=1000, checkpoint_every=1000),
    "ring8": dict(model="mlp", steps=8000, batch_size=256, nz=8, width=128, depth=3, lr_decay=True,
                  sample_every=1000, checkpoint_every=1000),
    "grid25": dict(model="mlp", steps=8000, batch_size=256, nz=8, width=128, depth=3, lr_decay=True,
                   sample_every=1000, checkpoint_every=1000),
    "spiral": dict(model="mlp", steps=8000, batch_size=256, nz=8, width=128, depth=3, lr_decay=True,
                   sample_every=1000, checkpoint_every=1000),
    "image": dict(model="dcgan", steps=20000, batch_size=32, nz=100, width=32, instance_noise=0.3,
                  sample_every=2000, checkpoint_every=2000),
}
# Settings tuned for one (data, loss) pair, applied last. WGAN-GP on the 2-D mixtures follows the WGAN-GP
# authors' toy-data code rather than their image settings: a smaller penalty (their code uses λ = 0.1,
# "smaller lambda seems to help for toy tasks"; λ = 1 here) and Adam β1 0.5, β2 0.9. With λ = 10 the critic
# is too flat at the scale of the modes (std 0.02): all 8 modes are found but only ≈ 78% of the samples land
# within 3 std of one. The learning rate is 3× theirs to fit the step budget, and for the first 25 steps
# the critic takes 100 updates per generator update (the original WGAN's schedule), so that the generator
# starts from a trained critic.
WARMUP_CRITIC_UPDATES = 100  # the original WGAN's schedule for its first generator steps
_WGAN_GP_TOY = dict(gp_lambda=1.0, lr_g=3e-4, lr_d=3e-4, betas_g=(0.5, 0.9), betas_d=(0.5, 0.9), critic_warmup=25)
TUNED: dict[tuple[str, str], dict[str, Any]] = {
    ("ring8", "wgan-gp"): _WGAN_GP_TOY,
    ("grid25", "wgan-gp"): _WGAN_GP_TOY,
}


def default_config(model: str | None = None, loss: str = "nonsaturating", data: str = "digits16",
                   **overrides: Any) -> TrainConfig:
    """A ``TrainConfig`` for ``data`` and ``loss`` with the defaults above; ``overrides`` that are not None win.

    ``model`` None picks "dcgan" for images and "mlp" for toy data.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if data in TOY_DATASETS:
        settings = dict(DATA_DEFAULTS[data])
    elif data in DIGITS_SIZES or data in ("mnist", "mnist32") or data.startswith("mnist:"):
        settings = dict(DATA_DEFAULTS["image"])
    else:
        raise ValueError(f"unknown data {data!r}; valid: {', '.join(dataset_names())}")
    settings.update(LOSS_DEFAULTS.get(loss, {}))
    settings.update(TUNED.get((data, loss), {}))
    if model is not None:
        settings["model"] = model
    settings.update(loss=loss, data=data)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for key, value in overrides.items():
        if key not in known:
            raise TypeError(f"default_config() got an unknown setting {key!r}")
        if value is not None:
            settings[key] = value
    return TrainConfig(**settings)


# ----------------------------------------------------------------------------- helpers


def _grad_norm(module) -> Any:
    """‖∇θ‖₂ over all of a module's gradients, as a 0-d device array (no host copy)."""
    grads = [p.grad.data for p in module.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return backend.array_module(grads[0]).sqrt(sum((g * g).sum() for g in grads))


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


# ----------------------------------------------------------------------------- the trainer


class Trainer:
    """Trains a generator ``G`` and a discriminator ``D`` on ``dataset`` as ``config`` says.

    ``out_dir`` None keeps everything in memory (``trainer.history``); otherwise the run's files are
    written there. An ``out_dir`` that already holds a run is refused unless ``resume=True``.
    """

    def __init__(self, G, D, dataset: Dataset, config: TrainConfig, out_dir: str | None = None,
                 progress: bool = True, resume: bool = False):
        cfg = self.config = config
        if cfg.loss not in LOSSES:
            raise ValueError(f"unknown loss {cfg.loss!r}; choose one of {', '.join(LOSSES)}")
        if cfg.n_critic < 1 or cfg.steps < 0 or cfg.batch_size < 2:
            raise ValueError(f"need n_critic ≥ 1, steps ≥ 0 and batch_size ≥ 2, got {cfg.n_critic}, {cfg.steps}, "
                             f"{cfg.batch_size}")
        if cfg.label_smoothing and cfg.loss not in PROBABILITY_LOSSES:
            raise ValueError(f"label smoothing applies to the minimax and nonsaturating losses, not {cfg.loss!r}")
        self.out_dir, self.progress, self.dataset = out_dir, progress, dataset
        if out_dir is not None and not resume:
            earlier = [name for name in ("checkpoint.npz", "config.json", "history.csv")
                       if os.path.exists(os.path.join(out_dir, name))]
            if earlier:
                raise FileExistsError(f"{out_dir} already holds a run ({', '.join(earlier)}); resume it "
                                      "(--resume / Trainer.resume) or choose another output directory")
        self.device = backend._normalise_device(cfg.device)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.conditional = isinstance(G, ConditionalGenerator)
        self.loss_kind = "wgan" if cfg.loss == "wgan-gp" else cfg.loss
        self.opt_G = self._optimizer(G, cfg.lr_g, cfg.betas_g)
        self.opt_D = self._optimizer(D, cfg.lr_d, cfg.betas_d)
        self.G_ema = copy.deepcopy(G) if cfg.ema else None

        # The data lives on the device; the loader shuffles indices with its own seeded generator.
        xp = backend.xp_for(self.device)
        self._data = xp.asarray(dataset.data)
        self._labels = xp.asarray(dataset.labels) if self.conditional else None
        self.loader = DataLoader(np.arange(len(dataset)), batch_size=cfg.batch_size,
                                 rng=np.random.default_rng([cfg.seed, 1]))
        self._batches = infinite(self.loader)
        self.label_rng = np.random.default_rng([cfg.seed, 2])  # class labels of fake samples
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
        """Seed everything with ``config.seed``, load the data, build the models and the trainer."""
        manual_seed(config.seed)
        dataset = load_dataset(config.data, rng=np.random.default_rng([config.seed, 0]))
        G, D = build_models(config.model, dataset, config.loss, nz=config.nz, width=config.width,
                            depth=config.depth, norm=config.d_norm, spectral_norm=config.spectral_norm,
                            minibatch_std=config.minibatch_std)
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
        config = TrainConfig.from_json(state["config"])
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
        trainer = cls.from_config(config, out_dir=out_dir, progress=progress, resume=True)
        trainer.load_state(state, path)
        for name in os.listdir(out_dir):  # temporary files of checkpoint writes that a crash cut short (io.save)
            if name.startswith(".checkpoint.npz.") and name.endswith(".tmp"):
                os.remove(os.path.join(out_dir, name))
        return trainer

    def _optimizer(self, module, lr: float, betas) -> optim.Optimizer:
        if self.config.optimizer == "adam":
            return optim.Adam(module.parameters(), lr=lr, betas=tuple(betas))
        if self.config.optimizer == "rmsprop":
            return optim.RMSprop(module.parameters(), lr=lr)
        raise ValueError(f"unknown optimizer {self.config.optimizer!r}; choose adam or rmsprop")

    def _fixed_noise(self):
        """The noise (and labels) behind every samples.png, so that frames of one run are comparable."""
        cfg, xp = self.config, backend.xp_for(self.device)
        n = {"image": 64}.get(self.dataset.kind, 1000)
        labels = None
        if self.conditional:  # a 10 × 10 grid: row i shows class i
            k = self.dataset.num_classes
            n, labels = 10 * k, xp.asarray(np.repeat(np.arange(k), 10))
        z = np.random.default_rng([cfg.seed, 3]).standard_normal((n, self.G.nz)).astype(np.float32)
        return Tensor(xp.asarray(z)), labels

    # ------------------------------------------------------------------ one step
    def _real_batch(self):
        (idx,) = next(self._batches)
        idx = backend.xp_for(self.device).asarray(idx)
        labels = self._labels[idx] if self.conditional else None
        return Tensor(self._data[idx]), labels

    def _noise(self, n: int):
        z = randn(n, self.G.nz, device=self.device)
        if not self.conditional:
            return z, None
        labels = self.label_rng.integers(0, self.dataset.num_classes, size=n)
        return z, backend.xp_for(self.device).asarray(labels)

    def generate(self, z: Tensor, labels=None, generator=None) -> Tensor:
        G = generator or self.G
        return G(z, labels) if self.conditional else G(z)

    def discriminate(self, x: Tensor, labels=None) -> Tensor:
        return self.D(x, labels) if self.conditional else self.D(x)

    def _noisy(self, x: Tensor) -> Tensor:
        """x + σ·ε, ε ~ N(0, I): instance noise (Sønderby et al. 2017). Real and generated distributions
        blurred by the same noise overlap, so D cannot separate them perfectly and its gradient stays useful."""
        sigma = self.config.instance_noise
        if self.config.anneal_noise:
            sigma *= max(0.0, 1.0 - self.step / self.config.steps)
        return x + randn(*x.shape, device=self.device) * sigma if sigma else x

    def train_step(self) -> None:
        """n_critic discriminator updates, then one generator update (see the module docstring)."""
        cfg = self.config
        if cfg.lr_decay:
            self._decay_learning_rates()
        n_critic = WARMUP_CRITIC_UPDATES if self.step < cfg.critic_warmup else cfg.n_critic
        for _ in range(n_critic):
            real, labels = self._real_batch()
            z, fake_labels = self._noise(len(real))
            fake = self.generate(z, fake_labels)  # its graph is kept for the generator update
            real_out = self.discriminate(self._noisy(real), labels)
            fake_out = self.discriminate(self._noisy(fake.detach()), fake_labels)
            d_loss = losses.discriminator_loss(self.loss_kind, real_out, fake_out, 1.0 - cfg.label_smoothing)
            critic = functools.partial(self.discriminate, labels=labels)
            if cfg.gp_lambda:
                d_loss = d_loss + losses.gradient_penalty(critic, real, fake, cfg.gp_lambda)
            if cfg.r1_gamma:
                d_loss = d_loss + losses.r1_penalty(critic, real, cfg.r1_gamma)
            self.opt_D.zero_grad()
            d_loss.backward()
            self.opt_D.step()
            if cfg.clip_value:
                for p in self.D.parameters():
                    backend.array_module(p.data).clip(p.data, -cfg.clip_value, cfg.clip_value, out=p.data)
        grad_norm_d = _grad_norm(self.D)

        self.D.requires_grad_(False)  # the generator's loss needs no gradients for D's weights
        real_ref = self.discriminate(self._noisy(real), labels) if self.loss_kind == "relativistic" else None
        g_loss = losses.generator_loss(self.loss_kind, self.discriminate(self._noisy(fake), fake_labels), real_ref)
        self.opt_G.zero_grad()
        g_loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        if self.G_ema is not None:
            self._update_ema()
        self._record(d_loss, g_loss, real_out, fake_out, _grad_norm(self.G), grad_norm_d, fake)

    def _decay_learning_rates(self) -> None:
        """lr_t = lr · (1 − t / steps): big steps early, fine ones at the end (as in the WGAN-GP code)."""
        scale = max(0.0, 1.0 - self.step / self.config.steps)
        for opt, lr in ((self.opt_G, self.config.lr_g), (self.opt_D, self.config.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * scale

    def _update_ema(self) -> None:
        """θ_ema ← β θ_ema + (1 − β) θ, in place; buffers (batch-norm statistics) are copied.

        β = min(ema_decay, (1 + t) / (10 + t)) at step t: a short memory early on, while the weights
        move fast, so that the average does not drag the initial weights along for thousands of steps.
        """
        beta = min(self.config.ema_decay, (1 + self.step) / (10 + self.step))
        with no_grad():
            for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
                p_ema.data *= beta
                p_ema.data += (1 - beta) * p.data
            for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
                b_ema.data[...] = b.data

    def _record(self, d_loss, g_loss, real_out, fake_out, grad_norm_g, grad_norm_d, fake) -> None:
        """Add this step's statistics to device-side sums (fetched to the host only when logging)."""
        xp = backend.xp_for(self.device)
        if self.loss_kind in PROBABILITY_LOSSES:  # report probabilities D(x) = σ(logit)
            real_out, fake_out = sigmoid(real_out.detach()), sigmoid(fake_out.detach())
        diversity = fake.data.reshape(len(fake.data), -1).std(axis=0).mean()
        values = [d_loss.data, g_loss.data, real_out.data.mean(), fake_out.data.mean(), grad_norm_g, grad_norm_d,
                  diversity]
        stats = xp.stack([xp.asarray(v, dtype=xp.float64) for v in values])
        self._sums = stats if self._sums is None else self._sums + stats
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
        start = time.perf_counter() - self.elapsed
        try:
            with _StopOnCtrlC() as ctrl_c:
                while self.step < cfg.steps:
                    self.train_step()
                    self.step += 1
                    self.elapsed = time.perf_counter() - start
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

    def _log(self, bar) -> None:
        """Fetch the averaged statistics (the one host copy), write them, and check for failures."""
        if self._count == 0:
            return
        means = backend.to_numpy(self._sums / self._count)
        self._sums, self._count = None, 0
        row = {"step": self.step, **dict(zip(HISTORY_COLUMNS[1:-1], map(float, means))),
               "time": round(self.elapsed, 3)}
        self.history.append(row)
        if self.out_dir is not None:
            self._append_history(row)
        bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}",
                        D_x=f"{row['d_real']:.2f}", D_G_z=f"{row['d_fake']:.2f}", refresh=False)
        if not np.all(np.isfinite(means)):
            self._diverged(", ".join(f"{k}={row[k]:.4g}" for k in HISTORY_COLUMNS[1:-2]))
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
        if self.step < max(500, self.config.steps // 10):  # give the game time to start
            return
        probability = self.loss_kind in PROBABILITY_LOSSES
        wins = probability and row["d_real"] > 0.99 and row["d_fake"] < 0.01
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
            writer = csv.DictWriter(f, fieldnames=HISTORY_COLUMNS)
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
        self._batches = infinite(self.loader)
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
                    rows.append({k: float(row[k]) for k in HISTORY_COLUMNS})
                except (KeyError, TypeError, ValueError):  # a line cut short by a crash
                    continue
        self.history = [dict(row, step=int(row["step"])) for row in rows if row["step"] <= self.step]
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=HISTORY_COLUMNS)
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

    def sample(self, n: int, labels=None, seed: int | None = None, use_ema: bool = True) -> np.ndarray:
        """``n`` generated samples as a NumPy array, in eval mode, from a generator of their own.

        The training random state is untouched. ``labels`` (conditional models): one int for all, or n ints;
        default: random classes.
        """
        rng = np.random.default_rng([self.config.seed if seed is None else seed, 4])
        return generate_samples(self.G_ema if use_ema and self.G_ema is not None else self.G, n, rng,
                                num_classes=self.dataset.num_classes if self.conditional else None, labels=labels)

    def save_samples(self, path: str | None = None) -> str:
        """Draw the fixed noise through the (EMA) generator and write ``samples.png``."""
        from .. import viz  # matplotlib loads only when a picture is drawn

        G = self.G_ema if self.G_ema is not None else self.G
        G.eval()
        with no_grad():
            x = self.generate(self.fixed_z, self.fixed_labels, G)
        G.train()
        nrow = 10 if self.conditional else None
        title = f"{self.config.model} {self.config.loss} on {self.config.data}, step {self.step}"
        return viz.plot_samples(x.numpy(), self.dataset, path or self._path("samples.png"), title=title, nrow=nrow)

    def save_losses(self, path: str | None = None) -> str | None:
        from .. import viz

        if not self.history:
            return None
        title = f"{self.config.model} {self.config.loss} on {self.config.data}"
        return viz.plot_losses(self.history, path or self._path("losses.png"), title=title)

    def evaluate(self, n: int | None = None) -> dict[str, Any]:
        """Metrics of ``n`` samples (default ``config.eval_samples``): mode coverage and W1 for toy data,
        ``minigan.metrics.domain.image_metrics`` (digit-classifier FID, KID, ...) for images."""
        from .. import metrics

        n = self.config.eval_samples if n is None else n
        ds, result = self.dataset, {"step": self.step, "samples": n}
        if n == 0:
            return result
        samples = self.sample(n)
        toy = ds.distribution
        if ds.kind == "image":
            try:
                from ..metrics import domain
            except ImportError:
                return result
            if hasattr(domain, "image_metrics"):
                result.update(domain.image_metrics(samples, ds))
            return result
        if toy is not None and toy.centers is not None:
            result["mode_coverage"] = metrics.mode_coverage(samples, ds.name)
        if ds.kind == "toy1d":
            real = ds.sample(n, np.random.default_rng([self.config.seed, 5]))
            result.update(mean=float(samples.mean()), std=float(samples.std()),
                          data_mean=float(real.mean()), data_std=float(real.std()),
                          w1=metrics.wasserstein1d(samples, real))
        return result

    def save_metrics(self, path: str | None = None) -> str:
        result = dict(self.evaluate(), warnings=self.warnings)
        path = path or self._path("metrics.json")
        _write_text(path, json.dumps(result, indent=2) + "\n")
        return path


# ----------------------------------------------------------------------------- sampling from a checkpoint


def generate_samples(G, n: int, rng: np.random.Generator, num_classes: int | None = None, labels=None,
                     batch: int = 500) -> np.ndarray:
    """``n`` samples of G (eval mode, no graph) from noise drawn with ``rng``; labels for conditional G."""
    device = next(G.parameters()).device
    xp = backend.xp_for(device)
    if num_classes is not None:
        labels = rng.integers(0, num_classes, size=n) if labels is None else np.broadcast_to(labels, (n,))
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"labels must be in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    elif labels is not None:
        raise ValueError("labels were given but the model is not conditional (train it with --model cgan)")
    G.eval()
    out = []
    with no_grad():
        for start in range(0, n, batch):
            m = min(batch, n - start)
            z = Tensor(xp.asarray(rng.standard_normal((m, G.nz)).astype(np.float32)))
            if num_classes is None:
                out.append(G(z).numpy())
            else:
                out.append(G(z, xp.asarray(labels[start:start + m])).numpy())
    G.train()
    return np.concatenate(out) if out else np.zeros((0,))


def load_generator(path: str, use_ema: bool = True):
    """(G, config, dataset) from a checkpoint file: the EMA weights when the run kept them."""
    state = io.load(path)
    if not isinstance(state, dict) or "config" not in state or "G" not in state:
        raise ValueError(f"{path} is not a minigan training checkpoint (no config / generator inside)")
    config = TrainConfig.from_json(state["config"])
    dataset = load_dataset(config.data)
    G, _ = build_models(config.model, dataset, config.loss, nz=config.nz, width=config.width, depth=config.depth,
                        norm=config.d_norm, spectral_norm=config.spectral_norm, minibatch_std=config.minibatch_std)
    weights = state["G_ema"] if use_ema and state.get("G_ema") is not None else state["G"]
    try:
        G.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"{path}: the generator weights do not fit the model in its config: {err}") from err
    return G, config, dataset

