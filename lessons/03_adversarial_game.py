# %% [markdown]
# # Lesson 03 — The adversarial game
#
# A GAN is a two-player game (Goodfellow et al., 2014). The generator $G$ turns noise
# $z \sim p_z$ into samples $G(z)$; the discriminator $D(x) \in (0, 1)$ is the probability it
# gives to "$x$ is real". Both play for the same value
#
# $$V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))],$$
#
# **$D$ maximises it** (say "real" on data, "fake" on samples) and **$G$ minimises it** (make
# $D$ say "real" on samples): $\min_G \max_D V(D, G)$.
#
# At the end of a successful game $p_g = p_{\text{data}}$, and then the best $D$ cannot tell
# anything apart: $D \equiv \tfrac12$ and $V = -\log 4$ (lessons 04 and 05 prove both). Here we
# *watch* it happen on the smallest real example: 1-D data $x \sim \mathcal N(4, 1.25^2)$, a
# generator and a discriminator that are small MLPs, trained with minigan.
#
# Two practical choices, explained in later lessons: the discriminator's logit goes through
# `softplus` rather than `log(sigmoid(...))` (exact at any logit), and the generator minimises
# the *non-saturating* loss $-\mathbb{E}\log D(G(z))$ instead of $\mathbb{E}\log(1 - D(G(z)))$ —
# same fixed point, better gradients early on (lesson 06).
#
# Run it: `python lessons/03_adversarial_game.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim
from minigan.data import sample_gauss1d
from minigan.data.toy import GAUSS1D_MEAN, GAUSS1D_STD
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

LOG4 = float(np.log(4.0))


# %% [markdown]
# ## 1. The players
#
# $G: \mathbb R \to \mathbb R$ and $D: \mathbb R \to \mathbb R$ (a logit; $D(x) = \sigma(\text{logit})$)
# are MLPs with two hidden layers of tanh units. One round of the game is one step for each:
#
# 1. **D ascends $V$**: minimise $-V$ = binary cross-entropy with labels real = 1, fake = 0
#    (`losses.discriminator_loss("minimax", ...)`), with $G(z)$ detached so only $D$ moves;
# 2. **G descends**: minimise $-\mathbb{E}\log D(G(z))$ (`losses.generator_loss("nonsaturating", ...)`);
#    gradients flow *through* $D$ into $G$, but only $G$'s optimizer steps.
#
# Both learning rates decay linearly to 0, which damps the game's oscillations at the end
# (lesson 14 shows why simultaneous gradient play oscillates).


# %%
def train(steps: int, seed: int = 0, batch: int = 128, lr: float = 2e-3, snapshots=()):
    """Play the game for ``steps`` rounds; returns the models, per-step history and G's snapshots."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = mlp([1, 16, 16, 1], activation="tanh")
    D = mlp([1, 32, 32, 1], activation="tanh")
    opt_g = optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    history = {"d_real": [], "d_fake": [], "value": []}
    saved = {}
    for step in range(steps):
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr * (1 - step / steps)
        if step in snapshots:
            with mg.no_grad():
                saved[step] = G(mg.randn(20000, 1)).numpy().ravel()
        x = mg.tensor(sample_gauss1d(batch, rng))
        z = mg.randn(batch, 1)
        fake = G(z)
        # D's move: ascend V, i.e. descend the cross-entropy
        real_logits, fake_logits = D(x), D(fake.detach())
        loss_d = losses.discriminator_loss("minimax", real_logits, fake_logits)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # G's move: make D call its samples real
        loss_g = losses.generator_loss("nonsaturating", D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        history["d_real"].append(float(mg.sigmoid(real_logits).numpy().mean()))
        history["d_fake"].append(float(mg.sigmoid(fake_logits).numpy().mean()))
        history["value"].append(-loss_d.item())  # V(D, G) on this batch
    with mg.no_grad():
        saved[steps] = G(mg.randn(20000, 1)).numpy().ravel()
    return G, D, {k: np.array(v) for k, v in history.items()}, saved


# %% [markdown]
# ## 2. Play, and watch $D(x)$ and $D(G(z))$
#
# Early on $D$ wins easily ($D(x) \to 1$, $D(G(z)) \to 0$); as $G$ moves its mass onto the
# data, both drift to $\tfrac12$ and $V(D, G)$ to $-\log 4 \approx -1.386$. The claims we check:
# the generator's samples have the data's mean 4 and standard deviation 1.25 to within 10%, and
# $D(x) \approx \tfrac12$ **pointwise**, at every $x$ of the data's bulk $[\mu - 2\sigma, \mu + 2\sigma]$
# (within 0.08), not just on average: batch means of $D(x)$ and $D(G(z))$ can both be near $\tfrac12$
# while $D$ still says 0.1 in one place and 0.9 in another, which would mean $p_g \ne p_{\text{data}}$
# there ($D^* = p_{\text{data}} / (p_{\text{data}} + p_g)$, lesson 04).
#
# A common statement is that *both losses should decrease during training*. In this game the
# discriminator's loss is $-V(D, G)$: it falls while D learns to win, then **rises** back to
# $\log 4 \approx 1.386$ as G improves — the sign of success, not of failure. We check that D's loss
# over the last rounds is within 0.05 of $\log 4$, and more than 0.1 above its lowest point
# (a mean over 20 rounds).


# %%
def smooth(values: np.ndarray, width: int) -> np.ndarray:
    width = max(1, min(width, len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid")


def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("03_adversarial_game", out_dir)
    steps = 1200 if quick else 2000
    lr = 3e-3 if quick else 2e-3
    std_tol = 0.10
    pointwise_tol = 0.08
    snapshots = (0, steps // 40, steps // 10)

    section(f"1. play {steps} rounds on N({GAUSS1D_MEAN}, {GAUSS1D_STD}²)")
    G, D, hist, saved = train(steps, seed=0, lr=lr, snapshots=snapshots)
    samples = saved[steps]
    mean, std = float(samples.mean()), float(samples.std())
    tail = max(steps // 10, 1)
    d_real, d_fake = float(hist["d_real"][-tail:].mean()), float(hist["d_fake"][-tail:].mean())
    value = float(hist["value"][-tail:].mean())
    print(f"  generator: mean {mean:.3f} (data {GAUSS1D_MEAN}), std {std:.3f} (data {GAUSS1D_STD})")
    print(f"  last {tail} rounds: D(x) = {d_real:.3f}, D(G(z)) = {d_fake:.3f}, V = {value:.3f} (−log 4 = {-LOG4:.3f})")
    results = dict(mean=mean, std=std, d_real=d_real, d_fake=d_fake, value=value,
                   mean_rel_error=abs(mean - GAUSS1D_MEAN) / GAUSS1D_MEAN,
                   std_rel_error=abs(std - GAUSS1D_STD) / GAUSS1D_STD)

    section("2. check the claims")
    check("generator mean within 10% of 4", mean, results["mean_rel_error"] < 0.10)
    check(f"generator std within {std_tol:.0%} of 1.25", std, results["std_rel_error"] < std_tol)
    check("D(x) → 1/2 (mean of the last rounds)", d_real, abs(d_real - 0.5) < 0.05)
    check("D(G(z)) → 1/2 (mean of the last rounds)", d_fake, abs(d_fake - 0.5) < 0.05)
    bulk = np.linspace(GAUSS1D_MEAN - 2 * GAUSS1D_STD, GAUSS1D_MEAN + 2 * GAUSS1D_STD, 201)
    with mg.no_grad():
        d_bulk = mg.sigmoid(D(mg.tensor(bulk[:, None].astype(np.float32)))).numpy().ravel()
    results.update(d_bulk_min=float(d_bulk.min()), d_bulk_max=float(d_bulk.max()),
                   d_pointwise_error=float(np.abs(d_bulk - 0.5).max()))
    print(f"  final D on [μ − 2σ, μ + 2σ]: from {d_bulk.min():.3f} to {d_bulk.max():.3f}")
    check(f"D(x) = 1/2 pointwise on [μ − 2σ, μ + 2σ], within {pointwise_tol} (max |D − 1/2|)",
          results["d_pointwise_error"], results["d_pointwise_error"] < pointwise_tol)
    d_loss_low = float(-smooth(hist["value"], 20).max())
    results.update(d_loss_lowest=d_loss_low, d_loss_end=-value)
    print(f"  D's loss −V: lowest {d_loss_low:.3f} (mean of 20 rounds), {-value:.3f} over the last {tail} rounds "
          f"(log 4 = {LOG4:.3f})")
    check("D's loss rises as G improves: lowest + 0.1 < last rounds ≈ log 4 (within 0.05)",
          (d_loss_low, -value), d_loss_low + 0.1 < -value and abs(-value - LOG4) < 0.05)

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    w = 10
    t = np.arange(len(smooth(hist["d_real"], w))) + w
    ax[0].plot(t, smooth(hist["d_real"], w), label="D(x), x real")
    ax[0].plot(t, smooth(hist["d_fake"], w), label="D(G(z)), generated")
    ax[0].axhline(0.5, color="k", ls="--", lw=1, label="1/2")
    ax[0].set_ylim(0, 1)
    ax[0].set_xscale("log")
    ax[0].set_xlabel("round (log scale)")
    ax[0].set_title("the discriminator's verdicts (mean of 10 rounds)")
    ax[0].legend(fontsize=8)
    ax[1].plot(t, smooth(hist["value"], w), color="C2", label="V(D, G) on the batch")
    ax[1].axhline(-LOG4, color="k", ls="--", lw=1, label="−log 4")
    ax[1].set_xscale("log")
    ax[1].set_xlabel("round (log scale)")
    ax[1].set_title("value of the game")
    ax[1].legend(fontsize=8)
    grid = np.linspace(-2, 10, 400)
    ax[2].fill_between(grid, norm.pdf(grid, GAUSS1D_MEAN, GAUSS1D_STD), color="grey", alpha=0.3,
                       label="p_data = N(4, 1.25²)")
    for k, step in enumerate(sorted(saved)):
        ax[2].hist(saved[step], bins=80, range=(-2, 10), density=True, histtype="step", lw=1.5,
                   color=plt.cm.viridis(k / max(len(saved) - 1, 1)), label=f"p_g after {step} rounds")
    with mg.no_grad():
        d_grid = mg.sigmoid(D(mg.tensor(grid[:, None]))).numpy().ravel()
    ax2 = ax[2].twinx()
    ax2.plot(grid, d_grid, "C3--", lw=1.2, label="final D(x)")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("D(x)", color="C3")
    ax[2].set_ylim(0, 0.9)
    ax[2].set_xlabel("x")
    ax[2].set_title("the generator's distribution moves onto the data")
    ax[2].legend(fontsize=7, loc="upper left")
    ax2.legend(fontsize=7, loc="upper right")
    save_figure(fig, out, "game.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
