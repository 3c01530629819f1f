# %% [markdown]
# # Lesson 09 — Lipschitz critics: weight clipping vs gradient penalty
#
# The Wasserstein GAN's critic must be 1-Lipschitz, $|f(a) - f(b)| \le \|a - b\|$, because the
# Kantorovich–Rubinstein duality that turns $W_1$ into something trainable,
#
# $$W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb E_{x\sim P} f(x) - \mathbb E_{x\sim Q} f(x),$$
#
# only holds over that class. (Without the constraint the supremum is $+\infty$: scale $f$ up.)
# Two ways to impose it:
#
# * **Weight clipping** (Arjovsky et al., 2017): after every step, clip each weight to
#   $[-c, c]$. That bounds the Lipschitz constant by *some* $K(c)$ — the critic estimates
#   $K \cdot W_1$ — but Gulrajani et al. (2017) showed what it costs: the optimiser pushes most
#   weights to $\pm c$, the critic becomes a very simple function, and its gradients vanish
#   (small $c$) or explode (large $c$) through depth.
# * **Gradient penalty** (WGAN-GP): a differentiable $f$ is 1-Lipschitz iff $\|\nabla f\| \le 1$
#   everywhere, and the optimal critic has $\|\nabla f\| = 1$ almost everywhere on the lines
#   between coupled points of $P$ and $Q$ (Gulrajani et al., Proposition 1). So penalise
#   $\lambda\,\mathbb E_{\hat x}(\|\nabla f(\hat x)\| - 1)^2$ on random interpolates
#   $\hat x = \epsilon x + (1 - \epsilon)\tilde x$. This needs the gradient of a gradient — minigan's
#   `create_graph=True` (`losses.gradient_penalty`).
#
# We train the same critic (3 hidden layers of 128 ReLU units) both ways to separate `ring8`
# (real) from a standard normal (fake), then look at $\|\nabla f\|$ on interpolates. The claim:
# **under the gradient penalty the mean gradient norm is within 0.15 of 1**; under clipping it is
# nowhere near 1 and most weights sit on the clipping boundary.
#
# A common statement is that *the gradient penalty ensures the Lipschitz constraint*. It does not:
# it is a **soft** penalty, charged only on the interpolates, in the mean. We measure the largest
# $\|\nabla f\|$ on a grid over the whole plane $[-3, 3]^2$ (and on the interpolates): it exceeds 1,
# so the penalised critic is not 1-Lipschitz — only close to it where the penalty looks.
#
# Run it: `python lessons/09_lipschitz_critics.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan import optim
from minigan.data import sample_ring8
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

SIZES = [2, 128, 128, 128, 1]


def sample_fake(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((n, 2)).astype(np.float32)


# %% [markdown]
# ## 1. Two critics, one constraint each
#
# Clipping: RMSprop (as in the WGAN paper; momentum-based optimisers were reported to be
# unstable with it), then `p.data[...] = clip(p.data, -c, c)` on every parameter. Gradient
# penalty: Adam with β = (0.5, 0.9) and λ = 10, as in the WGAN-GP paper.


# %%
def clip_(critic, c: float) -> None:
    for p in critic.parameters():
        p.data[...] = np.clip(p.data, -c, c)


def train_critic(kind: str, steps: int, seed: int = 0, c: float = 0.01, batch: int = 256):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    f = mlp(SIZES, activation="relu")
    if kind == "clip":
        opt = optim.RMSprop(f.parameters(), lr=5e-4)
        clip_(f, c)
    else:
        opt = optim.Adam(f.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(steps):
        real, fake = mg.tensor(sample_ring8(batch, rng)), mg.tensor(sample_fake(batch, rng))
        loss = losses.wgan_critic_loss(f(real), f(fake))
        if kind == "gp":
            loss = loss + losses.gradient_penalty(f, real, fake, lambda_=10.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if kind == "clip":
            clip_(f, c)
    return f


# %% [markdown]
# ## 2. Gradient norms on interpolates
#
# $\hat x = \epsilon x + (1-\epsilon)\tilde x$ with fresh $x \sim$ ring8, $\tilde x \sim \mathcal N(0, I)$,
# $\epsilon \sim U[0, 1]$; one `mg.grad(f(x̂).sum(), x̂)` gives every $\nabla f(\hat x_i)$ at once
# (each output depends only on its own input row).


# %%
def gradient_norms(f, n: int = 4000, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    eps = rng.uniform(size=(n, 1)).astype(np.float32)
    x_hat = mg.tensor(eps * sample_ring8(n, rng) + (1 - eps) * sample_fake(n, rng), requires_grad=True)
    (g,) = mg.grad(f(x_hat).sum(), x_hat)
    return np.linalg.norm(g.numpy(), axis=1)


def weights(f) -> np.ndarray:
    return np.concatenate([p.numpy().ravel() for name, p in f.named_parameters() if name.endswith("weight")])


def critic_gap(f, n: int = 20000, seed: int = 2) -> float:
    """E_real f − E_fake f: the W1 estimate (times the unknown K(c) for a clipped critic)."""
    rng = np.random.default_rng(seed)
    with mg.no_grad():
        real, fake = f(mg.tensor(sample_ring8(n, rng))), f(mg.tensor(sample_fake(n, rng)))
    return float(real.numpy().mean() - fake.numpy().mean())


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("09_lipschitz_critics", out_dir)
    steps = 300 if quick else 1000
    results: dict = {}

    section(f"1. train a gradient-penalty critic and a clipped critic (c = 0.01), {steps} steps each")
    critics = {"gp": train_critic("gp", steps), "clip": train_critic("clip", steps, c=0.01)}
    norms = {k: gradient_norms(f) for k, f in critics.items()}
    for k, n in norms.items():
        print(f"  {k:>4}: ‖∇f‖ on interpolates: mean {n.mean():.3f}, std {n.std():.3f}, "
              f"5–95% [{np.percentile(n, 5):.3f}, {np.percentile(n, 95):.3f}]; E_real f − E_fake f = "
              f"{critic_gap(critics[k]):.4f}")
    w_clip = weights(critics["clip"])
    at_bound = float(np.mean(np.abs(np.abs(w_clip) - 0.01) < 1e-6))
    results.update(gp_mean_norm=float(norms["gp"].mean()), gp_std_norm=float(norms["gp"].std()),
                   clip_mean_norm=float(norms["clip"].mean()), clip_weights_at_bound=at_bound,
                   gp_w1_estimate=critic_gap(critics["gp"]), clip_gap=critic_gap(critics["clip"]))

    section("2. the claims")
    check("gradient penalty: mean ‖∇f‖ on interpolates within 0.15 of 1", results["gp_mean_norm"],
          abs(results["gp_mean_norm"] - 1) < 0.15)
    check("weight clipping: mean ‖∇f‖ is nowhere near 1 (< 0.1)", results["clip_mean_norm"],
          results["clip_mean_norm"] < 0.1)
    check("weight clipping: most weights sit at ±c (fraction)", at_bound, at_bound > 0.5)

    section("3. the penalty is soft: slopes above 1, on the interpolates and off them")
    gx, gy = np.meshgrid(np.linspace(-3, 3, 121), np.linspace(-3, 3, 121))
    plane = mg.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32), requires_grad=True)
    (g_plane,) = mg.grad(critics["gp"](plane).sum(), plane)
    plane_norms = np.linalg.norm(g_plane.numpy(), axis=1)
    results.update(gp_max_norm_plane=float(plane_norms.max()), gp_max_norm_interpolates=float(norms["gp"].max()),
                   gp_fraction_above_1=float(np.mean(norms["gp"] > 1)))
    print(f"  max ‖∇f‖ on a 121 × 121 grid over [−3, 3]²: {plane_norms.max():.3f}; on the interpolates: "
          f"{norms['gp'].max():.3f}; {results['gp_fraction_above_1']:.0%} of the interpolates have ‖∇f‖ > 1")
    check("gradient penalty: somewhere on the plane ‖∇f‖ > 1.05 (the constraint is not enforced)",
          results["gp_max_norm_plane"], results["gp_max_norm_plane"] > 1.05)
    check("and on the interpolates too, where it is penalised (fraction with ‖∇f‖ > 1)",
          results["gp_fraction_above_1"], results["gp_fraction_above_1"] > 0.05)

    sweep_c = (0.1, 0.01, 0.001)
    clip_sweep = {}
    if not quick:
        section("4. clipping's gradients vanish or explode with c (3-hidden-layer critic)")
        for c in sweep_c:
            f = critics["clip"] if c == 0.01 else train_critic("clip", steps // 2, c=c)
            clip_sweep[c] = float(gradient_norms(f).mean())
            print(f"  c = {c:g}: mean ‖∇f‖ = {clip_sweep[c]:.3g}")
        results["clip_sweep"] = clip_sweep
        check("the clipped critic's gradient norm is set by c, not by the data (ratio over c = 0.1 … 0.001)",
              clip_sweep[0.1] / clip_sweep[0.001], clip_sweep[0.1] / clip_sweep[0.001] > 100)

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.6))
    gx, gy = np.meshgrid(np.linspace(-3, 3, 121), np.linspace(-3, 3, 121))
    grid = mg.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))
    rng = np.random.default_rng(3)
    real, fake = sample_ring8(400, rng), sample_fake(400, rng)
    for a, (k, title) in zip(ax, [("clip", "weight clipping, c = 0.01"), ("gp", "gradient penalty, λ = 10")]):
        with mg.no_grad():
            z = critics[k](grid).numpy().reshape(gx.shape)
        cs = a.contourf(gx, gy, z, levels=25, cmap="coolwarm")
        fig.colorbar(cs, ax=a)
        a.plot(fake[:, 0], fake[:, 1], ".", color="grey", ms=2, label="fake ~ N(0, I)")
        a.plot(real[:, 0], real[:, 1], "k.", ms=2, label="real ~ ring8")
        a.set_aspect("equal")
        a.set_title(f"critic value, {title}", fontsize=10)
        a.legend(fontsize=7, loc="lower right")
    save_figure(fig, out, "critics.png")

    fig, ax = plt.subplots(1, 3 if clip_sweep else 2, figsize=(15 if clip_sweep else 10, 3.8))
    bins = np.logspace(-4, 1, 80)
    ax[0].hist(norms["clip"], bins=bins, alpha=0.7, label="weight clipping (c = 0.01)")
    ax[0].hist(norms["gp"], bins=bins, alpha=0.7, label="gradient penalty")
    ax[0].axvline(1.0, color="k", ls="--", lw=1)
    ax[0].set_xscale("log")
    ax[0].set_xlabel("‖∇f(x̂)‖ on interpolates")
    ax[0].set_title("gradient norms")
    ax[0].legend(fontsize=8)
    ax[1].hist(w_clip, bins=60, alpha=0.7, label="weight clipping (c = 0.01)")
    ax[1].set_xlabel("weight value")
    ax[1].set_title(f"clipped critic's weights: {at_bound:.0%} at ±c")
    ax[1].legend(fontsize=8)
    if clip_sweep:
        ax[2].loglog(list(clip_sweep), list(clip_sweep.values()), "o-", label="weight clipping")
        ax[2].axhline(results["gp_mean_norm"], color="C1", label="gradient penalty")
        ax[2].set_xlabel("clipping threshold c")
        ax[2].set_ylabel("mean ‖∇f‖ on interpolates")
        ax[2].set_title("clipping: the slope is set by c")
        ax[2].legend(fontsize=8)
    save_figure(fig, out, "gradient_norms.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
