"""GANs: losses, models, the training step, and the run around it.

Layout, in the order a student reads it (each module imports only those before it):

    losses.py    every loss pair, from its formula (LOSSES: the --loss choices), GP, R1, feature matching
    models/      the networks, one family per file (mlp, dcgan, conditional; blocks: shared layers) and
                 build_models, which makes a family's (G, D) pair for a data set
    config.py    TrainConfig and default_config: the papers' settings, per data set and loss
    step.py      the training step of the basic game, with the paper's algorithm box: k critic steps,
                 penalties, the generator step, EMA. It knows nothing of files or logs.
    sources.py   what a step draws from: real minibatches and noise, each with its own random state
    sampling.py  generate_samples: noise through a trained generator
    families.py  the registry: --model NAME → Family(build, step, sample); load_generator
    run.py       Trainer: the run folder, resume, Ctrl-C, NaN guard, history, metrics, warnings
    train.py     the earlier import path of the trainer's names

Adding a model family (pix2pix, CycleGAN, ProGAN, unrolled, DP, ...): put its networks in
``models/<family>.py``; if its objective is not the basic game, write its step as a function with the
signature of ``step.train_step`` — ``(G, D, opt_G, opt_D, batches, noise, config, t, G_ema)`` → a dict of
0-d device arrays — in a file of its own; then ``families.register_family("name", Family(build, step,
sample, conditional, stats))``. The run, the CLI's ``--model`` choices, checkpoints and resume pick it up
with no change; ``Family.stats`` names the step's statistics (the history.csv columns).
"""

from . import losses
from .config import TrainConfig, default_config
from .families import FAMILIES, Family, get_family, load_generator, register_family
from .run import Trainer, TrainingDiverged, TrainingWarning
from .sampling import generate_samples
from .step import train_step

__all__ = [
    "FAMILIES", "Family", "TrainConfig", "Trainer", "TrainingDiverged", "TrainingWarning", "default_config",
    "generate_samples", "get_family", "load_generator", "losses", "register_family", "train_step",
]
