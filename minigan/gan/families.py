"""The model families the trainer knows: ``--model NAME`` → how to build the networks, step and sample.

A family is three functions (see :class:`Family`): ``build`` makes the (generator, discriminator) pair for a
config and a data set, ``step`` is one training step of its objective, ``sample`` draws from its generator.
The run (``minigan.gan.run``) looks the family up by ``config.model`` and never asks what is inside, so a
new family — its models in ``minigan/gan/models/<family>.py``, its step in a file of its own when its
objective differs from the basic game, its settings as fields of ``TrainConfig`` with the paper's
defaults in ``config.py`` — plugs in with one :func:`register_family` call:

    register_family("unrolled", Family(build=build_basic_models, step=unrolled_step, sample=generate_samples))

The families minigan ships are registered at the end of this module (so ``--model`` lists them); the basic
game (``minigan.gan.step.train_step``) is the step of the first three: mlp, dcgan, cgan. A family of a
user's own can be registered from anywhere before the run is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .. import io
from ..data import Dataset, load_dataset
from . import dp, unrolled
from .augment import check_policy
from .config import TrainConfig
from .models import biggan, build_models, progan, sagan, stylegan
from .sampling import generate_samples
from .step import STATS, train_step

__all__ = ["FAMILIES", "Family", "build_basic_models", "check_basic_options", "get_family", "load_generator",
           "register_family"]


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family: what the run needs to train it and to sample from it.

    build(config, dataset) → (G, D): freshly initialised networks (``config.seed`` is already set).
    step(G, D, opt_G, opt_D, batches, noise, config, t, G_ema) → {name: 0-d device array} for ``stats``;
        ``batches`` yields real ``(x, labels)``, ``noise(n)`` gives ``(z, labels)`` (see ``gan.sources``).
    sample(G, n, rng, num_classes=None, labels=None) → an (n, ...) NumPy array of samples.
    conditional: G and D take class labels (the data set's) beside their input.
    stats: the names of the step's statistics, the columns of history.csv between step and time.
    For data that is not one array of images (the image-to-image families), three optional hooks:
    batches(dataset, batch_size, rng, device) → what the step draws from instead of the real minibatches (an
        iterator with a checkpointable ``loader`` and ``restart()``, as ``gan.sources.RealBatches``);
    grid(G, dataset, path, title) → writes samples.png instead of the fixed-noise grid;
    evaluate(G, dataset, config) → the metrics of metrics.json instead of the sample-quality metrics.
    basic_options: the step applies the basic game's instance noise and label smoothing (as
        ``gan.step.train_step`` does); False for a step with an objective of its own, and the run then refuses
        those settings rather than ignore them (:func:`check_basic_options`).
    augments: the step shows D its images through ``config.augment``'s transformations (``gan.augment``);
        the run refuses ``--augment`` for the others.
    mode_seeking: the step adds ``config.mode_seeking`` times the mode-seeking term to G's loss; the run
        refuses ``--mode-seeking`` for the others.
    """

    build: Callable[[TrainConfig, Dataset], tuple[Any, Any]]
    step: Callable[..., dict[str, Any]]
    sample: Callable[..., Any]
    conditional: bool = False
    stats: tuple[str, ...] = STATS
    batches: Callable[..., Any] | None = None
    grid: Callable[..., str] | None = None
    evaluate: Callable[..., dict[str, Any]] | None = None
    basic_options: bool = True
    augments: bool = False
    mode_seeking: bool = False


def check_basic_options(family: Family, config: TrainConfig) -> None:
    """ValueError for instance noise, label smoothing, the mode-seeking term or augmentation asked of a family
    whose step would ignore them, and for an unknown augmentation."""
    if not family.basic_options and (config.instance_noise or config.label_smoothing):
        raise ValueError(f"--model {config.model} trains with its own step, which adds no instance noise and smooths "
                         f"no labels: leave --instance-noise and label smoothing at 0 (got {config.instance_noise}, "
                         f"{config.label_smoothing})")
    if config.mode_seeking and not family.mode_seeking:
        raise ValueError(f"--mode-seeking {config.mode_seeking}: --model {config.model} has no mode-seeking term "
                         "(biggan has)")
    if check_policy(config.augment) and not family.augments:  # (--dp refuses it too: dp.check_config)
        raise ValueError(f"--augment {config.augment}: --model {config.model} does not augment what its "
                         "discriminator sees (the image families do: dcgan, cgan, sagan, biggan, progan, stylegan)")


def build_basic_models(config: TrainConfig, dataset: Dataset):
    """The (G, D) pair of ``minigan.gan.models.build_models`` for the model, loss and sizes in ``config``."""
    unrolled.check_config(config)  # the step variants refuse the settings they do not support
    dp.check_config(config)
    norm = dp.discriminator_norm(config.model, config.d_norm) if config.dp else config.d_norm
    return build_models(config.model, dataset, config.loss, nz=config.nz, width=config.width, depth=config.depth,
                        norm=norm, spectral_norm=config.spectral_norm, minibatch_std=config.minibatch_std)


def basic_family_step(G, D, opt_G, opt_D, batches, noise, config: TrainConfig, t: int, G_ema=None):
    """The step of the basic families: the basic game, or its unrolled (``--unrolled-steps``) or
    differentially private (``--dp``) variant."""
    step = unrolled.train_step if config.unrolled_steps else dp.train_step if config.dp else train_step
    return step(G, D, opt_G, opt_D, batches, noise, config, t, G_ema)


FAMILIES: dict[str, Family] = {}


def register_family(name: str, family: Family) -> None:
    """Make ``family`` trainable as ``--model name`` (ValueError if the name is taken)."""
    if not isinstance(family, Family):
        raise TypeError(f"register_family: expected a Family, got {type(family).__name__}")
    if name in FAMILIES:
        raise ValueError(f"register_family: a model family named {name!r} exists already")
    FAMILIES[name] = family


def get_family(name: str) -> Family:
    """The family registered as ``name``; ValueError listing the choices otherwise."""
    if name not in FAMILIES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


register_family("mlp", Family(build=build_basic_models, step=basic_family_step, sample=generate_samples))
register_family("dcgan", Family(build=build_basic_models, step=basic_family_step, sample=generate_samples,
                                augments=True))
register_family("cgan", Family(build=build_basic_models, step=basic_family_step, sample=generate_samples,
                               conditional=True, augments=True))
register_family("sagan", Family(build=sagan.build_sagan, step=sagan.sagan_step, sample=sagan.sample_sagan,
                                stats=sagan.SAGAN_STATS, augments=True))
register_family("biggan", Family(build=biggan.build_biggan, step=biggan.biggan_step, sample=biggan.sample_biggan,
                                 conditional=True, stats=biggan.BIGGAN_STATS, basic_options=False, augments=True,
                                 mode_seeking=True))
register_family("progan", Family(build=progan.build_progan, step=progan.progan_step, sample=progan.sample_progan,
                                 stats=progan.PROGAN_STATS, basic_options=False, augments=True))
register_family("stylegan", Family(build=stylegan.build_stylegan, step=stylegan.stylegan_step,
                                   sample=stylegan.sample_stylegan, stats=stylegan.STYLEGAN_STATS, basic_options=False,
                                   augments=True))
from .models import cyclegan, pix2pix, srgan  # noqa: E402  (the image-to-image families build on the pieces above)
from .translation import (  # noqa: E402
    TranslationBatches,
    cycle_metrics,
    paired_metrics,
    save_translation_grid,
    super_resolution_metrics,
    translation_sample,
)

register_family("pix2pix", Family(build=pix2pix.build_pix2pix, step=pix2pix.pix2pix_step, sample=translation_sample,
                                  stats=pix2pix.PIX2PIX_STATS, batches=TranslationBatches,
                                  grid=save_translation_grid, evaluate=paired_metrics, basic_options=False))
register_family("srgan", Family(build=srgan.build_srgan, step=srgan.srgan_step, sample=translation_sample,
                                stats=srgan.SRGAN_STATS, batches=TranslationBatches, grid=save_translation_grid,
                                evaluate=super_resolution_metrics, basic_options=False))
register_family("cyclegan", Family(build=cyclegan.build_cyclegan, step=cyclegan.cyclegan_step,
                                   sample=translation_sample, stats=cyclegan.CYCLEGAN_STATS,
                                   batches=TranslationBatches, grid=save_translation_grid, evaluate=cycle_metrics,
                                   basic_options=False))

from .models import wavegan  # noqa: E402

register_family("wavegan", Family(build=wavegan.build_wavegan, step=train_step, sample=generate_samples,
                                  evaluate=wavegan.wavegan_metrics))


def load_generator(path: str, use_ema: bool = True):
    """(G, config, dataset) from a checkpoint file: the EMA weights when the run kept them."""
    state = io.load(path)
    if not isinstance(state, dict) or "config" not in state or "G" not in state:
        raise ValueError(f"{path} is not a minigan training checkpoint (no config / generator inside)")
    config = TrainConfig.from_json(state["config"])
    dataset = load_dataset(config.data)
    G, _ = get_family(config.model).build(config, dataset)
    weights = state["G_ema"] if use_ema and state.get("G_ema") is not None else state["G"]
    try:
        G.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"{path}: the generator weights do not fit the model in its config: {err}") from err
    return G, config, dataset
