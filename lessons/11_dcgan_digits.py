# %% [markdown]
# # Lesson 11 — DCGAN on digits
#
# The first GANs were multilayer perceptrons, and on images they were hard to train. Radford, Metz
# & Chintala (2016, "Unsupervised representation learning with deep convolutional GANs") found a
# recipe for convolutional GANs that trains reliably, and it is still the baseline every image GAN
# is compared with. Their guidelines, one by one:
#
# 1. **No pooling.** The discriminator downsamples with *strided convolutions*, the generator
#    upsamples with *strided transposed convolutions*: each network learns its own resampling.
# 2. **Batch normalisation in both networks**, except the generator's output layer and the
#    discriminator's input layer (normalising those fixes the mean and scale of the images and
#    made training oscillate in their experiments).
# 3. **No fully connected hidden layers.** $z$ is projected to a 4×4 map (here a transposed
#    convolution of $z$ seen as an $n_z \times 1 \times 1$ image — the same thing as a linear layer
#    and a reshape) and D ends with one convolution to a single score; everything between is
#    convolutional.
# 4. **ReLU in the generator, tanh at its output** (images live in $[-1, 1]$).
# 5. **LeakyReLU with slope 0.2 in the discriminator.**
# 6. **Adam with learning rate $2\cdot 10^{-4}$ and $\beta_1 = 0.5$** (the default 0.9 made
#    training oscillate), and **all weights drawn from $\mathcal N(0, 0.02^2)$.**
#
# `minigan.gan.models.DCGANGenerator` / `DCGANDiscriminator` follow them for any image size
# $4\cdot 2^n$ (and $7\cdot 2^n$), and `minigan.nn.init.dcgan_init` does the initialisation. Here we
# build the pair for 16×16 digits (scikit-learn's 1,797 digits, upsampled), read the guidelines off
# the models, train them with an explicit loop, and look at what the generator learned: samples,
# and walks in latent space. The derivations behind the layers are in
# [docs/theory/dcgan.md](../docs/theory/dcgan.md).
#
# The claim, checked at the end: the shipped digit classifier (`minigan.metrics.class_probs`)
# is **confident ($p > 0.9$) on most samples**, and the confident samples cover **all ten
# digits** — a generator that draws recognisable digits of every kind, not one kind and not mush.
#
# Run it: `python lessons/11_dcgan_digits.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
import minigan.nn as nn
from minigan import optim, viz
from minigan.data import load_digits
from minigan.gan import losses
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
from minigan.gan.train import generate_samples
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section
from minigan.metrics import class_probs
from minigan.metrics.domain import load_classifier

SIZE = 16             # 16×16 digits: 4 → 8 → 16 in the generator
NZ = 100              # noise size, as in the paper
WIDTH = 32            # channels of G's last hidden layer and of D's first layer (the paper: 64, 64×64 images)
BATCH = 64
LR, BETAS = 2e-4, (0.5, 0.999)
INSTANCE_NOISE = 0.3  # std of the Gaussian noise added to every image D sees (see section 3)
CONFIDENT = 0.9       # "the classifier is confident": top class probability above this


# %% [markdown]
# ## 1. The two networks, read off their repr
#
# Printing a module shows its layers. Follow the shapes: the generator turns $z$ into a 4×4 map
# with one transposed convolution (kernel 4, no padding), then doubles the size with each
# stride-2 transposed convolution (kernel 4, padding 1: $(H-1)\cdot 2 - 2 + 4 = 2H$); the
# discriminator halves it with stride-2 convolutions ($\lfloor (H + 2 - 4)/2 \rfloor + 1 = H/2$)
# and ends with a 4×4 convolution to one number, a logit. The convolutions carry no bias: a
# batch norm follows them and would cancel it.


# %%
def build(seed: int = 0):
    mg.manual_seed(seed)
    G = nn.init.dcgan_init(DCGANGenerator(NZ, SIZE, channels=1, width=WIDTH))
    D = nn.init.dcgan_init(DCGANDiscriminator(SIZE, channels=1, width=WIDTH))
    return G, D


def shape_trace(net: nn.Sequential, x: mg.Tensor) -> list[tuple]:
    """The shape of x after each (transposed) convolution of a Sequential, in eval mode, without a graph."""
    trace = [tuple(x.shape[1:])]
    net.eval()
    with mg.no_grad():
        for layer in net:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                trace.append(tuple(x.shape[1:]))
    net.train()
    return trace


def guideline_checks(G, D) -> dict[str, bool]:
    """Each DCGAN guideline as a test on the layers of G.main and D.main."""
    g, d = list(G.main), list(D.main)
    convs_g = [m for m in g if isinstance(m, nn.ConvTranspose2d)]
    convs_d = [m for m in d if isinstance(m, nn.Conv2d)]
    allowed = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU, nn.Tanh)

    def followed_by_bn(layers, convs):
        return [isinstance(layers[layers.index(c) + 1], nn.BatchNorm2d) for c in convs]

    weights = [m.weight.numpy() for m in convs_g + convs_d]
    gammas = np.concatenate([m.weight.numpy() for m in g + d if isinstance(m, nn.BatchNorm2d)])
    return {
        "no pooling or linear layers: convolutions, batch norms and activations only":
            all(isinstance(m, allowed) for m in g + d),
        "G upsamples with stride-2 transposed convolutions (after the first, which makes 4×4)":
            all(c.stride == (2, 2) for c in convs_g[1:]),
        "D downsamples with stride-2 convolutions (before the last, the 4×4 scorer)":
            all(c.stride == (2, 2) for c in convs_d[:-1]),
        "batch norm after every G layer but the output": followed_by_bn(g, convs_g) == [True] * (len(convs_g) - 1)
            + [False],
        "batch norm after every D layer but the input (and the scorer)":
            followed_by_bn(d, convs_d[:-1]) == [False] + [True] * (len(convs_d) - 2),
        "G: ReLU inside, tanh at the output": isinstance(g[-1], nn.Tanh)
            and not any(isinstance(m, nn.LeakyReLU) for m in g) and any(isinstance(m, nn.ReLU) for m in g),
        "D: LeakyReLU(0.2) only": all(m.negative_slope == 0.2 for m in d if isinstance(m, nn.LeakyReLU))
            and not any(isinstance(m, (nn.ReLU, nn.Tanh)) for m in d),
        "conv weights ~ N(0, 0.02²): every layer's std within 15% of 0.02":
            all(abs(w.std() / 0.02 - 1) < 0.15 and abs(w.mean()) < 0.005 for w in weights),
        "batch-norm scales ~ N(1, 0.02²)": abs(gammas.mean() - 1) < 0.01 and abs(gammas.std() / 0.02 - 1) < 0.3,
    }


# %% [markdown]
# ## 2. The training loop, written out
#
# One step is one discriminator update and one generator update, as in lesson 03 but on images:
#
# * **D** minimises the binary cross-entropy of "real" on a batch of digits and "fake" on a batch
#   of $G(z)$ — `losses.discriminator_loss("nonsaturating", ...)` on logits; $G(z)$ is detached so
#   only D moves;
# * **G** minimises the non-saturating loss $-\mathbb E \log D(G(z))$ on the same fakes, the
#   gradient flowing through D into G; only G's optimizer steps.
#
# Batch norm is in training mode during the loop: each batch is normalised with its own mean and
# variance, and the running averages used at sampling time (`G.eval()`) are updated as we go.
# Real and fake images go through D in separate batches, as in the paper's code.


# %%
def train(G, D, data: np.ndarray, steps: int, snapshots: tuple[int, ...], seed: int = 0):
    """Train G and D; returns the per-step history and G's samples of fixed noise at ``snapshots``."""
    rng = np.random.default_rng(seed)
    opt_g = optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    fixed_z = mg.tensor(rng.standard_normal((500, NZ)).astype(np.float32))
    history = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    frames = {}

    def noisy(images):  # instance noise: D never sees a clean image, real or generated
        return images + INSTANCE_NOISE * mg.randn(*images.shape)

    for step in range(steps + 1):
        if step in snapshots:
            G.eval()
            with mg.no_grad():
                frames[step] = G(fixed_z).numpy()
            G.train()
        if step == steps:
            break
        real = mg.tensor(data[rng.integers(0, len(data), BATCH)])
        fake = G(mg.randn(BATCH, NZ))

        real_logits, fake_logits = D(noisy(real)), D(noisy(fake.detach()))
        loss_d = losses.discriminator_loss("nonsaturating", real_logits, fake_logits)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        loss_g = losses.generator_loss("nonsaturating", D(noisy(fake)))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

        history["d_loss"].append(loss_d.item())
        history["g_loss"].append(loss_g.item())
        history["d_real"].append(float(mg.sigmoid(real_logits).numpy().mean()))
        history["d_fake"].append(float(mg.sigmoid(fake_logits).numpy().mean()))
    return history, frames


# %% [markdown]
# ## 3. One addition for a small data set: instance noise
#
# 1,797 digits are very few for a convolutional discriminator: within a few hundred steps it can
# separate the training images from everything else by details, its verdict on generated images
# stops being informative, and the samples stall half-formed (with the guidelines alone, about half
# of them are confidently recognised here, and the thin 1s never appear). *Instance noise*
# (Sønderby et al. 2017; Arjovsky & Bottou 2017) adds Gaussian noise, std 0.3, to every image D
# sees, real or fake. Both distributions are blurred by the same kernel, so they still match only
# when $p_g = p_{\text{data}}$ — the game's solution is unchanged — but now the two overlap and D
# cannot win on pixel details, which keeps its gradients pointing at shape. Set
# `INSTANCE_NOISE = 0` to see the difference.
#
# ## 4. What the generator draws
#
# We sample 1,000 digits from fresh noise (`minigan.gan.train.generate_samples`, with G in eval
# mode) and ask the digit classifier what it sees. For comparison, the same classifier on the
# *untrained* generator: its near-constant grey images are all called "8" with high confidence — so
# confidence alone is not the test, confidence **and** all ten classes is.


# %%
def classify(images: np.ndarray) -> tuple[float, np.ndarray]:
    """(fraction of confident samples, histogram of the confident samples' classes)."""
    p = class_probs(images)
    confident = p.max(axis=1) > CONFIDENT
    return float(confident.mean()), np.bincount(p.argmax(axis=1)[confident], minlength=10)


# %% [markdown]
# ## 5. Walking in latent space
#
# The paper's evidence that G learned a smooth map rather than a lookup table of training images:
# move $z$ along a straight line $z(t) = (1-t)\,z_0 + t\,z_1$ and decode every point. A memorising
# generator would jump from one training image to another; a good one morphs one digit into the
# next, with every frame still a plausible digit. (Linear paths pass closer to the origin than
# typical $z$ — $\|z(1/2)\| \approx \|z_0\|/\sqrt 2$ — which is why some works use spherical
# interpolation; at 16×16 the difference is small.) We check that the frames between the
# endpoints are recognised about as often as the endpoints themselves, and that no step between
# neighbouring frames is a jump: the largest one is a small part of the whole path.


# %%
def interpolate(G, rows: int, steps: int, seed: int) -> np.ndarray:
    """(rows, steps, 1, H, W): G on the line from z0 to z1, for ``rows`` random pairs."""
    rng = np.random.default_rng(seed)
    z0, z1 = rng.standard_normal((2, rows, 1, NZ)).astype(np.float32)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    z = ((1 - t) * z0 + t * z1).reshape(rows * steps, NZ)
    G.eval()
    with mg.no_grad():
        images = G(mg.tensor(z)).numpy()
    G.train()
    return images.reshape(rows, steps, 1, SIZE, SIZE)


# %%
def plot_losses(history: dict, out, window: int = 25):
    def smooth(v):
        v = np.asarray(v)
        return np.convolve(v, np.ones(window) / window, mode="valid") if len(v) > window else v

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss (non-saturating)")):
        ax1.plot(smooth(history[key]), label=label)
    ax1.axhline(np.log(4), color="k", lw=0.8, ls=":", label="log 4 (D loss at the optimum)")
    ax1.set(xlabel="step", title=f"losses ({window}-step moving average)")
    for key, label in (("d_real", "mean D(x + noise)"), ("d_fake", "mean D(G(z) + noise)")):
        ax2.plot(smooth(history[key]), label=label)
    ax2.axhline(0.5, color="k", lw=0.8, ls=":")
    ax2.set(xlabel="step", ylim=(0, 1), title="discriminator outputs")
    for ax in (ax1, ax2):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    save_figure(fig, out, "dcgan_losses.png")


def plot_progress(frames: dict, fractions: dict, out, n: int = 10):
    steps = sorted(frames)
    fig, axes = plt.subplots(len(steps), 1, figsize=(n * 0.7, len(steps) * 0.95))
    for ax, step in zip(np.atleast_1d(axes), steps):
        ax.imshow(viz.image_grid(frames[step][:n], nrow=n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        fraction, classes = fractions[step]
        ax.set_title(f"step {step}: {fraction:.0%} confidently classified, {classes} different digits among them",
                     fontsize=8, loc="left")
    fig.suptitle("fixed noise through training", fontsize=10)
    save_figure(fig, out, "dcgan_progress.png")


def plot_samples(samples: np.ndarray, histogram: np.ndarray, fraction: float, out):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5.2), gridspec_kw=dict(width_ratios=[1.1, 1]))
    ax1.imshow(viz.image_grid(samples[:100], nrow=10), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax1.set_axis_off()
    ax1.set_title("100 samples of the trained generator")
    ax2.bar(range(10), histogram)
    ax2.set(xticks=range(10), xlabel="predicted digit", ylabel="confident samples",
            title=f"{fraction:.0%} of {len(samples)} samples classified with p > {CONFIDENT}")
    save_figure(fig, out, "dcgan_samples.png")


def plot_interpolations(frames: np.ndarray, out):
    rows, steps = frames.shape[:2]
    fig, ax = plt.subplots(figsize=(steps * 0.75, rows * 0.8))
    ax.imshow(viz.image_grid(frames.reshape(rows * steps, 1, SIZE, SIZE), nrow=steps), cmap="gray", vmin=0,
              vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title("z(t) = (1 − t) z₀ + t z₁,  t = 0 (left) … 1 (right)", fontsize=9)
    save_figure(fig, out, "dcgan_interpolations.png")


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("11_dcgan_digits", out_dir)
    steps = 300 if quick else 2000
    load_classifier()  # build the digit classifier before seeding (creating it draws random numbers)
    data, _ = load_digits(SIZE)
    G, D = build(seed=0)
    results: dict = {"steps": steps}

    section("1. The DCGAN guidelines, read off the models")
    print(G)
    print(D)
    for name, (net, x) in {"G": (G.main, mg.randn(2, NZ, 1, 1)), "D": (D.main, mg.tensor(data[:2]))}.items():
        print(f"  {name}: " + " → ".join("×".join(map(str, s)) for s in shape_trace(net, x)))
    for name, ok in guideline_checks(G, D).items():
        check(name, ok, ok)
    params = {k: sum(p.size for p in m.parameters()) for k, m in (("G", G), ("D", D))}
    print(f"  parameters: G {params['G']:,}, D {params['D']:,}")

    untrained = generate_samples(G, 500, np.random.default_rng(1))
    fraction0, histogram0 = classify(untrained)
    print(f"  untrained G: {fraction0:.0%} confident, classes {histogram0.tolist()} (all grey: an '8')")
    results.update(untrained_confident_fraction=fraction0, untrained_classes=int((histogram0 > 0).sum()))

    section(f"2–3. Train for {steps} steps (batch {BATCH}, Adam lr {LR}, betas {BETAS}, "
            f"instance noise σ = {INSTANCE_NOISE})")
    snapshots = tuple(sorted({0, steps // 20, steps // 8, steps // 4, steps // 2, steps}))
    history, frames = train(G, D, data, steps, snapshots, seed=0)
    fractions = {}
    for step, images in frames.items():
        fraction, histogram = classify(images)
        fractions[step] = (fraction, int((histogram > 0).sum()))
    last = slice(-max(1, steps // 10), None)
    d_loss, g_loss = float(np.mean(history["d_loss"][last])), float(np.mean(history["g_loss"][last]))
    print(f"  last 10% of steps: D loss {d_loss:.3f}, G loss {g_loss:.3f}, "
          f"D(x) {np.mean(history['d_real'][last]):.2f}, D(G(z)) {np.mean(history['d_fake'][last]):.2f}")
    print("  fixed-noise samples (confident fraction, digits among them): "
          + ", ".join(f"step {s}: {f:.0%}, {c}" for s, (f, c) in fractions.items()))
    results.update(d_loss=d_loss, g_loss=g_loss, progress={int(s): f for s, (f, _) in fractions.items()})
    check("losses stayed finite", (d_loss, g_loss), np.all(np.isfinite(history["d_loss"] + history["g_loss"])))
    plot_losses(history, out)
    plot_progress(frames, fractions, out)

    section("4. Samples, judged by the digit classifier")
    samples = generate_samples(G, 1000, np.random.default_rng(2))
    fraction, histogram = classify(samples)
    spread = float(samples.std(axis=0).mean() / data.std(axis=0).mean())
    print(f"  {fraction:.1%} of 1000 samples confidently classified; classes among them: {histogram.tolist()}")
    print(f"  pixel spread across samples / across the data: {spread:.2f}")
    results.update(confident_fraction=fraction, class_histogram=histogram.tolist(),
                   classes_present=int((histogram > 0).sum()), spread=spread,
                   sample_range=(float(samples.min()), float(samples.max())))
    check("samples lie in [-1, 1] (tanh output)", results["sample_range"],
          -1 <= samples.min() and samples.max() <= 1)
    check("samples vary (pixel spread at least 50% of the data's)", spread, spread > 0.5)
    if quick:
        # a short run: clearly better than the untrained generator, not yet a good one
        check("confident samples span at least 8 classes (untrained G: 1)", results["classes_present"],
              results["classes_present"] >= 8 > results["untrained_classes"])
        check("at least 30% of the samples are confidently classified", fraction, fraction >= 0.3)
    else:
        check("the classifier is confident (p > 0.9) on most samples", fraction, fraction > 0.5)
        check("all ten digits among the confident samples", results["classes_present"],
              results["classes_present"] == 10)
    plot_samples(samples, histogram, fraction, out)

    section("5. Latent-space interpolations")
    walk = interpolate(G, rows=8, steps=10, seed=3)
    ends = walk[:, [0, -1]].reshape(-1, 1, SIZE, SIZE)
    middle = walk[:, 1:-1].reshape(-1, 1, SIZE, SIZE)
    ends_fraction, middle_fraction = classify(ends)[0], classify(middle)[0]
    jumps = np.sqrt(((walk[:, 1:] - walk[:, :-1]) ** 2).sum(axis=(2, 3, 4)))   # (rows, steps - 1)
    largest_jump = float((jumps.max(axis=1) / jumps.sum(axis=1)).max())
    print(f"  confidently classified: endpoints {ends_fraction:.0%}, frames in between {middle_fraction:.0%}")
    print(f"  largest step between neighbouring frames: {largest_jump:.0%} of its path's length "
          f"(an even walk: {1 / (walk.shape[1] - 1):.0%})")
    results.update(interpolation_end_fraction=ends_fraction, interpolation_middle_fraction=middle_fraction,
                   interpolation_largest_jump=largest_jump)
    check("no jumps: every step is under 30% of its path", largest_jump, largest_jump < 0.3)
    plot_interpolations(walk, out)
    return results


if __name__ == "__main__":
    run_as_script(main)
