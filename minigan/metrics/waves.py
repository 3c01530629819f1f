"""Metrics of 1-D waveforms (the ``waves`` data): dominant frequency and waveform kind, from the spectrum.

Spectrum. A clip x (length L) minus its mean, times a Hann window w[t] = sin²(π t / L), zero-padded to
P = 8L points: X[j] = |Σ_t w[t] x[t] e^(−2πi j t / P)|, j = 0 … P/2. Bin j is the frequency j / 8 cycles per
clip (an eighth of an FFT bin: the zero-padding interpolates the spectrum between the bins). The window's
side lobes fall fast, so a harmonic leaks little into its neighbours.

Dominant frequency: f₀ = argmax_j X[j] / 8, in cycles per clip.

Kind, by harmonic structure. The amplitude of harmonic k relative to the fundamental is
r_k = max X near k f₀ (± half a bin) / X(f₀): a windowed sinusoid of amplitude b has a peak proportional to b
whatever its frequency, so r_k estimates b_k / b_1. The three kinds have (``minigan.data.waves``)

    sine      (r₂, r₃, r₄, r₅) = (0,   0,   0,   0)      (no harmonics)
    square    (r₂, r₃, r₄, r₅) = (0,   1/3, 0,   1/5)    (odd harmonics 1/k)
    sawtooth  (r₂, r₃, r₄, r₅) = (1/2, 1/3, 1/4, 1/5)    (all harmonics 1/k)

and a clip is given the kind whose template is nearest (Euclidean distance d). Harmonics at or above the
Nyquist frequency (L/2) count as 0. Every clip gets a kind, noise too; a clip is *clean* when d < 0.1 (the
data's clips are within 0.01) and 5 f₀ < L/2 (all four ratios measured; otherwise anything would pass for a
sine), so the clean fraction says how many samples are waves of a kind at all.

Comparing sets: ``wave_metrics`` reports the fraction of each kind (and of clean clips of each kind) and the
total-variation distance of the kind distributions, TV = ½ Σ |p − q|; the dominant frequencies' histograms on
integer bins (TV again) and their Wasserstein-1 distance W₁ = ∫ |F_gen(f) − F_real(f)| df (in cycles per clip).
"""

from __future__ import annotations

import numpy as np

from .frechet import as_float64
from .toy import wasserstein1d

__all__ = ["CLEAN", "HARMONICS", "KIND_NAMES", "KIND_TEMPLATES", "OVERSAMPLE", "classify_waveforms",
           "clean_waves", "dominant_frequency", "harmonic_ratios", "spectrum", "template_distance", "wave_metrics"]

OVERSAMPLE = 8  # zero-padding factor of the FFT
HARMONICS = (2, 3, 4, 5)
KIND_TEMPLATES = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1 / 3, 0.0, 1 / 5], [1 / 2, 1 / 3, 1 / 4, 1 / 5]])  # r₂ … r₅
CLEAN = 0.1  # a clip within this distance of its kind's template is a clean wave of that kind
KIND_NAMES = ("sine", "square", "sawtooth")


def _clips(x) -> np.ndarray:
    x = as_float64(x, "waves metrics: clips")
    if x.ndim == 3 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 2 or x.shape[1] < 8:
        raise ValueError(f"waves metrics: expected clips of shape (N, L) or (N, 1, L) with L ≥ 8, got {x.shape}")
    return x


def spectrum(x) -> np.ndarray:
    """X[n, j]: the magnitude of the Hann-windowed, 8× zero-padded FFT of each clip (mean removed);
    bin j is j / 8 cycles per clip."""
    x = _clips(x)
    length = x.shape[1]
    window = np.sin(np.pi * np.arange(length) / length) ** 2
    return np.abs(np.fft.rfft((x - x.mean(axis=1, keepdims=True)) * window, n=OVERSAMPLE * length, axis=1))


def dominant_frequency(x) -> np.ndarray:
    """f₀ of each clip, in cycles per clip: the frequency of the spectrum's peak (1/8-bin resolution)."""
    return spectrum(x).argmax(axis=1) / OVERSAMPLE


def harmonic_ratios(x, harmonics=HARMONICS) -> np.ndarray:
    """(N, len(harmonics)): r_k = the spectrum's peak within half a bin of k·f₀, over its value at f₀."""
    spec = spectrum(x)
    peak = spec.argmax(axis=1)
    top = spec[np.arange(len(spec)), peak]
    width, last = OVERSAMPLE // 2, spec.shape[1] - 1  # half a bin, the Nyquist bin
    ratios = np.zeros((len(spec), len(harmonics)))
    for i, k in enumerate(harmonics):
        centre = k * peak
        for n in np.flatnonzero(centre < last):
            ratios[n, i] = spec[n, max(centre[n] - width, 0):min(centre[n] + width, last) + 1].max()
        ratios[:, i] /= np.maximum(top, 1e-12)
    return ratios


def _distances(x) -> np.ndarray:
    r = harmonic_ratios(x)
    return np.sqrt(((r[:, None, :] - KIND_TEMPLATES[None]) ** 2).sum(axis=2))  # (N, kinds)


def _clean(x, d: np.ndarray) -> np.ndarray:
    """d < CLEAN, for clips whose harmonics up to the 5th lie below the Nyquist frequency."""
    return (d.min(axis=1) < CLEAN) & (max(HARMONICS) * dominant_frequency(x) < _clips(x).shape[1] / 2)


def classify_waveforms(x) -> np.ndarray:
    """The kind of each clip (0 sine, 1 square, 2 sawtooth): the template nearest its (r₂, …, r₅)."""
    return _distances(x).argmin(axis=1)


def template_distance(x) -> np.ndarray:
    """d, each clip's distance to the nearest kind's template (clean waves: d < ``CLEAN``)."""
    return _distances(x).min(axis=1)


def clean_waves(x) -> np.ndarray:
    """True for each clip that is a clean wave of its kind: d < ``CLEAN`` and 5 f₀ below the Nyquist frequency."""
    return _clean(x, _distances(x))


def wave_metrics(samples, real) -> dict:
    """Generated against real clips: kind fractions (``kind_*``), the fractions of clean clips of each kind
    (``clean_*``, and ``clean_fraction``), the kinds' TV distance; the dominant frequencies' mean, histogram TV
    (integer-wide bins over the real range) and Wasserstein-1 distance."""
    d = _distances(samples)
    kinds_gen, clean = d.argmin(axis=1), _clean(samples, d)
    kinds_real = classify_waveforms(real)
    p = np.bincount(kinds_gen, minlength=3) / len(kinds_gen)
    p_clean = np.bincount(kinds_gen[clean], minlength=3) / len(kinds_gen)
    q = np.bincount(kinds_real, minlength=3) / len(kinds_real)
    f_gen, f_real = dominant_frequency(samples), dominant_frequency(real)
    edges = np.arange(np.floor(f_real.min()), np.ceil(f_real.max()) + 1)
    h_gen = np.histogram(np.clip(f_gen, edges[0], edges[-1]), edges)[0] / len(f_gen)
    h_real = np.histogram(f_real, edges)[0] / len(f_real)
    result = {f"kind_{name}": float(p[i]) for i, name in enumerate(KIND_NAMES)}
    result.update({f"kind_{name}_real": float(q[i]) for i, name in enumerate(KIND_NAMES)})
    result.update({f"clean_{name}": float(p_clean[i]) for i, name in enumerate(KIND_NAMES)})
    result.update(clean_fraction=float(clean.mean()), kinds_present=int((p > 0).sum()),
                  kinds_present_clean=int((p_clean > 0).sum()), kind_tv=float(0.5 * np.abs(p - q).sum()),
                  frequency_mean=float(f_gen.mean()), frequency_mean_real=float(f_real.mean()),
                  frequency_tv=float(0.5 * np.abs(h_gen - h_real).sum()),
                  frequency_w1=wasserstein1d(f_gen, f_real))
    return result
