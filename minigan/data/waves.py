"""``waves``: a synthetic audio data set for WaveGAN — sine, square and sawtooth clips, made from a seed.

Each clip is L = 256 samples x[t], t = 0 … L − 1, of one waveform of fundamental frequency f (in cycles per
clip, i.e. the FFT bin of the fundamental), phase φ and amplitude a:

    x[t] = a · Σ_k b_k sin(2π k f t / L + k φ),   over the harmonics k with k f < L / 2 (band-limited: no aliasing)

    sine      b_1 = 1, no other harmonic
    square    b_k = 4 / (π k) for odd k, 0 for even k       (odd harmonics falling as 1/k)
    sawtooth  b_k = 2 (−1)^(k+1) / (π k) for every k        (all harmonics falling as 1/k)

The truncated series are the band-limited versions of the ideal waves (the way a synthesiser avoids
aliasing), so the harmonic structure that ``minigan.metrics.waves`` reads is exact, and a square wave shows
Gibbs ripples near its jumps (overshoot ≈ 9% of the jump; amplitudes ≤ 0.8 keep every clip inside [−1, 1],
the range of a tanh generator).

f ~ U[4, 24) cycles per clip (so 3f < L / 2: the third harmonic is below the Nyquist frequency), φ ~ U[0, 2π),
a ~ U[0.4, 0.8); the three kinds are equally many, in random order. Labels are the kind: 0 sine, 1 square,
2 sawtooth. The train split (4,096 clips) is made from seed 0, the test split (1,024) from seed 1; the same
seed always gives the same clips. Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WAVE_AMPLITUDES", "WAVE_FREQUENCIES", "WAVE_KINDS", "WAVE_LENGTH", "WAVE_SPLITS", "make_waves",
           "wave_harmonics"]

WAVE_KINDS = ("sine", "square", "sawtooth")
WAVE_LENGTH = 256
WAVE_FREQUENCIES = (4.0, 24.0)  # cycles per clip
WAVE_AMPLITUDES = (0.4, 0.8)
WAVE_SPLITS = {"train": (0, 4096), "test": (1, 1024)}  # split → (seed, clips)


def wave_harmonics(kind: int | str, k: np.ndarray) -> np.ndarray:
    """b_k, the amplitude of harmonic k (k = 1, 2, …) of a unit wave of ``kind`` (an index or a name)."""
    kind = WAVE_KINDS.index(kind) if isinstance(kind, str) else int(kind)
    k = np.asarray(k, dtype=np.float64)
    if kind == 0:
        return (k == 1).astype(np.float64)
    if kind == 1:
        return np.where(k % 2 == 1, 4 / (np.pi * k), 0.0)
    if kind == 2:
        return 2 * (-1) ** (k + 1) / (np.pi * k)
    raise ValueError(f"wave_harmonics: kind must be 0..2 or one of {', '.join(WAVE_KINDS)}, got {kind!r}")


def make_waves(n: int, seed: int = 0, length: int = WAVE_LENGTH, frequencies=WAVE_FREQUENCIES,
               amplitudes=WAVE_AMPLITUDES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` clips from ``seed``: float32 (n, 1, length), int64 kinds (n,) and float64 frequencies (n,).

    The frequencies are in cycles per clip; see the module docstring for the formula.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"make_waves: n must be a positive int, got {n!r}")
    low, high = frequencies
    if not 0 < low < high <= length / 2:
        raise ValueError(f"make_waves: frequencies must satisfy 0 < low < high ≤ length / 2 = {length / 2}, "
                         f"got {frequencies!r}")
    rng = np.random.default_rng(seed)
    kinds = rng.permutation(np.arange(n) % len(WAVE_KINDS)).astype(np.int64)
    freq = rng.uniform(low, high, n)
    phase = rng.uniform(0.0, 2 * np.pi, n)
    amp = rng.uniform(*amplitudes, n)
    t = np.arange(length) / length
    waves = np.zeros((n, length))
    table = np.stack([wave_harmonics(kind, np.arange(1, length // 2 + 1)) for kind in range(len(WAVE_KINDS))])
    for k in range(1, length // 2 + 1):  # harmonic k of every clip that has it below the Nyquist frequency
        rows = np.flatnonzero((table[kinds, k - 1] != 0) & (k * freq < length / 2))
        if len(rows):
            angle = 2 * np.pi * k * freq[rows, None] * t + k * phase[rows, None]
            waves[rows] += table[kinds[rows], k - 1][:, None] * np.sin(angle)
    waves *= amp[:, None]
    return waves[:, None, :].astype(np.float32), kinds, freq
