# %% [markdown]
# # Lesson 04 — The optimal discriminator
#
# Freeze the generator: $p_g$ is now just some fixed distribution. What is the best the
# discriminator can do? Goodfellow et al. (2014, Proposition 1) answer in closed form:
#
# $$D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}.$$
#
# **Derivation.** Write the value as one integral,
# $V(D, G) = \int p_{\text{data}}(x)\log D(x) + p_g(x)\log(1 - D(x))\,dx$. $D$ may choose its
# value at every $x$ separately, so maximise the integrand pointwise: for $a, b \ge 0$ (not both 0),
# $y \mapsto a\log y + b\log(1-y)$ on $(0, 1)$ has derivative $a/y - b/(1-y)$, which vanishes at
# $y = a/(a + b)$, and is concave, so that is the maximum. With $a = p_{\text{data}}(x)$ and
# $b = p_g(x)$ we get $D^*$. Outside both supports the value of $D$ does not matter.
#
# In words: the discriminator's loss is the binary cross-entropy of a classifier that sees real
# and generated samples in equal numbers, and the best such classifier outputs the posterior
# probability of "real" — the density ratio in disguise: $\operatorname{logit} D^* = \log p_{\text{data}} - \log p_g$.
#
# We check this by training a discriminator (a small minigan MLP) to convergence against a
# *frozen* $p_g$, for two pairs of distributions, and overlaying the formula. The claims:
#
# * the root-mean-square error weighted by where the samples fall,
#   $\big(\int \tfrac12(p_{\text{data}} + p_g)\,(D - D^*)^2\,dx\big)^{1/2}$, is below 0.012 (0.008 in the
#   full run) — a bar that **a formula off by 15%** cannot meet: $p/(p + 1.15\,q)$ is 0.024 away from
#   $D^*$ in this norm for both pairs, and the lesson computes that margin too;
# * $\max |D - D^*| < 0.03$ (0.06 quick) wherever $p_{\text{data}} + p_g$ is not negligible (at least 5%
#   of its peak; further out there are too few samples to learn anything from).
#
# Run it: `python lessons/04_optimal_discriminator.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim, theory
from minigan.data import density, sample_gauss1d, sample_mixture1d
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

SUPPORT_FRACTION = 0.05  # "not negligible": p_data + p_g at least 5% of its peak
WRONG_FACTOR = 1.15  # the check must reject D = p / (p + 1.15 q)


def weighted_rms(d: np.ndarray, d_star: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """(∫ ½(p + q)(D − D*)² dx)^½ on a uniform grid: the error where the training samples fall."""
    w = (p + q) / (p + q).sum()
    return float(np.sqrt(np.sum(w * (d - d_star) ** 2)))


def gaussian(mean: float, std: float):
    """A sampler and a density for N(mean, std²)."""
    def sample(n, rng):
        return (mean + std * rng.standard_normal((n, 1))).astype(np.float32)
    return sample, (lambda x: norm.pdf(x, mean, std))


# The two experiments: (name, data sampler, data density, generator sampler, generator density).
def cases():
    g_a, q_a = gaussian(2.5, 0.8)
    g_b, q_b = gaussian(0.0, 1.5)
    return [
        ("p_data = N(4, 1.25²),  p_g = N(2.5, 0.8²)", sample_gauss1d, lambda x: density("gauss1d", x), g_a, q_a),
        ("p_data = ½N(−2, 0.5²) + ½N(2, 0.5²),  p_g = N(0, 1.5²)", sample_mixture1d,
         lambda x: density("mixture1d", x), g_b, q_b),
    ]


# %% [markdown]
# ## 1. Train D against a frozen generator
#
# Each step draws fresh batches from both distributions (so D cannot memorise samples) and takes
# one Adam step on the discriminator's loss $-V$; the learning rate decays to 0 so the final D
# is not jittering around the optimum.


# %%
def train_discriminator(sample_data, sample_gen, steps: int, seed: int = 0, batch: int = 512, lr: float = 1e-2):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([1, 64, 64, 1], activation="tanh")
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * (1 - step / steps)
        real, fake = mg.tensor(sample_data(batch, rng)), mg.tensor(sample_gen(batch, rng))
        loss = losses.discriminator_loss("minimax", D(real), D(fake))  # = −V(D, G) on the batches
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D


def d_on_grid(D, x: np.ndarray) -> np.ndarray:
    with mg.no_grad():
        return mg.sigmoid(D(mg.tensor(x[:, None]))).numpy().ravel().astype(np.float64)


# %% [markdown]
# ## 2. Overlay $D^* = p_{\text{data}} / (p_{\text{data}} + p_g)$
#
# `minigan.theory.optimal_discriminator` evaluates the formula on a grid; we compare it with
# the trained D where the densities carry mass, and also compare the values of the game
# $V(D, G)$ and $V(D^*, G)$ by quadrature: since $D^*$ is the maximiser, $V(D, G) \le V(D^*, G)$,
# and a good D comes close.


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("04_optimal_discriminator", out_dir)
    steps = 1500 if quick else 3000
    tol = 0.06 if quick else 0.03  # a shorter training run gets close, not as close
    rms_tol = 0.012 if quick else 0.008
    x = np.linspace(-6.0, 10.0, 1601)
    results: dict = {"max_error": [], "rms_error": [], "wrong_formula_rms": [], "rms_tol": rms_tol,
                     "value_trained": [], "value_optimal": []}
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.5), sharex="col", gridspec_kw=dict(height_ratios=[1, 1.4]))
    for k, (title, sample_data, p_data, sample_gen, p_gen) in enumerate(cases()):
        section(f"{k + 1}. {title}: train D for {steps} steps")
        D = train_discriminator(sample_data, sample_gen, steps, seed=k)
        p, q = p_data(x), p_gen(x)
        d_star = theory.optimal_discriminator(p, q)
        d = d_on_grid(D, x)
        mass = (p + q) >= SUPPORT_FRACTION * (p + q).max()
        error = float(np.abs(d - d_star)[mass].max())
        rms = weighted_rms(d, d_star, p, q)
        wrong = weighted_rms(p / (p + WRONG_FACTOR * q), p / (p + q), p, q)  # straight from the densities
        results["rms_error"].append(rms)
        results["wrong_formula_rms"].append(wrong)
        v_trained = theory.value_of_game(p, q, np.clip(d, 1e-12, 1 - 1e-12), x)
        v_opt = theory.value_at_optimum(p, q, x)
        results["max_error"].append(error)
        results["value_trained"].append(v_trained)
        results["value_optimal"].append(v_opt)
        worst = x[mass][np.argmax(np.abs(d - d_star)[mass])]
        print(f"  max |D − D*| where p_data + p_g ≥ {SUPPORT_FRACTION:.0%} of its peak: {error:.4f} "
              f"(at x = {worst:.2f})")
        print(f"  V(D, G) = {v_trained:.4f}  ≤  V(D*, G) = {v_opt:.4f}")
        print(f"  weighted RMS |D − D*| = {rms:.4f}; the formula with q scaled by {WRONG_FACTOR} is {wrong:.4f} "
              f"from D* in the same norm")
        check(f"weighted RMS |D − D*| < {rms_tol}", rms, rms < rms_tol)
        check(f"the bar is sharp: a {WRONG_FACTOR - 1:.0%} error in the formula is more than 1.5× the bar away",
              wrong, wrong > 1.5 * rms_tol)
        check(f"max |D − D*| < {tol} where the densities carry mass", error, error < tol)
        check("V(D, G) ≤ V(D*, G), and close", v_opt - v_trained, -1e-9 <= v_opt - v_trained < 0.01)

        top, bottom = axes[0, k], axes[1, k]
        top.fill_between(x, p, alpha=0.35, label="p_data")
        top.fill_between(x, q, alpha=0.35, label="p_g (frozen)")
        top.set_title(title, fontsize=10)
        top.legend(fontsize=8)
        bottom.plot(x, d_star, "k", lw=2.5, label="D* = p_data / (p_data + p_g)")
        bottom.plot(x, d, "C3--", lw=1.8, label=f"trained D ({steps} steps)")
        bottom.fill_between(x, 0, 1, where=~mass, color="grey", alpha=0.15, label="negligible mass (not checked)")
        bottom.set_ylim(-0.02, 1.02)
        bottom.set_xlabel("x")
        bottom.set_ylabel("D(x)")
        bottom.legend(fontsize=8, loc="lower left" if k == 0 else "upper left")
        bottom.text(0.99, 0.5, f"max |D − D*| = {error:.3f}\nweighted RMS = {rms:.4f}", transform=bottom.transAxes,
                    ha="right", fontsize=9)
    save_figure(fig, out, "optimal_discriminator.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
