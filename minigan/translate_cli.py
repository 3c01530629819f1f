"""``minigan translate`` and the image-to-image side of ``minigan eval`` (they need both gan and metrics).

    minigan translate --checkpoint runs/pix2pix-edges2mnist/checkpoint.npz --input edges.npy --out digits.npy
    minigan translate --checkpoint runs/cyclegan-digits2mnist-lsgan/checkpoint.npz --input m.npy --out d.npy \\
        --direction b2a
    minigan eval --checkpoint runs/pix2pix-edges2mnist/checkpoint.npz    # the task's metrics on its test split

``eval`` of a checkpoint whose model is not an image-to-image family, and ``eval --samples``, are
``minigan.metrics.cli``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

__all__ = ["main_eval", "main_translate", "translation_checkpoint"]


def translation_checkpoint(path: str):
    """(G, config, family) when ``path`` is a checkpoint of an image-to-image family, else None."""
    from . import io
    from .gan import TrainConfig, get_family, load_generator

    if not os.path.isfile(path):
        raise ValueError(f"no such checkpoint: {path}")
    state = io.load(path)
    if not isinstance(state, dict) or "config" not in state:
        raise ValueError(f"{path} is not a minigan training checkpoint (no config inside)")
    family = get_family(TrainConfig.from_json(state["config"]).model)
    if family.evaluate is None:
        return None
    G, config, _ = load_generator(path)
    return G, config, family


def main_translate(argv: list[str] | None = None) -> int:
    """Entry point of ``minigan translate``; 0 ok, 2 bad input (one line, no traceback)."""
    from . import io
    from .data import load_dataset
    from .gan.translation import check_inputs, translate

    parser = argparse.ArgumentParser(prog="minigan translate",
                                     description="Apply a trained image-to-image generator to images.")
    parser.add_argument("--checkpoint", required=True, help="checkpoint.npz of a pix2pix, srgan or cyclegan run")
    parser.add_argument("--input", required=True, help="an (N, 1, H, W) .npy array in [-1, 1]")
    parser.add_argument("--out", required=True, help="where to write the translated .npy array")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                        help="a2b (input domain to output domain, default) or b2a (CycleGAN only)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        found = translation_checkpoint(args.checkpoint)
        if found is None:
            raise ValueError(f"{args.checkpoint} holds no image-to-image model (pix2pix, srgan, cyclegan)")
        G, config, _ = found
        if args.direction not in G.directions:
            raise ValueError(f"{config.model} translates {' and '.join(G.directions)} only, not {args.direction}")
        x = io.load_array(args.input)
        task = load_dataset(config.data, split="test")
        shape = task.shape_a if args.direction == "a2b" else task.shape
        x = check_inputs(x, shape, f"--input {args.input} ({config.model} {args.direction})")
        y = translate(G, x, args.direction)
    except ValueError as err:
        print(f"minigan translate: error: {err}", file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.save(args.out, y)
    print(f"translated {len(x)} images {tuple(x.shape[1:])} → {tuple(y.shape[1:])} ({args.direction}); "
          f"wrote {args.out}")
    return 0


def main_eval(argv: list[str] | None = None) -> int:
    """Entry point of ``minigan eval``: a translation checkpoint's task metrics, else ``metrics.cli``'s."""
    from .metrics.cli import main_eval as image_eval

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="minigan eval", add_help=False)
    parser.add_argument("--checkpoint")
    parser.add_argument("--json")
    known, _ = parser.parse_known_args(argv)
    if known.checkpoint is None:
        return image_eval(argv)
    try:
        found = translation_checkpoint(known.checkpoint)
        if found is None:
            return image_eval(argv)
        G, config, family = found
        from .data import load_dataset

        result = family.evaluate(G, load_dataset(config.data), config)
    except ValueError as err:
        print(f"minigan eval: error: {err}", file=sys.stderr)
        return 2
    print(f"{config.model} on {config.data}, {known.checkpoint} (test split):")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"  {key:<{width}}  {value:.4f}" if isinstance(value, float) else f"  {key:<{width}}  {value}")
    if known.json:
        os.makedirs(os.path.dirname(os.path.abspath(known.json)), exist_ok=True)
        with open(known.json, "w") as f:
            json.dump({"checkpoint": known.checkpoint, **result}, f, indent=2)
            f.write("\n")
    return 0
