"""Metrics for toy distributions whose density is known: mode coverage, exact 1-D W1, binned JSD / KL.

The binned divergences compare a known 1-D density p with a histogram q of N samples over B bins
(plus one bin for everything outside the range). The plug-in estimate is biased both ways:

* downward by binning: merging values into bins can only lose information, so the binned divergence
  is at most the true one (data-processing inequality); fewer, wider bins lose more;
* upward by sampling noise: even samples drawn from p itself give a histogram that differs from p,
  and on average KL(q || p) ~= (B - 1) / (2N) and JSD(p, q) ~= (B - 1) / (8N) (the chi-square
  approximation). Compare values against this floor, and keep N >> B.

The bootstrap standard error measures the spread of the estimate over resampled data, not its bias.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import xlogy

from minigan.data.toy import mode_centers, mode_std

from .frechet import as_float64

_CHUNK = 65536  # samples per block of the sample-to-centre distance matrix


def mode_coverage(samples, dataset: str = "ring8", std_threshold: float = 3.0, min_count: int = 20) -> dict:
    """How many modes of a Gaussian mixture (``"ring8"``, ``"grid25"``, ...) the samples cover.

    Each sample is assigned to its nearest mode centre c_k; it is *high quality* when
    ||x - c_k|| <= std_threshold * std. A mode is covered when at least ``min_count`` high-quality
    samples lie at it. With n_k the high-quality count at mode k, q_k = n_k / sum_j n_j and K modes,

        kl = KL(q || uniform) = sum_k q_k log(K q_k)   (terms with q_k = 0 are 0),

    which is 0 for a perfectly balanced generator and log K when every good sample sits at one mode
    (also returned when there are no high-quality samples at all).

    Returns ``dict(modes=int, num_modes=int, high_quality=float, kl=float)``; ``high_quality`` is
    the fraction of all samples that are high quality.
    """
    centres, std = mode_centers(dataset), mode_std(dataset)
    x = as_float64(samples, "samples")
    if x.ndim == 1 and centres.shape[1] == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != centres.shape[1] or len(x) == 0:
        raise ValueError(f"samples for {dataset!r} must be (N, {centres.shape[1]}), N >= 1, got {x.shape}")
    nearest = np.empty(len(x), dtype=np.int64)
    distance = np.empty(len(x))
    for start in range(0, len(x), _CHUNK):
        d = cdist(x[start:start + _CHUNK], centres)
        nearest[start:start + _CHUNK] = d.argmin(axis=1)
        distance[start:start + _CHUNK] = d.min(axis=1)
    good = distance <= std_threshold * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    num_modes = len(centres)
    if counts.sum() > 0:
        q = counts / counts.sum()
        kl = float(xlogy(q, q * num_modes).sum())
    else:
        kl = float(np.log(num_modes))
    return dict(
        modes=int(np.count_nonzero(counts >= min_count)),
        num_modes=num_modes,
        high_quality=float(good.mean()),
        kl=max(kl, 0.0),
    )


def _as_1d(x, name: str) -> np.ndarray:
    """Samples of shape (N,) or (N, 1) as a non-empty 1-D float64 array."""
    x = as_float64(x, name)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"{name} must be non-empty 1-D samples of shape (N,) or (N, 1), got {x.shape}")
    return x


def wasserstein1d(a, b) -> float:
    """Exact W1 between the empirical distributions of 1-D samples a and b.

    W1 = integral |F_a(t) - F_b(t)| dt. The CDFs are step functions, constant between consecutive
    points of the merged sample, so the integral is a finite sum. For equal sizes it reduces to
    mean_i |a_(i) - b_(i)| over the sorted samples (match the i-th smallest with the i-th smallest).
    """
    a, b = np.sort(_as_1d(a, "a")), np.sort(_as_1d(b, "b"))
    if len(a) == len(b):
        return float(np.abs(a - b).mean())
    support = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, support[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, support[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(support)))


def _binned(samples, density_fn: Callable, bins, value_range) -> tuple[np.ndarray, np.ndarray]:
    """Bin probabilities p of the density and sample counts, over B bins plus one 'outside' bin.

    p_b = integral of the density over bin b (midpoint rule, 16 points per bin); the outside bin gets
    1 - sum_b p_b (clipped at 0), then p is renormalised.
    """
    x = _as_1d(samples, "samples")
    if np.ndim(bins) == 0:
        if value_range is None:
            lo, hi = x.min(), x.max()
            pad = 0.1 * (hi - lo) if hi > lo else 1.0
            value_range = (lo - pad, hi + pad)
        lo, hi = float(value_range[0]), float(value_range[1])
        if int(bins) < 1 or not hi > lo:
            raise ValueError(f"need bins >= 1 and a range (lo, hi), lo < hi; got {bins} and {value_range}")
        edges = np.linspace(lo, hi, int(bins) + 1)
    else:
        edges = as_float64(bins, "bins")
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError("bins given as edges must be a 1-D increasing array of at least 2 values")
    widths = np.diff(edges)
    offsets = (np.arange(16) + 0.5) / 16
    grid = edges[:-1, None] + widths[:, None] * offsets[None, :]
    pdf = as_float64(density_fn(grid.ravel()), "density_fn(x)").reshape(grid.shape)
    if np.any(pdf < 0):
        raise ValueError("density_fn returned negative values")
    p_inside = pdf.mean(axis=1) * widths
    p = np.append(p_inside, max(1.0 - p_inside.sum(), 0.0))
    counts = np.histogram(x, edges)[0]
    counts = np.append(counts, len(x) - counts.sum())
    return p / p.sum(), counts


def _jsd(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """JSD(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, in nats, along the last axis."""
    m = (p + q) / 2
    return 0.5 * (xlogy(p, p) - xlogy(p, m)).sum(axis=-1) + 0.5 * (xlogy(q, q) - xlogy(q, m)).sum(axis=-1)


def _kl_samples_from_density(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(q || p) = sum q log(q / p) of histogram q from density p, on the last axis; inf where q > 0 = p."""
    with np.errstate(divide="ignore"):
        return (xlogy(q, q) - xlogy(q, p)).sum(axis=-1)


def _binned_divergence(divergence, samples, density_fn, bins, value_range, n_bootstrap, seed):
    """Plug-in ``divergence(p, q)`` and its bootstrap standard error.

    Resampling the N samples with replacement and re-binning is the same as drawing the bin counts
    from Multinomial(N, q_hat), so the bootstrap needs no re-histogramming.
    """
    p, counts = _binned(samples, density_fn, bins, value_range)
    n = counts.sum()
    q = counts / n
    value = float(divergence(p, q))
    if int(n_bootstrap) < 2:
        raise ValueError(f"n_bootstrap must be >= 2, got {n_bootstrap}")
    rng = np.random.default_rng(seed)
    boot = divergence(p, rng.multinomial(n, q, size=int(n_bootstrap)) / n)
    stderr = float(boot.std(ddof=1)) if np.all(np.isfinite(boot)) else float("inf")
    return value, stderr


def js_divergence_to_density(
    samples, density_fn: Callable, bins=100, range=None, n_bootstrap: int = 200, seed: int = 0
) -> tuple[float, float]:
    """Binned Jensen-Shannon divergence JSD(p, q) in nats (0 <= JSD <= log 2), and its bootstrap stderr.

    ``density_fn`` maps a 1-D float64 array of points to density values p(x); ``samples`` are (N,)
    or (N, 1). ``bins`` is a number of equal bins over ``range`` (default: the samples' span padded by
    10% each side) or an array of bin edges. Mass outside the bins goes to one extra 'outside' bin.
    See the module docstring for the estimator's bias (about (B - 1) / (8N) for exact samples).
    """
    return _binned_divergence(_jsd, samples, density_fn, bins, range, n_bootstrap, seed)


def kl_divergence_to_density(
    samples, density_fn: Callable, bins=100, range=None, n_bootstrap: int = 200, seed: int = 0
) -> tuple[float, float]:
    """Binned KL(q || p) of the sample histogram q from the density p, in nats, and its bootstrap stderr.

    For a generator's samples this is the reverse KL(p_g || p_data): finite whenever the density is
    positive where the samples fall (inf otherwise), and it punishes samples off the data more than
    missed modes. Arguments as for :func:`js_divergence_to_density`; bias about (B - 1) / (2N).
    """
    return _binned_divergence(_kl_samples_from_density, samples, density_fn, bins, range, n_bootstrap, seed)
