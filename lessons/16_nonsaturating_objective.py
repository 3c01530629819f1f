# %% [markdown]
# # Lesson 16 — What the non-saturating loss actually minimises
#
# A common statement is that *GANs minimise the Jensen–Shannon divergence*. Lesson 05 showed when
# that is true: for the **minimax** loss with an optimal discriminator, $V(D^*, G) = -\log 4 +
# 2\,\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$. Almost every GAN is trained with the **non-saturating**
# generator loss $-\mathbb E_z \log D(G(z))$ instead (lesson 06), and that loss follows a different
# divergence.
#
# **Theorem** (Arjovsky & Bottou 2017, Thm 2.5). Let $p_{\theta_0}$ be the current generator and
# $D^* = p_{\text{data}} / (p_{\text{data}} + p_{\theta_0})$ the optimal discriminator against it, held
# fixed. Then
#
# $$\mathbb E_z\big[-\nabla_\theta \log D^*(g_\theta(z))\big]_{\theta = \theta_0}
#   = \nabla_\theta\Big[\mathrm{KL}(p_\theta\,\|\,p_{\text{data}})
#     - 2\,\mathrm{JSD}(p_\theta\,\|\,p_{\text{data}})\Big]_{\theta = \theta_0}.$$
#
# **Derivation.** Write $q_\theta = p_\theta$, $p = p_{\text{data}}$, $q_0 = q_{\theta_0}$. With $D^*$ frozen,
# $-\mathbb E_z\log D^*(g_\theta(z)) = -\int q_\theta\log\frac{p}{p + q_0}$ (reparametrisation). Now
# $\mathrm{KL}(q_\theta\|p) = \int q_\theta\log q_\theta - \int q_\theta\log p$, and at $\theta_0$ the
# derivative of
# $2\,\mathrm{JSD}(q_\theta\|p) = \int q_\theta\log\frac{2q_\theta}{p + q_\theta} + \int p\log\frac{2p}{p + q_\theta}$
# is $\int \partial_\theta q_\theta \log\frac{2 q_0}{p + q_0}$ (the other terms integrate
# $\partial_\theta q_\theta$ to 0). Subtracting,
# $\partial_\theta[\mathrm{KL} - 2\mathrm{JSD}] = \int\partial_\theta q_\theta\,\big(\log q_0 - \log p -
# \log\frac{2q_0}{p + q_0}\big) = -\int\partial_\theta q_\theta\,\log\frac{p}{p + q_0}$ (again
# $\int\partial_\theta q_\theta = 0$ absorbs $\log 2$), which is the left side. The minimax loss,
# likewise, follows $\nabla_\theta\, 2\,\mathrm{JSD}$.
#
# $\mathrm{KL}(p_g\|p_{\text{data}})$ — the **reverse** KL — is *mode-seeking*: it is infinite when $p_g$
# puts mass where the data have none, and barely penalises missing modes; the $-2\,\mathrm{JSD}$ term
# does not undo that. The forward $\mathrm{KL}(p_{\text{data}}\|p_g)$ (maximum likelihood) is *mode-covering*.
#
# We check the identity with minigan's autodiff against finite differences of the divergences by
# quadrature, for a Gaussian generator $\mathcal N(\mu, \sigma^2)$ and the data
# $\tfrac12\mathcal N(-2, 0.5^2) + \tfrac12\mathcal N(2, 0.5^2)$; then fit one Gaussian to that mixture
# under each objective. The numbers that settle the claim: JSD and forward KL put the Gaussian in the
# **middle** ($\mu = 0$, $\sigma \approx 2$), reverse KL and the non-saturating objective on **one mode**
# ($\mu = \pm 2$, $\sigma \approx 0.5$).
#
# Run it: `python lessons/16_nonsaturating_objective.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

import minigan as mg
from minigan import theory
from minigan.data import density
from minigan.data.toy import MIXTURE1D_MEANS, MIXTURE1D_STD
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section

X = np.linspace(-14.0, 14.0, 14001)  # the quadrature grid (dx = 0.002)
P = density("mixture1d", X)


def q_density(mu: float, sigma: float) -> np.ndarray:
    return norm.pdf(X, mu, sigma)


# %% [markdown]
# ## 1. The generator's gradient, by autodiff
#
# $x = \mu + \sigma z$ on a fine grid of $z \in [-10, 10]$ with trapezoid weights $w_i \propto \varphi(z_i)$, so
# $\mathbb E_z f(z) \approx \sum_i w_i f(z_i)$. (A Gauss–Hermite rule would be the textbook choice, but
# $-\log p_{\text{data}}$ has a near-kink between the two modes, where a polynomial rule converges
# slowly; the trapezoid rule's error there is $O(h^2)$.) The log-densities
# are written with minigan ops so that `mg.grad` differentiates through them; each log-sum-exp is
# shifted by a constant computed at $\theta_0$ (which changes the value by a constant and the gradient
# not at all).


# %%
def _log_normal(x: mg.Tensor, mean: float, std: float) -> mg.Tensor:
    return -0.5 * ((x - mean) / std) ** 2 - float(np.log(std * np.sqrt(2 * np.pi)))


def _logsumexp(terms: list[mg.Tensor], weights: list[float]) -> mg.Tensor:
    shift = mg.tensor(np.max(np.stack([t.numpy() for t in terms]), axis=0))  # constant in θ
    total = sum(w * mg.exp(t - shift) for t, w in zip(terms, weights))
    return mg.log(total) + shift


def generator_gradients(mu0: float, sigma0: float, nodes: int = 40001) -> dict:
    """E_z ∇θ of the non-saturating loss −log D*(x) and of the saturating log(1 − D*(x)), D* frozen at θ0."""
    z = np.linspace(-10.0, 10.0, nodes)
    w = norm.pdf(z)
    w[[0, -1]] *= 0.5  # trapezoid
    w = w / w.sum()
    out = {}
    for kind in ("nonsaturating", "saturating"):
        mu = mg.tensor(mu0, dtype="float64", requires_grad=True)
        sigma = mg.tensor(sigma0, dtype="float64", requires_grad=True)
        x = mu + sigma * mg.tensor(z, dtype="float64")
        data_terms = [_log_normal(x, m, MIXTURE1D_STD) for m in MIXTURE1D_MEANS]
        log_p = _logsumexp(data_terms, [0.5, 0.5])
        log_q0 = _log_normal(x, mu0, sigma0)  # the frozen generator's density: constants mu0, sigma0
        log_p_plus_q0 = _logsumexp(data_terms + [log_q0], [0.5, 0.5, 1.0])
        if kind == "nonsaturating":
            per_node = -(log_p - log_p_plus_q0)  # −log D*
        else:
            per_node = log_q0 - log_p_plus_q0  # log(1 − D*) = log q0 − log(p + q0)
        loss = (mg.tensor(w, dtype="float64") * per_node).sum()
        g_mu, g_sigma = mg.grad(loss, [mu, sigma])
        out[kind] = np.array([g_mu.item(), g_sigma.item()])
    return out


# %% [markdown]
# ## 2. The divergences' gradients, by quadrature and finite differences


# %%
def kl_reverse(mu: float, sigma: float) -> float:
    return theory.kl_divergence(q_density(mu, sigma), P, X)


def kl_forward(mu: float, sigma: float) -> float:
    return theory.kl_divergence(P, q_density(mu, sigma), X)


def jsd(mu: float, sigma: float) -> float:
    return theory.js_divergence(q_density(mu, sigma), P, X)


def nonsaturating_objective(mu: float, sigma: float) -> float:
    return kl_reverse(mu, sigma) - 2 * jsd(mu, sigma)


def numerical_gradient(f, mu: float, sigma: float, h: float = 1e-4) -> np.ndarray:
    return np.array([(f(mu + h, sigma) - f(mu - h, sigma)) / (2 * h),
                     (f(mu, sigma + h) - f(mu, sigma - h)) / (2 * h)])


# %% [markdown]
# ## 3. Fit one Gaussian to the two-mode mixture under each objective
#
# Nelder–Mead on $(\mu, \log\sigma)$ from three starts — the middle $(0, 2)$, off-centre $(0.7, 1)$ and
# near a mode $(2.5, 0.4)$ — keeping the best: an objective may have several local minima, and JSD
# does (its global minimum is in the middle, with a shallower local one on each mode). Forward KL has a
# closed-form answer: moment matching, $\mu = 0$, $\sigma^2 = 0.5^2 + 2^2 = 4.25$.


# %%
OBJECTIVES = {"JSD(p_g ‖ p_data)": jsd, "forward KL(p_data ‖ p_g)": kl_forward,
              "reverse KL(p_g ‖ p_data)": kl_reverse, "non-saturating: KL − 2 JSD": nonsaturating_objective}


STARTS = ((0.0, float(np.log(2.0))), (0.7, 0.0), (2.5, float(np.log(0.4))))


def fit(f, start) -> tuple[float, float, float]:
    with warnings.catch_warnings():  # forward KL is +inf where a narrow Gaussian misses a mode: NM steps back
        warnings.simplefilter("ignore", RuntimeWarning)
        result = minimize(lambda v: f(v[0], float(np.exp(v[1]))), np.array(start), method="Nelder-Mead",
                          options=dict(xatol=1e-6, fatol=1e-10, maxiter=2000))
    return float(result.x[0]), float(np.exp(result.x[1])), float(result.fun)


def best_fit(f) -> tuple[dict, list[dict]]:
    """The best of the fits from every start, and all of them (distinct local minima show up here)."""
    runs = [dict(zip(("mu", "sigma", "value"), fit(f, start))) for start in STARTS]
    return min(runs, key=lambda r: r["value"]), runs


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("16_nonsaturating_objective", out_dir)
    results: dict = {}
    points = [(0.5, 1.0), (1.5, 0.7)] if quick else [(0.5, 1.0), (1.5, 0.7), (-1.0, 2.0), (2.5, 0.4)]

    section("1. the gradient identity, at several generators N(μ, σ²)")
    worst_ns, worst_sat = 0.0, 0.0
    rows = []
    for mu0, sigma0 in points:
        g = generator_gradients(mu0, sigma0)
        rhs_ns = numerical_gradient(nonsaturating_objective, mu0, sigma0)
        rhs_sat = numerical_gradient(lambda m, s: 2 * jsd(m, s), mu0, sigma0)
        err_ns = float(np.max(np.abs(g["nonsaturating"] - rhs_ns)) / np.max(np.abs(rhs_ns)))
        err_sat = float(np.max(np.abs(g["saturating"] - rhs_sat)) / np.max(np.abs(rhs_sat)))
        worst_ns, worst_sat = max(worst_ns, err_ns), max(worst_sat, err_sat)
        rows.append(dict(mu=mu0, sigma=sigma0, autodiff_ns=g["nonsaturating"].tolist(), fd_ns=rhs_ns.tolist(),
                         autodiff_sat=g["saturating"].tolist(), fd_sat=rhs_sat.tolist()))
        print(f"  θ0 = ({mu0}, {sigma0}): non-saturating E∇(−log D*) = {np.round(g['nonsaturating'], 6)}, "
              f"∇(KL − 2JSD) = {np.round(rhs_ns, 6)}; saturating {np.round(g['saturating'], 6)} vs "
              f"∇(2JSD) = {np.round(rhs_sat, 6)}")
    results.update(gradient_rows=rows, identity_rel_error=worst_ns, minimax_identity_rel_error=worst_sat)
    check("non-saturating: E∇θ(−log D*) = ∇θ[KL(p_g‖p_data) − 2 JSD] (max relative error)", worst_ns, worst_ns < 1e-5)
    check("saturating (minimax): E∇θ log(1 − D*) = ∇θ 2 JSD (max relative error)", worst_sat, worst_sat < 1e-5)
    jsd_only = numerical_gradient(lambda m, s: 2 * jsd(m, s), *points[0])
    differs = float(np.linalg.norm(np.array(rows[0]["autodiff_ns"]) - jsd_only) / np.linalg.norm(jsd_only))
    results["ns_vs_jsd_gradient"] = differs
    check("and the non-saturating gradient is not the JSD's (relative difference)", differs, differs > 0.1)

    section("2. one Gaussian fitted to ½N(−2, 0.5²) + ½N(2, 0.5²)")
    fits, local = {}, {}
    for name, f in OBJECTIVES.items():
        fits[name], local[name] = best_fit(f)
        r = fits[name]
        others = ", ".join(f"({v['mu']:+.2f}, {v['sigma']:.2f}) → {v['value']:.4f}" for v in local[name])
        print(f"  {name:<28}: μ = {r['mu']:+.4f}, σ = {r['sigma']:.4f} (objective {r['value']:.4f}); "
              f"from the three starts: {others}")
    results["fits"] = fits
    js_mode = min((v for v in local["JSD(p_g ‖ p_data)"] if abs(abs(v["mu"]) - 2) < 0.05), key=lambda v: v["value"],
                  default=None)
    results["jsd_local_minimum_on_a_mode"] = js_mode
    fwd, rev = fits["forward KL(p_data ‖ p_g)"], fits["reverse KL(p_g ‖ p_data)"]
    js, ns = fits["JSD(p_g ‖ p_data)"], fits["non-saturating: KL − 2 JSD"]
    check("forward KL: moment matching, μ = 0 and σ = √4.25 (max error)",
          max(abs(fwd["mu"]), abs(fwd["sigma"] - np.sqrt(4.25))), max(abs(fwd["mu"]), abs(fwd["sigma"] - np.sqrt(4.25)))
          < 1e-3)
    check("JSD: its global minimum is in the middle too (|μ| < 0.05, σ > 1.5)", (js["mu"], js["sigma"]),
          abs(js["mu"]) < 0.05 and js["sigma"] > 1.5)
    if js_mode is not None:
        print(f"  (JSD also has a local minimum on a mode, {js_mode['value']:.4f} against {js['value']:.4f} in the "
              f"middle: it covers both modes, but only just)")
    for name, r in (("reverse KL", rev), ("non-saturating", ns)):
        check(f"{name}: one mode (|μ| within 0.05 of 2, σ within 0.05 of 0.5)", (r["mu"], r["sigma"]),
              abs(abs(r["mu"]) - 2) < 0.05 and abs(r["sigma"] - 0.5) < 0.05)
    mid = nonsaturating_objective(0.0, fwd["sigma"])
    results["ns_objective_middle"] = mid
    check("the non-saturating objective prefers one mode to the middle (values)", (ns["value"], mid),
          ns["value"] < mid)

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 2, figsize=(13, 4.3))
    ax[0].fill_between(X, P, color="grey", alpha=0.35, label="p_data")
    for (name, r), color in zip(fits.items(), ("C0", "C1", "C2", "C3")):
        ax[0].plot(X, q_density(r["mu"], r["sigma"]), color=color, lw=1.8,
                   ls="--" if "forward" in name else "-", label=f"{name}: μ = {r['mu']:+.2f}, σ = {r['sigma']:.2f}")
    ax[0].set_xlim(-6, 6)
    ax[0].set(xlabel="x", title="one Gaussian fitted under each objective")
    ax[0].legend(fontsize=7, loc="upper left")
    mus = np.linspace(-3.5, 3.5, 141)
    for (name, f), color in zip(OBJECTIVES.items(), ("C0", "C1", "C2", "C3")):
        sigma = fits[name]["sigma"]
        values = np.array([f(m, sigma) for m in mus])
        ax[1].plot(mus, values - values.min(), color=color, label=f"{name} (σ = {sigma:.2f})")
    ax[1].set_ylim(0, 3)
    ax[1].set(xlabel="μ (σ fixed at each fit's value)", ylabel="objective − its minimum",
              title="each objective along μ")
    ax[1].legend(fontsize=7)
    save_figure(fig, out, "nonsaturating_objective.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
