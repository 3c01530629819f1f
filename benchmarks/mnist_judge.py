"""An independent judge of generated MNIST digits: scikit-learn's MLP, not minigan's digits CNN.

    python benchmarks/mnist_judge.py --checkpoint runs/dcgan/checkpoint.npz [--n 1000]
    python benchmarks/mnist_judge.py --samples samples.npy

The judge is a scikit-learn ``MLPClassifier`` (one hidden layer of 256 units) trained on the bundled
MNIST ``train`` split (4,500 digits), its probabilities calibrated by temperature scaling on a
quarter of the training split held out from the fit (one temperature T minimising the held-out
log-loss of softmax(logits / T)). It never sees the ``test`` split, on which the real digits' figures
are measured. A sample is "confident" when its top class probability is at least 0.9; the report gives

    confident_fraction(samples), confident_fraction(real test digits), their ratio,
    and the predicted-class histogram of the confident samples (all ten digits should be there).

The samples are judged at 28×28: 32×32 samples (mnist32) lose their 2-pixel border.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIDENCE = 0.9


def _logits(clf, x: np.ndarray) -> np.ndarray:
    """The MLP's pre-softmax outputs (scikit-learn exposes only probabilities)."""
    h = x
    for w, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = np.maximum(h @ w + b, 0)
    return h @ clf.coefs_[-1] + clf.intercepts_[-1]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Judge:
    def __init__(self, seed: int = 0):
        from sklearn.neural_network import MLPClassifier

        from minigan.data import load_dataset

        train = load_dataset("mnist", split="train")
        x, y = self.flat(train.data), train.labels
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        cal, fit = order[: len(x) // 4], order[len(x) // 4:]
        self.clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=200, random_state=seed)
        self.clf.fit(x[fit], y[fit])
        z, yc = _logits(self.clf, x[cal]), y[cal]
        temps = np.linspace(0.5, 5.0, 91)
        nll = [-np.mean(np.log(_softmax(z / t)[np.arange(len(yc)), yc] + 1e-12)) for t in temps]
        self.temperature = float(temps[int(np.argmin(nll))])
        test = load_dataset("mnist", split="test")
        self.test_accuracy = float(np.mean(self.predict(test.data).argmax(1) == test.labels))
        self.real_confident = float(np.mean(self.predict(test.data).max(1) >= CONFIDENCE))

    @staticmethod
    def flat(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float64)
        if images.shape[-1] == 32:
            images = images[..., 2:30, 2:30]
        if images.shape[1:] != (1, 28, 28):
            raise ValueError(f"mnist_judge: expected (N, 1, 28, 28) or (N, 1, 32, 32) images, got {images.shape}")
        return (images.reshape(len(images), -1) + 1) / 2

    def predict(self, images: np.ndarray) -> np.ndarray:
        return _softmax(_logits(self.clf, self.flat(images)) / self.temperature)

    def report(self, samples: np.ndarray) -> dict:
        p = self.predict(samples)
        confident = p.max(1) >= CONFIDENCE
        fraction = float(confident.mean())
        return {
            "samples": len(samples),
            "confident_fraction": fraction,
            "real_test_confident_fraction": self.real_confident,
            "ratio": fraction / self.real_confident,
            "confident_class_histogram": np.bincount(p.argmax(1)[confident], minlength=10).tolist(),
            "judge_test_accuracy": self.test_accuracy,
            "temperature": self.temperature,
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--checkpoint")
    group.add_argument("--samples")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args(argv)
    if args.checkpoint:
        from minigan.gan.train import generate_samples, load_generator

        G, config, dataset = load_generator(args.checkpoint)
        samples = generate_samples(G, args.n, np.random.default_rng(args.seed))
    else:
        samples = np.load(args.samples)[: args.n]
    print(json.dumps(Judge().report(samples), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
