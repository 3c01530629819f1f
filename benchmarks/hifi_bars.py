"""The measured bars of the high-fidelity families, from a run's checkpoint.

    python benchmarks/hifi_bars.py --checkpoint runs/sagan-mnist32-hinge/checkpoint.npz [--n 1000]

Draws ``--n`` samples (the EMA generator when the run kept one), crops them from 32×32 to 28×28 and reports,
with minigan's digits classifier (``minigan.metrics.class_probs``):

    confident_fraction   samples whose top class probability is at least 0.9 (bar: ≥ 0.5)
    confident_classes    the digits among the confident samples (bar: all ten)
    mean_pairwise_distance  the samples' mean L2 distance to each other (diversity)

and, for a conditional model (biggan), the fraction of ``--labels 3`` samples read as a 3 (bar: ≥ 0.8; also by
the MNIST judge below, ``labels_3_read_as_3_by_judge``: the digits classifier reads only 62% of the real
MNIST test 3s as 3, the judge 47 of the 50), and
for a model with a truncation trick, the same figures at each ``--truncation`` value given.

The digits classifier was trained on scikit-learn's 8×8 digits: it is confident on only 56.6% of the real
MNIST test digits (and reads 53.8% of them right), so its 50% bar asks for 0.88 of what real digits get.
Each block therefore also has ``judge``: the same samples under the independent MNIST judge of
``benchmarks/mnist_judge.py`` (a digit with p ≥ 0.9 and not its "not a digit" class; confident on 93.0% of
the real test digits and on none of uniform noise), with ``ratio`` = the fraction over the real digits'.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # mnist_judge

CONFIDENCE = 0.9


def crop28(x: np.ndarray) -> np.ndarray:
    return x[..., 2:30, 2:30] if x.shape[-1] == 32 else x


def judge(x: np.ndarray) -> dict:
    from minigan.metrics import class_probs, mean_pairwise_distance
    from minigan.metrics.domain import prepare_images

    probs = class_probs(prepare_images(crop28(x), "samples"))
    confident = probs.max(axis=1) >= CONFIDENCE
    classes = np.bincount(probs.argmax(axis=1)[confident], minlength=10)
    judge_probs = mnist_judge().probs(x)
    mnist = mnist_judge().report_probs(judge_probs)
    return {"confident_fraction": float(confident.mean()), "confident_classes": int((classes > 0).sum()),
            "confident_histogram": classes.tolist(), "mean_pairwise_distance": mean_pairwise_distance(x[:500]),
            "judge": {"confident_fraction": mnist["confident_fraction"], "ratio": mnist["ratio"],
                      "confident_classes": sum(c > 0 for c in mnist["confident_class_histogram"]),
                      "confident_histogram": mnist["confident_class_histogram"]},
            "predicted": probs.argmax(axis=1), "judge_predicted": judge_probs.argmax(axis=1)}


@lru_cache(maxsize=1)
def mnist_judge():
    """The independent MNIST judge (benchmarks/mnist_judge.py), loaded once."""
    from mnist_judge import Judge

    return Judge()


def main(argv=None) -> int:
    from minigan.gan import get_family, load_generator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--truncation", type=float, nargs="*", default=[])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    G, config, dataset = load_generator(args.checkpoint)
    family = get_family(config.model)
    num_classes = dataset.num_classes if family.conditional else None

    def draw(seed, **kw):
        return family.sample(G, args.n, np.random.default_rng(seed), num_classes=num_classes, **kw)

    report = {"checkpoint": args.checkpoint, "model": config.model, "n": args.n}
    r = judge(draw(args.seed))
    report["samples"] = {k: v for k, v in r.items() if not k.endswith("predicted")}
    if family.conditional:
        threes = judge(draw(args.seed + 1, labels=3))
        report["labels_3_read_as_3"] = float((threes["predicted"] == 3).mean())
        report["labels_3_read_as_3_by_judge"] = float((threes["judge_predicted"] == 3).mean())
    if "truncation" in inspect.signature(family.sample).parameters:
        for t in args.truncation:
            r = judge(draw(args.seed, truncation=t))
            report[f"truncation_{t}"] = {k: v for k, v in r.items() if not k.endswith("predicted")}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
