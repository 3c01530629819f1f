"""Privacy accounting for DP-SGD: Rényi differential privacy of the sampled Gaussian mechanism.

One DP-SGD step (Abadi et al. 2016) takes a Poisson sample of the data (each example independently
with probability q), clips each example's gradient to norm C, sums, and adds N(0, σ²C²) noise. Seen
from one example, that is the *sampled Gaussian mechanism* with noise multiplier σ and rate q.

Rényi DP (Mironov 2017): a mechanism M is (α, ε_α)-RDP if D_α(M(X) ‖ M(X')) ≤ ε_α for neighbouring
data sets X, X' (one example added or removed). For the sampled Gaussian mechanism (Mironov, Talwar &
Zhang 2019) the worst case is the pair of one-dimensional distributions μ₀ = N(0, σ²) and the mixture
μ = (1 − q)μ₀ + q·N(1, σ²), and

    ε_α = log(A_α) / (α − 1),      A_α = E_{x~μ₀}[(μ(x)/μ₀(x))^α].

For integer α, expanding (1 − q + q·e^{(2x−1)/(2σ²)})^α binomially gives (their Section 3.3)

    A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k) / (2σ²)).

For fractional α the binomial series is infinite and splits at z₀ = σ² log(1/q − 1) + ½, the point
where the two parts of the mixture weigh the same:

    A_α = Σ_{i≥0} C(α, i) [ q^i (1 − q)^{α−i} e^{(i²−i)/(2σ²)} Φ((z₀ − i)/σ)
                          + q^{α−i} (1 − q)^i e^{((α−i)²−(α−i))/(2σ²)} Φ((α − i − z₀)/σ) ],

summed until both terms fall and are below e^{−30} of the total. C(α, i) changes sign for i > α; the
series is summed with |C(α, i)|, which bounds A_α from above (so ε is never understated) and has no
cancellation (as in Google's dp-accounting). Where that series does not settle within 1,000 terms
(orders near 1 with a large q) the order is left out. RDP composes by addition over the steps:
ε_α(T steps) = T·ε_α. Converting to (ε, δ)-DP uses the bound of Canonne, Kamath & Steinke (2020,
Prop. 12; also Asoodeh et al. 2020):

    ε = min_α  ε_α + log(1 − 1/α) − (log δ + log α) / (α − 1),

minimised over the orders ``ORDERS`` (the same grid as Google's dp-accounting, so the two agree).

    eps = compute_epsilon(noise_multiplier=1.1, sample_rate=256 / 60000, steps=10_000, delta=1e-5)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import binom, log_ndtr, logsumexp

__all__ = ["ORDERS", "compute_epsilon", "compute_rdp", "noise_multiplier_for_epsilon", "rdp_to_epsilon"]

ORDERS: tuple[float, ...] = tuple([1 + x / 10 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024])


def _check(noise_multiplier: float, sample_rate: float, steps: int, delta: float | None = None) -> None:
    if not noise_multiplier >= 0:
        raise ValueError(f"noise_multiplier must be ≥ 0, got {noise_multiplier}")
    if not 0 <= sample_rate <= 1:
        raise ValueError(f"sample_rate must be in [0, 1], got {sample_rate}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int ≥ 0, got {steps!r}")
    if delta is not None and not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    k = np.arange(alpha + 1)
    log_binom = math.lgamma(alpha + 1) - np.array([math.lgamma(i + 1) + math.lgamma(alpha - i + 1) for i in k])
    terms = log_binom + (alpha - k) * math.log1p(-q) + k * math.log(q) + (k * k - k) / (2 * sigma**2)
    return float(logsumexp(terms))


def _log_a_frac(q: float, sigma: float, alpha: float, max_terms: int = 1000) -> float:
    """log of the fractional-order series with |C(α, i)| (an upper bound on A_α); ∞ if it does not settle.

    All ``max_terms`` terms are computed at once; the sum stops at the first i where both terms fall
    and are below e^{−30} of the running total.
    """
    z0 = sigma**2 * math.log(1 / q - 1) + 0.5
    i = np.arange(max_terms, dtype=np.float64)
    j = alpha - i
    log_coef = np.log(np.abs(binom(alpha, i)))
    log_s0 = log_coef + i * math.log(q) + j * math.log1p(-q) + (i * i - i) / (2 * sigma**2) + log_ndtr((z0 - i) / sigma)
    log_s1 = log_coef + j * math.log(q) + i * math.log1p(-q) + (j * j - j) / (2 * sigma**2) + log_ndtr((j - z0) / sigma)
    total = np.logaddexp.accumulate(np.logaddexp(log_s0, log_s1))
    falling = np.zeros(max_terms, dtype=bool)
    falling[1:] = (log_s0[1:] < log_s0[:-1]) & (log_s1[1:] < log_s1[:-1])
    done = np.flatnonzero(falling & (np.maximum(log_s0, log_s1) < total - 30))
    return float(total[done[0]]) if done.size else math.inf  # no bound from this order; the others still do


def compute_rdp(noise_multiplier: float, sample_rate: float, steps: int,
                orders: tuple[float, ...] = ORDERS) -> np.ndarray:
    """ε_α for each order α after ``steps`` steps of the sampled Gaussian mechanism (see the module)."""
    _check(noise_multiplier, sample_rate, steps)
    q, sigma = float(sample_rate), float(noise_multiplier)
    out = []
    for alpha in orders:
        if q == 0 or steps == 0:
            out.append(0.0)
        elif sigma == 0:
            out.append(math.inf)
        elif q == 1:
            out.append(alpha / (2 * sigma**2))  # the plain Gaussian mechanism
        elif float(alpha).is_integer():
            out.append(_log_a_int(q, sigma, int(alpha)) / (alpha - 1))
        else:
            out.append(_log_a_frac(q, sigma, float(alpha)) / (alpha - 1))
    return np.array(out) * steps


def rdp_to_epsilon(rdp, delta: float, orders: tuple[float, ...] = ORDERS) -> tuple[float, float]:
    """(ε, the best order) of (ε, δ)-DP implied by RDP values ``rdp`` at ``orders`` (see the module)."""
    best, best_order = math.inf, float(orders[0])
    for alpha, r in zip(orders, rdp):
        if alpha <= 1.01 or not math.isfinite(r):
            continue
        if delta**2 + math.expm1(-r) > 0:  # δ ≥ √(1 − e^{−KL}): ε = 0 already holds
            eps = 0.0
        else:
            eps = r + math.log1p(-1 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1)
        if eps < best:
            best, best_order = eps, float(alpha)
    return max(0.0, best), best_order


def compute_epsilon(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> float:
    """ε of (ε, δ)-DP after ``steps`` DP-SGD steps with noise N(0, σ²C²) and Poisson sampling rate q."""
    _check(noise_multiplier, sample_rate, steps, delta)
    return rdp_to_epsilon(compute_rdp(noise_multiplier, sample_rate, steps), delta)[0]


def noise_multiplier_for_epsilon(target_epsilon: float, sample_rate: float, steps: int, delta: float,
                                 tolerance: float = 1e-3) -> float:
    """The smallest σ (to ``tolerance`` relative) with compute_epsilon(σ, q, steps, δ) ≤ target_epsilon.

    ε falls as σ grows, so a bisection on log σ finds it.
    """
    if not target_epsilon > 0:
        raise ValueError(f"target_epsilon must be > 0, got {target_epsilon}")
    _check(1.0, sample_rate, steps, delta)
    low, high = 1e-2, 1.0
    while compute_epsilon(high, sample_rate, steps, delta) > target_epsilon:
        low, high = high, high * 2
        if high > 1e4:
            raise ValueError(f"no noise multiplier up to 1e4 reaches ε = {target_epsilon} "
                             f"(q = {sample_rate}, {steps} steps, δ = {delta})")
    while high / low > 1 + tolerance:
        mid = math.sqrt(low * high)
        if compute_epsilon(mid, sample_rate, steps, delta) > target_epsilon:
            low = mid
        else:
            high = mid
    return high
