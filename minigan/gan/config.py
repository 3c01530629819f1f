"""The settings of a training run: :class:`TrainConfig` and the defaults a student gets without flags.

:func:`default_config` starts from the settings of the papers — DCGAN (Radford et al. 2016), WGAN (Arjovsky
et al. 2017), WGAN-GP (Gulrajani et al. 2017) — and applies, in this order, the per-data settings
(:data:`DATA_DEFAULTS`: model sizes and step counts for a two-core CPU), the per-loss settings
(:data:`LOSS_DEFAULTS`), the settings tuned for one (data, loss) pair (:data:`TUNED`), then the caller's
overrides. Every departure from a paper is explained beside the setting.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .. import backend
from ..data import DIGITS_SIZES, TOY_DATASETS, TRANSLATION_TASKS, dataset_names
from .losses import LOSSES, PROBABILITY_LOSSES

__all__ = ["DATA_DEFAULTS", "LOSS_DEFAULTS", "MAIN_JOB", "MODEL_DEFAULTS", "TASK_MODELS", "TRANSLATION_DEFAULTS",
           "TUNED", "WARMUP_CRITIC_UPDATES", "WAVE_DEFAULTS", "TrainConfig", "check_config", "default_config"]


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json`` and inside every checkpoint.

    Build one with :func:`default_config`, which fills in the defaults for the data and loss.
    """

    model: str = "dcgan"              # a model family: mlp | dcgan | cgan (minigan.gan.families)
    loss: str = "nonsaturating"       # one of minigan.gan.losses.LOSSES
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
    augment: str = ""                 # DiffAugment policy for every image D sees, e.g. "translation,cutout"; "" = off
    anneal_noise: bool = False        # decay the instance noise linearly to 0 over the steps
    gp_lambda: float = 0.0            # gradient penalty weight (10 for WGAN-GP)
    r1_gamma: float = 0.0             # R1 penalty weight (Mescheder et al. 2018); 0 = off
    clip_value: float = 0.0           # WGAN weight clipping (0.01); 0 = off
    lr_decay: bool = False            # decay both learning rates linearly to 0 over the steps
    ema: bool = False                 # keep an exponential moving average of G's weights
    ema_decay: float = 0.999
    unrolled_steps: int = 0           # unrolled GAN (Metz et al. 2017): G plays against D unrolled K steps ahead
    dp: bool = False                  # DP-SGD on D (gan/dp.py): Poisson batches of rate batch_size / N
    noise_multiplier: float = 1.0     # σ: noise N(0, σ²C²) on the sum of clipped per-example gradients
    max_grad_norm: float = 1.0        # C: each example's gradient is clipped to this norm
    delta: float = 1e-5               # δ of the (ε, δ) guarantee
    target_epsilon: float | None = None  # if set, σ is solved so that the run ends at this ε
    exclude_class: int | None = None  # anomaly detection (gan/anomaly.py): this class is left out of the training data
    seed: int = 0
    device: str = dataclasses.field(default_factory=backend.default_device)  # cpu | cuda; MINIGAN_BACKEND's
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    eval_samples: int = 2000          # samples behind metrics.json; 0 = no metrics
    # the high-fidelity families (minigan/gan/models/sagan.py, biggan.py, progan.py, stylegan.py)
    ortho_beta: float = 0.0           # BigGAN's orthogonal regularisation β‖WWᵀ ⊙ (1 − I)‖²_F on G; 0 = off
    mode_seeking: float = 0.0         # biggan: λ of the mode-seeking term in G's loss (Mao et al. 2019); 0 = off
    phase_steps: int = 0              # ProGAN: steps of each fade-in and of each stabilisation phase
    drift: float = 0.0                # ProGAN: ε E[D(x)²], keeps the critic's scores near 0
    style_mixing: float = 0.0         # StyleGAN: fraction of fake batches whose styles mix two latents
    # image-to-image families (minigan.gan.models.pix2pix, srgan, cyclegan); defaults in TRANSLATION_DEFAULTS
    l1_lambda: float = 100.0          # pix2pix: weight λ of the L1 term
    dropout: bool = True              # pix2pix: dropout in the U-Net's decoder (the paper's noise)
    residual_blocks: int = 4          # srgan: residual blocks B of the generator
    pretrain_steps: int = 0           # srgan: first steps on the pixel MSE alone (SRResNet), D idle
    adv_weight: float = 1e-3          # srgan: weight of the adversarial term beside the content loss
    cycle_lambda: float = 10.0        # cyclegan: weight λ_cyc of the cycle loss
    identity_lambda: float = 5.0      # cyclegan: weight of the identity loss (0.5 λ_cyc)
    pool_size: int = 50               # cyclegan: generated images each discriminator's history pool keeps
    downsamplings: int = 2            # cyclegan: stride-2 convolutions of each ResNet generator (the paper: 2)
    phase_shuffle: int = 2            # wavegan: D's activations shift by up to this many samples (0 = off)

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
#   mnist (the bundled 28×28 digits, 4,500 in the train split): the same DCGAN (width 32, batch 32), 6,000
#     steps (318 s of CPU time), EMA of G's weights, instance noise σ 0.3 annealed to 0 and both learning rates
#     decayed to 0 over the run. Judged by benchmarks/mnist_judge.py (a PyTorch CNN with a "not a digit" class,
#     trained on the train split only; confident, p ≥ 0.9 on a digit, on 93.0% of the held-out test digits and
#     on none of noise, blobs, shuffled digits or an untrained G's output), 1,000 samples of these defaults are
#     confident at 0.41 / 0.64 / 0.65 of the real digits' rate after 1,000 / 4,000 / 6,000 steps (all ten
#     digits; few 1s, 4s, 5s and 8s). Width 64 for 3,000 steps (the same CPU time, 302 s):
#     0.42 / 0.55 / 0.62 at 1,000 / 2,000 / 3,000 steps; without instance noise 0.39 / 0.49 / 0.53. The
#     unconditional model falls short of real digits (a ratio of 0.8 is the bar for the main job); the
#     conditional one with the same settings clears it (MAIN_JOB below).
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
    "mnist": dict(model="dcgan", steps=6000, batch_size=32, nz=100, width=32, instance_noise=0.3, anneal_noise=True,
                  lr_decay=True, ema=True, sample_every=1000, checkpoint_every=1000),
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
# Unrolled GANs on toy data (Metz et al. 2017 train 2-D mixtures with Adam, lr 1e-4, β1 0.5, and the minimax
# loss): each step costs several plain steps, so the run is 6,000 steps at lr 2e-4 (decayed linearly to 0, as
# above), batch 512, and the loss is the paper's minimax one unless another is asked for. Measured on ring8 with
# K = 5 (2,000 samples; modes with ≥ 20 samples within 3 std / fraction within 3 std / mode-histogram KL):
# at batch 256, minimax, seeds 0 and 1: 8 / 64.1% / 0.006 and 8 / 68.1% / 0.016; seeds 2 and 3 (not used to
# choose): 8 / 60.4% / 0.013 and 7 / 55.4% / 0.11 (one mode with 15 samples within 3 std). The larger batch
# (seed 3, 5,000 steps: 8 / 55.7% / 0.064; seed 4: 8 / 64.9% / 0.037) feeds every mode; docs/unrolled_and_private.md
# has the runs of this default on seeds not used to choose it. The non-saturating loss (batch 256, 6,000
# steps): 6 / 80.4% / 0.30 (two modes under 2% of the samples) and 8 / 80.2% / 0.064: it places samples more
# precisely, the minimax loss spreads them more evenly. The plain minimax game (K = 0, batch 256, 6,000 steps),
# seeds 0–3: 8, 8, 6, 8 modes, 43–56% within 3 std, KL 0.07–0.25.
UNROLLED_TOY = dict(steps=6000, batch_size=512)
UNROLLED_TOY_LOSS = "minimax"
TUNED: dict[tuple[str, str], dict[str, Any]] = {
    ("ring8", "wgan-gp"): _WGAN_GP_TOY,
    ("grid25", "wgan-gp"): _WGAN_GP_TOY,
}
# The main job, `minigan train` with no options (default_config() with neither data nor model): the
# class-conditional DCGAN (Mirza & Osindero 2014: G and D see the label's embedding) on the bundled 28×28
# MNIST digits, with the mnist settings above (6,000 steps at batch 32). Measured with seed 0: 301 s of CPU
# time; benchmarks/mnist_judge.py on 1,000 samples, 100 of each label, is confident on 84.3% of them against
# 93.0% of the real held-out test digits, a ratio of 0.91, every digit 66–97 times, and reads the label asked
# for in 89.1%; seed 1: 0.93 (86.1%, label read in 91.8%; 377 s of CPU time on a busier machine). The same
# model for 3,000 steps (170 s): 0.77, label read in 80.9%. The unconditional DCGAN
# on the same data and budget stays at 0.65 (above). `--data digits16` keeps the former main job's settings.
MAIN_JOB: dict[str, str] = dict(model="cgan", data="mnist")


# Per model family, applied after the per-loss settings: the papers' settings of the high-fidelity GANs, each
# departure for a two-core CPU explained. Their loss is the family's own unless one is asked for; the mnist
# data defaults' annealed noise and learning-rate decay are not theirs (switched off below).
#   sagan (Zhang et al. 2019): hinge loss, Adam β (0, 0.9), spectral norm in G and D, one D step per G step,
#     nz 128 — as the paper. To fit the CPU: batch 32 (paper 256), 7,000 steps, channels 128-64-32 (the
#     paper's start at 1024), attention at 8×8; no instance noise (spectral norm keeps D smooth already).
#     Two departures:
#     * G's output is linear (as progan's; the sampler clips to [−1, 1]), not tanh. With tanh G collapsed to one
#       saturated checkerboard within 200–500 steps (per-pixel spread 0.04 against the data's 0.29; D(x) ≈ +2,
#       D(G(z)) ≈ −1.3, past the hinge's margins), and so it did with spectral norm in D only, DCGAN's init,
#       equal rates 2e-4 with β (0.5, 0.999), β (0.5, 0.999) with TTUR, two D steps, instance noise 0.3 or 1.0,
#       a sum-pooled linear D head, the non-saturating loss, minibatch stddev in D, SNGAN's deeper D and a D
#       twice as wide; benchmarks/sagan_torch_twin.py, a PyTorch twin of the tanh nets, collapses the same way
#       (0.04 at step 600). Spectral norm matches torch's (output, gradient and u to 1e-4 over three steps).
#     * equal learning rates, lr_G = lr_D = 2e-4, not TTUR's 1e-4 / 4e-4. Measured (seed 0, 7,000 steps, 1,000
#       samples cropped to 28×28): with TTUR 38.5% confident under the digits classifier, the MNIST judge of
#       benchmarks/mnist_judge.py 51.6%, ten digits under both (725 s of CPU, one other run beside); with
#       equal rates 43.8% and 62.2%, ten digits, mean pairwise distance 18.7 (real digits: about 18), 551 s
#       with an EMA kept beside (not used: sampled from it, 44.5% and 61.8%; the default run alone took 8 min
#       13 s by the wall clock); at 4,000 steps 44.5% and 57.0%;
#       with the rates decayed linearly to 0, 40.5% and 54.4%; with --augment translation 44.3% and 57.7%;
#       with the attention at 16×16 in G and D (twice the time per step) 40.9% and 60.5%, at 4,000 steps
#       41.1% and 57.6%; batch 64 for 5,000 steps 39.8% and 59.6% (its EMA 42.1% and 63.4%), batch 48
#       for 6,000 steps 44.4% and 60.8% (EMA 43.8% and 61.0%). At the end D(x) ≈ 0.47 and D(G(z)) ≈ −0.5,
#       inside the hinge's margins. The grid: varied, legible digits of every class, some strokes ragged or
#       broken — below the 50% aimed at under the digits classifier, which is confident on 56.6% of the real
#       MNIST test digits (the judge: 93.0%).
#   biggan (Brock et al. 2019): hinge loss, Adam β (0, 0.999), orthogonal regularisation β 1e-4, EMA of G,
#     spectral norm in G and D, the hierarchical latent (z in chunks to the first layer and every conditional
#     batch norm) — as the paper. To fit the CPU: one D step per G step (paper 2) at batch 32 (paper 2,048),
#     3,000 steps; EMA decay 0.999 (paper 0.9999, started after 20k steps: too long a memory here). G's output
#     is linear, as sagan's (with tanh it collapsed like sagan's). Departures:
#     * equal learning rates, 2e-4 each (the paper: lr_G 5e-5, lr_D 2e-4), decayed linearly to 0 over the run.
#       With SAGAN's 4:1 ratio (1e-4 / 4e-4) D won from the start: D(x) ≈ 2.5–3.5, D(G(z)) ≈ −1.7, its loss
#       0.1–0.2, and G gave one speckled image per class (13–22% confident, 62–67% of --labels 3 read as 3);
#       with instance noise 0.3 as well, the same. Equal rates keep both scores near the margins (D(x) ≈
#       0.9–1.2, D(G(z)) ≈ −0.8 to −1.2); without the decay the run drifts back into D's favour after 2,400
#       steps (at 4,000 steps D(x) ≈ 1.8 and three classes broken).
#     * no spectral norm on G's first linear layer (see models/biggan.py: with it G ignored z entirely, the
#       mean distance between samples of one class 1.4 against 13–20 for real digits).
#     * the mode-seeking term of Mao et al. (2019) in G's loss, λ 0.01 (not BigGAN's; losses.mode_seeking_loss).
#       Without it the samples of one class were near copies: mean distance 2.5–7 between samples of one
#       class (real digits 13–20), k-NN recall on the digits features 0.0005, FID (digits features) 63.2;
#       and the digits classifier, which reads MNIST-style 9s as 4 and 2s as 7 (20 and 17 of the 50 real test
#       9s and 2s; the MNIST judge reads 49 and 44 of them right), read that one 9 as a 4 (197 of 200) and
#       that one 2 as a 7 (139 of 200): 60.3% confident but none of them 2s or 9s.
#     Measured (the default run from the command line, seed 0, 5 min 32 s by the wall clock with one other run
#     beside; 1,000 samples cropped to 28×28 from the EMA generator with standing statistics,
#     benchmarks/hifi_bars.py): 52.7% confident under the digits classifier, ten digits among them (2s and 9s
#     the fewest, 2 and 9 of the 527); the MNIST judge of benchmarks/mnist_judge.py 88.7%, ten digits;
#     --labels 3 read as 3 in 84.0% (the judge: 98.2%); metrics.json: FID 24.8, precision 0.885, recall 0.19.
#     The grid: legible digits of every class, varied in slant and width; some 5s are drawn as 6, 8 or 9.
#     Other seeds fall short of 50%: seed 1 46.1% (ten digits) / 87.5%, --labels 3 72.2%, FID 23.3, recall
#     0.26; seed 2 48.8% (9 digits, no 6) / 83.0%, 69.7%, FID 33.5, recall 0.08. At batch 64 (9 min 40 s by
#     the wall clock, one other run beside): seed 0 55.3% / 92.6%, ten digits, but --labels 3 75.4% (the
#     judge 98.4%), FID 19.8; seed 1 49.8% / 82.2%, ten digits, 78.9%, FID 22.8 — not adopted (twice the time,
#     and it trades the --labels 3 bar for the confident one). Two D steps per G step (the paper's), λ 0.01,
#     8 min 50 s: worse, metrics.json's FID 41.1 / 36.1 on seeds 0 / 1 (the default's: 24.8 / 23.3).
#     4,000 steps instead of 3,000 (EMA G): seed 0 55.1% / 95.0%, ten digits, --labels 3 read as 3 in 72.3%;
#     seed 1 55.1% / 90.5%, ten digits, 67.5% (the judge: 87.8%); seed 2 49.5% / 85.1%, 8 digits (no 1s or
#     6s), 66.1%: more training trades the --labels 3 bar for the confident one, and seed 2 still misses.
#     With λ 0.02: 52.5% / 87.4%, ten digits, FID 19.0, recall 0.33, spread within a class 8.7–15.3, but
#     --labels 3 read as 3 in 60.4% by the digits classifier (91.2% by the judge; the digits classifier
#     reads 62% of real test 3s as 3); λ 0.05: 45.1% / 75.6%; λ 0.2: 45.1% / 63.4%, classes mixed in a row.
#     Without the term: 60.3% / 81.3%, 8 digits, --labels 3 100%; 2,000 steps without the
#     decay 39.8% / 78.0%, --labels 3 67%; spectral norm nowhere in G 41.9% / 65.7%, 84%; G's linear with
#     spectral norm 60.9% / 91.2% but one image per class. Also tried without the term (EMA generator, seed
#     0, digits classifier / MNIST judge, --labels 3 by the digits classifier): DiffAugment (--augment,
#     gan/augment.py) with translation 36.3% / 77.7%, ten digits, 15.5% (the spread within a class up to
#     6–12, but blurred strokes and classes mixed in a row), with translation and cutout 39.9% / 55.9%,
#     8 digits; batch 64 (434 s of CPU) 51.8% / 82.1%, 8 digits (no 2s, no 9s again), 97%.
#   progan (Karras et al. 2018): WGAN-GP λ 10 with drift ε 1e-3, one critic step, Adam lr 1e-3 β (0, 0.99), EMA
#     0.999, equalized LR, pixel norm, minibatch stddev — as the paper. To fit the CPU: phases of 200 steps at
#     batch 32 (the paper's last 800k images each; 4→32 is 7 phases, 1,400 steps), channels 32-32-16-8 at
#     4-8-16-32 (paper 512 up to 32×32), nz 128 (paper 512). Measured (seed 0, 1,400 steps, 4 min 26 s of CPU):
#     digit-like strokes at 32×32; the classifier is confident on 25% of 1,000 samples cropped to 28×28 (the
#     real test digits: 57%), all ten digits among them — below the 50% aimed at. Phases of 400 steps (2,800
#     in all; not the default): at step 2,000 (16×16 done) 17.7%, ten digits; at step 2,400 (32×32 faded in)
#     30.4%, 9 digits (no 1); at step 2,800 (the end; steps 1,200–2,800 took 9 min of CPU) 29.5%, ten digits:
#     no better than 200-step phases' 25% by enough to make it the default. Rerun of the default (271 s, one
#     other run beside): 29.0%, ten digits (mostly 0s, 8s and 9s); the MNIST judge 35.2%, 8 digits. Phases of
#     300 steps (2,100 in all, 395 s): 25.5% and 26.6%, ten digits under both, FID 62.7 (default 73.5).
#     Not adopted either (the EMA generator, seed 0, digits classifier / MNIST judge): width 32, channels
#     64-64-32-16 (348 s of CPU): 28.3% / 38.4%, loops and 8-like blobs; width 24: 22.0% / 25.3%; lr 5e-4
#     with phases of 400 steps (2,800 in all, 299 s): 32.4% / 43.8%, ten digits / 8, but on seed 1 22.6% / 29.3%.
#   stylegan (Karras et al. 2019): the non-saturating loss with R1 γ 10 (their FFHQ setting), style mixing for
#     90% of the batches, β (0, 0.99), EMA 0.999, w̄ decay 0.995 — as the paper; to fit the CPU no progressive
#     growing, 2,000 steps at batch 32, channels 32-32-16-8, 64-d z and w. Departure: lr 2e-3 for G and D, twice
#     the paper's 1e-3. Measured (seed 0, 1,000 samples cropped to 28×28, benchmarks/hifi_bars.py): with 1e-3
#     scribbled digit-like shapes, most of them 8-like; the digits classifier confident on 20.4% (8 digits), the
#     MNIST judge on 33.7% (9 digits, 266 of the 337 are 8s); at ψ = 0.5: 11.3% and 50.2% (483 of 502 are 8s).
#     With 2e-3 (439 s of CPU, one other run beside): 36.0% (ten digits) and 43.6% (ten digits, no digit
#     above 107 of the 436), mean pairwise distance 18.4; at ψ = 0.5: 38.4% (7 digits) and 43.1% against
#     35.1% and 40.3% at ψ = 1, spread 18.3 → 17.3 (−5.1%). The grid: varied, digit-like but many broken or
#     scribbled strokes — below the 50% aimed at. R1 γ 1 or 0.1 with lr 1e-3 (842 s of CPU each) collapsed
#     further: the judge reads 33% / 7% confidently, all but a few as 2 / as 8; so did lr 5e-4 (877 s): the
#     judge 8.1%, mostly 2s. 3,000 steps (744 s of CPU, one other run beside): 37.0% / 50.0%, ten digits
#     under both — one point more for half as much time again; --augment translation collapsed (EMA: 31.9%
#     over 6 digits, the judge 36.7%, 206 of its 367 are 9s).
_NO_SCHEDULES = dict(anneal_noise=False, lr_decay=False)
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "sagan": dict(loss="hinge", lr_g=2e-4, lr_d=2e-4, betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=1, nz=128,
                  width=32, batch_size=32, steps=7000, instance_noise=0.0, spectral_norm=True, ema=False,
                  sample_every=500, checkpoint_every=500, **_NO_SCHEDULES),
    "biggan": dict(loss="hinge", lr_g=2e-4, lr_d=2e-4, betas_g=(0.0, 0.999), betas_d=(0.0, 0.999), n_critic=1,
                   nz=128, width=32, batch_size=32, steps=3000, instance_noise=0.0, spectral_norm=True,
                   ortho_beta=1e-4, mode_seeking=0.01, ema=True, ema_decay=0.999, sample_every=500,
                   checkpoint_every=500, anneal_noise=False, lr_decay=True),
    "progan": dict(loss="wgan-gp", lr_g=1e-3, lr_d=1e-3, betas_g=(0.0, 0.99), betas_d=(0.0, 0.99), n_critic=1,
                   gp_lambda=10.0, drift=1e-3, ema=True, ema_decay=0.999, nz=128, width=16, batch_size=32,
                   phase_steps=200, steps=1400, instance_noise=0.0, sample_every=200, checkpoint_every=200,
                   **_NO_SCHEDULES),
    "stylegan": dict(loss="nonsaturating", lr_g=2e-3, lr_d=2e-3, betas_g=(0.0, 0.99), betas_d=(0.0, 0.99),
                     n_critic=1, r1_gamma=10.0, style_mixing=0.9, ema=True, ema_decay=0.999, nz=64, width=8,
                     batch_size=32, steps=2000, instance_noise=0.0, sample_every=500, checkpoint_every=500,
                     **_NO_SCHEDULES),
}
# The image-to-image families, per model (the data set is their task), applied like DATA_DEFAULTS. The papers
# train with batch 1 (pix2pix, CycleGAN) or 16 (SRGAN) for 200 epochs / 10⁶ updates on 256×256 images; here
# batches of 32 small digits, and step counts that fit about 15 minutes on two CPU cores.
#   pix2pix (Isola et al. 2017): λ_L1 100, Adam(2e-4, β₁ 0.5), U-Net + PatchGAN with base width 32 (the
#     paper's 64 on 256×256 images), 1,500 steps of 32 pairs (10.7 epochs of edges2mnist; 150 s of CPU time:
#     96% of the translated test edge maps read right by the MNIST judge, L1 0.046 against 0.270 for a blank).
#   SRGAN (Ledig et al. 2017): Adam(1e-4, β₁ 0.9), adversarial weight 10⁻³, an MSE-only pre-training of G
#     (the paper's SRResNet, 10⁶ updates) — here 600 steps, then 600 steps of content + adversarial loss
#     (the paper: 10⁵ at 1e-4 and 10⁵ at 1e-5); 4 residual blocks of 32 channels (the paper: 16 of 64).
#     Measured: PSNR 18.1 dB (bicubic 14.5), MNIST judge's accuracy 93.4% (bicubic 56.4%); 242 s of CPU time.
#   CycleGAN (Zhu et al. 2017): LSGAN loss, λ_cyc 10, identity 0.5·λ_cyc, pools of 50, Adam(2e-4, β₁ 0.5),
#     constant lr for the first half then linear decay to 0 (lr_decay: CycleGAN's own schedule); ResNet
#     generators of base width 8 with 3 residual blocks (the paper: 64 and 9), batch 8 (the paper: 1),
#     1,500 steps (7.4 epochs of the 1,617 training digits): four networks and six generator passes a step.
#     Measured (296 s of CPU time): 99.4% of G(digits) pass for MNIST, labels kept 63.9% (a → b), 41.2% (b → a).
#     Two stride-2 convolutions (downsamplings=2, the paper's), so the residual blocks see the digit at 7×7:
#     scikit-learn's digits fill the 28×28 frame where MNIST's sit in a 20×20 box, so the translation rescales
#     the whole digit, which needs that receptive field (downsamplings=1 or 0 keeps the blocks at 14 or 28).
#     Measured with downsamplings=1: labels kept 63.3% / 42.4% (the default, rerun: 63.9% / 44.0%); with lr 5e-4
#     for both networks: 60.0% / 45.0%; width 16 (2,000 steps, 796 s of CPU): 64.4% / 44.4%; 3,000 steps
#     (740 s): 66.1% / 45.0%. None is adopted: neither width nor length moves the labels. What limits them is
#     a few systematic swaps (3,000-step run, per digit: 1 → 8 in 10 of 18 test digits, 9 → 3 in 10, 7 → 2
#     in 7; 0, 2 and 6 kept in 18 of 18), the same on the train split (64.2%): cycle consistency is met by
#     any invertible map, and nothing in the objective ties G's digit to the input's.
TRANSLATION_DEFAULTS: dict[str, dict[str, Any]] = {
    "pix2pix": dict(loss="nonsaturating", steps=1500, batch_size=32, width=32, instance_noise=0.0,
                    sample_every=500, checkpoint_every=500, log_every=50),
    "srgan": dict(loss="nonsaturating", steps=1200, pretrain_steps=600, batch_size=32, width=32, residual_blocks=4,
                  lr_g=1e-4, lr_d=1e-4, betas_g=(0.9, 0.999), betas_d=(0.9, 0.999), adv_weight=1e-3,
                  instance_noise=0.0, sample_every=500, checkpoint_every=500, log_every=50),
    "cyclegan": dict(loss="lsgan", steps=1500, batch_size=8, width=8, residual_blocks=3, cycle_lambda=10.0,
                     identity_lambda=5.0, pool_size=50, lr_decay=True, instance_noise=0.0, sample_every=500,
                     checkpoint_every=250, log_every=50),
}
TASK_MODELS = {"edges2mnist": "pix2pix", "mnist-sr4": "srgan", "digits2mnist": "cyclegan"}  # default model
# WaveGAN (Donahue et al. 2019) on the waves clips (256 samples): the paper's WGAN-GP (λ 10, 5 critic steps,
# Adam lr 1e-4, β (0.5, 0.9), batch 64, d = 64, phase shuffle 2); here d = WAVE_WIDTH and the steps below.
WAVE_DEFAULTS: dict[str, Any] = dict(model="wavegan", loss="wgan-gp", steps=2000, batch_size=32, nz=100, width=32,
                                     betas_g=(0.5, 0.9), betas_d=(0.5, 0.9), phase_shuffle=2, sample_every=500,
                                     checkpoint_every=500, log_every=50, eval_samples=1000)


def default_config(model: str | None = None, loss: str | None = None, data: str | None = None,
                   **overrides: Any) -> TrainConfig:
    """A ``TrainConfig`` for ``data`` and ``loss`` with the defaults above; ``overrides`` that are not None win.

    ``data`` None is the main job's data (:data:`MAIN_JOB`), and with ``model`` None too its model;
    ``model`` None picks "dcgan" for images, "mlp" for toy data and the task's family for a translation task;
    ``loss`` None is the model's own (:data:`MODEL_DEFAULTS`: hinge for sagan, ...; lsgan for CycleGAN),
    "minimax" for an unrolled GAN on toy data (:data:`UNROLLED_TOY`), or "nonsaturating".
    """
    if data is None:
        data, model = MAIN_JOB["data"], model or MAIN_JOB["model"]
    if data in TRANSLATION_TASKS:
        model = model or TASK_MODELS[data]
        if model not in TRANSLATION_DEFAULTS:
            raise ValueError(f"data {data!r} is a translation task: choose --model "
                             f"{' or '.join(TRANSLATION_DEFAULTS)}, not {model!r}")
        settings = dict(TRANSLATION_DEFAULTS[model])
        loss = loss or settings.pop("loss")
        settings.pop("loss", None)
        return _finish(settings, model, loss, data, overrides)
    if data == "waves" or model == "wavegan":
        return _wave_config(model, loss, data, overrides)
    if model in TRANSLATION_DEFAULTS:
        raise ValueError(f"--model {model} translates images: use one of the data {', '.join(TRANSLATION_TASKS)}")
    family = MODEL_DEFAULTS.get(model or "", {})
    unrolled_toy = bool(overrides.get("unrolled_steps")) and data in TOY_DATASETS
    if loss is None:
        loss = UNROLLED_TOY_LOSS if unrolled_toy else family.get("loss", "nonsaturating")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if data in TOY_DATASETS:
        settings = dict(DATA_DEFAULTS[data])
    elif data in ("mnist", "mnist32"):
        settings = dict(DATA_DEFAULTS["mnist"])
    elif data in DIGITS_SIZES or data.startswith("mnist:"):
        settings = dict(DATA_DEFAULTS["image"])
    else:
        raise ValueError(f"unknown data {data!r}; valid: {', '.join(dataset_names())}")
    settings.update(LOSS_DEFAULTS.get(loss, {}))
    settings.update(family)
    settings.update(TUNED.get((data, loss), {}))
    if unrolled_toy:
        settings.update(UNROLLED_TOY)
    return _finish(settings, model, loss, data, overrides)


def _wave_config(model: str | None, loss: str | None, data: str, overrides: dict) -> TrainConfig:
    """WAVE_DEFAULTS, with the loss's own settings when another loss than WGAN-GP is asked for."""
    if data != "waves":
        raise ValueError(f"--model wavegan trains on waveforms: use --data waves, not {data!r}")
    if model not in (None, "wavegan"):
        raise ValueError(f"--data waves holds 1-D clips: use --model wavegan, not {model!r}")
    settings = dict(WAVE_DEFAULTS)
    loss = loss or settings.pop("loss")
    settings.pop("loss", None)
    if loss != "wgan-gp":
        settings.update(LOSS_DEFAULTS.get(loss, {}))
    else:
        settings.update({k: v for k, v in LOSS_DEFAULTS["wgan-gp"].items() if k not in ("betas_g", "betas_d")})
    return _finish(settings, "wavegan", loss, data, overrides)


def _finish(settings: dict[str, Any], model: str | None, loss: str, data: str, overrides: dict) -> TrainConfig:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
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


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that cannot make a run (ValueError naming the setting, what it needs and what it got)."""
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; choose one of {', '.join(LOSSES)}")
    if cfg.n_critic < 1 or cfg.steps < 0 or cfg.batch_size < 2:
        raise ValueError(f"need n_critic ≥ 1, steps ≥ 0 and batch_size ≥ 2, got {cfg.n_critic}, {cfg.steps}, "
                         f"{cfg.batch_size}")
    if cfg.label_smoothing and cfg.loss not in PROBABILITY_LOSSES:
        raise ValueError(f"label smoothing applies to the minimax and nonsaturating losses, not {cfg.loss!r}")
    if cfg.optimizer not in ("adam", "rmsprop"):
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose adam or rmsprop")
    for name in ("log_every", "sample_every", "checkpoint_every", "width", "nz"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.eval_samples < 0:
        raise ValueError(f"eval_samples must be 0 (no metrics) or positive, got {cfg.eval_samples}")
