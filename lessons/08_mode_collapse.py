# %% [markdown]
# # Lesson 08 — Mode collapse
#
# The data is `ring8`: eight tight Gaussians (std 0.02) on a circle of radius 2. A generator
# that has *collapsed* puts all its samples on one or two of them: each sample looks perfect,
# the distribution is badly wrong. The minimax game does not forbid it. In the inner loop D is
# not optimal; it only reacts to where G's samples are now, and G's best response to the current
# D is to move *all* its mass to wherever D currently says "real" — one point. D then learns to
# reject that point, G jumps to the next, and the pair chase each other around the ring instead
# of converging. With an optimal D the generator would minimise JSD, which does punish missing
# modes — but lesson 07 showed how little gradient JSD gives when distributions barely overlap.
#
# **WGAN-GP** changes what the critic measures. Its optimal critic is a Kantorovich potential
# for $W_1(p_{\text{data}}, p_g)$: its gradient field transports generated mass to *all* of the
# data, so a generator sitting on one mode is pulled towards the other seven (the transport cost
# of the missing mass is large and the critic's slope reports it). The gradient penalty keeps the
# critic's slopes near 1 so those gradients stay informative.
#
# We train both on the same seeds with the same networks (G: 64-d noise → 3 layers of 64 ReLU
# units → 2-d; D/critic: 2 hidden layers of 64 LeakyReLU units), and count modes with
# `minigan.metrics.mode_coverage`: a sample is *high quality* if it lies within $k$ standard
# deviations of its nearest mode centre, and a mode is *covered* when at least 20 of 5000
# samples sit there in high quality. We report $k = 3$ (the usual, strict setting: within
# 0.06) and $k = 10$ (within 0.2 — still far less than the 1.53 between neighbouring modes).
# The claims: **on every seed, WGAN-GP covers more modes than the minimax GAN**; WGAN-GP's
# samples are not a shapeless cloud (at least 10% of them within 10σ of a mode — a uniform cloud over
# the plot puts about 3% there); and the minimax GAN does not sit still on one mode: its **dominant
# mode** (the centre nearest to most of its samples) changes between training snapshots.
#
# A common statement is that *mode collapse means the generator settles on one mode*. The snapshots
# say otherwise for this game: the collapsed generator keeps moving, from mode to mode.
#
# Other remedies work too (minibatch discrimination, unrolled discriminator steps, packing
# several samples into one discriminator input); WGAN-GP is the one this course builds on.
#
# Run it: `python lessons/08_mode_collapse.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan import optim
from minigan.data import mode_centers, sample_ring8
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section
from minigan.metrics import mode_coverage

Z_DIM = 64
THRESHOLDS = (3.0, 10.0)


# %% [markdown]
# ## 1. The two games
#
# * **minimax GAN**: D minimises the binary cross-entropy, G the non-saturating loss; one D step
#   per G step; Adam(1e-3, β = (0.5, 0.999)).
# * **WGAN-GP**: the critic minimises
#   $\mathbb E f(G(z)) - \mathbb E f(x) + \lambda\,\mathbb E(\|\nabla f(\hat x)\| - 1)^2$ with
#   $\lambda = 1$ (the WGAN-GP paper used $\lambda = 0.1$ on its 2-d toys and 10 on images),
#   three critic steps per G step; G minimises $-\mathbb E f(G(z))$; Adam(1e-3, β = (0.5, 0.9)).


# %%
def train(kind: str, steps: int, seed: int, batch: int = 256, snapshots: int = 8):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = mlp([Z_DIM, 64, 64, 64, 2], activation="relu")
    D = mlp([2, 64, 64, 1])
    betas = (0.5, 0.9) if kind == "wgan-gp" else (0.5, 0.999)
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=betas)
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=betas)
    d_steps = 3 if kind == "wgan-gp" else 1
    eval_noise = mg.tensor(np.random.default_rng(1000 + seed).standard_normal((5000, Z_DIM)).astype(np.float32))
    history = []
    for step in range(1, steps + 1):
        for _ in range(d_steps):
            real = mg.tensor(sample_ring8(batch, rng))
            fake = G(mg.randn(batch, Z_DIM)).detach()
            if kind == "wgan-gp":
                loss_d = losses.wgan_critic_loss(D(real), D(fake)) + losses.gradient_penalty(D, real, fake, 1.0)
            else:
                loss_d = losses.discriminator_loss("minimax", D(real), D(fake))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        fake_logits = D(G(mg.randn(batch, Z_DIM)))
        loss_g = losses.generator_loss("wgan" if kind == "wgan-gp" else "nonsaturating", fake_logits)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % max(steps // snapshots, 1) == 0 or step == steps:
            with mg.no_grad():
                samples = G(eval_noise).numpy()  # fixed noise: snapshots do not disturb training
            history.append((step, samples))
    return history


def coverage(samples: np.ndarray) -> dict:
    return {k: mode_coverage(samples, "ring8", std_threshold=k) for k in THRESHOLDS}


def dominant_mode(samples: np.ndarray) -> tuple[int, float]:
    """The mode centre nearest to the most samples, and the fraction of samples nearest to it."""
    centres = mode_centers("ring8")
    nearest = np.linalg.norm(samples[:, None, :] - centres[None], axis=2).argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(centres))
    return int(counts.argmax()), float(counts.max() / len(samples))


# %% [markdown]
# ## 2. Train both on the same seeds and count the modes


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("08_mode_collapse", out_dir)
    seeds = (1,) if quick else (0, 1)
    steps = 600 if quick else 800
    min_high_quality = 0.10  # within 10σ; a uniform cloud over [−3, 3]² scores about 0.03
    kinds = ("minimax", "wgan-gp")
    runs = {}
    for seed in seeds:
        for kind in kinds:
            section(f"seed {seed}: {kind}, {steps} generator steps")
            runs[kind, seed] = train(kind, steps, seed)
            final = coverage(runs[kind, seed][-1][1])
            print("  " + ", ".join(f"{c['modes']}/8 modes within {k:g}σ" for k, c in final.items())
                  + f"; high-quality fraction (10σ) {final[10.0]['high_quality']:.2f}")

    section("the table")
    header = f"  {'seed':>4}  {'method':<9} {'modes (3σ)':>10} {'modes (10σ)':>11} {'high quality (3σ)':>18} " \
             f"{'high quality (10σ)':>19} {'KL to uniform':>13}"
    print(header)
    table = []
    for seed in seeds:
        for kind in kinds:
            c = coverage(runs[kind, seed][-1][1])
            row = dict(seed=seed, method=kind, modes_3=c[3.0]["modes"], modes_10=c[10.0]["modes"],
                       hq_3=c[3.0]["high_quality"], hq_10=c[10.0]["high_quality"], kl=c[10.0]["kl"])
            table.append(row)
            print(f"  {seed:>4}  {kind:<9} {row['modes_3']:>10} {row['modes_10']:>11} {row['hq_3']:>18.2f} "
                  f"{row['hq_10']:>19.2f} {row['kl']:>13.2f}")
    results = {"table": table, "seeds": list(seeds), "steps": steps}

    section("the claim")
    threshold = 10.0 if quick else 3.0  # a short run has not sharpened its modes to within 3σ yet
    key = "modes_10" if threshold == 10.0 else "modes_3"
    for seed in seeds:
        base = next(r[key] for r in table if r["seed"] == seed and r["method"] == "minimax")
        remedy = next(r[key] for r in table if r["seed"] == seed and r["method"] == "wgan-gp")
        check(f"seed {seed}: WGAN-GP covers more modes than the minimax GAN (within {threshold:g}σ)",
              (remedy, base), remedy > base)
        if threshold != 10.0:
            base10 = next(r["modes_10"] for r in table if r["seed"] == seed and r["method"] == "minimax")
            remedy10 = next(r["modes_10"] for r in table if r["seed"] == seed and r["method"] == "wgan-gp")
            check(f"seed {seed}: and within 10σ", (remedy10, base10), remedy10 > base10)
    results["modes_minimax"] = [r[key] for r in table if r["method"] == "minimax"]
    results["modes_wgan_gp"] = [r[key] for r in table if r["method"] == "wgan-gp"]
    results["hq_wgan_gp"] = [r["hq_10"] for r in table if r["method"] == "wgan-gp"]
    for seed in seeds:
        hq = next(r["hq_10"] for r in table if r["seed"] == seed and r["method"] == "wgan-gp")
        check(f"seed {seed}: WGAN-GP is not a shapeless cloud: high-quality fraction (10σ) ≥ {min_high_quality}",
              hq, hq >= min_high_quality)
    results["dominant_modes_minimax"] = {}
    for seed in seeds:
        dominant = [dominant_mode(x) for _, x in runs["minimax", seed]]
        print(f"  seed {seed}, minimax: dominant mode (share of samples) per snapshot: "
              + ", ".join(f"{m} ({share:.0%})" for m, share in dominant))
        modes = [m for m, _ in dominant]
        changes = sum(a != b for a, b in zip(modes[:-1], modes[1:]))
        results["dominant_modes_minimax"][seed] = modes
        check(f"seed {seed}: the minimax GAN's dominant mode changes between snapshots (changes)", changes,
              changes >= 2)

    # ----------------------------------------------------------------- figures
    centres = mode_centers("ring8")
    fig, ax = plt.subplots(len(seeds), 2, figsize=(10, 4.6 * len(seeds)), squeeze=False)
    for i, seed in enumerate(seeds):
        # left: where the minimax generator's samples were at each snapshot (colour = training step)
        a = ax[i, 0]
        hist = runs["minimax", seed]
        for k, (step, samples) in enumerate(hist):
            a.plot(samples[::5, 0], samples[::5, 1], ".", ms=1.5, alpha=0.5,
                   color=plt.cm.viridis(k / max(len(hist) - 1, 1)), label=f"step {step}")
        a.set_title(f"minimax GAN, seed {seed}: the samples hop between modes\n"
                    f"(final: {coverage(hist[-1][1])[3.0]['modes']}/8 modes within 3σ)", fontsize=9)
        a.legend(fontsize=6, loc="lower right", markerscale=6, ncol=2)
        # right: the WGAN-GP generator at the end
        a = ax[i, 1]
        samples = runs["wgan-gp", seed][-1][1]
        c = coverage(samples)
        a.plot(samples[:, 0], samples[:, 1], ".", ms=1.5, alpha=0.4, color="C2")
        a.set_title(f"WGAN-GP, seed {seed}, after {steps} steps\n"
                    f"{c[3.0]['modes']}/8 modes within 3σ, {c[10.0]['modes']}/8 within 10σ", fontsize=9)
        for a in ax[i]:
            a.plot(centres[:, 0], centres[:, 1], "rx", ms=8, mew=2)
            a.set_xlim(-3, 3)
            a.set_ylim(-3, 3)
            a.set_aspect("equal")
    save_figure(fig, out, "samples.png")

    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    for kind, color in zip(kinds, ("C0", "C2")):
        for seed, style in zip(seeds, ("-", "--")):
            hist = runs[kind, seed]
            steps_axis = [s for s, _ in hist]
            for a, k in zip(ax, THRESHOLDS):
                a.plot(steps_axis, [coverage(x)[k]["modes"] for _, x in hist], style, color=color, marker="o",
                       label=f"{kind}, seed {seed}")
    for a, k in zip(ax, THRESHOLDS):
        a.set_ylim(-0.3, 8.3)
        a.set_xlabel("generator step")
        a.set_ylabel("modes covered")
        a.set_title(f"modes covered within {k:g}σ during training")
        a.legend(fontsize=7)
    save_figure(fig, out, "coverage.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
