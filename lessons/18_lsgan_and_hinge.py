# %% [markdown]
# # Lesson 18 — Least-squares and hinge GANs: what they minimise at the optimal D
#
# Lesson 05 showed that the minimax loss with an optimal D measures the Jensen–Shannon divergence.
# Two other popular losses measure other things.
#
# **Least squares (LSGAN, Mao et al. 2017).** With targets $a$ (fake) and $b$ (real) for D and $c$ for G,
#
# $$\min_D\ \tfrac12\mathbb E_{p}[(D - b)^2] + \tfrac12\mathbb E_{q}[(D - a)^2], \qquad
#   \min_G\ \tfrac12\mathbb E_{p}[(D - c)^2] + \tfrac12\mathbb E_{q}[(D - c)^2]$$
#
# ($p = p_{\text{data}}$, $q = p_g$; the first term of G's loss does not depend on G). Pointwise, D's
# loss is a parabola in $D(x)$ with minimum at
#
# $$D^*(x) = \frac{b\,p(x) + a\,q(x)}{p(x) + q(x)}.$$
#
# Substituting, $D^* - c = \frac{(b - c)(p + q) - (b - a)q}{p + q}$, so with $b - c = 1$ and $b - a = 2$
# (for instance $a = -1$, $b = 1$, $c = 0$)
#
# $$2\,C(G) = \int \frac{\big((p + q) - 2q\big)^2}{p + q}\,dx = \int\frac{(p - q)^2}{p + q}\,dx,$$
#
# a Pearson $\chi^2$ divergence between $p + q$ and $2q$ — zero exactly when $q = p$. (minigan's
# `losses.lsgan_*` use the other common coding, $a = 0$, $b = c = 1$: the same $D^*$ formula, with
# $D^* = p/(p + q)$, but $b - c = 0$, so G's loss is not this divergence.)
#
# **Hinge (Lim & Ye 2017; Miyato et al. 2018).** D minimises
# $\mathbb E_p[\max(0, 1 - D)] + \mathbb E_q[\max(0, 1 + D)]$. Pointwise the loss
# $p\max(0, 1 - y) + q\max(0, 1 + y)$ is piecewise linear in $y$: on $[-1, 1]$ it is
# $p(1 - y) + q(1 + y)$, so the minimum sits at a corner, $D^* = \operatorname{sign}(p - q)$, with value
# $2\min(p, q)$. Integrated:
#
# $$L_D^* = 2\int\min(p, q)\,dx = 2\big(1 - \mathrm{TV}(p, q)\big), \qquad \mathrm{TV} = \tfrac12\int|p - q|.$$
#
# So the optimal hinge discriminator measures the **total variation**. (Its usual generator loss
# $-\mathbb E_q D$ is not the negative of D's loss; against $D^*$ it is $Q(p < q) - Q(p > q)$.)
#
# We check every formula by quadrature — the LSGAN identity, and the hinge optimum by brute-force
# pointwise minimisation over a grid of values — and by training minigan discriminators against a
# frozen $q = \mathcal N(2.5, 0.8^2)$, with data $\mathcal N(4, 1.25^2)$.
#
# Run it: `python lessons/18_lsgan_and_hinge.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim, theory
from minigan.data import density, sample_gauss1d
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

G_MEAN, G_STD = 2.5, 0.8


def sample_gen(n: int, rng: np.random.Generator) -> np.ndarray:
    return (G_MEAN + G_STD * rng.standard_normal((n, 1))).astype(np.float32)


# %% [markdown]
# ## 1. The formulas by quadrature


# %%
def lsgan_generator_objective(p: np.ndarray, q: np.ndarray, x: np.ndarray, a=-1.0, b=1.0, c=0.0) -> float:
    """C(G) = ½ E_p (D* − c)² + ½ E_q (D* − c)², D* = (b p + a q)/(p + q), by quadrature."""
    d_star = (b * p + a * q) / (p + q)
    return 0.5 * theory.integrate((p + q) * (d_star - c) ** 2, x)


def pearson_p_plus_q_vs_2q(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """∫ ((p + q) − 2q)² / (p + q) dx."""
    return theory.integrate(((p + q) - 2 * q) ** 2 / (p + q), x)


def hinge_optimum_brute_force(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """min over y ∈ [−2, 2] of p max(0, 1 − y) + q max(0, 1 + y), at every x; returns ∫ of the minimum, argmin."""
    ys = np.linspace(-2.0, 2.0, 401)
    pointwise = p[:, None] * np.maximum(0, 1 - ys[None]) + q[:, None] * np.maximum(0, 1 + ys[None])
    return theory.integrate(pointwise.min(axis=1), x), ys[pointwise.argmin(axis=1)]


def total_variation(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    return 0.5 * theory.integrate(np.abs(p - q), x)


# %% [markdown]
# ## 2. Train the discriminators
#
# Fresh batches every step, Adam with a learning rate decaying to 0 (as in lesson 04). The LSGAN
# critic with $a = -1$, $b = 1$ is written out; the $a = 0$, $b = 1$ one and the hinge one are
# minigan's `losses.discriminator_loss("lsgan" | "hinge", ...)`.


# %%
def lsgan_pm1_loss(real: mg.Tensor, fake: mg.Tensor) -> mg.Tensor:
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * ((fake + 1) ** 2).mean()


def train_discriminator(kind: str, steps: int, seed: int = 0, batch: int = 512, lr: float = 5e-3):
    """kind: "lsgan ±1" (a = −1, b = 1), "lsgan 0/1" (minigan's a = 0, b = 1) or "hinge"."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([1, 64, 64, 1], activation="tanh")
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * (1 - step / steps)
        real, fake = D(mg.tensor(sample_gauss1d(batch, rng))), D(mg.tensor(sample_gen(batch, rng)))
        if kind == "lsgan ±1":
            loss = lsgan_pm1_loss(real, fake)
        else:
            loss = losses.discriminator_loss("lsgan" if kind == "lsgan 0/1" else "hinge", real, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D


def on_grid(D, x: np.ndarray) -> np.ndarray:
    with mg.no_grad():
        return D(mg.tensor(x[:, None].astype(np.float32))).numpy().ravel().astype(np.float64)


def on_samples(D, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    with mg.no_grad():
        real = D(mg.tensor(sample_gauss1d(n, rng))).numpy().ravel().astype(np.float64)
        fake = D(mg.tensor(sample_gen(n, rng))).numpy().ravel().astype(np.float64)
    return real, fake


def weighted_rms(d: np.ndarray, target: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    w = (p + q) / (p + q).sum()
    return float(np.sqrt(np.sum(w * (d - target) ** 2)))


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("18_lsgan_and_hinge", out_dir)
    steps = 1500 if quick else 3000
    n_mc = 100_000 if quick else 400_000
    x = np.linspace(-6.0, 12.0, 3601)
    p = density("gauss1d", x)
    results: dict = {}

    section("1. quadrature over a family of generators N(μ, σ²)")
    family = [(2.5, 0.8), (0.0, 1.0), (4.0, 0.6), (3.5, 1.25), (4.0, 1.25)]
    rows = []
    for mu, sd in family:
        q = norm.pdf(x, mu, sd)
        c_g = lsgan_generator_objective(p, q, x)
        chi2 = pearson_p_plus_q_vs_2q(p, q, x)
        hinge_value, _ = hinge_optimum_brute_force(p, q, x)
        tv = total_variation(p, q, x)
        rows.append(dict(mu=mu, sd=sd, lsgan_c=c_g, half_pearson=0.5 * chi2, hinge_value=hinge_value, tv=tv))
        print(f"  q = N({mu}, {sd}²): LSGAN C(G) = {c_g:.6f}, ½χ² = {0.5 * chi2:.6f};  hinge min L_D = "
              f"{hinge_value:.5f}, 2(1 − TV) = {2 * (1 - tv):.5f}")
    results["family"] = rows
    lsgan_err = max(abs(r["lsgan_c"] - r["half_pearson"]) for r in rows)
    hinge_err = max(abs(r["hinge_value"] - 2 * (1 - r["tv"])) for r in rows)
    results.update(lsgan_identity_error=lsgan_err, hinge_identity_error=hinge_err)
    check("LSGAN (a, b, c) = (−1, 1, 0): C(G) = ½ ∫ ((p + q) − 2q)²/(p + q) (max error)", lsgan_err, lsgan_err < 1e-9)
    check("hinge: brute-force pointwise minimum = 2(1 − TV) (max error)", hinge_err, hinge_err < 1e-6)
    at_data = rows[-1]
    check("both vanish at q = p_data (C(G), 2 − L_D*)", (at_data["lsgan_c"], 2 - at_data["hinge_value"]),
          at_data["lsgan_c"] < 1e-12 and abs(2 - at_data["hinge_value"]) < 1e-6)

    q = norm.pdf(x, G_MEAN, G_STD)
    tv = total_variation(p, q, x)
    targets = {"lsgan ±1": (p - q) / (p + q), "lsgan 0/1": p / (p + q), "hinge": np.sign(p - q)}
    trained = {}
    for kind in ("lsgan ±1", "lsgan 0/1", "hinge"):
        section(f"2. train a {kind} discriminator against q = N({G_MEAN}, {G_STD}²) for {steps} steps")
        D = train_discriminator(kind, steps)
        d = on_grid(D, x)
        trained[kind] = d
        real, fake = on_samples(D, n_mc, seed=7)
        if kind.startswith("lsgan"):
            rms = weighted_rms(d, targets[kind], p, q)
            results[kind] = dict(rms=rms)
            check(f"{kind}: D matches (b p + a q)/(p + q) (weighted RMS < 0.03)", rms, rms < 0.03)
            if kind == "lsgan ±1":
                c_mc = 0.5 * np.mean(real**2) + 0.5 * np.mean(fake**2)  # c = 0
                c_true = 0.5 * pearson_p_plus_q_vs_2q(p, q, x)
                rel = abs(c_mc - c_true) / c_true
                results[kind].update(c_trained=float(c_mc), c_true=c_true, rel_error=float(rel))
                print(f"  C(G) with the trained D, {n_mc} samples: {c_mc:.4f}; ½χ² = {c_true:.4f}")
                check("the trained D's C(G) is the Pearson divergence, within 5%", float(rel), rel < 0.05)
        else:
            loss = float(np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake)))
            w = (p + q) / (p + q).sum()
            sign_error = float(np.sum(w * np.abs(d - np.sign(p - q))))
            results["hinge"] = dict(loss=loss, optimum=2 * (1 - tv), tv=tv, sign_error=sign_error)
            print(f"  trained hinge loss {loss:.4f}; 2(1 − TV) = {2 * (1 - tv):.4f} (TV = {tv:.4f})")
            print(f"  weighted mean |D − sign(p − q)| = {sign_error:.4f}")
            check("hinge: trained D ≈ sign(p − q) (weighted mean error < 0.15)", sign_error, sign_error < 0.15)
            check("hinge: the trained loss is 2(1 − TV) within 0.03 (it can only be above it)",
                  loss - 2 * (1 - tv), -0.01 < loss - 2 * (1 - tv) < 0.03)

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.2))
    ax[0].fill_between(x, p, alpha=0.35, label="p_data = N(4, 1.25²)")
    ax[0].fill_between(x, q, alpha=0.35, label=f"p_g = N({G_MEAN}, {G_STD}²) (frozen)")
    ax[0].set_xlim(-1, 9)
    ax[0].set_title("the two distributions")
    ax[0].legend(fontsize=8)
    for kind, color in (("lsgan ±1", "C0"), ("lsgan 0/1", "C1"), ("hinge", "C3")):
        ax[1].plot(x, targets[kind], color=color, lw=2.5, alpha=0.5, label=f"D*, {kind}")
        ax[1].plot(x, trained[kind], "--", color=color, lw=1.5, label=f"trained, {kind}")
    ax[1].set_xlim(-1, 9)
    ax[1].set(xlabel="x", ylabel="D(x)", title="optimal discriminators: formula vs trained")
    ax[1].legend(fontsize=7)
    r = results["family"]
    labels = [f"N({v['mu']}, {v['sd']}²)" for v in r]
    pos = np.arange(len(r))
    ax[2].bar(pos - 0.2, [v["half_pearson"] for v in r], 0.4, label="LSGAN: ½ Pearson χ²")
    ax[2].bar(pos + 0.2, [v["tv"] for v in r], 0.4, label="hinge: TV = 1 − L_D*/2")
    ax[2].set_xticks(pos)
    ax[2].set_xticklabels(labels, fontsize=7, rotation=15)
    ax[2].set(title="what each loss measures, for several p_g")
    ax[2].legend(fontsize=8)
    save_figure(fig, out, "lsgan_hinge.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
