# %% [markdown]
# # Lesson 05 — The link to Jensen–Shannon
#
# Lesson 04 found the best discriminator for a fixed generator,
# $D^* = p_{\text{data}} / (p_{\text{data}} + p_g)$. Put it back into the value of the game and
# the generator's objective turns out to be a divergence (Goodfellow et al., 2014, Theorem 1):
#
# $$C(G) = V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \,\|\, p_g).$$
#
# **Derivation.** With $p = p_{\text{data}}$, $q = p_g$ and the mixture $m = (p + q)/2$,
#
# $$V(D^*, G) = \int p \log\frac{p}{p + q} + q \log\frac{q}{p + q}\,dx
#             = \int p \log\frac{p}{2m} + q \log\frac{q}{2m}\,dx
#             = \mathrm{KL}(p\,\|\,m) + \mathrm{KL}(q\,\|\,m) - 2\log 2,$$
#
# and $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$.
# Since $\mathrm{JSD} \ge 0$ with equality only when $p = q$, the generator's objective has its
# **global minimum $-\log 4$ exactly at $p_g = p_{\text{data}}$** — where $D^* \equiv \tfrac12$
# and $V = \log\tfrac12 + \log\tfrac12$. Since $\mathrm{JSD} \le \log 2$, $V(D^*, G) \le 0$.
#
# We check the identity three ways for $p_{\text{data}} = \mathcal N(4, 1.25^2)$ and generators
# $p_g = \mathcal N(\mu, 1.25^2)$:
#
# 1. **quadrature**: `theory.value_at_optimum` against $-\log 4 + 2$`theory.js_divergence`,
#    sweeping $\mu$ — the minimum is $-\log 4$ at $\mu = 4$;
# 2. **Monte Carlo with $D^*$**: average $\log D^*(x)$ over data and $\log(1 - D^*(G(z)))$ over samples;
# 3. **Monte Carlo with a trained D**: the same averages with a minigan discriminator trained
#    against the frozen generator — what a GAN actually sees. Claim: within 0.01 nats.
#
# Run it: `python lessons/05_jensen_shannon.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim, theory
from minigan.data import sample_gauss1d
from minigan.data.toy import GAUSS1D_MEAN, GAUSS1D_STD
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

LOG4 = float(np.log(4.0))
GRID = np.linspace(-15.0, 25.0, 8001)  # wide: the densities must vanish at both ends for the quadrature


def sampler(mean: float, std: float):
    return lambda n, rng: (mean + std * rng.standard_normal((n, 1))).astype(np.float32)


# %% [markdown]
# ## 1. Quadrature: the whole curve $\mu \mapsto V(D^*, G_\mu)$
#
# (`theory.value_at_optimum` integrates $p\log\frac{p}{p+q} + q\log\frac{q}{p+q}$ with the
# densities themselves, which stays finite where $D^*$ rounds to exactly 0 or 1 in floating point.)


# %%
def sweep(means: np.ndarray, gen_std: float) -> tuple[np.ndarray, np.ndarray]:
    p = norm.pdf(GRID, GAUSS1D_MEAN, GAUSS1D_STD)
    values, jsd = [], []
    for mu in means:
        q = norm.pdf(GRID, mu, gen_std)
        values.append(theory.value_at_optimum(p, q, GRID))
        jsd.append(theory.js_divergence(p, q, GRID))
    return np.array(values), np.array(jsd)


# %% [markdown]
# ## 2. Monte Carlo: what a discriminator measures
#
# $V(D, G) \approx \frac1n\sum_i \log D(x_i) + \frac1n\sum_j \log(1 - D(G(z_j)))$, written with
# logits as $-\operatorname{softplus}(-\ell)$ and $-\operatorname{softplus}(\ell)$ so that a very
# confident D does not produce $\log 0$. For $D^*$ the logit is exactly $\log p - \log q$.


# %%
def train_discriminator(sample_gen, steps: int, seed: int, batch: int = 512, lr: float = 1e-2):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([1, 64, 64, 1], activation="tanh")
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * (1 - step / steps)
        loss = losses.discriminator_loss("minimax", D(mg.tensor(sample_gauss1d(batch, rng))),
                                         D(mg.tensor(sample_gen(batch, rng))))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D


def mc_value(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
    """V = mean log σ(real) + mean log(1 − σ(fake)) = −mean softplus(−real) − mean softplus(fake)."""
    softplus = lambda a: np.logaddexp(0.0, a)  # noqa: E731
    return float(-softplus(-real_logits).mean() - softplus(fake_logits).mean())


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("05_jensen_shannon", out_dir)
    results: dict = {}

    section("1. quadrature: V(D*, G) = −log 4 + 2 JSD, sweeping the generator's mean")
    means = np.linspace(-2.0, 10.0, 121)
    values, jsd = sweep(means, GAUSS1D_STD)
    identity_error = float(np.abs(values - (-LOG4 + 2 * jsd)).max())
    best = int(np.argmin(values))
    results.update(identity_error=identity_error, argmin_mean=float(means[best]), min_value=float(values[best]))
    check("V(D*, G) = −log 4 + 2·JSD on all 121 generators (max |diff|, nats)", identity_error, identity_error < 1e-9)
    check("the minimum over the sweep is at μ = 4 (the data's mean)", float(means[best]),
          abs(means[best] - GAUSS1D_MEAN) < 1e-9)
    check("the minimum value is −log 4 = −1.386294", float(values[best]), abs(values[best] + LOG4) < 1e-6)
    check("0 ≤ JSD ≤ log 2 everywhere", (float(jsd.min()), float(jsd.max())),
          jsd.min() > -1e-12 and jsd.max() <= np.log(2) + 1e-9)
    # a generator family that cannot match the data never reaches −log 4
    values_narrow, _ = sweep(means, 0.8)
    results["min_value_wrong_std"] = float(values_narrow.min())
    check("with the wrong spread (p_g = N(μ, 0.8²)) the minimum stays above −log 4",
          results["min_value_wrong_std"], results["min_value_wrong_std"] > -LOG4 + 1e-3)

    section("2. Monte Carlo with D* and with a trained discriminator")
    test_means = [4.0, 6.0] if quick else [4.0, 5.5, 7.0]
    steps = 1000 if quick else 2500
    tol = 0.02 if quick else 0.01
    n = 200_000
    rng = np.random.default_rng(123)
    results["mc"] = []
    for k, mu in enumerate(test_means):
        p = norm.pdf(GRID, GAUSS1D_MEAN, GAUSS1D_STD)
        q = norm.pdf(GRID, mu, GAUSS1D_STD)
        v_quad = theory.value_at_optimum(p, q, GRID)
        real, fake = sample_gauss1d(n, rng).astype(np.float64), sampler(mu, GAUSS1D_STD)(n, rng).astype(np.float64)
        log_ratio = lambda x: norm.logpdf(x, GAUSS1D_MEAN, GAUSS1D_STD) - norm.logpdf(x, mu, GAUSS1D_STD)  # noqa: B023, E731
        v_mc_star = mc_value(log_ratio(real), log_ratio(fake))
        D = train_discriminator(sampler(mu, GAUSS1D_STD), steps, seed=k)
        with mg.no_grad():
            v_mc_trained = mc_value(D(mg.tensor(real)).numpy().astype(np.float64),
                                    D(mg.tensor(fake)).numpy().astype(np.float64))
        row = dict(mu=mu, quadrature=v_quad, two_jsd_minus_log4=-LOG4 + 2 * theory.js_divergence(p, q, GRID),
                   mc_optimal=v_mc_star, mc_trained=v_mc_trained)
        results["mc"].append(row)
        print(f"  μ = {mu}: quadrature {v_quad:.4f} | MC with D* {v_mc_star:.4f} | MC with trained D "
              f"{v_mc_trained:.4f}  (−log 4 + 2 JSD = {row['two_jsd_minus_log4']:.4f})")
        check(f"μ = {mu}: MC with D* agrees with quadrature within {tol} nats", abs(v_mc_star - v_quad),
              abs(v_mc_star - v_quad) < tol)
        check(f"μ = {mu}: MC with the trained D agrees with quadrature within {tol} nats",
              abs(v_mc_trained - v_quad), abs(v_mc_trained - v_quad) < tol)

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    ax[0].plot(means, values, "k", lw=2.5, label="V(D*, G) by quadrature")
    ax[0].plot(means[::6], (-LOG4 + 2 * jsd)[::6], "o", mfc="none", color="C1", label="−log 4 + 2·JSD(p_data‖p_g)")
    ax[0].plot(means, values_narrow, color="C0", lw=1.2, alpha=0.8, label="V(D*, G) for p_g = N(μ, 0.8²)")
    ax[0].plot([r["mu"] for r in results["mc"]], [r["mc_trained"] for r in results["mc"]], "C3*", ms=12,
               label="Monte Carlo with a trained D")
    ax[0].axhline(-LOG4, color="grey", ls="--", lw=1)
    ax[0].axhline(0.0, color="grey", ls=":", lw=1)
    ax[0].annotate("minimum −log 4\nat p_g = p_data", xy=(GAUSS1D_MEAN, -LOG4), xytext=(6.6, -1.3),
                   arrowprops=dict(arrowstyle="->"), fontsize=9)
    ax[0].set_xlabel("generator mean μ  (p_g = N(μ, 1.25²); data N(4, 1.25²))")
    ax[0].set_ylabel("nats")
    ax[0].set_title("the generator's objective once D is optimal")
    ax[0].legend(fontsize=8, loc="upper center")
    ax[1].plot(means, jsd, "C1", lw=2, label="JSD(p_data‖p_g)")
    ax[1].axhline(np.log(2), color="grey", ls="--", lw=1, label="log 2 (disjoint supports)")
    ax[1].set_xlabel("generator mean μ")
    ax[1].set_ylabel("nats")
    ax[1].set_title("JSD saturates at log 2 as the distributions separate")
    ax[1].legend(fontsize=8)
    save_figure(fig, out, "jensen_shannon.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
