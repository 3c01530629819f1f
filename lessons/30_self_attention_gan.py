# %% [markdown]
# # Lesson 30 — SAGAN: self-attention, switched on by training
#
# A convolution sees a few pixels around each position; a digit's loop and its tail are far apart on
# a small feature map. **Self-attention** (Zhang et al., 2019) lets every position $i$ of a feature map
# $x$ (C channels, $P = H \cdot W$ positions) gather evidence from every position $j$:
#
# $$q = W_q x,\quad k = W_k x,\quad v = W_v x,\qquad
#   \beta_{i,j} = \frac{\exp(q_i^\top k_j)}{\sum_{j'} \exp(q_i^\top k_{j'})},\qquad
#   o_i = \sum_j \beta_{i,j}\, v_j,\qquad y_i = \gamma\, o_i + x_i .$$
#
# $\gamma$ is a learned scalar that starts at **0**: a fresh block is exactly the identity, so the
# network starts as a plain convolutional GAN and *learns* how much non-local evidence to use. The
# paper reports $\gamma$ growing from 0 during training. SAGAN pairs the block with spectral norm in
# both networks, the hinge loss and TTUR (lr$_D$ 4·10⁻⁴, lr$_G$ 10⁻⁴, β = (0, 0.9)) —
# `minigan train --model sagan --data mnist32` is that recipe with equal rates (2·10⁻⁴ each, which made
# better digits on mnist32: see `minigan/gan/config.py`); this lesson uses its models and step.
#
# Claims checked below: (1) at γ = 0 the block returns its input exactly, and so the whole generator
# computes the same as with the block removed; (2) each attention row is a probability distribution
# over the P positions; (3) training moves γ away from 0 in both networks.
#
# Run it: `python lessons/30_self_attention_gan.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section

import minigan as mg
from minigan import nn
from minigan.gan import Trainer, default_config

# %% [markdown]
# ## 1. A fresh attention block is the identity
#
# With γ = 0 the output is $0 \cdot o + x$, which is $x$ bit for bit. We check it on the generator of
# the SAGAN family (attention at its 8×8 maps) by swapping the block for `nn.Identity()`.


# %%
def identity_at_init(G, z) -> float:
    G.eval()
    with mg.no_grad():
        before = G(z).numpy()
        block = G.attention
        G.attention = nn.Identity()
        after = G(z).numpy()
        G.attention = block
    G.train()
    return float(np.abs(before - after).max())


# %% [markdown]
# ## 2. Train, and watch γ
#
# The family's step (`minigan.gan.models.sagan.sagan_step`) is the basic game with the hinge loss; it
# reports γ of G and of D at every step.


# %%
def train(steps: int, width: int, batch: int):
    cfg = default_config(model="sagan", data="mnist32", steps=steps, width=width, batch_size=batch,
                         eval_samples=0, log_every=1)
    trainer = Trainer.from_config(cfg, progress=False)
    G0 = trainer.G
    z = mg.tensor(np.random.default_rng(0).standard_normal((4, cfg.nz)).astype(np.float32))
    error = identity_at_init(G0, z)
    trainer.fit()
    gammas = np.array([[row["gamma_g"], row["gamma_d"]] for row in trainer.history])
    return trainer, error, gammas


# %% [markdown]
# ## 3. Where D looks
#
# `SelfAttention2d.attention(x)` returns the (N, P, P) weights β. For a few real digits we show, for
# one query position (the centre of the 8×8 map), the map of β over all 64 positions.


# %%
def attention_maps(D, images: np.ndarray):
    D.eval()
    with mg.no_grad():
        h = D.stem(mg.tensor(images))
        beta = D.attention.attention(h).numpy()
    D.train()
    return beta


def plot(images, beta, gammas, out):
    n = len(images)
    fig, axes = plt.subplots(2, n + 1, figsize=(2.2 * (n + 1), 4.6))
    centre = 4 * 8 + 4
    for i in range(n):
        axes[0, i].imshow(images[i, 0], cmap="gray")
        axes[0, i].set_title("real digit", fontsize=8)
        axes[1, i].imshow(beta[i, centre].reshape(8, 8), cmap="viridis")
        axes[1, i].plot(4, 4, "r+")
        axes[1, i].set_title("β[centre, ·] (8×8)", fontsize=8)
    for ax in axes[:, :n].ravel():
        ax.set_xticks([]), ax.set_yticks([])
    gs = axes[0, n].get_gridspec()
    for ax in axes[:, n]:
        ax.remove()
    big = fig.add_subplot(gs[:, n])
    big.plot(gammas[:, 0], label="γ of G")
    big.plot(gammas[:, 1], label="γ of D")
    big.axhline(0, color="k", lw=0.6)
    big.set(xlabel="step", title="the attention gains")
    big.legend(fontsize=8)
    save_figure(fig, out, "sagan_attention.png")


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("30_self_attention_gan", out_dir)
    steps, width, batch = (30, 8, 16) if quick else (1000, 32, 32)

    section("1-2. SAGAN's generator at γ = 0, then training")
    trainer, error, gammas = train(steps, width, batch)
    print(trainer.G.attention)
    check("at γ = 0 the generator equals the one without attention (max |difference|)", error, error == 0.0)
    print(f"  γ_G: 0 → {gammas[-1, 0]:+.5f};  γ_D: 0 → {gammas[-1, 1]:+.5f} after {steps} steps")
    quarter = max(1, steps // 4)
    early, late = np.abs(gammas[:quarter]).mean(axis=0), np.abs(gammas[-quarter:]).mean(axis=0)
    check("|γ| of G and D grows: mean over the last quarter of steps above the first quarter's",
          (float(early[0]), float(late[0]), float(early[1]), float(late[1])), bool(np.all(late > early)))

    section("3. Attention maps of D on real digits")
    images = trainer.dataset.data[:4]
    beta = attention_maps(trainer.D, images)
    row_sums = beta.sum(axis=-1)
    check("every attention row sums to 1 (max |sum − 1|)", float(np.abs(row_sums - 1).max()),
          np.abs(row_sums - 1).max() < 1e-5)
    entropy = float(-(beta * np.log(beta + 1e-12)).sum(axis=-1).mean())
    print(f"  mean entropy of a row {entropy:.3f} nats (uniform over 64 positions: {np.log(64):.3f})")
    plot(images, beta, gammas, out)
    return {"identity_error": error, "gamma_g": float(gammas[-1, 0]), "gamma_d": float(gammas[-1, 1]),
            "gamma_early": early.tolist(), "gamma_late": late.tolist(),
            "row_sum_error": float(np.abs(row_sums - 1).max()), "entropy": entropy}


if __name__ == "__main__":
    run_as_script(main)
