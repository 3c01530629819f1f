# %% [markdown]
# # Lesson 21 — Unrolled GANs: a generator that looks ahead
#
# Lesson 08 showed the plain GAN on `ring8` (eight Gaussians of std 0.02 on a circle of radius 2)
# chasing its own tail: G moves all its samples to the mode D currently likes, D learns to reject
# it, G hops to the next mode. The trouble is that G optimises against *today's* D. Metz, Poole,
# Pfau & Sohl-Dickstein (2017) let G optimise against the D of K steps from now:
#
# $$f_K(\phi, \theta) = L_G\big(\phi, \theta^K(\phi)\big), \qquad \theta^0 = \theta, \quad
#   \theta^{k+1} = \theta^k - \mathrm{update}\big(\nabla_\theta L_D(\theta^k, \phi)\big).$$
#
# The unrolled steps are D's own optimizer rule (Adam here) applied *as functions of φ*, so
# $\partial f_K/\partial\phi$ contains $\partial\theta^K/\partial\phi$: how D would answer G's move.
# Putting every sample on one mode no longer pays, because the look-ahead D has already punished
# it. In minigan this is `minigan.gan.unrolled.unrolled_step`: each $\theta^{k+1}$ is
# `optim.functional_step` (the optimizer's formula on Tensors) of a gradient taken with
# `create_graph=True`, and G's loss is backpropagated through the whole chain — a gradient of
# gradients, with no second implementation of Adam. The real D takes only the first step; the
# other K − 1 are thrown away after G's update. K = 0 is the plain GAN.
#
# We train the same MLPs (G: 8-d noise → 3 × 128 ReLU → 2-d; D: 3 × 128 LeakyReLU(0.2) → logit)
# with the non-saturating loss, Adam(2e-4, β = (0.5, 0.999)) decayed linearly to 0, batch 256,
# for K = 0, 1 and 5 on fixed seeds, and measure with `minigan.metrics.mode_coverage`: a sample
# is *high quality* within 3 std (0.06) of its nearest mode; a mode counts when 20 of 2000
# samples sit there in high quality. We also count the modes reached within 10 std (0.2 — still
# far less than the 1.53 between neighbours), which a short run reaches before it sharpens.
# The claim: **more unrolling covers more modes** — within 10σ, K = 5 covers at least as many
# as K = 1 and more than K = 0, on every seed.
#
# Run it: `python lessons/21_unrolled_gan.py [--quick] [--out DIR]`. The full run (two seeds,
# 600 steps each) takes a few minutes of CPU; `minigan train --data ring8 --unrolled-steps 5`
# runs a 6,000-step version with the paper's minimax loss (its measured coverage, and the plain
# minimax game's beside it, are in docs/unrolled_and_private.md).

# %%
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section

import minigan as mg
from minigan import optim
from minigan.data import mode_centers, sample_ring8
from minigan.gan.models import MLPDiscriminator, MLPGenerator
from minigan.gan.unrolled import unrolled_step
from minigan.metrics import mode_coverage

NZ, WIDTH, BATCH, LR = 8, 128, 256, 2e-4
UNROLLS = (0, 1, 5)


# %% [markdown]
# ## 1. One step, three ways
#
# `unrolled_step(G, D, opt_G, opt_D, real_batch, noise, K)` does it all: K = 0 is a D step then a
# G step against the updated D; K ≥ 1 differentiates G's loss through K functional Adam steps.


# %%
def train(k: int, steps: int, seed: int, snapshots: int = 6):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G, D = MLPGenerator(NZ, (2,), WIDTH, 3), MLPDiscriminator((2,), WIDTH, 3)
    opt_g = optim.Adam(G.parameters(), lr=LR, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=LR, betas=(0.5, 0.999))
    eval_noise = mg.tensor(np.random.default_rng(1000 + seed).standard_normal((2000, NZ)).astype(np.float32))
    history, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = LR * (1 - (step - 1) / steps)
        unrolled_step(G, D, opt_g, opt_d, lambda: mg.tensor(sample_ring8(BATCH, rng)), lambda n: mg.randn(n, NZ), k)
        if step % max(steps // snapshots, 1) == 0 or step == steps:
            with mg.no_grad():
                history.append((step, G(eval_noise).numpy()))
    return history, time.perf_counter() - start


def coverage(samples: np.ndarray) -> dict:
    return {t: mode_coverage(samples, "ring8", std_threshold=t) for t in (3.0, 10.0)}


# %% [markdown]
# ## 2. K = 0, 1, 5 on the same seeds


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("21_unrolled_gan", out_dir)
    seeds = (1,) if quick else (1, 2)
    steps = 200 if quick else 600
    unrolls = (0, 5) if quick else UNROLLS
    runs, table = {}, []
    for seed in seeds:
        for k in unrolls:
            section(f"seed {seed}: K = {k}, {steps} steps")
            runs[k, seed], seconds = train(k, steps, seed)
            c = coverage(runs[k, seed][-1][1])
            row = dict(seed=seed, K=k, modes_3=c[3.0]["modes"], modes_10=c[10.0]["modes"],
                       hq_3=c[3.0]["high_quality"], hq_10=c[10.0]["high_quality"], seconds=round(seconds, 1))
            table.append(row)
            print(f"  {row['modes_3']}/8 modes within 3σ ({100 * row['hq_3']:.1f}% of samples), "
                  f"{row['modes_10']}/8 within 10σ ({100 * row['hq_10']:.1f}%); {seconds:.0f} s")

    section("the table")
    print(f"  {'seed':>4} {'K':>2} {'modes 3σ':>9} {'modes 10σ':>10} {'hq 3σ':>7} {'hq 10σ':>7} {'s':>6}")
    for r in table:
        print(f"  {r['seed']:>4} {r['K']:>2} {r['modes_3']:>9} {r['modes_10']:>10} {r['hq_3']:>7.3f} "
              f"{r['hq_10']:>7.3f} {r['seconds']:>6}")

    section("the claim")
    key = "modes_10"  # runs this short have not sharpened their modes to 3σ yet (the CLI's 3,000 steps do)

    def modes(k, seed):
        return next(r[key] for r in table if r["K"] == k and r["seed"] == seed)

    for seed in seeds:
        check(f"seed {seed}: K = 5 covers more modes than K = 0 ({key.replace('modes_', '')}σ)",
              (modes(5, seed), modes(0, seed)), modes(5, seed) > modes(0, seed))
        if 1 in unrolls:
            check(f"seed {seed}: K = 5 covers at least as many modes as K = 1", (modes(5, seed), modes(1, seed)),
                  modes(5, seed) >= modes(1, seed))
    results = {"table": table, "seeds": list(seeds), "steps": steps}

    # ----------------------------------------------------------------- figures
    centres = mode_centers("ring8")
    fig, ax = plt.subplots(len(seeds), len(unrolls), figsize=(3.6 * len(unrolls), 3.6 * len(seeds)), squeeze=False)
    for i, seed in enumerate(seeds):
        for j, k in enumerate(unrolls):
            a, hist = ax[i, j], runs[k, seed]
            for n, (step, samples) in enumerate(hist):
                a.plot(samples[::4, 0], samples[::4, 1], ".", ms=1.5, alpha=0.5,
                       color=plt.cm.viridis(n / max(len(hist) - 1, 1)), label=f"step {step}")
            a.plot(centres[:, 0], centres[:, 1], "rx", ms=7, mew=2)
            c = coverage(hist[-1][1])
            a.set_title(f"K = {k}, seed {seed}: {c[3.0]['modes']}/8 modes (3σ)", fontsize=9)
            a.set_xlim(-3, 3)
            a.set_ylim(-3, 3)
            a.set_aspect("equal")
        ax[i, 0].legend(fontsize=6, loc="lower right", markerscale=6, ncol=2)
    save_figure(fig, out, "samples.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
