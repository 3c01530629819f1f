"""The ``minigan`` command line (also ``python -m minigan``).

    minigan train                                   # a DCGAN on the bundled 16×16 digits → runs/dcgan
    minigan train --model mlp --loss wgan-gp --data ring8 --seed 1
    minigan train --out runs/dcgan --resume --steps 4000
    minigan sample --checkpoint runs/dcgan/checkpoint.npz --n 1000 --out samples.npy
    minigan lesson | check | eval ...               # provided by the lessons, grading and metrics
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import time

import numpy as np

# Commands that live in other parts of minigan: name → (module, function, help). Each function takes the
# remaining command-line arguments (a list of str) and returns an exit status.
HOOKS = {
    "lesson": ("minigan.lessons_cli", "main_lesson", "list and run the step-by-step lessons"),
    "check": ("minigan.grading.cli", "main_check", "check a student's implementation against the reference"),
    "eval": ("minigan.metrics.cli", "main_eval", "compute sample-quality metrics of a checkpoint or saved samples"),
}

FILE_NOTES = {
    "config.json": "the settings of the run",
    "checkpoint.npz": "G, D, optimizers and random state (minigan sample / --resume)",
    "history.csv": "losses, D outputs and gradient norms over training",
    "samples.png": "samples from fixed noise",
    "losses.png": "loss curves",
    "metrics.json": "sample-quality metrics",
}


class CommandError(Exception):
    """A problem with the user's request: printed as ``minigan: error: ...`` with exit status 2."""


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    from .data import dataset_names
    from .gan.families import FAMILIES
    from .gan.losses import LOSSES

    parser = argparse.ArgumentParser(prog="minigan", description="A from-scratch NumPy engine for teaching GANs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = sub.add_parser(
        "train", help="train a GAN (with no options: a DCGAN on the bundled digits)",
        description="Train a GAN. Every option has a default chosen for the data (see "
                    "minigan.gan.default_config); the run's files go to --out.")
    train.add_argument("--model", choices=tuple(FAMILIES), help="default: dcgan for images, mlp for toy data")
    train.add_argument("--loss", choices=LOSSES,
                       help="default: the model's own (hinge for sagan, ...), else nonsaturating")
    train.add_argument("--data", help=f"one of {', '.join(dataset_names())} (default: digits16)")
    train.add_argument("--steps", type=int, help="generator updates")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr-g", type=float, help="generator learning rate")
    train.add_argument("--lr-d", type=float, help="discriminator learning rate")
    train.add_argument("--n-critic", type=int, help="discriminator updates per generator update")
    train.add_argument("--width", type=int, help="DCGAN base channels or MLP hidden units")
    train.add_argument("--nz", type=int, help="noise size")
    train.add_argument("--instance-noise", type=float,
                       help="std of the Gaussian noise added to everything D sees (default: 0.3 for images, 0 else)")
    train.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, help="spectral norm in D")
    train.add_argument("--minibatch-std", action=argparse.BooleanOptionalAction, help="a minibatch-stddev layer in D")
    train.add_argument("--ema", action=argparse.BooleanOptionalAction,
                       help="keep an exponential moving average of G's weights and sample from it")
    train.add_argument("--lr-decay", action=argparse.BooleanOptionalAction,
                       help="decay the learning rates linearly to 0 over the steps")
    train.add_argument("--seed", type=int, help="default: 0")
    train.add_argument("--device", choices=("cpu", "cuda"), help="default: cpu")
    train.add_argument("--out", help="run directory (default: runs/<model>-<data>..., runs/dcgan for the default)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    train.add_argument("--sample-every", type=int, help="write samples.png every N steps")
    train.add_argument("--checkpoint-every", type=int, help="write checkpoint.npz every N steps")
    train.add_argument("--log-every", type=int, help="add a row to history.csv every N steps")
    train.add_argument("--eval-samples", type=int, help="samples behind metrics.json (default 2000; 0: none)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = sub.add_parser("sample", help="draw samples from a trained generator",
                            description="Draw samples from the generator in a checkpoint (its EMA weights if kept).")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.npz written by minigan train")
    sample.add_argument("--n", type=int, default=1000, help="number of samples (default 1000)")
    sample.add_argument("--out", default="samples.npy", help=".npy array (default) or .png picture")
    sample.add_argument("--labels", help="class labels for a cgan: one (3) or a comma list (0,1,2) repeated")
    sample.add_argument("--truncation", type=float,
                        help="the truncation trick: the resampling threshold t of |z| for biggan, ψ for stylegan")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")

    for name, (_, _, text) in HOOKS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


# ----------------------------------------------------------------------------- train


def _default_out(config) -> str:
    """runs/dcgan for the default run; otherwise runs/<model>[-<data>][-<loss>][-seed<S>]."""
    name = config.model
    if config.data != "digits16":
        name += "-" + config.data.split(":")[0]
    if config.loss != "nonsaturating":
        name += "-" + config.loss
    if config.seed != 0:
        name += f"-seed{config.seed}"
    return os.path.join("runs", name)


_TRAIN_SETTINGS = ("model", "loss", "data", "batch_size", "lr_g", "lr_d", "n_critic", "width", "nz", "seed",
                   "instance_noise", "spectral_norm", "minibatch_std", "ema", "lr_decay")
_RESUME_SETTINGS = ("steps", "device", "sample_every", "checkpoint_every", "log_every", "eval_samples")


def _train(args) -> int:
    from .gan import Trainer, TrainingDiverged, default_config

    given = {k: getattr(args, k) for k in _TRAIN_SETTINGS + _RESUME_SETTINGS if getattr(args, k) is not None}
    config = default_config(**{"data": "digits16", **given})  # the loss: the model's own, else nonsaturating
    out = args.out or _default_out(config)
    progress = not args.quiet
    if args.resume:
        saved = os.path.join(out, "config.json")
        if os.path.exists(saved):
            with open(saved) as f:
                before = json.load(f)
            changed = [f"--{k.replace('_', '-')} {given[k]} (the run has {before.get(k)})"
                       for k in _TRAIN_SETTINGS if k in given and given[k] != before.get(k)]
            if changed:
                raise CommandError(f"--resume continues the run in {out} with its own settings; these differ: "
                                   f"{'; '.join(changed)}. Drop them, or start a new run with another --out")
        trainer = Trainer.resume(out, progress=progress, **{k: given.get(k) for k in _RESUME_SETTINGS})
        print(f"resuming {out} at step {trainer.step} of {trainer.config.steps}")
        if trainer.step >= trainer.config.steps:
            print(f"the run is already finished; pass --steps N (more than {trainer.step}) to train longer")
    else:
        trainer = Trainer.from_config(config, out_dir=out, progress=progress)
        print(f"training {config.model} ({config.loss} loss) on {config.data} for {config.steps} steps → {out}")
    start = time.perf_counter()
    try:
        trainer.fit()
    except KeyboardInterrupt:
        path = os.path.join(out, "checkpoint.npz")
        saved = f"the checkpoint in {path} holds step {_step_of(path)}" if os.path.exists(path) else "no checkpoint"
        print(f"\ninterrupted at step {trainer.step}; {saved}.\nContinue with: minigan train --out {out} --resume",
              file=sys.stderr)
        return 130
    except TrainingDiverged as err:
        print(f"minigan: error: {err}", file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - start:.1f} s. Files in {out}:")
    for name, note in FILE_NOTES.items():
        if os.path.exists(os.path.join(out, name)):
            print(f"  {name:<15} {note}")
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = {k: v for k, v in json.load(f).items() if k not in ("warnings", "samples")}
    print("metrics:", json.dumps(metrics))
    for message in trainer.warnings:
        print("warning:", message)
    return 0


def _step_of(checkpoint: str) -> int:
    from . import io

    return int(io.load(checkpoint)["step"])


# ----------------------------------------------------------------------------- sample


def _parse_labels(text: str | None, n: int):
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise CommandError(f"--labels takes integers like 3 or 0,1,2; got {text!r}") from err
    return np.resize(np.array(values, dtype=np.int64), n)


def _sample(args) -> int:
    from . import viz
    from .gan import get_family, load_generator

    if args.n < 1:
        raise CommandError(f"--n must be positive, got {args.n}")
    G, config, dataset = load_generator(args.checkpoint, use_ema=not args.no_ema)
    family = get_family(config.model)
    num_classes = dataset.num_classes if family.conditional else None
    extra = {}
    if args.truncation is not None:  # only families whose sampler has a truncation trick take it
        if "truncation" not in inspect.signature(family.sample).parameters:
            raise CommandError(f"--truncation applies to models with a truncation trick (biggan, stylegan), "
                               f"not {config.model}")
        extra["truncation"] = args.truncation
    x = family.sample(G, args.n, np.random.default_rng(args.seed), num_classes=num_classes,
                      labels=_parse_labels(args.labels, args.n), **extra)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.out.endswith(".png"):
        viz.plot_samples(x, dataset, args.out, title=f"{args.n} samples from {args.checkpoint}")
    else:
        np.save(args.out, x)
    print(f"wrote {args.n} samples of shape {tuple(x.shape[1:])} to {args.out}")
    return 0


# ----------------------------------------------------------------------------- hooks and main


def _run_hook(name: str, argv: list[str]) -> int:
    """Hand ``argv`` to the function another part of minigan provides for ``name``."""
    module_name, function, _ = HOOKS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name is None or not module_name.startswith(err.name):
            raise
        module = None
    if module is None or not hasattr(module, function):
        print(f"minigan {name}: not available in this installation ({module_name}.{function} is missing)",
              file=sys.stderr)
        return 2
    return int(getattr(module, function)(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in HOOKS:  # their own parsers read the rest, --help included
        return _run_hook(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _train(args) if args.command == "train" else _sample(args)
    except (CommandError, ValueError, FileExistsError, FileNotFoundError, RuntimeError) as err:
        print(f"minigan: error: {err}", file=sys.stderr)
        return 2
