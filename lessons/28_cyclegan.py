# %% [markdown]
# # Lesson 28 — CycleGAN: without the cycle loss, unpaired translation need not keep the content
#
# Unpaired translation: two image sets and no pairs between them. Here domain A is scikit-learn's 8×8
# digits resized to 28×28 (thick, blurred strokes that fill the frame) and domain B the MNIST digits
# (`load_dataset("digits2mnist")`). We want G: A → B that turns each digit into an MNIST digit *of the same
# class* — but no example says which MNIST image belongs to which digit image.
#
# The adversarial loss alone, $\mathcal L_{GAN}(G, D_B)$ (least squares, as CycleGAN uses), asks only that
# the *set* $\{G(a)\}$ look like the set of MNIST digits. Any map that sends the digits onto MNIST-looking
# images satisfies it equally well: one that turns every 3 into an 8 and every 8 into a 3 is as good as the
# identity of the classes, and so is one that draws a few favourite digits whatever it is given. Nothing
# in that objective rewards keeping the label.
#
# CycleGAN (Zhu et al. 2017) adds a second generator F: B → A and asks each way round to come back:
#
# $$\mathcal L_{cyc}(G, F) = \mathbb E_a\lVert F(G(a)) - a\rVert_1 + \mathbb E_b\lVert G(F(b)) - b\rVert_1,
# \qquad \mathcal L = \mathcal L_{GAN}(G, D_B) + \mathcal L_{GAN}(F, D_A) + \lambda_{cyc}\mathcal L_{cyc}.$$
#
# To come back to *this* 3, $G(a)$ must still carry what distinguishes it, and the cheapest way to carry
# it through an image that must look like an MNIST digit is to draw the same digit. (The cycle is not a
# guarantee: G could hide the information in faint detail instead — CycleGAN's known "steganography".)
#
# We train the same pair of ResNet generators and PatchGAN discriminators (`minigan.gan.models.cyclegan`)
# twice, from the same weights on the same batches, with $\lambda_{cyc} = 0$ and with the paper's
# $\lambda_{cyc} = 10$ (the identity loss is off in both, so that the cycle term is the only difference),
# and read the outputs with classifiers that minigan ships: the MNIST judge on $G(a)$, the digits CNN on
# $F(b)$ and on the round trip $F(G(a))$. The claims, on the test split of both domains:
#
# * **without the cycle loss the content is not kept**: the outputs look like MNIST (a pixel classifier of
#   the domain takes most of them for MNIST), but the judge reads the input's digit in fewer than 40% of
#   them, and the digit cannot be read back from them either: after the round trip $F(G(a))$ the digits CNN
#   finds the input's digit less than half as often as it does for the other model;
# * **with it the content survives**: $F(G(a))$ comes back to $a$ (the cycle error is at most half the other
#   model's) and the digits CNN reads the input's digit in at least 70% of the round trips — so $G(a)$ still
#   carries which digit it was.
#
# That $G(a)$ also *draws* that digit in MNIST's style takes longer training: in the quick run the cycle
# model's outputs keep each input's layout (its strokes, as outlines) but are not yet digits that the MNIST
# judge reads; the default `minigan train --model cyclegan` run (docs/translation.md) is where to read
# how often the label survives in the judge's eyes.
#
# Run it: `python lessons/28_cyclegan.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section

import minigan as mg
from minigan import optim, viz
from minigan.data import load_dataset
from minigan.gan import losses
from minigan.gan.models.cyclegan import CycleDiscriminators, CycleGenerators
from minigan.gan.translation import TranslationBatches, translate
from minigan.metrics.domain import load_classifier
from minigan.metrics.mnist_classifier import load_mnist_classifier, mnist_class_probs
from minigan.metrics.translation import label_accuracy, mnist_domain_fraction

LR, BETAS = 2e-4, (0.5, 0.999)  # the paper's Adam
POOL = 50                       # the paper's history pool of generated images
# --quick: one residual block, batches of 4 and 2.5× the paper's learning rate, so that 300 steps get somewhere
QUICK = dict(steps=300, width=8, blocks=1, batch=4, lr=5e-4)
FULL = dict(steps=1500, width=8, blocks=3, batch=8, lr=LR)  # the default run's networks and schedule length


# %% [markdown]
# ## 1. One training step, with or without the cycle term
#
# Each step updates both generators on the least-squares GAN loss, $\tfrac12(D(G(a)) - 1)^2$ for G against
# $D_B$ and the same for F against $D_A$, plus $\lambda_{cyc}$ times the two cycle errors; then both
# discriminators on $\tfrac12(D(\text{real}) - 1)^2 + \tfrac12 D(\text{fake})^2$, the fakes drawn through
# the history pool (half the time an older fake, so D does not forget what G used to do).


# %%
def train(cycle_lambda: float, steps: int, width: int, blocks: int, batch: int, lr: float, seed: int = 0):
    mg.manual_seed(seed)
    G = mg.nn.init.dcgan_init(CycleGenerators(width, blocks))
    D = mg.nn.init.dcgan_init(CycleDiscriminators(width, POOL))
    opt_g = optim.Adam(G.parameters(), lr=lr, betas=BETAS)
    opt_d = optim.Adam(D.parameters(), lr=lr, betas=BETAS)
    batches = TranslationBatches(load_dataset("digits2mnist"), batch, np.random.default_rng(seed), "cpu")
    for _ in range(steps):
        a, b = next(batches)
        fake_b, fake_a = G.a2b(a), G.b2a(b)
        D.requires_grad_(False)
        loss = losses.generator_loss("lsgan", D.d_b(fake_b)) + losses.generator_loss("lsgan", D.d_a(fake_a))
        if cycle_lambda:
            cycle = (G.b2a(fake_b) - a).abs().mean() + (G.a2b(fake_a) - b).abs().mean()
            loss = loss + cycle_lambda * cycle
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        D.requires_grad_(True)
        d_loss = (losses.discriminator_loss("lsgan", D.d_b(b), D.d_b(D.pool_b.query(fake_b)))
                  + losses.discriminator_loss("lsgan", D.d_a(a), D.d_a(D.pool_a.query(fake_a))))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    return G


# %% [markdown]
# ## 2. What survives the translation
#
# For each test image of A we ask the MNIST judge which digit $G(a)$ shows, and for each test MNIST digit
# the digits CNN which digit $F(b)$ shows. The **confusion matrix** (row: the input's digit, column: the
# digit read in the output) shows *how* the label is lost: a permutation of classes, or a few digits drawn
# for everything.


# %%
def confusion(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    read = mnist_class_probs(images).argmax(axis=1)
    matrix = np.zeros((10, 10))
    np.add.at(matrix, (labels, read), 1)
    return matrix / matrix.sum(axis=1, keepdims=True)


def plot(test, outputs: dict, matrices: dict, out):
    columns = np.array([np.flatnonzero(test.labels_a == c)[0] for c in range(10)])
    rows = [test.a[columns]] + [y[columns] for y in outputs.values()]
    fig, axes = plt.subplots(1, 1 + len(matrices), figsize=(13, 3.6),
                             gridspec_kw={"width_ratios": [2.6] + [1] * len(matrices)})
    axes[0].imshow(viz.image_grid(np.concatenate(rows), nrow=10), cmap="gray", vmin=0, vmax=1,
                   interpolation="nearest")
    axes[0].set_yticks((np.arange(len(rows)) + 0.5) * 29)
    axes[0].set_yticklabels(["digit a", *(f"G(a), {name}" for name in outputs)])
    axes[0].set_xticks([])
    axes[0].set_title("the same test digits through both generators")
    for ax, (name, matrix) in zip(axes[1:], matrices.items()):
        ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"G(a), {name}", fontsize=9)
        ax.set_xlabel("digit the judge reads")
        ax.set_ylabel("input digit")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
    save_figure(fig, out, "cyclegan_cycle_loss.png")


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("28_cyclegan", out_dir)
    settings = QUICK if quick else FULL
    steps, width, blocks = settings["steps"], settings["width"], settings["blocks"]
    load_mnist_classifier()  # built before seeding: creating them draws random numbers
    load_classifier()
    mnist_domain_fraction(np.zeros((1, 1, 28, 28)))  # fits the domain classifier once
    test = load_dataset("digits2mnist", split="test")
    results: dict = {"steps": steps}

    section(f"1. Train the same CycleGAN twice for {steps} steps (width {width}, {blocks} residual blocks)")
    models = {name: train(lam, **settings) for name, lam in
              (("no cycle loss", 0.0), ("cycle loss", 10.0))}

    section("2. Read the translated test digits")
    outputs, matrices = {}, {}
    for name, G in models.items():
        ab, ba = translate(G, test.a, "a2b"), translate(G, test.b, "b2a")
        aba = translate(G, ab, "b2a")  # the round trip F(G(a))
        outputs[name], matrices[name] = ab, confusion(ab, test.labels_a)
        results[name] = {"a2b_accuracy": label_accuracy(ab, test.labels_a, "mnist"),
                         "b2a_accuracy": label_accuracy(ba, test.labels_b, "digits"),
                         "mnist_fraction": mnist_domain_fraction(ab),
                         "round_trip_accuracy": label_accuracy(aba, test.labels_a, "digits"),
                         "cycle_l1_a": float(np.abs(aba - test.a).mean())}
        r = results[name]
        print(f"  {name:<13} label kept a → b {r['a2b_accuracy']:.1%}, b → a {r['b2a_accuracy']:.1%}; "
              f"G(a) taken for MNIST {r['mnist_fraction']:.1%}; cycle error |F(G(a)) − a| {r['cycle_l1_a']:.3f}, "
              f"read back from F(G(a)) {r['round_trip_accuracy']:.1%}")
    plot(test, outputs, matrices, out)
    plain, cyc = results["no cycle loss"], results["cycle loss"]
    check("without the cycle loss the outputs still look like MNIST (most taken for MNIST)",
          plain["mnist_fraction"], plain["mnist_fraction"] > 0.5)
    check("but the label is not kept: the judge reads the input's digit in fewer than 40% of them",
          plain["a2b_accuracy"], plain["a2b_accuracy"] < 0.4)
    check("with the cycle loss the cycle comes back: |F(G(a)) − a| at most half the other model's",
          (cyc["cycle_l1_a"], plain["cycle_l1_a"]), cyc["cycle_l1_a"] <= 0.5 * plain["cycle_l1_a"])
    check("and the digit survives in G(a): read back from F(G(a)) in at least 70% of the test digits",
          cyc["round_trip_accuracy"], cyc["round_trip_accuracy"] >= 0.7)
    check("without it, less than half as often", (plain["round_trip_accuracy"], cyc["round_trip_accuracy"]),
          plain["round_trip_accuracy"] < 0.5 * cyc["round_trip_accuracy"])
    return results


if __name__ == "__main__":
    run_as_script(main)
