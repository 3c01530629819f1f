"""``minigan anomaly``: score images with a GAN trained on normal data (``minigan.gan.anomaly``).

    minigan train --data mnist --exclude-class 3 --out runs/no3
    minigan anomaly --checkpoint runs/no3/checkpoint.npz --input x.npy --out scores.npy

Two scores (``minigan.gan.anomaly``), higher = more anomalous, both against the run's own training data
(its excluded class left out):

- ``--method neighbours`` (the default): the mean cosine distance, in D's feature space, from x to its five
  nearest normal training images. Nothing is trained; the training images' features take one pass of D.
- ``--method f-anogan``: the f-AnoGAN residual of x against G(E(x)) plus D's loss for calling x real, each
  standardised on normal data. The encoder E and that calibration are made once per checkpoint and kept
  beside it in ``anomaly_encoder.npz``; a later call with the same checkpoint and settings reuses them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

__all__ = ["ENCODER_FILE", "METHODS", "load_detector", "main_anomaly"]

ENCODER_FILE = "anomaly_encoder.npz"
METHODS = ("neighbours", "f-anogan")
ENCODER_STEPS = 1000  # f-anogan's encoder training steps when --encoder-steps is not given
UNCONDITIONAL = ("dcgan", "mlp")  # families whose G(z) and D(x) the score needs (no labels, no image inputs)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def load_detector(checkpoint: str, encoder_steps: int = ENCODER_STEPS, progress=print, method: str = "f-anogan"):
    """(detector, config, dataset) for a training checkpoint; ``detector.score(images)`` gives the scores.

    ``method`` "neighbours": a :class:`~minigan.gan.anomaly.NeighbourDetector` of D with the run's training
    images. "f-anogan": a :class:`~minigan.gan.anomaly.Detector` of the EMA generator when kept, D, and the
    encoder with its calibration (read from ``anomaly_encoder.npz`` beside the checkpoint, or made and
    written there)."""
    from . import io
    from .data import load_dataset
    from .gan import TrainConfig, get_family
    from .gan.anomaly import Detector, Encoder, NeighbourDetector, fit_detector, without_class

    if not os.path.isfile(checkpoint):
        raise ValueError(f"no such checkpoint: {checkpoint}")
    state = io.load(checkpoint)
    if not isinstance(state, dict) or not {"config", "G", "D", "step"} <= set(state):
        raise ValueError(f"{checkpoint} is not a minigan training checkpoint (no config / G / D inside)")
    config = TrainConfig.from_json(state["config"])
    if config.model not in UNCONDITIONAL:
        raise ValueError(f"minigan anomaly scores with an unconditional generator ({' or '.join(UNCONDITIONAL)}), "
                         f"the checkpoint holds a {config.model} model")
    dataset = load_dataset(config.data)
    if dataset.kind != "image":
        raise ValueError(f"minigan anomaly scores images; the checkpoint was trained on {config.data} "
                         f"({dataset.kind} data)")
    if config.exclude_class is not None:
        dataset = without_class(dataset, config.exclude_class)
    G, D = get_family(config.model).build(config, dataset)
    G.load_state_dict(state["G_ema"] if state.get("G_ema") is not None else state["G"])
    D.load_state_dict(state["D"])
    if method == "neighbours":
        return NeighbourDetector.fit(D, dataset.data), config, dataset
    if method != "f-anogan":
        raise ValueError(f"unknown anomaly method {method!r}: one of {', '.join(METHODS)}")
    key = json.dumps({"config": state["config"], "step": int(state["step"]), "encoder_steps": encoder_steps})
    path = os.path.join(os.path.dirname(os.path.abspath(checkpoint)), ENCODER_FILE)
    E = Encoder(dataset.shape, G.nz)
    cached = io.load(path) if os.path.isfile(path) else None
    if isinstance(cached, dict) and cached.get("key") == key:
        E.load_state_dict(cached["E"])
        detector = Detector(G, D, E, tuple(float(v) for v in cached["stats"]))
    else:
        progress(f"training the encoder ({encoder_steps} steps, G and D frozen) on the {len(dataset)} training "
                 f"images of {checkpoint}; it is kept in {path}")
        detector = fit_detector(G, D, dataset.data, encoder_steps=encoder_steps, seed=config.seed)
        io.save({"E": detector.E.state_dict(), "stats": list(detector.stats), "key": key}, path)
    return detector, config, dataset


def main_anomaly(argv: list[str] | None = None) -> int:
    """Entry point of ``minigan anomaly``; 0 ok, 2 bad input (one line, no traceback)."""
    from .gan.translation import check_inputs

    parser = _Parser(prog="minigan anomaly",
                     description="Score images by how anomalous a GAN trained on normal data finds them "
                                 "(higher = more anomalous): by default the mean cosine distance in D's "
                                 "feature space to the five nearest normal training images; with --method "
                                 "f-anogan the f-AnoGAN residual plus D's loss for calling x real.")
    parser.add_argument("--checkpoint", required=True, help="checkpoint.npz of a dcgan or mlp run "
                                                            "(typically trained with --exclude-class K)")
    parser.add_argument("--input", required=True, help="an (N, C, H, W) .npy array in [-1, 1], the data's shape")
    parser.add_argument("--out", required=True, help="where to write the (N,) float64 scores (.npy)")
    parser.add_argument("--method", choices=METHODS, default="neighbours",
                        help="neighbours (default): nearest normal images in D's feature space; f-anogan: "
                             "an encoder's residual plus D's loss")
    parser.add_argument("--encoder-steps", type=_steps, default=None,
                        help=f"with --method f-anogan: training steps of the encoder when it is not yet kept "
                             f"beside the checkpoint (default {ENCODER_STEPS})")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.encoder_steps is not None and args.method != "f-anogan":
            raise ValueError("--encoder-steps sets the training of f-AnoGAN's encoder: use it with "
                             "--method f-anogan (the neighbours score trains nothing)")
        if not args.out.endswith(".npy"):
            raise ValueError(f"--out {args.out}: the scores are written as a .npy array")
        if os.path.isdir(args.out):
            raise ValueError(f"--out {args.out} is a directory; name the file to write")
        from . import io

        x = io.load_array(args.input)
        if not os.path.isfile(args.checkpoint):
            raise ValueError(f"no such checkpoint: {args.checkpoint}")
        from .data import load_dataset
        from .gan import TrainConfig

        state = io.load(args.checkpoint)  # the shape check first: no encoder is trained for a wrong input
        if not isinstance(state, dict) or "config" not in state:
            raise ValueError(f"{args.checkpoint} is not a minigan training checkpoint (no config inside)")
        data = TrainConfig.from_json(state["config"]).data
        shape = load_dataset(data).shape
        x = check_inputs(x, shape, f"--input {args.input} (the checkpoint's data {data})")
        detector, config, _ = load_detector(args.checkpoint, args.encoder_steps or ENCODER_STEPS,
                                            method=args.method)
        scores = detector.score(x)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "wb") as f:
            np.save(f, scores)
    except (ValueError, TypeError, OSError) as err:
        print(f"minigan anomaly: error: {err}", file=sys.stderr)
        return 2
    excluded = "" if config.exclude_class is None else f" (class {config.exclude_class} left out of training)"
    print(f"scored {len(x)} images ({args.method}) with {args.checkpoint}{excluded}: median {np.median(scores):.4g}, "
          f"range [{scores.min():.4g}, {scores.max():.4g}]; wrote {args.out}")
    return 0
