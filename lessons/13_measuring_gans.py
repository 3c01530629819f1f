# %% [markdown]
# # Lesson 13 — Measuring GANs
#
# A classifier has a test loss; a GAN does not. Its two losses measure the players *against each
# other*, and both players change at every step, so a flat loss curve can hide a generator that is
# still improving — or one that has stopped. Sample quality has to be measured from the samples.
# The standard measures all work on a **feature network**: a classifier trained on real images,
# whose penultimate layer maps an image to a vector that captures what the images show. For
# photographs that is Inception-v3; minigan ships a small CNN trained on the digits
# (`minigan.metrics.features`, 128-d, and `class_probs`, 10 classes), and its numbers are called
# `fid_digits`, `is_digits`, ...: comparable with each other, never with published Inception values.
#
# | measure | compares | good is |
# |---|---|---|
# | **FID** (Heusel et al. 2017) | Gaussians fitted to real and generated features | low |
# | **KID** (Bińkowski et al. 2018) | the feature distributions, by an unbiased kernel MMD² | ≈ 0 |
# | **Inception-style score** (Salimans et al. 2016) | confident *and* varied class predictions | high (≤ 10 classes) |
# | **precision / recall** (Kynkäänniemi et al. 2019) | fake in the real manifold / real in the fake one | both high |
#
# This lesson (derivations in [docs/theory/measuring_gans.md](../docs/theory/measuring_gans.md)):
#
# 1. trains a small GAN and shows **equal loss values with very different FIDs**;
# 2. checks the **FID formula** on two Gaussians, where the answer is known in closed form, and
#    shows FID's **positive bias** from finite samples and how to remove it;
# 3. measures **real, corrupted and collapsed digit sets** with every metric, in one table, and
#    asserts the orderings that make each metric useful — and the blind spot of each;
# 4. separates the two failure modes with **precision** (realism) and **recall** (coverage).
#
# A common statement is that *the loss curves show how good the samples are*. Section 1 settles it:
# two checkpoints whose discriminator losses agree within 5% have FIDs at least 3× apart (2× in quick
# mode). And FID itself is checked against a ground truth that shares no code with it (section 2).
#
# Run it: `python lessons/13_measuring_gans.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage

import minigan as mg
import minigan.nn as nn
from minigan import optim, theory, viz
from minigan.data import load_digits
from minigan.gan import losses
from minigan.gan.models import MLPDiscriminator, MLPGenerator
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section
from minigan.metrics import (
    class_probs,
    features,
    frechet_distance,
    frechet_distance_from_stats,
    inception_score,
    kid,
    precision_recall,
)
from minigan.metrics.domain import load_classifier

# %% [markdown]
# ## 1. Loss curves do not measure quality
#
# An MLP GAN on the 8×8 digits (noise 32 → 256 → 256 → 64 pixels; D mirrors it), trained with the
# non-saturating loss. Every 50 steps we record the mean losses of the last 50 steps and the FID
# of 500 samples of fixed noise against the 1,797 real digits.
#
# The discriminator's loss is a cross-entropy against a *moving* opponent: when G improves, D's
# task gets harder and its loss rises towards $\log 4$ (its value when it cannot tell anything
# apart), and when D improves, G's loss rises. The same loss value can therefore mean "both bad"
# early on and "both good" late. We look for two checkpoints whose D losses agree within 5% and
# compare their FIDs.


# %%
def train_mlp_gan(steps: int, every: int = 50, seed: int = 0):
    """An MLP GAN on 8×8 digits; returns G and a log of (step, D loss, G loss, FID of 500 fixed samples)."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data, _ = load_digits(8)
    real_features = features(data)
    G = nn.init.dcgan_init(MLPGenerator(32, (1, 8, 8), hidden=256, depth=2, tanh=True))
    D = nn.init.dcgan_init(MLPDiscriminator((1, 8, 8), hidden=256, depth=2))
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    fixed_z = mg.tensor(rng.standard_normal((500, 32)).astype(np.float32))
    log = {"step": [], "d_loss": [], "g_loss": [], "fid": []}
    frames, window = {}, []
    for step in range(1, steps + 1):
        real = mg.tensor(data[rng.integers(0, len(data), 64)])
        fake = G(mg.randn(64, 32))
        loss_d = losses.discriminator_loss("nonsaturating", D(real), D(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = losses.generator_loss("nonsaturating", D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        window.append((loss_d.item(), loss_g.item()))
        if step % every == 0:
            G.eval()
            with mg.no_grad():
                samples = G(fixed_z).numpy()
            G.train()
            d_mean, g_mean = np.mean(window, axis=0)
            window = []
            log["step"].append(step)
            log["d_loss"].append(float(d_mean))
            log["g_loss"].append(float(g_mean))
            log["fid"].append(frechet_distance(real_features, features(samples)))
            frames[step] = samples[:16]
    return G, log, frames


def same_loss_different_fid(log: dict, tolerance: float = 0.05) -> tuple[int, int, float]:
    """The pair of checkpoints (i, j) with D losses within ``tolerance`` (relative) and the largest FID ratio."""
    d, fid = np.array(log["d_loss"]), np.array(log["fid"])
    best = (0, 0, 1.0)
    for i in range(len(d)):
        for j in range(i + 1, len(d)):
            if abs(d[i] - d[j]) <= tolerance * max(d[i], d[j]):
                ratio = max(fid[i], fid[j]) / min(fid[i], fid[j])
                if ratio > best[2]:
                    best = (i, j, float(ratio))
    return best


def plot_losses_vs_fid(log: dict, frames: dict, pair: tuple[int, int, float], out):
    i, j, ratio = pair
    steps = np.array(log["step"])
    fig = plt.figure(figsize=(13, 4.6))
    grid = fig.add_gridspec(2, 3, width_ratios=[1.2, 1.2, 1.4])
    ax1, ax2 = fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[:, 1])
    ax1.plot(steps, log["d_loss"], "o-", ms=3, label="D loss")
    ax1.plot(steps, log["g_loss"], "o-", ms=3, label="G loss")
    ax1.axhline(np.log(4), color="k", lw=0.8, ls=":", label="log 4")
    ax2.semilogy(steps, log["fid"], "o-", ms=3, color="C3")
    for k, c in ((i, "C2"), (j, "C4")):
        ax1.plot(steps[k], log["d_loss"][k], "s", ms=11, mfc="none", mec=c, mew=2)
        ax2.plot(steps[k], log["fid"][k], "s", ms=11, mfc="none", mec=c, mew=2)
    ax1.set(xlabel="step", title="the losses (mean of each 50 steps)")
    ax1.legend(fontsize=8)
    ax2.set(xlabel="step", ylabel="FID (digit features, 500 samples)", title="the samples' FID")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    for row, (k, c) in enumerate(((i, "C2"), (j, "C4"))):
        ax = fig.add_subplot(grid[row, 2])
        ax.imshow(viz.image_grid(frames[log["step"][k]], nrow=8), cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"step {log['step'][k]}: D loss {log['d_loss'][k]:.2f}, FID {log['fid'][k]:.0f}",
                     fontsize=8, color=c)
    fig.suptitle(f"equal D losses (within 5%), FIDs {ratio:.1f}× apart", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out, "losses_vs_fid.png")


# %% [markdown]
# ## 2. FID on two Gaussians: the formula, and its bias
#
# FID fits a Gaussian to each feature set and reports the squared 2-Wasserstein (Fréchet)
# distance between the two Gaussians, which has a closed form:
#
# $$d^2 = \|\mu_a - \mu_b\|^2
#       + \operatorname{Tr}\big(\Sigma_a + \Sigma_b - 2(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2}\big).$$
#
# When the features *are* Gaussian with known $\mu, \Sigma$, the formula gives the true distance
# (`frechet_distance_from_stats` with the true parameters, or `theory.frechet_gaussians`), and
# `frechet_distance` on $N$ samples of each gives an estimate. The estimate is **biased upwards**:
#
# * the mean term exactly:
#   $\mathbb E\|\hat\mu_a - \hat\mu_b\|^2 = \|\mu_a - \mu_b\|^2 + (\mathrm{Tr}\,\Sigma_a + \mathrm{Tr}\,\Sigma_b)/N$,
#   since $\hat\mu_a - \hat\mu_b$ has covariance $(\Sigma_a + \Sigma_b)/N$;
# * the covariance term too: $\hat\Sigma$ (with the $N-1$ divisor) is unbiased, so the traces are,
#   but $\operatorname{Tr}(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2}$ is a jointly *concave* function of
#   $(\Sigma_a, \Sigma_b)$, so by Jensen's inequality noisy estimates make it smaller on average and
#   $-2\operatorname{Tr}(\cdot)^{1/2}$ larger.
#
# Both parts shrink like $1/N$ (Chong & Forsyth 2020), so $\mathbb E\,\widehat{\text{FID}}_N
# \approx \text{FID}_\infty + k/N$. We draw 16-d Gaussians, repeat the estimate many times at each
# $N$, and check: (a) the bias is positive at every $N$, far beyond the sampling error; (b) the mean
# term's bias is exactly $(\operatorname{Tr}\Sigma_a + \operatorname{Tr}\Sigma_b)/N$; (c) a straight
# line through the means against $1/N$ hits the closed form at $1/N = 0$, within 3 standard errors.
# That is why FIDs must be compared at equal $N$, and why "real vs real" is never 0.
#
# **An independent ground truth first.** Before trusting the closed form, we check minigan's code
# against two computations that share none of it, on covariances that do *not* commute (so no
# diagonal or shared-eigenbasis shortcut can pass):
#
# * `scipy.linalg.sqrtm`: $\Sigma_a\Sigma_b$ is similar to $\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2}$
#   (conjugate by $\Sigma_a^{1/2}$), so $\operatorname{Tr}(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2}
#   = \operatorname{Tr}(\Sigma_a\Sigma_b)^{1/2}$, the principal square root of the product;
# * the optimal transport map itself: $T(x) = \mu_b + A(x - \mu_a)$ with
#   $A = \Sigma_a^{-1/2}(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2}\Sigma_a^{-1/2}$ is symmetric positive
#   definite (the gradient of a convex function, hence optimal by Brenier's theorem) and pushes
#   $\mathcal N(\mu_a, \Sigma_a)$ onto $\mathcal N(\mu_b, \Sigma_b)$ ($A\Sigma_a A = \Sigma_b$), so
#   $W_2^2 = \mathbb E\|x - T(x)\|^2$, which we estimate by Monte Carlo.


# %%
def random_gaussians(d: int, rng):
    """Two d-dimensional Gaussians with random covariances (eigenvalues between ~0.1 and ~4)."""
    def covariance():
        a = rng.standard_normal((d, d)) / np.sqrt(d)
        return a @ a.T + 0.1 * np.eye(d)
    return np.zeros(d), covariance(), 0.3 * rng.standard_normal(d), covariance()


def ground_truth_frechet(mu_a, sigma_a, mu_b, sigma_b, n_mc: int, seed: int = 1) -> dict:
    """W2² two ways that share no code with minigan: scipy's sqrtm of Σa Σb, and E‖x − T(x)‖² for the OT map T."""
    from scipy.linalg import sqrtm

    trace_term = float(np.real(np.trace(sqrtm(sigma_a @ sigma_b))))
    sqrtm_value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b) - 2 * trace_term)
    root_a = np.real(sqrtm(sigma_a))
    inv_root_a = np.linalg.inv(root_a)
    a = inv_root_a @ np.real(sqrtm(root_a @ sigma_b @ root_a)) @ inv_root_a
    rng = np.random.default_rng(seed)
    x = mu_a + rng.standard_normal((n_mc, len(mu_a))) @ np.linalg.cholesky(sigma_a).T
    cost = np.sum((x - (mu_b + (x - mu_a) @ a.T)) ** 2, axis=1)
    return dict(sqrtm=sqrtm_value, transport=float(cost.mean()), transport_se=float(cost.std(ddof=1) / np.sqrt(n_mc)),
                pushforward_error=float(np.abs(a @ sigma_a @ a - sigma_b).max()),
                commutator=float(np.linalg.norm(sigma_a @ sigma_b - sigma_b @ sigma_a)
                                 / np.linalg.norm(sigma_a @ sigma_b)))


def fid_bias_experiment(sizes, repeats: int, d: int = 16, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    mu_a, sigma_a, mu_b, sigma_b = random_gaussians(d, rng)
    closed = frechet_distance_from_stats(mu_a, sigma_a, mu_b, sigma_b)
    root_a, root_b = np.linalg.cholesky(sigma_a), np.linalg.cholesky(sigma_b)
    rows = []
    for n in sizes:
        fids, mean_terms = [], []
        for _ in range(repeats):
            a = mu_a + rng.standard_normal((n, d)) @ root_a.T
            b = mu_b + rng.standard_normal((n, d)) @ root_b.T
            fids.append(frechet_distance(a, b))
            mean_terms.append(float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2)))
        fids, mean_terms = np.array(fids), np.array(mean_terms)
        rows.append(dict(n=n, mean=fids.mean(), se=fids.std(ddof=1) / np.sqrt(repeats), std=fids.std(ddof=1),
                         mean_term=mean_terms.mean(), mean_term_se=mean_terms.std(ddof=1) / np.sqrt(repeats),
                         mean_term_expected=float(np.sum((mu_a - mu_b) ** 2)
                                                  + (np.trace(sigma_a) + np.trace(sigma_b)) / n),
                         samples=fids))
    # weighted least squares: mean FID = intercept + slope / N
    x = 1.0 / np.array(sizes, dtype=float)
    y = np.array([r["mean"] for r in rows])
    w = 1.0 / np.array([r["se"] for r in rows]) ** 2
    design = np.stack([np.ones_like(x), x], axis=1)
    covariance = np.linalg.inv(design.T @ (design * w[:, None]))
    intercept, slope = covariance @ (design.T @ (w * y))
    return dict(mu_a=mu_a, mu_b=mu_b, sigma_a=sigma_a, sigma_b=sigma_b, closed=closed, rows=rows,
                closed_theory=theory.frechet_gaussians(mu_a, sigma_a, mu_b, sigma_b), intercept=float(intercept),
                intercept_se=float(np.sqrt(covariance[0, 0])), slope=float(slope))


def plot_fid_bias(result: dict, out):
    rows, closed = result["rows"], result["closed"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    ax1.violinplot([r["samples"] for r in rows], showmeans=True)
    ax1.axhline(closed, color="k", ls="--", label=f"closed form {closed:.3f}")
    ax1.set_xticks(range(1, len(rows) + 1))
    ax1.set_xticklabels([str(r["n"]) for r in rows])
    ax1.set(xlabel="N samples of each Gaussian", ylabel="FID from samples",
            title="FID over repeats: spread (sampling error) and bias")
    ax1.legend(fontsize=8)
    x = np.array([1 / r["n"] for r in rows])
    ax2.errorbar(x, [r["mean"] for r in rows], yerr=[3 * r["se"] for r in rows], fmt="o", capsize=3,
                 label="mean FID ± 3 standard errors")
    line = np.linspace(0, x.max() * 1.05, 50)
    ax2.plot(line, result["intercept"] + result["slope"] * line, "C1-",
             label=f"fit: {result['intercept']:.3f} + {result['slope']:.0f}/N")
    ax2.plot([0], [closed], "k*", ms=12, label="closed form (N = ∞)")
    ax2.set(xlabel="1 / N", ylabel="mean FID", title="the bias shrinks like 1/N")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    save_figure(fig, out, "fid_gaussians.png")


# %% [markdown]
# ## 3. One table, every metric
#
# We split the 1,797 digits (16×16) once: 1,000 are the **reference** set, the rest are held out.
# Then we measure sets of 300 images against the reference:
#
# * **real**: 300 held-out digits — the best any generator can do at this sample size;
# * **noise σ = 0.2** and **noise σ = 0.5**: the same digits plus Gaussian pixel noise (clipped);
# * **blur**: the same digits under a Gaussian blur of 1 pixel;
# * **one class**: 300 draws (with replacement) among the ~75 held-out 3s — a generator that only
#   makes (perfect) 3s;
# * **one digit repeated**: one held-out image 300 times — complete mode collapse;
# * **MLP GAN**: 300 samples of the GAN from section 1.
#
# FID uses all 1,000 reference features; KID averages 50 random subsets of 300 against 300; the
# inception-style score uses the 300 sets' class probabilities in one split; precision / recall
# compare each set with 300 reference images, $k = 3$ nearest neighbours.


# %%
def corrupted_sets(images: np.ndarray, labels: np.ndarray, size: int, rng) -> tuple[np.ndarray, dict]:
    order = rng.permutation(len(images))
    reference, held_out = order[:1000], order[1000:]
    test = images[held_out[:size]]
    threes = held_out[labels[held_out] == 3]
    sets = {
        "real (held out)": test,
        "noise σ = 0.2": np.clip(test + 0.2 * rng.standard_normal(test.shape), -1, 1),
        "noise σ = 0.5": np.clip(test + 0.5 * rng.standard_normal(test.shape), -1, 1),
        "blur (1 px)": ndimage.gaussian_filter(test, sigma=(0, 0, 1, 1)),
        "one class (3s)": images[rng.choice(threes, size)],
        "one digit repeated": np.repeat(test[:1], size, axis=0),
    }
    return images[reference], {k: v.astype(np.float32) for k, v in sets.items()}


def measure(reference_features: np.ndarray, pr_reference: np.ndarray, images: np.ndarray, kid_subsets: int) -> dict:
    f = features(images)
    with warnings.catch_warnings():  # the score of a single repeated image is exactly 1; nothing to warn about
        warnings.simplefilter("ignore")
        is_mean, _ = inception_score(class_probs(images), splits=1)
    kid_mean, kid_std = kid(reference_features, f, subsets=kid_subsets, subset_size=len(images), rng=0)
    precision, recall = precision_recall(pr_reference, f, k=3)
    return dict(fid=frechet_distance(reference_features, f), kid=kid_mean, kid_std=kid_std, inception=is_mean,
                precision=precision, recall=recall)


def generate_gan_samples(G, n: int) -> np.ndarray:
    """n samples of the section-1 generator, from noise of their own."""
    G.eval()
    with mg.no_grad():
        samples = G(mg.tensor(np.random.default_rng(5).standard_normal((n, 32)).astype(np.float32))).numpy()
    G.train()
    return samples


def plot_sets(sets: dict, out, n: int = 12):
    fig, axes = plt.subplots(len(sets), 1, figsize=(n * 0.6, len(sets) * 0.85))
    for ax, (name, images) in zip(axes, sets.items()):
        ax.imshow(viz.image_grid(images[:n], nrow=n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(name, fontsize=8, loc="left")
    save_figure(fig, out, "digit_sets.png")


def plot_table(table: dict, out):
    names = list(table)
    columns = [("fid", "FID ↓", "{:.1f}"), ("kid", "KID ↓", "{:.2f}"), ("inception", "IS ↑", "{:.2f}"),
               ("precision", "precision ↑", "{:.2f}"), ("recall", "recall ↑", "{:.2f}")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), gridspec_kw=dict(width_ratios=[1.2, 1, 1]))
    ax = axes[0]
    ax.set_axis_off()
    cells = [[fmt.format(table[n][key]) for key, _, fmt in columns] for n in names]
    t = ax.table(cellText=cells, rowLabels=names, colLabels=[c[1] for c in columns], loc="center")
    t.auto_set_font_size(False)
    t.set_fontsize(8)
    t.scale(1.0, 1.5)
    ax.set_title("300 images each, against 1,000 real digits")
    y = np.arange(len(names))
    axes[1].barh(y, [table[n]["fid"] for n in names], color="C3")
    axes[1].set(xscale="log", yticks=y, yticklabels=names, xlabel="FID (log scale)", title="FID")
    axes[1].invert_yaxis()
    axes[2].scatter([table[n]["recall"] for n in names], [table[n]["precision"] for n in names], s=40)
    for n in names:
        axes[2].annotate(n, (table[n]["recall"], table[n]["precision"]), fontsize=7, xytext=(4, 3),
                         textcoords="offset points")
    axes[2].set(xlim=(-0.05, 1.1), ylim=(-0.05, 1.1), xlabel="recall (coverage of the data)",
                ylabel="precision (realism of the samples)", title="precision vs recall")
    axes[2].grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out, "metrics_table.png")


# %% [markdown]
# ## 4. Precision and recall
#
# FID folds realism and coverage into one number. Improved precision and recall keep them apart:
# each real feature vector gets a ball reaching to its 3rd-nearest real neighbour, the union of the
# balls approximates the real manifold, and **precision** is the fraction of generated vectors that
# fall inside it; **recall** swaps the roles (balls around the generated vectors, fraction of real
# vectors inside). A generator that draws only 3s has *realistic* samples (high precision) that
# *cover* one tenth of the data at most (low recall); heavy noise produces images off the
# manifold (low precision) that still spread out in every direction.


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("13_measuring_gans", out_dir)
    load_classifier()  # build the digit classifier before seeding (creating it draws random numbers)
    results: dict = {}

    section("1. Loss curves do not measure quality")
    steps = 600 if quick else 2000
    G, log, frames = train_mlp_gan(steps)
    for s, d, g, f in list(zip(log["step"], log["d_loss"], log["g_loss"], log["fid"]))[1::2]:
        print(f"  step {s:5d}: D loss {d:.3f}  G loss {g:.3f}  FID {f:7.1f}")
    i, j, ratio = same_loss_different_fid(log)
    print(f"  steps {log['step'][i]} and {log['step'][j]}: D losses {log['d_loss'][i]:.3f} and "
          f"{log['d_loss'][j]:.3f}, FIDs {log['fid'][i]:.1f} and {log['fid'][j]:.1f}")
    results.update(fid_first=log["fid"][0], fid_last=log["fid"][-1], same_loss_fid_ratio=ratio,
                   same_loss_steps=(log["step"][i], log["step"][j]))
    least = 2 if quick else 3
    check(f"two checkpoints with D losses within 5% have FIDs at least {least}× apart", ratio, ratio >= least)
    check("yet training did improve the samples: final FID under half the first", log["fid"][-1],
          log["fid"][-1] < 0.5 * log["fid"][0])
    plot_losses_vs_fid(log, frames, (i, j, ratio), out)

    section("2. FID of two Gaussians: closed form vs samples")
    sizes = (100, 200, 400, 800) if quick else (100, 200, 400, 800, 1600)
    gauss = fid_bias_experiment(sizes, repeats=80 if quick else 200)
    closed = gauss["closed"]
    print(f"  closed form: frechet_distance_from_stats {closed:.6f}, theory.frechet_gaussians "
          f"{gauss['closed_theory']:.6f}")
    truth = ground_truth_frechet(gauss["mu_a"], gauss["sigma_a"], gauss["mu_b"], gauss["sigma_b"],
                                 n_mc=100_000 if quick else 400_000)
    print(f"  ground truth: scipy.linalg.sqrtm(Σa Σb) gives {truth['sqrtm']:.6f}; E‖x − T(x)‖² for the transport "
          f"map = {truth['transport']:.4f} ± {truth['transport_se']:.4f}")
    z_transport = (closed - truth["transport"]) / truth["transport_se"]
    results.update(ground_truth_sqrtm=truth["sqrtm"], ground_truth_transport=truth["transport"],
                   transport_z=float(z_transport), commutator=truth["commutator"])
    check("the covariances do not commute: ‖ΣaΣb − ΣbΣa‖ / ‖ΣaΣb‖", truth["commutator"], truth["commutator"] > 0.1)
    check("T pushes N(μa, Σa) onto N(μb, Σb): max |AΣaA − Σb|", truth["pushforward_error"],
          truth["pushforward_error"] < 1e-8)
    for name, value in (("metrics.frechet_distance_from_stats", closed), ("theory.frechet_gaussians",
                                                                          gauss["closed_theory"])):
        error = abs(value - truth["sqrtm"]) / truth["sqrtm"]
        check(f"{name} = the sqrtm ground truth (relative error)", error, error < 1e-8)
    check("and = the Monte Carlo transport cost, within 3 standard errors", float(z_transport), abs(z_transport) < 3)
    print("      N   mean FID    std   std.err    bias   mean-term bias (measured / (TrΣa+TrΣb)/N)")
    shift = float(np.sum((gauss["mu_a"] - gauss["mu_b"]) ** 2))
    for r in gauss["rows"]:
        print(f"  {r['n']:5d}  {r['mean']:8.4f}  {r['std']:6.3f}  {r['se']:7.4f}  {r['mean'] - closed:+.4f}   "
              f"{r['mean_term'] - shift:.4f} / {r['mean_term_expected'] - shift:.4f}")
    z_bias = min((r["mean"] - closed) / r["se"] for r in gauss["rows"])
    z_mean_term = max(abs(r["mean_term"] - r["mean_term_expected"]) / r["mean_term_se"] for r in gauss["rows"])
    z_intercept = (gauss["intercept"] - closed) / gauss["intercept_se"]
    print(f"  fit: mean FID = {gauss['intercept']:.4f} (± {gauss['intercept_se']:.4f}) + {gauss['slope']:.1f} / N; "
          f"closed form {closed:.4f}")
    results.update(closed_form=closed, fid_means={r["n"]: float(r["mean"]) for r in gauss["rows"]},
                   fid_intercept=gauss["intercept"], fid_intercept_se=gauss["intercept_se"],
                   bias_z_min=float(z_bias), mean_term_z_max=float(z_mean_term), intercept_z=float(z_intercept))
    check("positive bias at every N: mean sample FID above the closed form by > 3 standard errors", z_bias,
          z_bias > 3)
    check("the mean term's bias is (TrΣa + TrΣb)/N, within 3 standard errors at every N", z_mean_term,
          z_mean_term < 3)
    check("extrapolated to N = ∞, sample FID meets the closed form within 3 standard errors", z_intercept,
          abs(z_intercept) < 3)
    plot_fid_bias(gauss, out)

    section("3. Real, corrupted and collapsed digits, measured every way")
    images, labels = load_digits(16)
    rng = np.random.default_rng(0)
    reference, sets = corrupted_sets(images, labels, 300, rng)
    sets["MLP GAN (section 1)"] = generate_gan_samples(G, 300)
    plot_sets(sets, out)
    reference_features = features(reference)
    pr_reference = reference_features[rng.choice(len(reference), 300, replace=False)]
    table = {name: measure(reference_features, pr_reference, s, kid_subsets=50) for name, s in sets.items()}
    print(f"  {'':22s} {'FID':>8s} {'KID':>8s} {'IS':>6s} {'precision':>10s} {'recall':>7s}")
    for name, m in table.items():
        print(f"  {name:22s} {m['fid']:8.2f} {m['kid']:8.3f} {m['inception']:6.2f} {m['precision']:10.3f} "
              f"{m['recall']:7.3f}")
    results["table"] = table
    real, noise2, noise5 = table["real (held out)"], table["noise σ = 0.2"], table["noise σ = 0.5"]
    one_class, repeated = table["one class (3s)"], table["one digit repeated"]
    others = [m for name, m in table.items() if name != "real (held out)"]
    for key in ("fid", "kid"):
        check(f"{key.upper()}: the held-out real digits beat every other set", real[key],
              all(real[key] < m[key] for m in others))
    check("FID: collapse is the worst: one repeated digit > one class > every corruption",
          (repeated["fid"], one_class["fid"]),
          repeated["fid"] > one_class["fid"] > max(table[n]["fid"] for n in ("noise σ = 0.2", "noise σ = 0.5",
                                                                             "blur (1 px)")))
    check("IS: real digits score near the maximum of 10 (above 9)", real["inception"], real["inception"] > 9)
    check("IS: one class, or one digit, scores about 1 (below 1.5)", (one_class["inception"], repeated["inception"]),
          max(one_class["inception"], repeated["inception"]) < 1.5)
    is_drop, fid_rise = 1 - noise2["inception"] / real["inception"], noise2["fid"] / real["fid"]
    print(f"  noise σ = 0.2: IS {100 * is_drop:.1f}% lower, FID {fid_rise:.2f}× higher than the real digits")
    results.update(noise_is_drop=float(is_drop), noise_fid_ratio=float(fid_rise))
    check("IS barely sees mild noise (< 5% lower) while FID rises by more than half", (is_drop, fid_rise),
          is_drop < 0.05 and fid_rise > 1.5)

    section("4. Precision vs recall")
    print(f"  one class : precision {one_class['precision']:.3f}, recall {one_class['recall']:.3f}")
    print(f"  noise 0.5 : precision {noise5['precision']:.3f}, recall {noise5['recall']:.3f}")
    print(f"  real      : precision {real['precision']:.3f}, recall {real['recall']:.3f}")
    check("real vs real: precision and recall both high (≥ 0.8)", (real["precision"], real["recall"]),
          min(real["precision"], real["recall"]) >= 0.8)
    check("one class: high precision (≥ 0.7), low recall (≤ 0.1)", (one_class["precision"], one_class["recall"]),
          one_class["precision"] >= 0.7 and one_class["recall"] <= 0.1)
    check("heavy noise: low precision (≤ 0.5), below one class's, and more recall than one class",
          (noise5["precision"], noise5["recall"]),
          noise5["precision"] <= 0.5 and noise5["precision"] < one_class["precision"]
          and noise5["recall"] > one_class["recall"])
    plot_table(table, out)
    return results


if __name__ == "__main__":
    run_as_script(main)
