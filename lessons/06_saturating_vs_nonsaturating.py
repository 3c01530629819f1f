# %% [markdown]
# # Lesson 06 — Saturating vs non-saturating generator loss
#
# In the minimax game the generator minimises $\mathbb{E}_z\log(1 - D(G(z)))$. Goodfellow et al.
# (2014) already noticed the problem: *early in training G is poor, D rejects its samples with
# high confidence, and $\log(1 - D(G(z)))$ saturates*. Their fix — the **non-saturating** loss —
# has G minimise $-\mathbb{E}_z\log D(G(z))$ instead: the same fixed point (G wants D to say
# "real"), very different gradients when D is winning.
#
# **Derivation.** Let $\ell$ be the discriminator's logit on a generated sample, $D = \sigma(\ell)$,
# and use $\sigma'(\ell) = \sigma(\ell)(1 - \sigma(\ell))$:
#
# $$\frac{\partial}{\partial \ell}\log(1 - \sigma(\ell)) = -\sigma(\ell) = -D,
#   \qquad
#   \frac{\partial}{\partial \ell}\big(-\log\sigma(\ell)\big) = -(1 - \sigma(\ell)) = -(1 - D).$$
#
# Everything upstream of $\ell$ — through D's layers into the sample $G(z)$ and into G's
# parameters $\theta$ — is the same Jacobian $\partial\ell/\partial\theta$ for both losses (chain
# rule). So for each sample the two gradients point the **same way**, and their lengths differ by
#
# $$\frac{\|\nabla_\theta(-\log D)\|}{\|\nabla_\theta \log(1 - D)\|} = \frac{1 - D}{D}
#   \quad(\texttt{losses.saturation\_ratio}),$$
#
# which is about $1/D$ — a thousand when $D(G(z)) = 10^{-3}$. The saturating gradient is
# proportional to $D$ itself: it vanishes exactly when the generator most needs to learn.
#
# A common statement is that *the non-saturating loss gives the generator a different gradient
# direction* — or, the reverse, that it is *the same gradient, rescaled*. Sample by sample the
# numbers settle it: the two gradients are parallel (cosine 1 to $10^{-10}$) with length ratio exactly
# $(1 - D)/D$. Over a batch each sample's gradient is reweighted by its own $(1 - D_i)/D_i$, so the
# batch gradients differ in direction as well as length (section 3 measures their cosine), and
# lesson 16 shows that the two losses minimise different divergences.
#
# Run it: `python lessons/06_saturating_vs_nonsaturating.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan import optim
from minigan.data import sample_gauss1d
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

# %% [markdown]
# ## 1. A confident discriminator
#
# A fresh generator puts its samples near 0; the data is $\mathcal N(4, 1.25^2)$. We train D
# (float64, so the comparison below is exact to ~1e-12) against that frozen generator until it
# rejects the samples: $D(G(z)) \approx 0$.


# %%
def setup(d_steps: int, seed: int = 0, linear_generator: bool = False):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = mlp([1, 1] if linear_generator else [1, 16, 16, 1], activation="tanh").double()
    D = mlp([1, 32, 32, 1], activation="tanh").double()
    opt_d = optim.Adam(D.parameters(), lr=5e-3)
    for _ in range(d_steps):
        real = mg.tensor(sample_gauss1d(256, rng), dtype="float64")
        with mg.no_grad():
            fake = G(mg.randn(256, 1, dtype="float64"))
        loss = losses.discriminator_loss("minimax", D(real), D(fake))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
    return G, D, rng


# %% [markdown]
# ## 2. The two gradients, sample by sample
#
# For single samples $z_i$ we take the gradient of each loss with respect to **all of G's
# parameters** (`mg.grad`), and compare: same direction (cosine 1), length ratio $(1 - D)/D$.


# %%
def per_sample_gradients(G, D, z: mg.Tensor):
    """(D(G(z)), ‖∇θ saturating‖, ‖∇θ non-saturating‖, cosine) for one sample z of shape (1, 1)."""
    params = list(G.parameters())
    logit = D(G(z))
    g_sat = mg.grad(losses.minimax_generator_loss(logit), params, retain_graph=True)
    g_ns = mg.grad(losses.nonsaturating_generator_loss(logit), params)
    a = np.concatenate([g.numpy().ravel() for g in g_sat])
    b = np.concatenate([g.numpy().ravel() for g in g_ns])
    d = float(mg.sigmoid(logit).item())
    return d, float(np.linalg.norm(a)), float(np.linalg.norm(b)), float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


# %% [markdown]
# ## 3. What it does to a generator that starts far away
#
# Keep a confident D fixed and let G follow each loss with plain SGD (the step is proportional
# to the gradient; Adam would rescale gradients and hide the effect). To see the loss's
# saturation and nothing else, G is affine here, $G(z) = az + b$, so it cannot saturate itself.
# Both losses pull G's samples across D's decision boundary; we count the steps until G fools
# D on average, $\operatorname{mean} D(G(z)) > \tfrac12$. (Past the boundary the roles swap:
# $-\log D$ flattens as $D \to 1$ — harmless, since there G has already won this round.)


# %%
def escape(kind: str, steps: int, d_steps: int, lr_g: float = 0.01):
    G, D, _ = setup(d_steps, linear_generator=True)
    D.requires_grad_(False)  # D is frozen: gradients flow through it, but only G moves
    opt_g = optim.SGD(G.parameters(), lr=lr_g)
    z = mg.randn(512, 1, dtype="float64")
    verdicts = []
    for _ in range(steps):
        logits = D(G(z))
        verdicts.append(float(mg.sigmoid(logits).numpy().mean()))
        loss = losses.generator_loss(kind, logits)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    verdicts = np.array(verdicts)
    fooled = np.flatnonzero(verdicts > 0.5)
    return verdicts, (int(fooled[0]) if len(fooled) else steps)


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("06_saturating_vs_nonsaturating", out_dir)
    results: dict = {}

    section("1. train D against a frozen, poor generator")
    d_steps = 150 if quick else 300
    G, D, _ = setup(d_steps)
    with mg.no_grad():
        d_fake = mg.sigmoid(D(G(mg.randn(4096, 1, dtype="float64")))).numpy()
    results["mean_d_fake"] = float(d_fake.mean())
    check("D rejects the generator's samples: mean D(G(z)) ≈ 0", results["mean_d_fake"], results["mean_d_fake"] < 0.01)

    section("2. per-sample gradients with respect to G's parameters")
    n = 8 if quick else 32
    rows = [per_sample_gradients(G, D, mg.randn(1, 1, dtype="float64")) for _ in range(n)]
    d, sat, ns, cos = (np.array(c) for c in zip(*rows))
    measured = ns / sat
    predicted = np.array([losses.saturation_ratio(v) for v in d])
    rel_error = float(np.max(np.abs(measured / predicted - 1)))
    results.update(d_values=d.tolist(), measured_ratio=measured.tolist(), predicted_ratio=predicted.tolist(),
                   ratio_rel_error=rel_error, min_cosine=float(cos.min()))
    for i in range(min(n, 5)):
        print(f"  D(G(z)) = {d[i]:.3e}: ‖∇ sat‖ = {sat[i]:.3e}, ‖∇ non-sat‖ = {ns[i]:.3e}, "
              f"ratio {measured[i]:.6e}, (1 − D)/D = {predicted[i]:.6e}")
    check(f"ratio = (1 − D)/D for all {n} samples (max relative error)", rel_error, rel_error < 1e-8)
    check("the two gradients point the same way (min cosine)", float(cos.min()), cos.min() > 1 - 1e-10)
    results["median_ratio"] = float(np.median(measured))
    print(f"  median D(G(z)) = {np.median(d):.2e}: "
          f"the non-saturating gradient is {results['median_ratio']:.0f}x larger")
    check("the non-saturating gradient is the larger one for every sample (min ratio)", float(measured.min()),
          measured.min() > 1)

    section("3. a batch: the same factor, averaged")
    z = mg.randn(256, 1, dtype="float64")
    params = list(G.parameters())
    logits = D(G(z))
    batch_sat = mg.grad(losses.minimax_generator_loss(logits), params, retain_graph=True)
    batch_ns = mg.grad(losses.nonsaturating_generator_loss(logits), params)
    norm = lambda gs: float(np.sqrt(sum((g.numpy() ** 2).sum() for g in gs)))  # noqa: E731
    results["batch_ratio"] = norm(batch_ns) / norm(batch_sat)
    flat_sat = np.concatenate([g.numpy().ravel() for g in batch_sat])
    flat_ns = np.concatenate([g.numpy().ravel() for g in batch_ns])
    results["batch_cosine"] = float(flat_sat @ flat_ns / np.linalg.norm(flat_sat) / np.linalg.norm(flat_ns))
    print(f"  batch of 256: ‖∇ non-sat‖ / ‖∇ sat‖ = {results['batch_ratio']:.1f}; "
          f"cosine between the batch gradients {results['batch_cosine']:.4f} (per sample it is 1)")

    section("4. escaping a confident D: SGD steps until mean D(G(z)) > 1/2")
    steps = 200 if quick else 400
    curves, arrival = {}, {}
    for kind in ("minimax", "nonsaturating"):
        curves[kind], arrival[kind] = escape(kind, steps, d_steps)
    results["steps_to_escape_saturating"] = arrival["minimax"]
    results["steps_to_escape_nonsaturating"] = arrival["nonsaturating"]
    print(f"  saturating: {arrival['minimax']} steps; non-saturating: {arrival['nonsaturating']} steps "
          f"(of at most {steps})")
    check("the non-saturating generator escapes at least 5x sooner",
          (arrival["minimax"], arrival["nonsaturating"]), 5 * arrival["nonsaturating"] <= arrival["minimax"])

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    dd = np.logspace(-6, np.log10(0.999), 400)
    ax[0].plot(dd, np.log1p(-dd), label="saturating:  log(1 − D)")
    ax[0].plot(dd, -np.log(dd), label="non-saturating:  −log D")
    ax[0].set_xscale("log")
    ax[0].set_xlabel("D(G(z))")
    ax[0].set_title("generator losses (both minimised)")
    ax[0].legend(fontsize=8)
    ax[1].loglog(dd, dd, label="|∂/∂ℓ| saturating = D")
    ax[1].loglog(dd, 1 - dd, label="|∂/∂ℓ| non-saturating = 1 − D")
    ax[1].loglog(dd, (1 - dd) / dd, "k--", lw=1, label="ratio (1 − D)/D")
    ax[1].loglog(d, measured, "C3o", ms=5, mfc="none", label="measured ratio, ‖∇θ‖ per sample")
    ax[1].set_xlabel("D(G(z))")
    ax[1].set_title("gradient size w.r.t. the logit, and their ratio")
    ax[1].legend(fontsize=8)
    ax[2].semilogy(curves["minimax"], label="saturating  log(1 − D)")
    ax[2].semilogy(curves["nonsaturating"], label="non-saturating  −log D")
    ax[2].axhline(0.5, color="k", ls="--", lw=1, label="D fooled on average")
    ax[2].set_xlabel("SGD step on G(z) = az + b (D frozen)")
    ax[2].set_ylabel("mean D(G(z))")
    ax[2].set_title("escaping a confident discriminator")
    ax[2].legend(fontsize=8)
    save_figure(fig, out, "saturation.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
