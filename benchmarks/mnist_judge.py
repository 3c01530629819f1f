"""An independent judge of generated MNIST digits: a PyTorch-trained CNN with a "not a digit" class.

    python benchmarks/mnist_judge.py --checkpoint runs/cgan-mnist/checkpoint.npz [--n 1000]
    python benchmarks/mnist_judge.py --samples samples.npy
    python benchmarks/mnist_judge.py --rebuild      # retrain benchmarks/mnist_judge.npz (needs PyTorch)
    python benchmarks/mnist_judge.py --controls     # its figures on real digits and on non-digits

minigan's metrics read images with its own digits CNNs (``minigan.metrics``: 3×3 convolutions with batch
norm on 16×16 inputs, trained with minigan). This judge shares neither their architecture, their input
size, their training code nor their classes:

    (N,1,28,28) -conv5×5,16-> ReLU -maxpool2-> 14×14 -conv5×5,32-> ReLU -maxpool2-> 7×7
                -flatten-> 1568 -linear-> 64, ReLU -linear-> 11 logits: the digits 0–9 and "not a digit"

trained with PyTorch (Adam, seed 0) on the bundled MNIST ``train`` split only (4,500 digits, shifted by up
to 2 pixels) against as many freshly drawn non-digits each epoch: uniform and Gaussian noise, Gaussian
blobs, pixel-shuffled and patch-shuffled digits, digits blurred beyond reading and constant images.
Its probabilities are calibrated by temperature scaling: one T minimising the log-loss of softmax(logits / T)
on a tenth of the train split held out from the fit (with as many non-digits). The ``test`` split, on which
real digits are measured, is never seen. The weights ship as
``benchmarks/mnist_judge.npz``; judging runs in plain NumPy, so PyTorch is needed only to rebuild them.

A sample is **confident** when its most probable class is a digit with probability ≥ 0.9. The report gives

    confident_fraction(samples), confident_fraction(real test digits), their ratio,
    the fraction the judge calls "not a digit", and the predicted-digit histogram of the confident samples.

Samples are judged at 28×28: 32×32 samples (mnist32) lose their 2-pixel border.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIDENCE = 0.9
NOT_A_DIGIT = 10  # the eleventh class
WEIGHTS = Path(__file__).with_name("mnist_judge.npz")
KEYS = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
        "fc2.bias")
NEGATIVE_KINDS = ("uniform", "gaussian", "blobs", "shuffled", "patches", "blurred", "constant")


# ----------------------------------------------------------------------------- images that are not digits


def _blur(images: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Separable Gaussian blur of (N, 28, 28) images in [0, 1], one σ per image."""
    r = np.arange(-8, 9)
    k = np.exp(-0.5 * (r[None, :] / sigma[:, None]) ** 2)
    k /= k.sum(1, keepdims=True)
    padded = np.pad(images, ((0, 0), (8, 8), (8, 8)))
    rows = np.stack([np.einsum("nhw,nw->nh", padded[:, :, j:j + 17], k) for j in range(28)], axis=2)
    return np.stack([np.einsum("nhw,nh->nw", rows[:, i:i + 17, :], k) for i in range(28)], axis=1)


def off_manifold(kind: str, n: int, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """``n`` (N, 1, 28, 28) images in [−1, 1] that are not digits, of one ``kind`` (NEGATIVE_KINDS).

    ``digits`` ((M, 1, 28, 28) in [−1, 1]) are the raw material of the shuffled, patch-shuffled and blurred kinds.
    """
    unit = (digits[rng.integers(0, len(digits), n), 0].astype(np.float64) + 1) / 2  # (n, 28, 28) in [0, 1]
    if kind == "uniform":
        x = rng.uniform(0, 1, (n, 28, 28))
    elif kind == "gaussian":
        x = np.clip(rng.uniform(0, 1, (n, 1, 1)) + rng.uniform(0.1, 0.6, (n, 1, 1)) * rng.standard_normal((n, 28, 28)),
                    0, 1)
    elif kind == "blobs":
        yy, xx = np.mgrid[0:28, 0:28]
        x = np.zeros((n, 28, 28))
        for _ in range(4):
            cy, cx = rng.uniform(4, 24, (2, n, 1, 1))
            s = rng.uniform(1.5, 6, (n, 1, 1))
            a = rng.uniform(0, 1, (n, 1, 1)) * (rng.uniform(size=(n, 1, 1)) < 0.75)
            x = x + a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s ** 2))
        x = np.clip(x, 0, 1)
    elif kind == "shuffled":
        x = rng.permuted(unit.reshape(n, -1), axis=1).reshape(n, 28, 28)
    elif kind == "patches":
        p = unit.reshape(n, 4, 7, 4, 7).transpose(0, 1, 3, 2, 4).reshape(n, 16, 7, 7)
        p = p[np.arange(n)[:, None], np.argsort(rng.uniform(size=(n, 16)), axis=1)]
        x = p.reshape(n, 4, 4, 7, 7).transpose(0, 1, 3, 2, 4).reshape(n, 28, 28)
    elif kind == "blurred":
        x = _blur(unit, rng.uniform(2.5, 5, n))
        x = x / np.maximum(x.max(axis=(1, 2), keepdims=True), 1e-6) * rng.uniform(0.3, 1, (n, 1, 1))
    elif kind == "constant":
        x = np.broadcast_to(rng.uniform(0, 1, (n, 1, 1)), (n, 28, 28)).copy()
    else:
        raise ValueError(f"off_manifold: kind must be one of {', '.join(NEGATIVE_KINDS)}, got {kind!r}")
    return (x[:, None] * 2 - 1).astype(np.float32)


def negatives(n: int, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """``n`` non-digits, the kinds in equal shares (the training and calibration mix)."""
    counts = np.bincount(rng.integers(0, len(NEGATIVE_KINDS), n), minlength=len(NEGATIVE_KINDS))
    return np.concatenate([off_manifold(k, c, rng, digits) for k, c in zip(NEGATIVE_KINDS, counts) if c])


def shifted(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Each (1, 28, 28) image moved by up to ``max_shift`` pixels in each direction (background fills in)."""
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)), constant_values=-1)
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, len(images)))
    out = np.empty_like(images)
    for i in range(len(images)):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


# ----------------------------------------------------------------------------- the network in NumPy


def _conv5(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross-correlation with 5×5 kernels and padding 2 (PyTorch's Conv2d): (N, C, H, W) -> (N, O, H, W)."""
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))), (5, 5),
                                                       axis=(2, 3))  # (N, C, H, W, 5, 5)
    return np.einsum("nchwij,ocij->nohw", windows, w, optimize=True) + b[None, :, None, None]


def _pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def numpy_logits(weights: dict, images: np.ndarray, batch_size: int = 250) -> np.ndarray:
    """(N, 1, 28, 28) images in [−1, 1] -> (N, 11) float64 logits of the network with ``weights`` (PyTorch's keys)."""
    w = {k: np.asarray(weights[k], dtype=np.float64) for k in KEYS}
    out = []
    for start in range(0, len(images), batch_size):
        h = np.asarray(images[start:start + batch_size], dtype=np.float64)
        h = _pool2(np.maximum(_conv5(h, w["conv1.weight"], w["conv1.bias"]), 0))
        h = _pool2(np.maximum(_conv5(h, w["conv2.weight"], w["conv2.bias"]), 0))
        h = np.maximum(h.reshape(len(h), -1) @ w["fc1.weight"].T + w["fc1.bias"], 0)
        out.append(h @ w["fc2.weight"].T + w["fc2.bias"])
    return np.concatenate(out) if out else np.zeros((0, 11))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.25, 10] (a log-spaced grid) minimising the mean log-loss of softmax(logits / T)."""
    temps = np.exp(np.linspace(np.log(0.25), np.log(10.0), 161))
    nll = [-np.mean(np.log(_softmax(logits / t)[np.arange(len(labels)), labels] + 1e-300)) for t in temps]
    return float(temps[int(np.argmin(nll))])


# ----------------------------------------------------------------------------- training (PyTorch)


def build(seed: int = 0, epochs: int = 12, out: Path = WEIGHTS) -> dict:
    """Train the judge on the train split with PyTorch, calibrate its temperature, save ``out``; returns its meta."""
    import torch
    from torch import nn

    from minigan.data import load_dataset

    started = time.process_time()
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    train = load_dataset("mnist", split="train")
    order = rng.permutation(len(train.data))
    cal, fit = order[: len(order) // 10], order[len(order) // 10:]
    x_fit, y_fit = train.data[fit], train.labels[fit]
    net = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 11),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    for _ in range(epochs):
        x = np.concatenate([shifted(x_fit, rng), negatives(len(x_fit), rng, x_fit)])
        y = np.concatenate([y_fit, np.full(len(x_fit), NOT_A_DIGIT)])
        perm = rng.permutation(len(x))
        net.train()
        for start in range(0, len(x), 64):
            idx = perm[start:start + 64]
            loss = nn.functional.cross_entropy(net(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]).long())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    names = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2"}
    weights = {f"{names[k.split('.')[0]]}.{k.split('.')[1]}": v.detach().numpy().astype(np.float32)
               for k, v in net.state_dict().items()}
    cal_x = np.concatenate([train.data[cal], negatives(len(cal), rng, x_fit)])
    cal_y = np.concatenate([train.labels[cal], np.full(len(cal), NOT_A_DIGIT)])
    temperature = fit_temperature(numpy_logits(weights, cal_x), cal_y)
    meta = {"seed": seed, "epochs": epochs, "temperature": temperature, "train_images": int(len(fit)),
            "calibration_images": int(len(cal_x)), "cpu_seconds": round(time.process_time() - started, 1)}
    np.savez_compressed(out, temperature=np.float64(temperature), meta=json.dumps(meta), **weights)
    return meta


# ----------------------------------------------------------------------------- judging


def as_28(images) -> np.ndarray:
    """(N, 1, 28, 28) or (N, 1, 32, 32) images in [−1, 1] -> float32 (N, 1, 28, 28); a ValueError otherwise."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 32 and images.shape[-2] == 32:
        images = images[..., 2:30, 2:30]
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"mnist_judge: expected (N, 1, 28, 28) or (N, 1, 32, 32) images, got {images.shape}")
    return images


class Judge:
    """The shipped judge: ``probs(images)`` (N, 11), ``report(samples)`` against the real test digits."""

    def __init__(self, path: Path = WEIGHTS):
        from minigan.data import load_dataset

        if not Path(path).is_file():
            raise FileNotFoundError(f"mnist_judge: {path} is missing; rebuild it with "
                                    "`python benchmarks/mnist_judge.py --rebuild` (needs PyTorch)")
        with np.load(path) as saved:
            self.weights = {k: saved[k] for k in KEYS}
            self.temperature = float(saved["temperature"])
            self.meta = json.loads(str(saved["meta"]))
        test = load_dataset("mnist", split="test")
        p = self.probs(test.data)
        self.test_accuracy = float(np.mean(p.argmax(1) == test.labels))
        self.real_confident = self.confident(p).mean().item()

    def probs(self, images) -> np.ndarray:
        """(N, 11) calibrated probabilities: the ten digits, then "not a digit"."""
        return _softmax(numpy_logits(self.weights, as_28(images)) / self.temperature)

    @staticmethod
    def confident(p: np.ndarray) -> np.ndarray:
        """True where the most probable class is a digit with probability ≥ CONFIDENCE."""
        return (p.argmax(1) != NOT_A_DIGIT) & (p.max(1) >= CONFIDENCE)

    def report(self, samples) -> dict:
        return self.report_probs(self.probs(samples))

    def report_probs(self, p: np.ndarray) -> dict:
        """:meth:`report` from probabilities already computed with :meth:`probs`."""
        confident = self.confident(p)
        fraction = float(confident.mean())
        return {
            "samples": len(p),
            "confident_fraction": fraction,
            "real_test_confident_fraction": self.real_confident,
            "ratio": fraction / self.real_confident,
            "not_a_digit_fraction": float(np.mean(p.argmax(1) == NOT_A_DIGIT)),
            "confident_class_histogram": np.bincount(p.argmax(1)[confident], minlength=10)[:10].tolist(),
            "judge_test_accuracy": self.test_accuracy,
            "temperature": self.temperature,
        }


def controls(judge: Judge, n: int = 500, seed: int = 1) -> dict:
    """The judge's confident fraction on real test digits and on inputs that are not digits (fresh draws)."""
    from minigan import manual_seed
    from minigan.data import load_dataset
    from minigan.gan import Trainer, default_config, generate_samples

    rng = np.random.default_rng(seed)
    test = load_dataset("mnist", split="test").data
    out = {"real test digits": judge.real_confident}
    for kind in ("uniform", "blobs", "shuffled", "patches", "blurred"):
        out[kind] = judge.report(off_manifold(kind, n, rng, test))["confident_fraction"]
    a, b = test[rng.integers(0, len(test), n)], test[rng.integers(0, len(test), n)]
    out["blends of two digits"] = judge.report((a + b) / 2)["confident_fraction"]
    manual_seed(seed)
    G = Trainer.from_config(default_config(data="mnist", seed=seed), None, progress=False).G
    out["untrained generator"] = judge.report(generate_samples(G, n, rng))["confident_fraction"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--checkpoint")
    group.add_argument("--samples")
    group.add_argument("--rebuild", action="store_true", help="retrain the shipped weights (PyTorch)")
    group.add_argument("--controls", action="store_true", help="confident fractions on digits and non-digits")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args(argv)
    if args.rebuild:
        print(json.dumps(build(), indent=2))
        print(json.dumps(controls(Judge()), indent=2))
        return 0
    if args.controls:
        print(json.dumps(controls(Judge()), indent=2))
        return 0
    if args.checkpoint:
        from minigan.gan import generate_samples, get_family, load_generator

        G, config, dataset = load_generator(args.checkpoint)
        conditional = get_family(config.model).conditional  # a cgan: each label in turn, n / 10 of each
        samples = generate_samples(G, args.n, np.random.default_rng(args.seed),
                                   num_classes=dataset.num_classes if conditional else None,
                                   labels=np.arange(args.n) % dataset.num_classes if conditional else None)
    else:
        samples = np.load(args.samples)[: args.n]
    print(json.dumps(Judge().report(samples), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
