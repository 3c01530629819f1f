"""``minigan eval``: sample-quality metrics of a run or of saved samples, printed as a table and optionally as JSON.

    minigan eval --checkpoint runs/dcgan/checkpoint.npz [--n 2000] [--seed 0] [--json metrics.json]
    minigan eval --samples samples.npy [--data digits16] [--json metrics.json]

Images get the digit-feature metrics (FID, KID, IS, precision / recall on minigan's digits CNN); toy
data gets mode coverage (Gaussian mixtures) and, in 1-D, the mean, std and W1 against fresh data.
With ``--checkpoint`` the generator (its EMA copy when the run kept one) draws the samples and the
real data is the run's own data spec. Without ``--n`` / ``--seed`` these are the very samples behind
the run's ``metrics.json`` (its ``eval_samples`` from its own noise), so the numbers agree with it;
other values draw other samples, and the numbers move by their sampling error. With ``--samples``
(an (N, 1, H, W) ``.npy`` array in [-1, 1], or (N, dim) toy points with ``--data``) the data spec
defaults to the bundled digits at the samples' size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np

SIZE_TO_SPEC = {8: "digits", 16: "digits16", 28: "digits28", 32: "digits32"}

ROWS = (  # (label, key(s), format)
    ("FID (digits CNN)", ("fid_digits",), "{:.3f}"),
    ("KID (digits CNN)", ("kid_digits_mean", "kid_digits_std"), "{:.4f} ± {:.4f}"),
    ("inception-style score (digits CNN)", ("is_digits_mean", "is_digits_std"), "{:.3f} ± {:.3f}"),
    ("precision", ("precision",), "{:.3f}"),
    ("recall", ("recall",), "{:.3f}"),
    ("confidently classified (p >= 0.9)", ("confident_fraction",), "{:.1%}"),
    ("the same for the real images", ("confident_fraction_real",), "{:.1%}"),
)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The ``eval`` arguments, added to ``parser`` (e.g. a subparser of ``minigan``) or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="minigan eval", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", metavar="FILE", help="a training checkpoint (checkpoint.npz of a run)")
    source.add_argument("--samples", metavar="FILE", help="generated images: an (N, 1, H, W) .npy array in [-1, 1]")
    parser.add_argument("--data", metavar="SPEC", default=None,
                        help="real data to compare with: digits, digits16, digits28, digits32 or mnist:PATH "
                             "(default: the run's data, or the digits at the samples' size)")
    parser.add_argument("--n", type=int, default=None,
                        help="samples to draw from a checkpoint (default: the run's eval_samples, or 2000)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the noise and the metric subsets (default: the run's own noise, as in "
                             "its metrics.json; 0 for --samples)")
    parser.add_argument("--kid-subsets", type=int, default=100, help="random subsets KID averages (default 100)")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the metrics as JSON")
    return parser


def samples_from_checkpoint(path: str, n: int | None, seed: int | None) -> tuple[np.ndarray, str, str]:
    """Generated samples from the checkpoint's generator, the run's data spec, and where the noise came from.

    ``n`` None: the run's ``eval_samples`` (2000 when it kept none); ``seed`` None: the noise the run's
    own evaluation used (``default_rng([run seed, 4])``), so the metrics match its metrics.json.
    """
    from ..gan import get_family, load_generator

    G, config, dataset = load_generator(path)
    family = get_family(config.model)
    n = n if n is not None else (config.eval_samples or 2000)
    if n < 4:
        raise ValueError(f"--n must be at least 4, got {n}")
    if seed is None:
        rng, noise = np.random.default_rng([config.seed, 4]), "the run's own evaluation noise, as in metrics.json"
    else:
        rng, noise = np.random.default_rng(seed), f"seed {seed}"
    samples = family.sample(G, n, rng, num_classes=dataset.num_classes if family.conditional else None)
    return samples, config.data, noise


_NPY_MAGIC = b"\x93NUMPY"


def load_samples(path: str) -> np.ndarray:
    """An .npy array (no pickle); a clear error when the file is missing or not an .npy file."""
    if not os.path.isfile(path):
        raise ValueError(f"no such samples file: {path}")
    with open(path, "rb") as f:
        head = f.read(len(_NPY_MAGIC))
    if head != _NPY_MAGIC:
        kind = ("a .npz archive (use minigan eval --checkpoint for a checkpoint)" if head.startswith(b"PK")
                else "text" if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "another format")
        raise ValueError(f"{path} is not a NumPy .npy array file: it is {kind}. Save samples with "
                         "minigan sample --out samples.npy or np.save")
    try:
        samples = np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: not a readable .npy array ({type(err).__name__}: {err})") from err
    if samples.dtype.kind not in "fiu":
        raise ValueError(f"{path} holds a {samples.dtype} array; samples must be numbers")
    return samples


def toy_metrics(samples: np.ndarray, spec: str, seed: int = 0) -> dict[str, Any]:
    """What a toy-data run's metrics.json holds: mode coverage (mixtures) and, in 1-D, mean, std and W1
    against as many fresh samples of the data (drawn with ``default_rng([seed, 5])``, as the run does)."""
    from ..data import load_dataset
    from .toy import mode_coverage, wasserstein1d

    dataset = load_dataset(spec)
    toy, result = dataset.distribution, {"num_samples": len(samples), "real_data": spec}
    if toy is not None and toy.centers is not None:
        result["mode_coverage"] = mode_coverage(samples, spec)
    if dataset.kind == "toy1d":
        real = dataset.sample(len(samples), np.random.default_rng([seed, 5]))
        result.update(mean=float(samples.mean()), std=float(samples.std()), data_mean=float(real.mean()),
                      data_std=float(real.std()), w1=wasserstein1d(samples, real))
    return result


def format_toy_table(result: dict[str, Any]) -> str:
    """A two-column table of a :func:`toy_metrics` result."""
    lines = []
    if "mode_coverage" in result:
        m = result["mode_coverage"]
        lines += [("modes covered", f"{m['modes']} of {m['num_modes']}"),
                  ("high-quality samples (within 3 std of a mode)", f"{m['high_quality']:.1%}"),
                  ("KL(mode histogram || uniform)", f"{m['kl']:.3f}")]
    if "w1" in result:
        lines += [("mean (data)", f"{result['mean']:.3f} ({result['data_mean']:.3f})"),
                  ("std (data)", f"{result['std']:.3f} ({result['data_std']:.3f})"),
                  ("Wasserstein-1 to fresh data", f"{result['w1']:.4f}")]
    lines.append(("samples", f"{result['num_samples']} ({result['real_data']})"))
    width = max(len(label) for label, _ in lines)
    rule = "-" * (width + 2 + max(len(value) for _, value in lines))
    return rule + "\n" + "\n".join(f"{label:<{width}}  {value}" for label, value in lines) + "\n" + rule


def format_table(result: dict[str, Any]) -> str:
    """A two-column, human-readable table of an ``image_metrics`` result."""
    lines = [(label, fmt.format(*(result[k] for k in keys))) for label, keys, fmt in ROWS
             if all(k in result for k in keys)]
    if "class_histogram" in result:
        lines.append(("predicted classes 0..9", " ".join(str(c) for c in result["class_histogram"])))
    lines.append(("images", f"{result.get('num_samples')} generated vs {result.get('num_real')} real "
                            f"({result.get('real_data')})"))
    width = max(len(label) for label, _ in lines)
    rule = "-" * (width + 2 + max(len(value) for _, value in lines))
    body = "\n".join(f"{label:<{width}}  {value}" for label, value in lines)
    note = ("features and class probabilities: minigan's digits CNN; "
            "not comparable with Inception-network FID / IS")
    return f"{rule}\n{body}\n{rule}\n{note}"


def main_eval(argv: list[str] | None = None) -> int:
    """Entry point of ``minigan eval``; returns the exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return run_eval(args)


def run_eval(args: argparse.Namespace) -> int:
    """Run ``eval`` from parsed arguments (for a parent parser that already parsed them)."""
    from ..data import TOY_DATASETS
    from .domain import image_metrics

    try:
        if args.kid_subsets < 1:
            raise ValueError(f"--kid-subsets must be at least 1, got {args.kid_subsets}")
        if args.checkpoint is not None:
            samples, run_data, noise = samples_from_checkpoint(args.checkpoint, args.n, args.seed)
            data = args.data or run_data
            source = f"{args.checkpoint} ({len(samples)} samples, {noise})"
        else:
            samples = load_samples(args.samples)
            size = samples.shape[-1] if samples.ndim == 4 else None
            data = args.data or SIZE_TO_SPEC.get(size)
            if data is None:
                raise ValueError(f"{args.samples}: cannot infer the data from samples of shape {samples.shape}; "
                                 "expected (N, 1, H, W) with H = W in 8, 16, 28, 32, or pass --data "
                                 f"(an image spec, or toy data: {', '.join(TOY_DATASETS)})")
            source = f"{args.samples} ({len(samples)} samples)"
        seed = 0 if args.seed is None else args.seed
        if data in TOY_DATASETS:
            run_seed = _run_seed(args.checkpoint) if args.checkpoint and args.seed is None else seed
            result = toy_metrics(samples, data, seed=run_seed)
            table = format_toy_table(result)
        else:
            result = image_metrics(samples, data, seed=seed, kid_subsets=args.kid_subsets)
            table = format_table(result)
    except ValueError as err:
        print(f"minigan eval: error: {err}", file=sys.stderr)
        return 2
    print(f"metrics of {source} against {data}")
    print(table)
    if args.json:
        directory = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(directory, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"source": source, "data": data, **result}, f, indent=2)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


def _run_seed(checkpoint: str) -> int:
    from ..gan import TrainConfig
    from ..io import load

    return TrainConfig.from_json(load(checkpoint)["config"]).seed


if __name__ == "__main__":
    sys.exit(main_eval())
