# %% [markdown]
# # Lesson 12 — Conditional GAN: ask for a digit
#
# An unconditional GAN draws *some* digit; which one is up to the noise. A **conditional GAN**
# (Mirza & Osindero, 2014) takes the class label $y$ as a second input to both players:
#
# * the generator draws $x = G(z, y)$ — "a $y$, in the style $z$";
# * the discriminator judges *pairs*: $D(x, y)$ is the probability that $x$ is a real image
#   **and** that its label is $y$.
#
# The value of the game is the unconditional one with the label carried along,
#
# $$V(D, G) = \mathbb E_{(x, y) \sim p_{\text{data}}}[\log D(x, y)]
#           + \mathbb E_{y \sim p(y),\, z \sim p_z}[\log(1 - D(G(z, y), y))].$$
#
# For each fixed $y$ this is lesson 04's game between $p_{\text{data}}(x \mid y)$ and
# $p_g(x \mid y)$, weighted by $p(y)$, so the optimal discriminator is
# $D^*(x, y) = p_{\text{data}}(x \mid y) / (p_{\text{data}}(x \mid y) + p_g(x \mid y))$ and the game is
# won only when $p_g(\cdot \mid y) = p_{\text{data}}(\cdot \mid y)$ **for every label**. A generator
# that ignores $y$ loses: D rejects a perfect 3 presented as a 5.
#
# How the label gets in: each network has its own learned **label embedding**
# (`nn.Embedding(10, k)`, a table of ten trainable vectors). `minigan.gan.models.ConditionalGenerator`
# concatenates the label's vector to $z$; `ConditionalDiscriminator` reshapes its vector to an
# 8×8 "image" and stacks it onto $x$ as a second channel. Both wrap an ordinary network — here the
# small MLPs of `minigan.gan.models`, on the 8×8 digits, which train in well under a minute.
#
# The claim: when we **request** digit $k$, the digit classifier (`minigan.metrics.class_probs`)
# **sees a $k$ in at least 80% of the samples**, and the samples of each digit still vary (no
# collapse to one image per label).
#
# Run it: `python lessons/12_conditional_gan.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
import minigan.nn as nn
from minigan import optim, viz
from minigan.data import load_digits
from minigan.gan import losses
from minigan.gan.models import ConditionalDiscriminator, ConditionalGenerator, MLPDiscriminator, MLPGenerator
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section
from minigan.metrics import class_probs
from minigan.metrics.domain import load_classifier

SIZE = 8             # the digits at their native 8×8
NZ = 32              # noise size
EMBED = 10           # size of the generator's label embedding
HIDDEN, DEPTH = 256, 2
BATCH = 64
LR, BETAS = 1e-3, (0.5, 0.999)


# %% [markdown]
# ## 1. The models
#
# The generator's MLP takes $n_z + 10 = 42$ numbers (noise and label vector) and returns 64 pixels
# through tanh; the discriminator's MLP takes $2 \times 8 \times 8 = 128$ numbers (image and label
# "image") and returns one logit. Look for the `Embedding` layers in the printed models.


# %%
def build(seed: int = 0):
    mg.manual_seed(seed)
    G = ConditionalGenerator(MLPGenerator(NZ + EMBED, (1, SIZE, SIZE), HIDDEN, DEPTH, tanh=True), 10, EMBED)
    D = ConditionalDiscriminator(MLPDiscriminator((2, SIZE, SIZE), HIDDEN, DEPTH), 10, (1, SIZE, SIZE))
    # Linear layers ~ N(0, 0.02²) as in lesson 11; the embeddings keep their N(0, 1) rows
    return nn.init.dcgan_init(G), nn.init.dcgan_init(D)


# %% [markdown]
# ## 2. Training: every sample carries a label
#
# Real batches come with their true labels. Fake batches get labels drawn uniformly from 0..9 (the
# digits are almost exactly balanced, so this is $p(y)$), and D sees each fake *with the label it
# was generated for*. Otherwise the loop is lesson 11's: D minimises the cross-entropy, G the
# non-saturating loss, Adam with $\beta_1 = 0.5$.


# %%
def train(G, D, images: np.ndarray, labels: np.ndarray, steps: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    opt_g = optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    history = {"d_loss": [], "g_loss": []}
    for _ in range(steps):
        idx = rng.integers(0, len(images), BATCH)
        real, real_labels = mg.tensor(images[idx]), labels[idx]
        fake_labels = rng.integers(0, 10, BATCH)
        fake = G(mg.randn(BATCH, NZ), fake_labels)

        loss_d = losses.discriminator_loss("nonsaturating", D(real, real_labels), D(fake.detach(), fake_labels))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        loss_g = losses.generator_loss("nonsaturating", D(fake, fake_labels))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        history["d_loss"].append(loss_d.item())
        history["g_loss"].append(loss_g.item())
    return history


# %% [markdown]
# ## 3. Ask for each digit
#
# We request 100 samples of every digit and classify them. Two numbers matter:
#
# * **agreement**: the fraction of samples whose predicted class is the requested one (chance: 10%);
# * **within-digit spread**: for each digit, the per-pixel standard deviation across its samples,
#   divided by the same for the real images of that digit, averaged over digits. A generator that
#   answers every request with one fixed image scores 100% agreement and spread 0 — which is why we
#   measure both.
#
# The figure reuses the same ten noise vectors in every row: reading down a column, the label
# changes and the "style" noise does not.
#
# A third number looks inside D. It never sees a *real* image with a *wrong* label — real pairs
# always match — so nothing asks it directly to reject "a real 3 labelled 5". It learns label
# consistency only through the generator's samples: while G's 5s look like 3s, D learns what a 5
# must look like. We check that it has learned it: on the real digits, the mean of $D(x, y)$ with
# the true label is above the mean with a wrong label. (The *matching-aware* discriminator of Reed
# et al. (2016) makes this explicit: it adds real images with wrong labels to the "fake" side.)


# %%
def conditional_samples(G, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(10·per_class images, their requested labels), with the same noise for every label."""
    rng = np.random.default_rng(seed)
    z = np.tile(rng.standard_normal((per_class, NZ)).astype(np.float32), (10, 1))
    requested = np.repeat(np.arange(10), per_class)
    G.eval()
    with mg.no_grad():
        images = G(mg.tensor(z), requested).numpy()
    G.train()
    return images, requested


def within_class_spread(samples, requested, images, labels) -> float:
    return float(np.mean([samples[requested == k].std(axis=0).mean() / images[labels == k].std(axis=0).mean()
                          for k in range(10)]))


def d_uses_the_label(D, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean D(x, y) on real digits with their true label, and with a wrong one (y + 1..9 mod 10)."""
    wrong = (labels + np.random.default_rng(0).integers(1, 10, len(labels))) % 10
    D.eval()
    with mg.no_grad():
        right_p = mg.sigmoid(D(mg.tensor(images), labels)).numpy().mean()
        wrong_p = mg.sigmoid(D(mg.tensor(images), wrong)).numpy().mean()
    D.train()
    return float(right_p), float(wrong_p)


# %%
def plot_grid(samples: np.ndarray, images: np.ndarray, labels: np.ndarray, agreement: np.ndarray, out):
    per_class = len(samples) // 10
    grid = samples.reshape(10, per_class, 1, SIZE, SIZE)[:, :10].reshape(100, 1, SIZE, SIZE)
    real = np.concatenate([images[labels == k][:10] for k in range(10)])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 6.4))
    ax1.imshow(viz.image_grid(grid, nrow=10), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax1.set_title("generated: row k = requested digit k\n(one noise vector per column)")
    ax2.imshow(viz.image_grid(real, nrow=10), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax2.set_title("real digits, row k = digit k")
    for ax in (ax1, ax2):
        ax.set_xticks([])
        ax.set_yticks((np.arange(10) + 0.5) * (SIZE + 1))
        ax.set_yticklabels(range(10))
    ax1.set_yticklabels([f"{k}  ({a:.0%})" for k, a in enumerate(agreement)])
    ax1.set_ylabel("requested digit (classifier agreement)")
    save_figure(fig, out, "cgan_grid.png")


def plot_confusion(confusion: np.ndarray, history: dict, out, window: int = 50):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    im = ax1.imshow(confusion, cmap="Blues", vmin=0, vmax=1)
    for i in range(10):
        for j in range(10):
            if confusion[i, j] >= 0.05:
                ax1.text(j, i, f"{confusion[i, j]:.2f}", ha="center", va="center", fontsize=7,
                         color="white" if confusion[i, j] > 0.5 else "black")
    ax1.set(xticks=range(10), yticks=range(10), xlabel="classifier's digit", ylabel="requested digit",
            title="what the classifier sees (rows sum to 1)")
    fig.colorbar(im, ax=ax1, fraction=0.046)
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        v = np.asarray(history[key])
        ax2.plot(np.convolve(v, np.ones(window) / window, mode="valid") if len(v) > window else v, label=label)
    ax2.axhline(np.log(4), color="k", lw=0.8, ls=":", label="log 4")
    ax2.set(xlabel="step", title=f"losses ({window}-step moving average)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    save_figure(fig, out, "cgan_confusion.png")


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("12_conditional_gan", out_dir)
    steps = 800 if quick else 3000
    load_classifier()  # build the digit classifier before seeding (creating it draws random numbers)
    images, labels = load_digits(SIZE)
    G, D = build(seed=0)
    results: dict = {"steps": steps}

    section("1. A generator and a discriminator that take a label")
    print(G)
    print(D)
    z = mg.randn(3, NZ)
    with mg.no_grad():
        x = G(z, [0, 1, 2])
        score = D(x, [0, 1, 2])
    print(f"  G(z, y): z {tuple(z.shape)} + labels (3,) → images {tuple(x.shape)};  "
          f"D(x, y) → logits {tuple(score.shape)}")

    section(f"2. Train for {steps} steps (batch {BATCH}, Adam lr {LR}, betas {BETAS})")
    history = train(G, D, images, labels, steps, seed=0)
    last = slice(-max(1, steps // 10), None)
    results.update(d_loss=float(np.mean(history["d_loss"][last])), g_loss=float(np.mean(history["g_loss"][last])))
    print(f"  last 10% of steps: D loss {results['d_loss']:.3f}, G loss {results['g_loss']:.3f}")
    check("losses stayed finite", (results["d_loss"], results["g_loss"]),
          np.all(np.isfinite(history["d_loss"] + history["g_loss"])))

    section("3. Request 100 samples of every digit and classify them")
    samples, requested = conditional_samples(G, per_class=100, seed=1)
    predicted = class_probs(samples).argmax(axis=1)
    confusion = np.zeros((10, 10))
    np.add.at(confusion, (requested, predicted), 1.0)
    confusion /= confusion.sum(axis=1, keepdims=True)
    per_class = np.diag(confusion)
    agreement = float((predicted == requested).mean())
    spread = within_class_spread(samples, requested, images, labels)
    right_p, wrong_p = d_uses_the_label(D, images, labels)
    print("  agreement per requested digit: " + ", ".join(f"{k}: {a:.0%}" for k, a in enumerate(per_class)))
    print(f"  overall agreement {agreement:.1%} (chance 10%); within-digit spread {spread:.2f} of the data's")
    print(f"  D on real digits: mean D(x, true label) = {right_p:.3f}, mean D(x, wrong label) = {wrong_p:.3f}")
    results.update(agreement=agreement, per_class_agreement=per_class.tolist(), spread=spread,
                   d_true_label=right_p, d_wrong_label=wrong_p)
    check("D rates real digits with their true label above the same digits with a wrong one",
          (right_p, wrong_p), right_p > wrong_p)
    if quick:
        check("agreement with the requested digit at least 50% (5× chance)", agreement, agreement >= 0.5)
        check("samples of a digit vary (spread at least 30% of the data's)", spread, spread >= 0.3)
    else:
        check("the classifier agrees with the requested digit on at least 80% of samples", agreement,
              agreement >= 0.8)
        check("samples of a digit vary (spread at least 50% of the data's)", spread, spread >= 0.5)
    plot_grid(samples, images, labels, per_class, out)
    plot_confusion(confusion, history, out)
    return results


if __name__ == "__main__":
    run_as_script(main)
