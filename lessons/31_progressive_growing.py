# %% [markdown]
# # Lesson 31 — Progressive growing: a new resolution faded in without a jump
#
# Progressive GAN (Karras et al., 2018) trains at 4×4 first, then adds a block to G and to D for
# 8×8, then 16×16, then 32×32. Switching a new block on at once would change G's output abruptly and
# throw away what the small networks learned. Instead each new block is **faded in**: with α rising
# from 0 to 1,
#
# $$G_\alpha(z) = (1 - \alpha)\,\mathrm{up}\big(\mathrm{toRGB}_{\text{old}}(h)\big)
#                + \alpha\,\mathrm{toRGB}_{\text{new}}\big(\mathrm{block}(h)\big),$$
#
# and D does the mirror image on its input. At α = 0 the grown generator computes **exactly** the
# upsampled output of the smaller one, and since $G_\alpha - G_0 = \alpha\,(G_1 - G_0)$ the output
# moves linearly, hence continuously, with α. The family `minigan train --model progan` does this
# with the paper's equalized learning rate, pixel norm, minibatch stddev and WGAN-GP with drift.
#
# Claims checked: (1) at α = 0, for each of 8×8, 16×16 and 32×32, the grown G's image equals the
# smaller G's image upsampled, bit for bit, and D's score of the grown critic equals the smaller
# critic's on the pooled image; (2) $\lVert G_{\alpha} - G_0 \rVert = \alpha \lVert G_1 - G_0 \rVert$;
# (3) a short run through the whole schedule shows the samples at each resolution.
#
# Run it: `python lessons/31_progressive_growing.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section

import minigan as mg
from minigan import viz
from minigan.gan import Trainer, default_config
from minigan.gan.models.progan import ProGANDiscriminator, ProGANGenerator, progan_phase
from minigan.ops.pool import avg_pool2d, interpolate

# %% [markdown]
# ## 1. Fade-in at α = 0 is exact; in between it is linear
#
# `forward_at(z, level, α)` returns the image at resolution 4·2^level without the final upsampling.


# %%
def continuity(G, D, z, x32) -> dict:
    out = {"g_error": [], "d_error": [], "linearity_error": []}
    with mg.no_grad():
        for level in (1, 2, 3):
            grown = G.forward_at(z, level, 0.0).numpy()
            smaller = interpolate(G.forward_at(z, level - 1, 1.0), scale_factor=2).numpy()
            out["g_error"].append(float(np.abs(grown - smaller).max()))
            x_r = avg_pool2d(x32, 32 // (4 * 2 ** level))
            d_grown = D.forward_at(x_r, level, 0.0).numpy()
            d_small = D.forward_at(avg_pool2d(x_r, 2), level - 1, 1.0).numpy()
            out["d_error"].append(float(np.abs(d_grown - d_small).max()))
            full = G.forward_at(z, level, 1.0).numpy()
            for alpha in (0.25, 0.5, 0.75):
                moved = np.linalg.norm(G.forward_at(z, level, alpha).numpy() - grown)
                out["linearity_error"].append(float(abs(moved - alpha * np.linalg.norm(full - grown))
                                                    / np.linalg.norm(full - grown)))
    return out


# %% [markdown]
# ## 2. One run through the schedule
#
# With P steps per phase: 4×4 for P steps, then for each new resolution a fade (α from 0 to 1) and a
# stabilisation (α = 1), P steps each. The schedule is a function of the step alone, so a run
# resumed mid-fade continues exactly. After training we draw the same noise at every resolution.


# %%
def plot(per_level, alphas, out):
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4))
    for ax, (level, x) in zip(axes, enumerate(per_level)):
        ax.imshow(viz.image_grid(x, nrow=4), cmap="gray", interpolation="nearest")
        ax.set_title(f"{4 * 2 ** level}×{4 * 2 ** level} (shown at 32×32)")
        ax.axis("off")
    axes[4].plot(alphas[:, 0] + alphas[:, 1], lw=1.5)
    axes[4].set(xlabel="step", ylabel="level + α", title="the schedule (fades are the ramps)")
    save_figure(fig, out, "progan_resolutions.png")


def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("31_progressive_growing", out_dir)
    P, width, batch = (3, 4, 8) if quick else (100, 16, 32)

    section("1. Continuity of the fade-in (fresh networks)")
    mg.manual_seed(0)
    G, D = ProGANGenerator(nz=16, widths=(16, 16, 8, 8)), ProGANDiscriminator(widths=(16, 16, 8, 8))
    z = mg.tensor(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))
    x32 = mg.tensor(np.random.default_rng(1).uniform(-1, 1, (8, 1, 32, 32)).astype(np.float32))
    c = continuity(G, D, z, x32)
    check("G at α = 0 equals the smaller G upsampled (max |difference|, 8/16/32)", tuple(c["g_error"]),
          max(c["g_error"]) == 0.0)
    check("D at α = 0 equals the smaller D on the pooled image (max |difference|)", tuple(c["d_error"]),
          max(c["d_error"]) == 0.0)
    check("‖G_α − G_0‖ = α ‖G_1 − G_0‖ (largest relative error over α, levels)", max(c["linearity_error"]),
          max(c["linearity_error"]) < 1e-5)

    section(f"2. Train through the schedule: phases of {P} steps, {7 * P} steps in all")
    cfg = default_config(model="progan", data="mnist32", phase_steps=P, steps=7 * P, width=width, batch_size=batch,
                         eval_samples=0, log_every=1)
    trainer = Trainer.from_config(cfg, progress=False)
    trainer.fit()
    alphas = np.array([[row["level"], row["alpha"]] for row in trainer.history])
    schedule = np.array([progan_phase(t, P) for t in range(7 * P)])
    check("the logged (level, α) follow the schedule", float(np.abs(alphas - schedule).max()),
          np.abs(alphas - schedule).max() < 1e-6)  # α is logged in float32
    G = trainer.G_ema
    zs = mg.tensor(np.random.default_rng(2).standard_normal((16, cfg.nz)).astype(np.float32))
    per_level = []
    G.eval()
    with mg.no_grad():
        for level in range(4):
            G.set_phase(level, 1.0)
            per_level.append(np.clip(G(zs).numpy(), -1, 1))
    G.set_phase(3, 1.0)
    blocks = [bool(np.array_equal(x, np.repeat(np.repeat(x[..., ::32 // (4 * 2 ** lv), ::32 // (4 * 2 ** lv)],
                                                         32 // (4 * 2 ** lv), axis=2), 32 // (4 * 2 ** lv), axis=3)))
              for lv, x in enumerate(per_level)]
    check("a sample at resolution r is made of (32/r)×(32/r) blocks of one value", tuple(blocks), all(blocks))
    plot(per_level, alphas, out)
    return {**c, "schedule_error": float(np.abs(alphas - schedule).max()), "blocks": blocks}


if __name__ == "__main__":
    run_as_script(main)
