# %% [markdown]
# # Lesson 07 — Disjoint supports: Jensen–Shannon vs Wasserstein
#
# Lesson 05 showed that an optimal discriminator turns the GAN game into minimising
# $\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$. That is a problem when the two distributions do not
# overlap — the usual case early in training, and for images, which live near thin manifolds.
# Arjovsky, Chintala & Bottou (2017, Example 1) make it concrete with two parallel lines in the
# plane:
#
# $$P_0 = \text{law of } (0, U), \qquad P_\theta = \text{law of } (\theta, U), \qquad U \sim \mathcal U[0, 1].$$
#
# For $\theta \ne 0$ the supports are disjoint, and every divergence that compares densities
# pointwise is blind to *how far apart* they are:
#
# * $\mathrm{JSD}(P_0\,\|\,P_\theta) = \log 2$. With $M = (P_0 + P_\theta)/2$, on $P_0$'s line
#   $dP_0/dM = 2$, so $\mathrm{KL}(P_0\,\|\,M) = \log 2$, and the same for $P_\theta$.
# * $\mathrm{KL}(P_0\,\|\,P_\theta) = +\infty$, and the total variation is 1.
#
# All constant in $\theta$: **the gradient with respect to the generator's parameter is zero.**
# The Wasserstein-1 (earth mover's) distance instead measures transport:
#
# $$W_1(P_0, P_\theta) = \inf_{\gamma \in \Pi(P_0, P_\theta)} \mathbb E_{(a, b)\sim\gamma}\|a - b\| = |\theta|.$$
#
# Moving every point horizontally costs $|\theta|$, so $W_1 \le |\theta|$; and by the
# Kantorovich–Rubinstein duality $W_1 = \sup_{\|f\|_L \le 1} \mathbb E_{P_0} f - \mathbb E_{P_\theta} f$,
# and the 1-Lipschitz $f(x, y) = -\operatorname{sign}(\theta)\,x$ achieves $|\theta|$. Its gradient
# in $\theta$ is $\pm 1$: **it always says which way to move.**
#
# A WGAN's critic is a neural network trained to approximate that supremum; WGAN-GP (Gulrajani
# et al., 2017) keeps it near 1-Lipschitz with the gradient penalty
# $\lambda\,\mathbb E_{\hat x}(\|\nabla f(\hat x)\| - 1)^2$ on points between the two
# distributions (`losses.gradient_penalty`). The claim we check: **the critic's estimate is
# within 10% of $|\theta|$ for every $\theta$**, while a standard discriminator reports
# $\mathrm{JSD} \approx \log 2$ with a gradient that vanishes.
#
# A common statement is that *the Jensen–Shannon divergence tells the generator how far it is from
# the data*. On disjoint supports it does not: it is $\log 2$ at every $\theta \ne 0$, and its slope in
# $\theta$ is measured below $10^{-5}$, while $W_1 = |\theta|$ has slope $\pm 1$ everywhere.
#
# Run it: `python lessons/07_js_vs_wasserstein.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim, theory
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

LOG2 = float(np.log(2.0))


def lines(theta: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of P_θ = (θ, U[0, 1]), shape (n, 2)."""
    return np.concatenate([np.full((n, 1), theta), rng.uniform(0.0, 1.0, (n, 1))], axis=1).astype(np.float32)


# %% [markdown]
# ## 1. The closed forms, and why JSD's gradient vanishes
#
# Both lines share the same $y$-distribution, so every divergence here equals the one between
# the $x$-marginals: a point mass at 0 and one at $\theta$. To see the limit, blur the point masses
# into $\mathcal N(0, s^2)$ and $\mathcal N(\theta, s^2)$ and let $s \to 0$: by quadrature,
# $\mathrm{JSD}$ becomes a step — $0$ at $\theta = 0$, $\log 2$ everywhere else, flat — while
# $W_1 = |\theta|$ for every $s$ (`theory.w1_gaussians_1d`).


# %%
def blurred_jsd(thetas: np.ndarray, s: float) -> np.ndarray:
    x = np.linspace(-1.5 - 10 * s, 1.5 + 10 * s, 40001)
    p = norm.pdf(x, 0.0, s)
    return np.array([theory.js_divergence(p, norm.pdf(x, t, s), x) for t in thetas])


# %% [markdown]
# ## 2. A WGAN-GP critic estimates $W_1 = |\theta|$
#
# For each $\theta$ we train a critic $f$ (a small MLP) on fresh samples of both lines, minimising
# $\mathbb E_{P_\theta} f - \mathbb E_{P_0} f + \lambda\,\mathbb E(\|\nabla f(\hat x)\| - 1)^2$
# (`losses.wgan_critic_loss` + `losses.gradient_penalty`), then estimate
# $W_1 \approx \mathbb E_{P_0} f - \mathbb E_{P_\theta} f$ on 20,000 new samples. We also put $\theta$
# itself into the graph (the fake points are $(\theta, u)$ built from a tensor $\theta$ with
# `requires_grad=True`) and ask minigan for $\partial(\text{estimate})/\partial\theta$ — the signal a
# generator would get.


# %%
def fake_points(theta: mg.Tensor, u: np.ndarray) -> mg.Tensor:
    """(θ, u) as a differentiable function of the tensor θ."""
    return mg.concat([theta * mg.ones(len(u), 1), mg.tensor(u)], axis=1)


def estimate_and_gradient(score, theta: float, rng, n: int = 20_000, sign: float = 1.0):
    """E_P0 score − E_Pθ score (sign=1), or the given combination, and its derivative in θ."""
    th = mg.tensor(np.float32(theta), requires_grad=True)
    u = rng.uniform(0.0, 1.0, (n, 1)).astype(np.float32)
    value = score(mg.tensor(lines(0.0, n, rng)), fake_points(th, u))
    (g,) = mg.grad(value, [th])
    return value.item(), g.item()


def train_critic(theta: float, steps: int, seed: int, batch: int = 256):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    f = mlp([2, 64, 64, 1])
    opt = optim.Adam(f.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(steps):
        real, fake = mg.tensor(lines(0.0, batch, rng)), mg.tensor(lines(theta, batch, rng))
        loss = losses.wgan_critic_loss(f(real), f(fake)) + losses.gradient_penalty(f, real, fake, lambda_=10.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    w1, grad = estimate_and_gradient(lambda r, q: f(r).mean() - f(q).mean(), theta, rng)
    return f, w1, grad


# %% [markdown]
# ## 3. A standard discriminator sees only $\log 2$
#
# The same experiment with the original GAN's discriminator (binary cross-entropy). It separates
# the lines perfectly whatever $\theta$ is, so its estimate of $\mathrm{JSD} = (V(D, G) + \log 4)/2$
# heads for $\log 2$ for *every* $\theta$, and the generator's gradient
# $\partial V/\partial\theta = \partial\,\mathbb E\log(1 - D(\theta, u))/\partial\theta$ dies out
# as D grows confident.


# %%
def train_discriminator(theta: float, steps: int, seed: int, batch: int = 256):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([2, 64, 64, 1])
    opt = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(steps):
        loss = losses.discriminator_loss("minimax", D(mg.tensor(lines(0.0, batch, rng))),
                                         D(mg.tensor(lines(theta, batch, rng))))
        opt.zero_grad()
        loss.backward()
        opt.step()
    # V(D, G) = E log D(real) + E log(1 − D(fake)), with logits: −softplus(−r) − softplus(f)
    value, grad = estimate_and_gradient(lambda r, q: -(mg.softplus(-D(r)).mean() + mg.softplus(D(q)).mean()),
                                        theta, rng)
    return (value + np.log(4.0)) / 2, grad / 2  # the JSD estimate and its θ-derivative


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("07_js_vs_wasserstein", out_dir)
    results: dict = {}

    section("1. closed forms: JSD is a flat log 2, W1 = |θ|")
    thetas_fine = np.linspace(-1.0, 1.0, 201)
    curves = {s: blurred_jsd(thetas_fine, s) for s in (0.1, 0.03, 0.003)}
    far = np.abs(thetas_fine) >= 0.05
    sharpest = curves[0.003]
    results["jsd_far_from_0"] = float(sharpest[far].min())
    results["jsd_slope_far_from_0"] = float(np.abs(np.gradient(sharpest, thetas_fine))[far].max())
    check("JSD = log 2 for |θ| ≥ 0.05 (blur s = 0.003)", results["jsd_far_from_0"],
          abs(results["jsd_far_from_0"] - LOG2) < 1e-6)
    check("and its θ-derivative is 0 there", results["jsd_slope_far_from_0"], results["jsd_slope_far_from_0"] < 1e-5)
    w1_blurred = [theory.w1_gaussians_1d(0.0, 0.003, t, 0.003) for t in (-0.7, 0.2, 0.9)]
    check("W1 between the blurred lines = |θ|", w1_blurred, np.allclose(w1_blurred, [0.7, 0.2, 0.9], atol=1e-12))

    section("2. WGAN-GP critics, one per θ")
    thetas = [-0.5, 0.3, 1.0] if quick else [-1.0, -0.5, -0.2, 0.1, 0.3, 0.6, 1.0]
    steps = 250 if quick else 500
    results["theta"], results["critic_w1"], results["critic_grad"] = thetas, [], []
    critic_for_plot = None
    for k, theta in enumerate(thetas):
        f, w1, grad = train_critic(theta, steps, seed=k)
        results["critic_w1"].append(w1)
        results["critic_grad"].append(grad)
        print(f"  θ = {theta:+.2f}: critic estimate {w1:.4f} (|θ| = {abs(theta):.2f}), ∂/∂θ = {grad:+.3f}")
        if theta == 1.0:
            critic_for_plot = f
    rel = [abs(w - abs(t)) / abs(t) for w, t in zip(results["critic_w1"], thetas)]
    results["critic_max_rel_error"] = float(max(rel))
    check("critic estimate within 10% of |θ| for every θ (max relative error)",
          results["critic_max_rel_error"], results["critic_max_rel_error"] < 0.10)
    slope_err = max(abs(g - np.sign(t)) for g, t in zip(results["critic_grad"], thetas))
    check("its θ-derivative is sign(θ) = ±1, within 0.1 (max error)", float(slope_err), slope_err < 0.1)

    section("3. standard discriminators, one per θ")
    d_steps = 300
    results["js_estimate"], results["js_grad"] = [], []
    for k, theta in enumerate(thetas):
        jsd, grad = train_discriminator(theta, d_steps, seed=k)
        results["js_estimate"].append(float(jsd))
        results["js_grad"].append(float(grad))
        print(f"  θ = {theta:+.2f}: JSD estimate {jsd:.4f} (log 2 = {LOG2:.4f}), ∂/∂θ = {grad:+.2e}")
    check("every discriminator's JSD estimate is near log 2, whatever θ (min)", min(results["js_estimate"]),
          min(results["js_estimate"]) > 0.9 * LOG2)
    apart = [k for k, t in enumerate(thetas) if abs(t) >= 0.3]
    ratio = max(abs(results["js_grad"][k]) / abs(results["critic_grad"][k]) for k in apart)
    results["js_to_critic_gradient_ratio"] = float(ratio)
    check("for |θ| ≥ 0.3 the JS gradient is under 1% of the critic's (max ratio)", float(ratio), ratio < 0.01)

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.4))
    rng = np.random.default_rng(0)
    gx, gy = np.meshgrid(np.linspace(-0.5, 1.5, 120), np.linspace(-0.25, 1.25, 90))
    with mg.no_grad():
        fz = critic_for_plot(mg.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))).numpy()
    cs = ax[0].contourf(gx, gy, fz.reshape(gx.shape), levels=20, cmap="coolwarm")
    fig.colorbar(cs, ax=ax[0], label="critic f(x, y)")
    p0, p1 = lines(0.0, 60, rng), lines(1.0, 60, rng)
    ax[0].plot(p0[:, 0], p0[:, 1], "k.", ms=4, label="P0 = (0, U)")
    ax[0].plot(p1[:, 0], p1[:, 1], "o", ms=3, mfc="w", mec="k", mew=0.5, label="Pθ = (θ, U), θ = 1")
    ax[0].set_title("the WGAN-GP critic for θ = 1: a ramp of slope 1")
    ax[0].legend(fontsize=8, loc="upper center")
    for s, curve in curves.items():
        ax[1].plot(thetas_fine, curve, lw=1.2, label=f"JSD, lines blurred by s = {s}")
    ax[1].plot(thetas_fine, np.abs(thetas_fine), "k", lw=2, label="W1 = |θ|")
    ax[1].plot(thetas, results["critic_w1"], "C3o", ms=7, label="WGAN-GP critic estimate")
    ax[1].plot(thetas, results["js_estimate"], "C4s", ms=6, mfc="none", label="discriminator's JSD estimate")
    ax[1].axhline(LOG2, color="grey", ls=":", lw=1)
    ax[1].set_xlabel("θ")
    ax[1].set_title("distance between the lines as θ varies")
    ax[1].legend(fontsize=7, loc="upper center")
    ax[2].semilogy(thetas, np.abs(results["critic_grad"]), "C3o-", label="|∂ W1 estimate / ∂θ|  (critic)")
    ax[2].semilogy(thetas, np.abs(results["js_grad"]), "C4s-", mfc="none",
                   label="|∂ JSD estimate / ∂θ|  (discriminator)")
    ax[2].set_xlabel("θ")
    ax[2].set_title("the signal a generator at θ would receive")
    ax[2].legend(fontsize=8)
    save_figure(fig, out, "js_vs_wasserstein.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
