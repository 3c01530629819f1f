"""Toy distributions with known densities, the classic GAN test beds.

Each ``sample_<name>(n, rng)`` returns ``n`` float32 points of shape ``(n, dim)``.
All but the spiral are mixtures of isotropic Gaussians

    p(x) = sum_k w_k N(x; c_k, s^2 I),

so their mode centres ``c_k``, weights ``w_k`` and common std ``s`` are exposed
(``mode_centers``, ``mode_weights``, ``mode_std``) for mode-coverage metrics,
and ``density(name, x)`` evaluates ``p`` exactly.

====================  ====  ==================================================
name                  dim   distribution
====================  ====  ==================================================
``gauss1d``           1     N(4, 1.25^2)
``mixture1d``         1     0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2)
``ring8``             2     8 Gaussians on a circle of radius 2, std 0.02
``grid25``            2     5 x 5 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05
``spiral``            2     1.5 turns of a spiral out to radius 4, noise 0.05
====================  ====  ==================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from .loader import as_generator

GAUSS1D_MEAN, GAUSS1D_STD = 4.0, 1.25
MIXTURE1D_MEANS, MIXTURE1D_STD, MIXTURE1D_WEIGHTS = (-2.0, 2.0), 0.5, (0.5, 0.5)
RING8_RADIUS, RING8_STD = 2.0, 0.02
GRID25_COORDS, GRID25_STD = (-4.0, -2.0, 0.0, 2.0, 4.0), 0.05
SPIRAL_RADIUS, SPIRAL_TURNS, SPIRAL_NOISE = 4.0, 1.5, 0.05


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    return int(n)


def _ring8_centers() -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    return RING8_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _grid25_centers() -> np.ndarray:
    xs, ys = np.meshgrid(GRID25_COORDS, GRID25_COORDS, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _sample_mixture(n: int, rng: np.random.Generator, centers: np.ndarray, std: float) -> np.ndarray:
    """Equal-weight mixture: pick a centre uniformly, add N(0, std^2 I) noise."""
    n = _check_n(n)
    rng = as_generator(rng)
    k = rng.integers(len(centers), size=n)
    x = centers[k] + std * rng.standard_normal((n, centers.shape[1]))
    return x.astype(np.float32)


def sample_gauss1d(n: int, rng: np.random.Generator) -> np.ndarray:
    """x ~ N(4, 1.25^2), shape (n, 1)."""
    n = _check_n(n)
    rng = as_generator(rng)
    return (GAUSS1D_MEAN + GAUSS1D_STD * rng.standard_normal((n, 1))).astype(np.float32)


def sample_mixture1d(n: int, rng: np.random.Generator) -> np.ndarray:
    """x ~ 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2), shape (n, 1)."""
    return _sample_mixture(n, rng, np.array(MIXTURE1D_MEANS)[:, None], MIXTURE1D_STD)


def sample_ring8(n: int, rng: np.random.Generator) -> np.ndarray:
    """8 equal-weight Gaussians at radius 2, angles 2 pi k / 8, std 0.02; shape (n, 2)."""
    return _sample_mixture(n, rng, _ring8_centers(), RING8_STD)


def sample_grid25(n: int, rng: np.random.Generator) -> np.ndarray:
    """25 equal-weight Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05; shape (n, 2)."""
    return _sample_mixture(n, rng, _grid25_centers(), GRID25_STD)


def sample_spiral(n: int, rng: np.random.Generator) -> np.ndarray:
    """Spiral r = 4 t, angle = 2 pi 1.5 t, plus N(0, 0.05^2 I) noise; shape (n, 2).

    t = sqrt(u), u ~ U(0, 1): arc length grows roughly like t^2, so this spreads
    points about evenly along the curve.
    """
    n = _check_n(n)
    rng = as_generator(rng)
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n))
    angle = 2 * np.pi * SPIRAL_TURNS * t
    x = SPIRAL_RADIUS * t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return (x + SPIRAL_NOISE * rng.standard_normal((n, 2))).astype(np.float32)


@dataclass(frozen=True, eq=False)
class ToyDistribution:
    """A named toy distribution: ``dim``, a sampler and, for Gaussian mixtures, the modes.

    ``centers`` (K, dim), ``weights`` (K,) and ``std`` are ``None`` for the spiral.
    """

    name: str
    dim: int
    sampler: Callable[[int, np.random.Generator], np.ndarray]
    description: str
    centers: np.ndarray | None = None
    weights: np.ndarray | None = None
    std: float | None = None

    def sample(self, n: int, rng: np.random.Generator | int) -> np.ndarray:
        """Draw ``n`` fresh float32 samples of shape (n, dim)."""
        return self.sampler(n, rng)

    def density(self, x: np.ndarray) -> np.ndarray:
        """Exact density at points ``x`` (see ``density``)."""
        return density(self.name, x)


def _uniform(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


TOY_DATASETS: dict[str, ToyDistribution] = {
    "gauss1d": ToyDistribution(
        "gauss1d", 1, sample_gauss1d, "N(4, 1.25^2)",
        np.array([[GAUSS1D_MEAN]]), np.ones(1), GAUSS1D_STD,
    ),
    "mixture1d": ToyDistribution(
        "mixture1d", 1, sample_mixture1d, "0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2)",
        np.array(MIXTURE1D_MEANS)[:, None], np.array(MIXTURE1D_WEIGHTS), MIXTURE1D_STD,
    ),
    "ring8": ToyDistribution(
        "ring8", 2, sample_ring8, "8 Gaussians on a circle of radius 2, std 0.02",
        _ring8_centers(), _uniform(8), RING8_STD,
    ),
    "grid25": ToyDistribution(
        "grid25", 2, sample_grid25, "5x5 Gaussians at {-4,-2,0,2,4}^2, std 0.05",
        _grid25_centers(), _uniform(25), GRID25_STD,
    ),
    "spiral": ToyDistribution("spiral", 2, sample_spiral, "noisy 2-D spiral out to radius 4"),
}


def get_toy(name: str) -> ToyDistribution:
    """Look up a toy distribution by name; unknown names raise ValueError listing the valid ones."""
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy distribution {name!r}; valid names: {', '.join(TOY_DATASETS)}")
    return TOY_DATASETS[name]


def _mixture(name: str) -> ToyDistribution:
    toy = get_toy(name)
    if toy.centers is None:
        raise ValueError(f"{name!r} is not a Gaussian mixture: it has no modes and no closed-form density")
    return toy


def mode_centers(name: str) -> np.ndarray:
    """Mode centres c_k as a float64 (K, dim) array: (8, 2) for ring8, (25, 2) for grid25."""
    return _mixture(name).centers.copy()


def mode_weights(name: str) -> np.ndarray:
    """Mixture weights w_k, shape (K,), summing to 1."""
    return _mixture(name).weights.copy()


def mode_std(name: str) -> float:
    """The std s shared by every mode (per coordinate)."""
    return float(_mixture(name).std)


def density(name: str, x: np.ndarray) -> np.ndarray:
    """Exact density p(x) = sum_k w_k N(x; c_k, s^2 I), float64, shape (n,).

    ``x`` is (n,) or (n, 1) for 1-D distributions and (n, 2) for 2-D ones.
    """
    toy = _mixture(name)
    x = np.asarray(x, dtype=np.float64)
    if toy.dim == 1:
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ValueError(f"density({name!r}): expected x of shape (n,) or (n, 1), got {x.shape}")
        c = toy.centers[:, 0]
        return (toy.weights * norm.pdf(x[:, None], loc=c, scale=toy.std)).sum(axis=1)
    if x.ndim != 2 or x.shape[1] != toy.dim:
        raise ValueError(f"density({name!r}): expected x of shape (n, {toy.dim}), got {x.shape}")
    sq = ((x[:, None, :] - toy.centers[None, :, :]) ** 2).sum(axis=2)  # (n, K)
    gauss = np.exp(-sq / (2 * toy.std**2)) / (2 * np.pi * toy.std**2) ** (toy.dim / 2)
    return gauss @ toy.weights
