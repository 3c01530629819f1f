# %% [markdown]
# # Lesson 17 — One-sided label smoothing
#
# Label smoothing trains the discriminator towards a "real" target $t < 1$ (Salimans et al., 2016,
# use $t = 0.9$) instead of 1, so that it does not grow over-confident. With a target $t$ for real
# samples and $s$ for generated ones, D minimises the cross-entropy
#
# $$-\,\mathbb E_{p_{\text{data}}}\big[t\log D + (1-t)\log(1-D)\big]
#   - \mathbb E_{p_g}\big[s\log D + (1-s)\log(1-D)\big].$$
#
# **Derivation.** Pointwise, as in lesson 04: the integrand is $a\log D + b\log(1-D)$ with
# $a = t\,p_{\text{data}} + s\,p_g$ and $b = (1-t)\,p_{\text{data}} + (1-s)\,p_g$, maximised at $a/(a+b)$:
#
# $$D^*_{t,s}(x) = \frac{t\,p_{\text{data}}(x) + s\,p_g(x)}{p_{\text{data}}(x) + p_g(x)}.$$
#
# * **One-sided** ($s = 0$): $D^* = t\,p_{\text{data}}/(p_{\text{data}} + p_g)$ — the usual optimum scaled by
#   $t$. Its logarithm is $\log t + \log D^*_{1,0}$, so the generator's non-saturating gradient
#   $\nabla_x \log D$ is *unchanged*: smoothing the real label tempers D's confidence and costs G nothing.
# * **Two-sided** ($s > 0$): where the generator puts mass and the data do not ($p_g \gg p_{\text{data}}$),
#   $D^* \to s$, a constant. A constant has zero gradient, so generated samples far from the data
#   receive **no push towards it** — exactly the samples that most need one. That is why Salimans et
#   al. smooth only the real label.
#
# A common statement is that *label smoothing is one regulariser, to apply to both labels alike*.
# The numbers below separate them: smoothing the real label leaves the generator's pull where
# only generated samples lie (more than half of it survives in the trained D, all of it in the
# formula), smoothing the fake label too removes over 80% of it.
#
# We train D (a minigan MLP) against a frozen $p_g = \mathcal N(0, 1)$, with data $\mathcal N(4, 1.25^2)$,
# with `losses.discriminator_loss("minimax", ..., real_label=0.9)` for the one-sided case and the
# cross-entropy written out for the two-sided one, and check both formulas and the gradients. (Where
# $D$ is tiny the cross-entropy hardly constrains $\log D$, so a trained D's slope there follows the
# formula only roughly; the two-sided collapse of the slope is far larger than that.)
#
# Run it: `python lessons/17_label_smoothing.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim
from minigan.data import density, sample_gauss1d
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

REAL_LABEL, FAKE_LABEL = 0.9, 0.1
G_MEAN, G_STD = 0.0, 1.0


def sample_gen(n: int, rng: np.random.Generator) -> np.ndarray:
    return (G_MEAN + G_STD * rng.standard_normal((n, 1))).astype(np.float32)


def smoothed_optimum(p: np.ndarray, q: np.ndarray, t: float, s: float) -> np.ndarray:
    """D*_{t,s} = (t p + s q) / (p + q)."""
    return (t * p + s * q) / (p + q)


# %% [markdown]
# ## 1. Train D with smoothed targets
#
# The two-sided loss with targets $(t, s)$ on logits $\ell$, using
# $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$ and $-\log(1-\sigma(\ell)) = \operatorname{softplus}(\ell)$:
# $t\,\operatorname{softplus}(-\ell_r) + (1-t)\operatorname{softplus}(\ell_r) + s\,\operatorname{softplus}(-\ell_f)
# + (1-s)\operatorname{softplus}(\ell_f)$, averaged.


# %%
def two_sided_loss(real_logits: mg.Tensor, fake_logits: mg.Tensor, t: float, s: float) -> mg.Tensor:
    real = t * mg.softplus(-real_logits) + (1 - t) * mg.softplus(real_logits)
    fake = s * mg.softplus(-fake_logits) + (1 - s) * mg.softplus(fake_logits)
    return real.mean() + fake.mean()


def train_discriminator(kind: str, steps: int, seed: int = 0, batch: int = 512, lr: float = 1e-2):
    """kind: "none" (labels 1 / 0), "one-sided" (0.9 / 0) or "two-sided" (0.9 / 0.1)."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = mlp([1, 64, 64, 1], activation="tanh")
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * (1 - step / steps)
        real, fake = mg.tensor(sample_gauss1d(batch, rng)), mg.tensor(sample_gen(batch, rng))
        if kind == "none":
            loss = losses.discriminator_loss("minimax", D(real), D(fake))
        elif kind == "one-sided":
            loss = losses.discriminator_loss("minimax", D(real), D(fake), real_label=REAL_LABEL)
        else:
            loss = two_sided_loss(D(real), D(fake), REAL_LABEL, FAKE_LABEL)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D


def d_and_slope(D, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """D(x) and ∂/∂x log D(x) (the non-saturating generator's pull on a sample at x), by autodiff."""
    xt = mg.tensor(x[:, None].astype(np.float32), requires_grad=True)
    log_d = -mg.softplus(-D(xt))  # log σ(ℓ)
    (g,) = mg.grad(log_d.sum(), xt)
    return np.exp(log_d.numpy().ravel().astype(np.float64)), g.numpy().ravel().astype(np.float64)


def weighted_rms(d: np.ndarray, target: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    w = (p + q) / (p + q).sum()
    return float(np.sqrt(np.sum(w * (d - target) ** 2)))


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("17_label_smoothing", out_dir)
    steps = 1500 if quick else 3000
    tol = 0.015 if quick else 0.01
    x = np.linspace(-4.0, 9.0, 1301)
    p, q = density("gauss1d", x), norm.pdf(x, G_MEAN, G_STD)
    fake_only = (q >= 50 * p) & (q >= 0.05 * q.max())  # where the generator has mass and the data hardly any
    results: dict = {}
    curves = {}
    for kind, t, s in (("none", 1.0, 0.0), ("one-sided", REAL_LABEL, 0.0), ("two-sided", REAL_LABEL, FAKE_LABEL)):
        section(f"{kind}: real label {t}, fake label {s}; train D for {steps} steps")
        D = train_discriminator(kind, steps)
        d, slope = d_and_slope(D, x)
        target = smoothed_optimum(p, q, t, s)
        rms = weighted_rms(d, target, p, q)
        rms_plain = weighted_rms(d, p / (p + q), p, q)
        pull = float(np.mean(np.abs(slope[fake_only])))
        curves[kind] = (d, slope, target)
        results[kind] = dict(rms=rms, rms_to_unsmoothed=rms_plain, max_d=float(d.max()), pull=pull,
                             d_fake_only=float(d[fake_only].mean()))
        print(f"  weighted RMS |D − (t p + s q)/(p + q)| = {rms:.4f}; |D − p/(p + q)| = {rms_plain:.4f}")
        print(f"  max D = {d.max():.3f}; where p_g ≫ p_data: mean D = {d[fake_only].mean():.3f}, "
              f"mean |∂ log D/∂x| = {pull:.3f}")
        check(f"{kind}: D matches ({t} p + {s} q)/(p + q) (weighted RMS < {tol})", rms, rms < tol)
        if kind != "none":
            check(f"{kind}: and not the unsmoothed p/(p + q) (weighted RMS > 0.03)", rms_plain, rms_plain > 0.03)
    none, one, two = results["none"], results["one-sided"], results["two-sided"]
    section("what smoothing does to the generator's gradient")
    check(f"one-sided: D never says more than t = {REAL_LABEL} (max D, within 0.02)", one["max_d"],
          one["max_d"] < REAL_LABEL + 0.02)
    check(f"two-sided: where only generated samples are, D ≈ s = {FAKE_LABEL} (within 0.03)", two["d_fake_only"],
          abs(two["d_fake_only"] - FAKE_LABEL) < 0.03)
    ratio = two["pull"] / one["pull"]
    results["pull_ratio"] = ratio
    check("two-sided smoothing removes the pull towards the data there: |∂ log D/∂x| below 1/5 of one-sided's",
          ratio, ratio < 0.2)
    # one-sided: log D* = log t + log p/(p + q), so by the formula its slope is the unsmoothed optimum's.
    # The trained networks learn log D only roughly where D is tiny (the cross-entropy barely cares there),
    # so we ask for most of the pull, not all of it.
    kept = one["pull"] / none["pull"]
    results["one_sided_pull_ratio"] = kept
    check("one-sided smoothing keeps the pull there: |∂ log D/∂x| more than half the unsmoothed D's", kept,
          kept > 0.5)

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.2))
    ax[0].fill_between(x, p, alpha=0.35, label="p_data = N(4, 1.25²)")
    ax[0].fill_between(x, q, alpha=0.35, label="p_g = N(0, 1) (frozen)")
    ax[0].fill_between(x, 0, q.max(), where=fake_only, color="grey", alpha=0.15, label="p_g ≥ 50 p_data")
    ax[0].set_title("the two distributions")
    ax[0].legend(fontsize=8)
    ax[1].plot(x, p / (p + q), "k:", lw=1.5, label="p/(p + q): no smoothing")
    for kind, color in (("one-sided", "C0"), ("two-sided", "C3")):  # "none" is the dotted formula
        d, _, target = curves[kind]
        ax[1].plot(x, target, color=color, lw=2.5, alpha=0.5, label=f"formula, {kind}")
        ax[1].plot(x, d, "--", color=color, lw=1.5, label=f"trained D, {kind}")
    ax[1].set(xlabel="x", ylabel="D(x)", title=f"optimal D with real label {REAL_LABEL} (and fake label {FAKE_LABEL})")
    ax[1].legend(fontsize=7)
    for kind, color in (("none", "k"), ("one-sided", "C0"), ("two-sided", "C3")):
        ax[2].plot(x, curves[kind][1], color=color, label=f"∂ log D/∂x, {kind}")
    ax[2].fill_between(x, 0, 1, where=fake_only, color="grey", alpha=0.15, label="p_g ≥ 50 p_data",
                       transform=ax[2].get_xaxis_transform())
    ax[2].set(xlabel="x", title="the non-saturating generator's pull on a sample at x")
    ax[2].legend(fontsize=8)
    save_figure(fig, out, "label_smoothing.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
