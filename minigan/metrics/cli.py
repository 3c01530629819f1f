"""``minigan eval``: digit-feature metrics of generated images, printed as a table and optionally saved as JSON.

    minigan eval --checkpoint runs/dcgan/checkpoint.npz [--n 2000] [--seed 0] [--json metrics.json]
    minigan eval --samples samples.npy [--data digits16] [--json metrics.json]

With ``--checkpoint`` the generator (its EMA copy when the run kept one) draws ``--n`` samples and
the real data is the run's own data spec. With ``--samples`` (an (N, 1, H, W) ``.npy`` array in
[-1, 1]) the data spec defaults to the bundled digits at the samples' size.
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
    parser.add_argument("--n", type=int, default=2000, help="samples to draw from a checkpoint (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise and the metric subsets")
    parser.add_argument("--kid-subsets", type=int, default=100, help="random subsets KID averages (default 100)")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the metrics as JSON")
    return parser


def samples_from_checkpoint(path: str, n: int, seed: int) -> tuple[np.ndarray, str]:
    """``n`` generated images from the checkpoint's generator and the run's data spec."""
    from ..gan.models import ConditionalGenerator
    from ..gan.train import generate_samples, load_generator

    G, config, dataset = load_generator(path)
    conditional = isinstance(G, ConditionalGenerator)
    rng = np.random.default_rng(seed)
    samples = generate_samples(G, n, rng, num_classes=dataset.num_classes if conditional else None)
    return samples, config.data


def load_samples(path: str) -> np.ndarray:
    """An .npy array of images (no pickle); a clear error when the file is missing or not an array file."""
    if not os.path.isfile(path):
        raise ValueError(f"no such samples file: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: not a NumPy .npy array file ({type(err).__name__}: {err})") from err


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
    from .domain import image_metrics

    try:
        if args.checkpoint is not None:
            if args.n < 4:
                raise ValueError(f"--n must be at least 4, got {args.n}")
            samples, run_data = samples_from_checkpoint(args.checkpoint, args.n, args.seed)
            data = args.data or run_data
            source = f"{args.checkpoint} ({len(samples)} samples, seed {args.seed})"
        else:
            samples = load_samples(args.samples)
            size = samples.shape[-1] if samples.ndim == 4 else None
            data = args.data or SIZE_TO_SPEC.get(size)
            if data is None:
                raise ValueError(f"{args.samples}: cannot infer the data from samples of shape {samples.shape}; "
                                 "expected (N, 1, H, W) with H = W in 8, 16, 28, 32, or pass --data")
            source = f"{args.samples} ({len(samples)} samples)"
        result = image_metrics(samples, data, seed=args.seed, kid_subsets=args.kid_subsets)
    except ValueError as err:
        print(f"minigan eval: error: {err}", file=sys.stderr)
        return 2
    print(f"metrics of {source} against {data}")
    print(format_table(result))
    if args.json:
        directory = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(directory, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"source": source, "data": data, **result}, f, indent=2)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main_eval())
