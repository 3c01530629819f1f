"""The ``minigan`` command line (also ``python -m minigan``).

    minigan train                                   # a conditional DCGAN on the bundled MNIST → runs/cgan-mnist
    minigan train --model mlp --loss wgan-gp --data ring8 --seed 1
    minigan train --out runs/cgan-mnist --resume --steps 8000
    minigan sample --checkpoint runs/cgan-mnist/checkpoint.npz --n 1000 --labels 7 --out sevens.npy
    minigan lesson | check | eval ...               # provided by the lessons, grading and metrics
"""

from __future__ import annotations

import argparse
import codecs
import importlib
import inspect
import json
import math
import os
import sys
import time

import numpy as np

from . import run_folder
from .run_folder import CommandError

# Commands that live in other parts of minigan: name → (module, function, help). Each function takes the
# remaining command-line arguments (a list of str) and returns an exit status.
HOOKS = {
    "lesson": ("minigan.lessons_cli", "main_lesson", "list and run the step-by-step lessons"),
    "check": ("minigan.grading.cli", "main_check", "check a student's implementation against the reference"),
    "eval": ("minigan.translate_cli", "main_eval",
             "compute sample-quality metrics (a translation task's metrics) of a checkpoint or saved samples"),
    "translate": ("minigan.translate_cli", "main_translate", "apply a trained image-to-image generator to images"),
    "anomaly": ("minigan.anomaly_cli", "main_anomaly",
                "score images by how anomalous a GAN trained with --exclude-class finds them"),
}

FILE_NOTES = {
    "config.json": "the settings of the run",
    "checkpoint.npz": "G, D, optimizers and random state (minigan sample / --resume)",
    "history.csv": "losses, D outputs and gradient norms over training",
    "samples.png": "samples from fixed noise",
    "losses.png": "loss curves",
    "metrics.json": "sample-quality metrics",
}


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (``minigan train: error: ...``) and exit status 2, no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ----------------------------------------------------------------------------- argument types


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer ≥ {low}"
    return parse


def _float_in(low: float, strict: bool):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"must be a finite number {'>' if strict else '≥'} {low:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


_POSITIVE, _AT_LEAST_2, _COUNT = _int_at_least(1), _int_at_least(2), _int_at_least(0)
_RATE, _NON_NEGATIVE = _float_in(0.0, strict=True), _float_in(0.0, strict=False)


# ----------------------------------------------------------------------------- output the terminal can show

_ASCII = {"→": "->", "←": "<-", "×": "x", "±": "+/-", "≥": ">=", "≤": "<=", "−": "-", "·": "*", "…": "...",
          "σ": "sigma", "λ": "lambda", "β": "beta", "²": "^2", "√": "sqrt", "≈": "~", "–": "-", "—": "-",
          "‖": "||", "∇": "grad", "θ": "theta", "ε": "eps", "µ": "u", "█": "#", "▏": "|"}


def _ascii_fallback(err: UnicodeError):
    """An encode-error handler: a character the stream's encoding lacks becomes its ASCII spelling, or '?'."""
    text = err.object[err.start:err.end]
    return "".join(_ASCII.get(c, "?") for c in text), err.end


codecs.register_error("minigan-ascii", _ascii_fallback)


def _printable_streams() -> None:
    """Let stdout / stderr print every message in any encoding (cp1252 on Windows, ASCII in a bare shell):
    characters the encoding cannot show are spelled in ASCII instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and stream.errors == "strict":
            try:
                stream.reconfigure(errors="minigan-ascii")
            except (ValueError, OSError):  # a closed or detached stream
                pass


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    from .data import dataset_names
    from .gan.families import FAMILIES
    from .gan.losses import LOSSES

    parser = _Parser(prog="minigan", description="A from-scratch NumPy engine for teaching GANs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = sub.add_parser(
        "train", help="train a GAN (with no options: a conditional DCGAN on the bundled MNIST digits)",
        description="Train a GAN. Every option has a default chosen for the data (see "
                    "minigan.gan.default_config); the run's files go to --out.")
    train.add_argument("--model", choices=tuple(FAMILIES), help="default: dcgan for images, mlp for toy data")
    train.add_argument("--loss", choices=LOSSES,
                       help="default: the model's own (hinge for sagan, lsgan for cyclegan, ...), else nonsaturating")
    train.add_argument("--data", help=f"one of {', '.join(dataset_names())} (default: mnist; "
                       "with no --model either, the main job: --model cgan --data mnist)")
    train.add_argument("--steps", type=_POSITIVE, help="generator updates")
    train.add_argument("--batch-size", type=_AT_LEAST_2)
    train.add_argument("--lr-g", type=_RATE, help="generator learning rate")
    train.add_argument("--lr-d", type=_RATE, help="discriminator learning rate")
    train.add_argument("--n-critic", type=_POSITIVE, help="discriminator updates per generator update")
    train.add_argument("--width", type=_POSITIVE, help="DCGAN base channels or MLP hidden units")
    train.add_argument("--nz", type=_POSITIVE, help="noise size")
    train.add_argument("--instance-noise", type=_NON_NEGATIVE,
                       help="std of the Gaussian noise added to everything D sees (default: 0.3 for images, 0 else)")
    train.add_argument("--augment", metavar="POLICY",
                       help="differentiable augmentation of every image D sees (DiffAugment): comma-separated "
                            "translation, cutout, brightness, contrast")
    train.add_argument("--mode-seeking", type=_NON_NEGATIVE, metavar="λ",
                       help="biggan: weight of the mode-seeking term in G's loss (0 = off)")
    train.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, help="spectral norm in D")
    train.add_argument("--minibatch-std", action=argparse.BooleanOptionalAction, help="a minibatch-stddev layer in D")
    train.add_argument("--ema", action=argparse.BooleanOptionalAction,
                       help="keep an exponential moving average of G's weights and sample from it")
    train.add_argument("--lr-decay", action=argparse.BooleanOptionalAction,
                       help="decay the learning rates linearly to 0 over the steps")
    train.add_argument("--unrolled-steps", type=_COUNT, metavar="K",
                       help="unrolled GAN (mlp models): G's loss against D unrolled K optimizer steps ahead")
    train.add_argument("--d-norm", choices=("batch", "layer", "none"),
                       help="D's normalisation (default: batch for dcgan, layer with --dp or wgan-gp, none for mlp)")
    train.add_argument("--dp", action="store_true", default=None,
                       help="differentially private D (DP-SGD): Poisson batches, per-example clipping, Gaussian noise")
    train.add_argument("--noise-multiplier", type=float, metavar="SIGMA", help="--dp noise σ (default 1.0)")
    train.add_argument("--max-grad-norm", type=float, metavar="C", help="--dp per-example clipping norm (default 1.0)")
    train.add_argument("--delta", type=float, help="--dp δ of the (ε, δ) guarantee (default 1e-5)")
    train.add_argument("--target-epsilon", type=float, metavar="EPS",
                       help="--dp: solve σ so that the run ends at this ε (instead of --noise-multiplier)")
    train.add_argument("--exclude-class", type=_COUNT, metavar="K",
                       help="leave class K out of the training data (for minigan anomaly); labelled data only")
    train.add_argument("--seed", type=_COUNT, help="default: 0")
    train.add_argument("--device", choices=("cpu", "cuda"),
                       help="default: cuda under MINIGAN_BACKEND=cupy, else cpu")
    train.add_argument("--out", help="run directory (default: runs/<model>-<data>...)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    train.add_argument("--sample-every", type=_POSITIVE, help="write samples.png every N steps")
    train.add_argument("--checkpoint-every", type=_POSITIVE, help="write checkpoint.npz every N steps")
    train.add_argument("--log-every", type=_POSITIVE, help="add a row to history.csv every N steps")
    train.add_argument("--eval-samples", type=_COUNT, help="samples behind metrics.json (default 2000; 0: none)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = sub.add_parser("sample", help="draw samples from a trained generator",
                            description="Draw samples from the generator in a checkpoint (its EMA weights if kept).")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.npz written by minigan train")
    sample.add_argument("--n", type=_POSITIVE, default=1000, help="number of samples (default 1000)")
    sample.add_argument("--out", default="samples.npy", help=".npy array (default) or .png picture")
    sample.add_argument("--labels", help="class labels for a cgan: one (3) or a comma list (0,1,2) repeated")
    sample.add_argument("--truncation", type=float,
                        help="the truncation trick: the resampling threshold t of |z| for biggan, ψ for stylegan")
    sample.add_argument("--seed", type=_COUNT, default=0)
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")

    for name, (_, _, text) in HOOKS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


# ----------------------------------------------------------------------------- train


def _train(args, program: bool) -> int:
    from .gan import Trainer, TrainingDiverged, default_config

    settings = run_folder.TRAIN_SETTINGS + run_folder.RESUME_SETTINGS
    given = {k: getattr(args, k) for k in settings if getattr(args, k) is not None}
    config = default_config(**given)  # no --model and --data: the main job; loss: the family's default
    if 0 < config.eval_samples < 4:
        raise CommandError(f"--eval-samples must be 0 (no metrics) or at least 4, got {config.eval_samples}")
    out = args.out or run_folder.default_out(config)
    progress = not args.quiet
    if args.resume:
        run_folder.check_resume(out, given)
        trainer = Trainer.resume(out, progress=progress, **{k: given.get(k) for k in run_folder.RESUME_SETTINGS})
        print(f"resuming {out} at step {trainer.step} of {trainer.config.steps}")
    else:
        if args.target_epsilon is not None and args.noise_multiplier is not None:
            raise CommandError("give --noise-multiplier or --target-epsilon, not both")
        dp_flags = [f"--{k.replace('_', '-')}" for k in ("noise_multiplier", "max_grad_norm", "delta", "target_epsilon")
                    if getattr(args, k) is not None]
        if dp_flags and not config.dp:
            raise CommandError(f"{', '.join(dp_flags)} {'applies' if len(dp_flags) == 1 else 'apply'} only with --dp")
        created = not os.path.exists(out)
        run_folder.prepare_out(out)
        run_folder.clear_unfinished_start(out)
        try:
            trainer = Trainer.from_config(config, out_dir=out, progress=progress)
        except Exception:
            if created and not os.listdir(out):
                os.rmdir(out)  # a refused run leaves no empty folder behind
            raise
        print(f"training {config.model} ({config.loss} loss) on {config.data} for {config.steps} steps → {out}")
        if config.dp:
            swapped = config.d_norm is None and config.model == "dcgan"
            norm = "layer norm (per example) instead of batch norm" if swapped else f"norm {config.d_norm or 'none'}"
            print(f"DP-SGD on D: σ = {trainer.config.noise_multiplier:.4g}, C = {config.max_grad_norm}, "
                  f"q = {trainer.accountant.sample_rate:.4g}, δ = {config.delta}; D uses {norm}")
    start = time.perf_counter()
    try:
        trainer.fit()  # with the BLAS thread policy of minigan.threads
    except KeyboardInterrupt:
        path = os.path.join(out, "checkpoint.npz")
        saved = (f"the checkpoint in {path} holds step {run_folder.step_of(path)}" if os.path.exists(path)
                 else "no checkpoint")
        print(f"\ninterrupted at step {trainer.step}; {saved}.\nContinue with: minigan train --out {out} --resume",
              file=sys.stderr)
        if not program:  # a caller of main() (a test, a notebook) gets the interrupt itself
            raise
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


# ----------------------------------------------------------------------------- sample

SAMPLE_FORMATS = (".npy", ".png")


def _parse_labels(text: str | None, n: int):
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise CommandError(f"--labels takes integers like 3 or 0,1,2; got {text!r}") from err
    if not values:
        raise CommandError(f"--labels takes integers like 3 or 0,1,2; got {text!r}")
    return np.resize(np.array(values, dtype=np.int64), n)


def _available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux's MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _sample(args) -> int:
    from . import viz
    from .gan import get_family, load_generator

    extension = os.path.splitext(args.out)[1].lower()
    if extension not in SAMPLE_FORMATS:
        raise CommandError(f"--out {args.out}: write a .npy array or a .png picture (got {extension or 'no'} "
                           "extension)")
    if os.path.isdir(args.out):
        raise CommandError(f"--out {args.out} is a directory; name the file to write")
    G, config, dataset = load_generator(args.checkpoint, use_ema=not args.no_ema)
    shape = tuple(dataset.data.shape[1:])
    need = 2 * args.n * int(np.prod(shape)) * 4  # the float32 batches and their concatenation
    free = _available_memory()
    if free is not None and need > free:
        raise CommandError(f"--n {args.n} samples of shape {shape} need about {need / 2**30:.1f} GiB of memory; "
                           f"{free / 2**30:.1f} GiB is available. Draw fewer (or several files with --seed)")
    labels = _parse_labels(args.labels, args.n)
    family = get_family(config.model)
    num_classes = dataset.num_classes if family.conditional else None
    extra = {}
    if args.truncation is not None:  # only families whose sampler has a truncation trick take it
        if "truncation" not in inspect.signature(family.sample).parameters:
            raise CommandError(f"--truncation applies to models with a truncation trick (biggan, stylegan), "
                               f"not {config.model}")
        extra["truncation"] = args.truncation
    try:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    except OSError as err:
        raise CommandError(f"cannot create the folder of --out {args.out}: {err.strerror or err}") from None
    x = family.sample(G, args.n, np.random.default_rng(args.seed), num_classes=num_classes, labels=labels, **extra)
    if extension == ".png" and dataset.kind == "translation":  # outputs for random test inputs
        viz.save_image_grid(x, args.out, title=f"{args.n} translated test inputs, {args.checkpoint}")
    elif extension == ".png":
        viz.plot_samples(x, dataset, args.out, title=f"{args.n} samples from {args.checkpoint}")
    else:
        with open(args.out, "wb") as f:  # np.save(path) would add ".npy" to any other name
            np.save(f, x)
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
    """Run one command; returns its exit status. ``argv`` None reads ``sys.argv`` (the program itself: a
    Ctrl-C during training then becomes exit status 130; given ``argv``, KeyboardInterrupt reaches the caller)."""
    program = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    _printable_streams()
    if argv and argv[0] in HOOKS:  # their own parsers read the rest, --help included
        return _run_hook(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _train(args, program) if args.command == "train" else _sample(args)
    except (CommandError, ValueError, TypeError, FileExistsError, FileNotFoundError, RuntimeError) as err:
        print(f"minigan: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a disk that is full, a folder that vanished: one line, no traceback
        print(f"minigan: error: {err.strerror or err}"
              f"{f' ({err.filename})' if err.filename else ''}", file=sys.stderr)
        return 2
