"""Closed forms and quadratures for GAN theory on known 1-D densities (float64).

Densities are arrays ``p``, ``q`` sampled on a 1-D grid ``x``; integrals use the
trapezoid rule, so choose a grid that covers the mass finely. Logs are natural:
divergences are in nats and JSD lies in [0, log 2].

Goodfellow et al. (2014): for a fixed generator the best discriminator is
D*(x) = p_data / (p_data + p_g), and the value of the game there is
V(D*, G) = -log 4 + 2 JSD(p_data || p_g).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.special import rel_entr
from scipy.stats import norm

LOG4 = float(np.log(4.0))


def _grid(p: np.ndarray, q: np.ndarray, x: np.ndarray, fn: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, q, x = (np.asarray(a, dtype=np.float64) for a in (p, q, x))
    if x.ndim != 1 or p.shape != x.shape or q.shape != x.shape:
        raise ValueError(
            f"{fn}: expected 1-D p, q and x of the same length, got {p.shape}, {q.shape}, {x.shape}"
        )
    if np.any(p < 0) or np.any(q < 0):
        raise ValueError(f"{fn}: densities must be non-negative")
    return p, q, x


def integrate(f: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid rule: int f(x) dx ~ sum_i (x_{i+1} - x_i) (f_i + f_{i+1}) / 2."""
    return float(trapezoid(np.asarray(f, dtype=np.float64), np.asarray(x, dtype=np.float64)))


def cdf_from_density(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """F(x_i) = int_{x_0}^{x_i} p(t) dt by the cumulative trapezoid rule (starts at 0)."""
    return cumulative_trapezoid(np.asarray(p, dtype=np.float64), np.asarray(x, dtype=np.float64), initial=0.0)


# ----------------------------------------------------------------------------- the GAN game


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)); 0.5 where both densities are 0."""
    p = np.asarray(p_data, dtype=np.float64)
    q = np.asarray(p_g, dtype=np.float64)
    if np.any(p < 0) or np.any(q < 0):
        raise ValueError("optimal_discriminator: densities must be non-negative")
    s = p + q
    return np.where(s > 0, p / np.where(s > 0, s, 1.0), 0.5)


def value_of_game(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray, x: np.ndarray) -> float:
    """V(D, G) = int p_data log D + p_g log(1 - D) dx, with 0 log 0 = 0."""
    p, q, x = _grid(p_data, p_g, x, "value_of_game")
    d = np.asarray(d, dtype=np.float64)
    if d.shape != x.shape or np.any((d < 0) | (d > 1)):
        raise ValueError(f"value_of_game: d must hold values in [0, 1] on the grid, got shape {d.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        real = np.where(p > 0, p * np.log(d), 0.0)
        fake = np.where(q > 0, q * np.log1p(-d), 0.0)
    return integrate(real + fake, x)


def value_at_optimum(p_data: np.ndarray, p_g: np.ndarray, x: np.ndarray) -> float:
    """V(D*, G) = int p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g)) dx.

    Equals -log 4 + 2 JSD(p_data || p_g) for normalised densities. Written with the
    densities rather than D*, because D* rounds to exactly 1 where p_g << p_data
    and log(1 - D*) would give -inf.
    """
    p, q, x = _grid(p_data, p_g, x, "value_at_optimum")
    s = p + q
    return integrate(rel_entr(p, s) + rel_entr(q, s), x)


# ----------------------------------------------------------------------------- divergences


F_DIVERGENCES = ("kl", "reverse_kl", "pearson", "js", "tv", "hellinger")


def f_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray, kind: str) -> float:
    """D_f(P || Q) = int q f(p / q) dx on a grid, written per kind so zeros are safe:

    - ``kl``:         f(t) = t log t          -> int p log(p / q)
    - ``reverse_kl``: f(t) = -log t           -> int q log(q / p)
    - ``pearson``:    f(t) = (t - 1)^2        -> int (p - q)^2 / q            (Pearson chi^2)
    - ``js``:         -> 1/2 int p log(2p / (p + q)) + q log(2q / (p + q))   (Jensen-Shannon)
    - ``tv``:         f(t) = |t - 1| / 2      -> 1/2 int |p - q|              (total variation)
    - ``hellinger``:  f(t) = (sqrt t - 1)^2   -> int (sqrt p - sqrt q)^2      (squared Hellinger)

    Returns ``inf`` when p > 0 where q = 0 for KL and Pearson (and the reverse for reverse KL).
    """
    p, q, x = _grid(p, q, x, "f_divergence")
    if kind == "kl":
        integrand = rel_entr(p, q)  # p log(p/q), 0 where p = 0, inf where q = 0 < p
    elif kind == "reverse_kl":
        integrand = rel_entr(q, p)
    elif kind == "pearson":
        with np.errstate(divide="ignore", invalid="ignore"):
            integrand = np.where(q > 0, (p - q) ** 2 / np.where(q > 0, q, 1.0), np.where(p > 0, np.inf, 0.0))
    elif kind == "js":
        m = (p + q) / 2
        integrand = 0.5 * (rel_entr(p, m) + rel_entr(q, m))
    elif kind == "tv":
        integrand = 0.5 * np.abs(p - q)
    elif kind == "hellinger":
        integrand = (np.sqrt(p) - np.sqrt(q)) ** 2
    else:
        raise ValueError(f"f_divergence: unknown kind {kind!r}; valid kinds: {', '.join(F_DIVERGENCES)}")
    if np.isinf(integrand).any():
        return float("inf")
    return integrate(integrand, x)


def kl_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """KL(P || Q) = int p log(p / q) dx (0 log 0 = 0; inf if p > 0 where q = 0)."""
    return f_divergence(p, q, x, "kl")


def js_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """JSD(P || Q) = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2; in [0, log 2]."""
    return f_divergence(p, q, x, "js")


# ----------------------------------------------------------------------------- Gaussians


def kl_gaussians(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """KL(N(mu1, s1^2) || N(mu2, s2^2)) = log(s2 / s1) + (s1^2 + (mu1 - mu2)^2) / (2 s2^2) - 1/2."""
    if s1 <= 0 or s2 <= 0:
        raise ValueError(f"kl_gaussians: standard deviations must be positive, got {s1}, {s2}")
    return float(np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5)


def w2_gaussians(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """W2(N(mu1, s1^2), N(mu2, s2^2)) = sqrt((mu1 - mu2)^2 + (s1 - s2)^2)."""
    if s1 < 0 or s2 < 0:
        raise ValueError(f"w2_gaussians: standard deviations must be non-negative, got {s1}, {s2}")
    return float(np.hypot(mu1 - mu2, s1 - s2))


def w1_gaussians_1d(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """W1 between 1-D Gaussians, in closed form.

    In 1-D, W1 = int_0^1 |F^-1(u) - G^-1(u)| du, and F^-1(u) - G^-1(u) = a + b z with
    a = mu1 - mu2, b = s1 - s2, z ~ N(0, 1). So W1 = E|a + b z| (a folded normal mean):
    W1 = |b| sqrt(2 / pi) exp(-a^2 / (2 b^2)) + a (1 - 2 Phi(-a / |b|)), and |a| when b = 0.
    """
    if s1 < 0 or s2 < 0:
        raise ValueError(f"w1_gaussians_1d: standard deviations must be non-negative, got {s1}, {s2}")
    a, b = float(mu1 - mu2), abs(float(s1 - s2))
    if b == 0:
        return abs(a)
    return float(b * np.sqrt(2 / np.pi) * np.exp(-(a**2) / (2 * b**2)) + a * (1 - 2 * norm.cdf(-a / b)))


def w1_from_cdfs(cdf_p: np.ndarray, cdf_q: np.ndarray, x: np.ndarray) -> float:
    """W1(P, Q) = int |F_P(x) - F_Q(x)| dx on a 1-D grid (use ``cdf_from_density`` for densities)."""
    fp, fq, x = (np.asarray(a, dtype=np.float64) for a in (cdf_p, cdf_q, x))
    if x.ndim != 1 or fp.shape != x.shape or fq.shape != x.shape:
        raise ValueError(
            f"w1_from_cdfs: expected 1-D arrays of the same length, got {fp.shape}, {fq.shape}, {x.shape}"
        )
    return integrate(np.abs(fp - fq), x)


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    """Symmetric square root V diag(sqrt(w)) V^T of a symmetric PSD matrix (tiny negative w -> 0)."""
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_gaussians(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """Squared W2 (Frechet) distance between N(mu1, S1) and N(mu2, S2), as in FID:

    d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}).

    Computed with symmetric eigendecompositions in float64 (no complex sqrtm):
    Tr((S1^{1/2} S2 S1^{1/2})^{1/2}) = sum_i sqrt(lambda_i) over the eigenvalues of
    the symmetric PSD matrix S1^{1/2} S2 S1^{1/2}.
    """
    mu1, mu2 = (np.atleast_1d(np.asarray(m, dtype=np.float64)) for m in (mu1, mu2))
    s1, s2 = (np.atleast_2d(np.asarray(s, dtype=np.float64)) for s in (s1, s2))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"frechet_gaussians: expected means (d,) and covariances (d, d), "
            f"got {mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}"
        )
    r1 = _sqrt_psd(s1)
    m = r1 @ s2 @ r1
    lam = np.linalg.eigvalsh((m + m.T) / 2)
    tr_covmean = np.sqrt(np.clip(lam, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)
