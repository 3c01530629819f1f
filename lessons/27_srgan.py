# %% [markdown]
# # Lesson 27 — SRGAN: the perception–distortion trade-off in super-resolution
#
# Super-resolution: recover a 28×28 digit $I_{HR}$ from its 7×7 block means $I_{LR}$
# (`load_dataset("mnist-sr4")`). Many high-resolution digits share one 7×7 thumbnail, so the task is
# ambiguous. A generator trained on the pixel MSE, $\lVert G(I_{LR}) - I_{HR}\rVert^2$, predicts the
# **mean** of the possible answers: the best possible PSNR, and a blurred image.
#
# SRGAN (Ledig et al. 2017) trades some of that PSNR for realism. Its loss is a *content* loss on features
# $\varphi$ of a fixed network plus a small adversarial term,
#
# $$l^{SR} = \tfrac{1}{WHC}\lVert\varphi(I_{HR}) - \varphi(G(I_{LR}))\rVert^2 + 10^{-3}\,(-\log D(G(I_{LR}))).$$
#
# The paper's $\varphi$ is a VGG-19 feature map; minigan's stand-in is the deepest convolutional feature map
# of the digits classifier it ships (trained on scikit-learn's digits, so it knows strokes and shapes).
# The discriminator pushes outputs towards the set of real digits, where the mean of several digits is not.
# Blau & Michaeli (2018) proved that this is a real trade-off: no estimator is best at both distortion
# (PSNR) and perceptual quality.
#
# We pre-train one SRResNet on the MSE (as the paper does), then continue from it twice — on the MSE, and
# on SRGAN's loss — and compare on the 500 test thumbnails with **bicubic upsampling**. The claims:
#
# * the MSE model has the **higher PSNR**;
# * the SRGAN model's outputs are **sharper** (more high-frequency energy, lesson 26's measure) and read
#   as the right digit by the MNIST judge **about as often** (within 2 points: the judge sees the digits at
#   16×16, where most of the added detail is averaged away, so the sharper texture buys no accuracy here);
# * **both beat bicubic** on PSNR and on the judge's accuracy.
#
# Run it: `python lessons/27_srgan.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section
from scipy import ndimage

import minigan as mg
from minigan import optim, viz
from minigan.data import load_dataset
from minigan.gan import losses
from minigan.gan.models.srgan import SRDiscriminator, SRGenerator, content_features
from minigan.gan.translation import TranslationBatches, translate
from minigan.metrics.mnist_classifier import load_mnist_classifier
from minigan.metrics.translation import bicubic_upsample, label_accuracy, psnr
from minigan.nn import functional as F

BETAS = (0.9, 0.999)  # the paper's Adam
ADV_WEIGHT = 1e-3


# %% [markdown]
# ## 1. Pre-training, then two ways to continue
#
# `train(G, D, steps, gan)` runs `steps` updates of G: on the MSE (`gan=False`), or on the content loss plus
# $10^{-3}$ times the non-saturating adversarial loss, with one update of D per step (`gan=True`).


# %%
def train(G, D, batches, steps: int, gan: bool, lr: float):
    opt_g = optim.Adam(G.parameters(), lr=lr, betas=BETAS)
    opt_d = optim.Adam(D.parameters(), lr=lr, betas=BETAS)
    for _ in range(steps):
        lo, hi = next(batches)
        sr = G(lo)
        if not gan:
            loss = F.mse_loss(sr, hi)
        else:
            d_loss = losses.discriminator_loss("nonsaturating", D(hi), D(sr.detach()))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            D.requires_grad_(False)
            loss = (F.mse_loss(content_features(sr), content_features(hi).detach())
                    + ADV_WEIGHT * losses.generator_loss("nonsaturating", D(sr)))
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        D.requires_grad_(True)
    return G


def high_frequency_energy(images: np.ndarray) -> float:
    p = (np.asarray(images, np.float64)[:, 0] + 1) / 2
    return float(np.mean(ndimage.laplace(p, mode="constant") ** 2))


def plot(inputs, rows: dict, out):
    show = np.repeat(np.repeat(inputs, 4, axis=2), 4, axis=3)
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.imshow(viz.image_grid(np.concatenate([show, *rows.values()]), nrow=len(inputs)), cmap="gray", vmin=0,
              vmax=1, interpolation="nearest")
    ax.set_yticks((np.arange(len(rows) + 1) + 0.5) * 29)
    ax.set_yticklabels(["7×7 input", *rows])
    ax.set_xticks([])
    ax.set_title("the same test thumbnails, upsampled 4×")
    save_figure(fig, out, "srgan_tradeoff.png")


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("27_srgan", out_dir)
    # --quick: a small model and 10× the paper's learning rate, so that a few hundred steps get somewhere
    pre, more, width, blocks, batch, lr = (250, 150, 16, 2, 16, 1e-3) if quick else (600, 600, 32, 4, 32, 1e-4)
    load_mnist_classifier()  # built before seeding: creating them draws random numbers
    content_features(mg.zeros(1, 1, 28, 28))
    test = load_dataset("mnist-sr4", split="test")
    mg.manual_seed(0)
    G, D = SRGenerator(width, blocks), SRDiscriminator(width)
    batches = TranslationBatches(load_dataset("mnist-sr4"), batch, np.random.default_rng(0), "cpu")

    section(f"1. Pre-train on the MSE for {pre} steps, then {more} more steps each way")
    train(G, D, batches, pre, gan=False, lr=lr)
    G_gan, D_gan = copy.deepcopy(G), copy.deepcopy(D)
    state = mg.get_rng_state()
    models = {"MSE": train(G, D, batches, more, gan=False, lr=lr)}
    mg.set_rng_state(state)
    models["SRGAN"] = train(G_gan, D_gan, batches, more, gan=True, lr=lr)

    section("2. PSNR, sharpness and the judge's accuracy on the 500 test thumbnails")
    outputs = {"bicubic": np.clip(bicubic_upsample(test.a, 28), -1, 1)}
    outputs.update({name: translate(G, test.a) for name, G in models.items()})
    target_energy = high_frequency_energy(test.b)
    results: dict = {"steps": (pre, more)}
    for name, y in outputs.items():
        results[name] = {"psnr": psnr(y, test.b), "accuracy": label_accuracy(y, test.labels_b, "mnist"),
                         "hf_energy": high_frequency_energy(y) / target_energy}
        r = results[name]
        print(f"  {name:<8} PSNR {r['psnr']:.2f} dB, judge's accuracy {r['accuracy']:.1%}, "
              f"high-frequency energy {r['hf_energy']:.3f} of the targets'")
    mse, gan, bic = results["MSE"], results["SRGAN"], results["bicubic"]
    check("the MSE model has the higher PSNR", (mse["psnr"], gan["psnr"]), mse["psnr"] > gan["psnr"])
    check("the SRGAN model's outputs are sharper", (gan["hf_energy"], mse["hf_energy"]),
          gan["hf_energy"] > mse["hf_energy"])
    check("and read as the right digit about as often (within 2 points)", (gan["accuracy"], mse["accuracy"]),
          gan["accuracy"] >= mse["accuracy"] - 0.02)
    check("both beat bicubic upsampling on PSNR", (mse["psnr"], gan["psnr"], bic["psnr"]),
          min(mse["psnr"], gan["psnr"]) > bic["psnr"])
    check("and on the judge's accuracy", (mse["accuracy"], gan["accuracy"], bic["accuracy"]),
          min(mse["accuracy"], gan["accuracy"]) > bic["accuracy"])
    columns = np.array([np.flatnonzero(test.labels_b == c)[0] for c in range(10)])
    plot(test.a[columns], {**{k: v[columns] for k, v in outputs.items()}, "target": test.b[columns]}, out)
    return results


if __name__ == "__main__":
    run_as_script(main)
