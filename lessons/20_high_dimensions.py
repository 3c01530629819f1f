# %% [markdown]
# # Lesson 20 — High dimensions, thin supports, and the (1 + TV)/2 bound on accuracy
#
# Four facts about the spaces GANs work in, each measured:
#
# 1. **Distances concentrate.** For $x, y \sim \mathcal N(0, I_d)$, $\|x - y\|^2$ is $2\chi^2_d$: mean
#    $2d$, standard deviation $2\sqrt{2d}$. So $\|x - y\| \approx \sqrt{2d}$ and its relative spread is
#    $\operatorname{std}/\operatorname{mean} \approx 1/\sqrt{2d}$ (delta method): in high dimension all
#    pairs are nearly equally far apart, and "nearest neighbour" carries little information.
# 2. **Data lie near low-dimensional sets.** The 16×16 digits have 256 pixels, but a handful of
#    principal directions carry most of their variance.
# 3. **Disjoint supports are easy to separate.** Two distributions on different low-dimensional sets
#    of $\mathbb R^d$ almost never overlap, and a discriminator can then be right on every sample —
#    the regime of lesson 07, where the Jensen–Shannon divergence is stuck at $\log 2$.
# 4. **The best possible accuracy is $(1 + \mathrm{TV})/2$.** With real and fake shown in equal
#    numbers, a classifier that says "real" on a set $A$ is right with probability
#    $\tfrac12 P(A) + \tfrac12(1 - Q(A))$; the best $A$ is $\{p > q\}$, where
#    $P(A) - Q(A) = \mathrm{TV}(P, Q) = \tfrac12\int|p - q|$, so
#    $$\max_D \text{accuracy} = \frac{1 + \mathrm{TV}(P, Q)}{2}.$$
#
# A common statement is that *a discriminator at 100% accuracy is a sign of mode collapse*. The
# bound says otherwise. A generator that collapsed onto one of ring8's eight modes (and matches that
# mode exactly) has $\mathrm{TV} = 1 - \int\min(p, q) = 1 - \tfrac18 = \tfrac78$, so no discriminator can
# beat $(1 + 7/8)/2 = 93.75\%$; a trained one reaches it and no more. 100% means the supports are
# (nearly) disjoint, which is the normal state of an early generator, collapsed or not.
#
# Run it: `python lessons/20_high_dimensions.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan import optim
from minigan.data import load_digits, mode_centers, sample_ring8
from minigan.data.toy import RING8_STD
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

# %% [markdown]
# ## 1. Distances concentrate


# %%
def distance_spread(dims, n_pairs: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for d in dims:
        dist = np.linalg.norm(rng.standard_normal((n_pairs, d)) - rng.standard_normal((n_pairs, d)), axis=1)
        rows.append(dict(d=d, mean=float(dist.mean()), relative_spread=float(dist.std() / dist.mean()),
                         predicted=float(1 / np.sqrt(2 * d)), ratio_max_min=float(dist.max() / dist.min())))
    return rows


# %% [markdown]
# ## 2. Digits near a low-dimensional set (16×16, 256 pixels)
#
# The fraction of the variance carried by the top $k$ principal components is the sum of the $k$
# largest eigenvalues of the covariance over their total.


# %%
def variance_explained(images: np.ndarray) -> np.ndarray:
    x = images.reshape(len(images), -1).astype(np.float64)
    x = x - x.mean(axis=0)
    eigenvalues = np.linalg.svd(x, compute_uv=False) ** 2
    return np.cumsum(eigenvalues) / eigenvalues.sum()


# %% [markdown]
# ## 3–4. Train a discriminator; compare its accuracy with (1 + TV)/2
#
# D is a small MLP trained with the minimax loss on fresh batches of real and fake samples; its
# accuracy is measured on 20,000 fresh samples of each. For ring8 and a generator that draws from
# $m$ of its 8 modes (same shape, equal weights), the modes do not overlap (std 0.02, 1.53 apart),
# so $\int \min(p, q) = m/8$ and $\mathrm{TV} = 1 - m/8$.


# %%
def sample_modes(n: int, rng: np.random.Generator, modes: int) -> np.ndarray:
    """A generator collapsed onto the first ``modes`` modes of ring8, each drawn exactly like the data's."""
    centres = mode_centers("ring8")[:modes]
    return (centres[rng.integers(0, modes, n)] + RING8_STD * rng.standard_normal((n, 2))).astype(np.float32)


def sample_planes(n: int, rng: np.random.Generator, d: int, shift: float) -> np.ndarray:
    """Points on a 2-d plane of R^d (the first two axes), moved by ``shift`` along the third."""
    x = np.zeros((n, d), dtype=np.float32)
    x[:, :2] = rng.standard_normal((n, 2))
    x[:, 2] = shift
    return x


def train_and_measure(sample_real, sample_fake, dim: int, steps: int, seed: int = 0, n_test: int = 20000):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([dim, 64, 64, 1])
    opt = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 2e-3 * (1 - step / steps)
        real, fake = mg.tensor(sample_real(256, rng)), mg.tensor(sample_fake(256, rng))
        loss = losses.discriminator_loss("minimax", D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    test = np.random.default_rng(seed + 100)
    with mg.no_grad():
        right_real = (D(mg.tensor(sample_real(n_test, test))).numpy() > 0).mean()
        right_fake = (D(mg.tensor(sample_fake(n_test, test))).numpy() <= 0).mean()
    accuracy = float((right_real + right_fake) / 2)
    return accuracy, float(np.sqrt(accuracy * (1 - accuracy) / (2 * n_test)))


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("20_high_dimensions", out_dir)
    results: dict = {}
    steps = 600 if quick else 1500

    section("1. distances between Gaussian samples concentrate")
    dims = (2, 10, 100, 1000) if quick else (2, 10, 100, 1000, 10000)
    rows = distance_spread(dims, n_pairs=2000 if quick else 5000)
    for r in rows:
        print(f"  d = {r['d']:>5}: mean ‖x − y‖ = {r['mean']:8.3f} (√(2d) = {np.sqrt(2 * r['d']):8.3f}), "
              f"std/mean = {r['relative_spread']:.4f} (1/√(2d) = {r['predicted']:.4f}), max/min = "
              f"{r['ratio_max_min']:.2f}")
    results["distance_rows"] = rows
    high = [r for r in rows if r["d"] >= 100]
    worst = max(abs(r["relative_spread"] / r["predicted"] - 1) for r in high)
    check("std/mean of ‖x − y‖ = 1/√(2d) within 10% for d ≥ 100 (max relative error)", worst, worst < 0.10)
    check("the relative spread shrinks with d", [r["relative_spread"] for r in rows],
          all(a["relative_spread"] > b["relative_spread"] for a, b in zip(rows[:-1], rows[1:])))

    section("2. the 16×16 digits: 256 pixels, few directions")
    images, _ = load_digits(16)
    explained = variance_explained(images)
    k90 = int(np.searchsorted(explained, 0.90) + 1)
    results.update(components_90=k90, explained_10=float(explained[9]))
    print(f"  {k90} of 256 principal components carry 90% of the variance; the top 10 carry {explained[9]:.1%}")
    check("90% of the digits' variance lies in fewer than 1/8 of the 256 directions", k90, k90 < 256 / 8)

    section("3. disjoint supports: two parallel planes in R^50, 0.1 apart")
    d = 50
    acc_planes, _ = train_and_measure(lambda n, r: sample_planes(n, r, d, 0.0),
                                      lambda n, r: sample_planes(n, r, d, 0.1), d, steps)
    results["accuracy_disjoint"] = acc_planes
    print(f"  test accuracy {acc_planes:.4f}: TV = 1, (1 + TV)/2 = 1")
    check("a discriminator separates disjoint supports (accuracy ≥ 0.99)", acc_planes, acc_planes >= 0.99)

    section("4. ring8 against collapsed generators: accuracy meets (1 + TV)/2 and no more")
    table = []
    for modes in ((1, 4) if quick else (1, 2, 4, 8)):
        tv = 1 - modes / 8
        bound = (1 + tv) / 2
        acc, se = train_and_measure(sample_ring8, lambda n, r, m=modes: sample_modes(n, r, m), 2, steps, seed=modes)
        table.append(dict(modes=modes, tv=tv, bound=bound, accuracy=acc, se=se))
        print(f"  generator on {modes}/8 modes: TV = {tv:.3f}, bound (1 + TV)/2 = {bound:.4f}, "
              f"trained D: {acc:.4f} ± {se:.4f}")
        check(f"{modes}/8 modes: accuracy does not beat the bound (by more than 3 standard errors)", acc,
              acc <= bound + 3 * se)
        check(f"{modes}/8 modes: and comes within 0.02 of it", bound - acc, bound - acc < 0.02)
    results["collapse_table"] = table
    one = table[0]
    check("collapse onto one mode caps accuracy at 93.75%, not 100%", one["accuracy"], one["accuracy"] < 0.96)

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.3))
    ax[0].loglog([r["d"] for r in rows], [r["relative_spread"] for r in rows], "o-", label="measured std/mean")
    ax[0].loglog([r["d"] for r in rows], [r["predicted"] for r in rows], "k--", label="1/√(2d)")
    ax[0].set(xlabel="dimension d", ylabel="relative spread of ‖x − y‖", title="distances concentrate")
    ax[0].legend(fontsize=8)
    ax[1].plot(np.arange(1, len(explained) + 1), explained, "o-", ms=2)
    ax[1].set_xscale("log")
    ax[1].axhline(0.9, color="k", ls="--", lw=1)
    ax[1].axvline(k90, color="C3", lw=1, label=f"{k90} components: 90%")
    ax[1].set(xlabel="principal components kept", ylabel="fraction of variance", title="16×16 digits: 256 pixels")
    ax[1].legend(fontsize=8)
    tv_line = np.linspace(0, 1, 50)
    ax[2].plot(tv_line, (1 + tv_line) / 2, "k-", label="best possible: (1 + TV)/2")
    ax[2].errorbar([r["tv"] for r in table], [r["accuracy"] for r in table], yerr=[3 * r["se"] for r in table],
                   fmt="C3o", capsize=3, label="trained D, ring8 vs m collapsed modes")
    for r in table:
        ax[2].annotate(f"{r['modes']}/8 modes", (r["tv"], r["accuracy"]), textcoords="offset points",
                       xytext=(8, -14), fontsize=8)
    ax[2].plot([1], [acc_planes], "C2s", label="disjoint planes in R^50")
    ax[2].set(xlabel="total variation TV(p_data, p_g)", ylabel="test accuracy",
              title="accuracy is capped by (1 + TV)/2")
    ax[2].legend(fontsize=8, loc="lower right")
    save_figure(fig, out, "high_dimensions.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
