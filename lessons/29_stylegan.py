# %% [markdown]
# # Lesson 29 — StyleGAN: styles, the truncation trick and style mixing
#
# StyleGAN (Karras, Laine & Aila, 2019) does not feed z to the convolutions. A **mapping network**
# turns z into a style $w = f(z)$; the image grows from a learned constant, and every layer ℓ is
# normalised by **AdaIN** with a style $(y_s, y_b) = A_\ell w$:
#
# $$\mathrm{AdaIN}(h, w)_{c} = y_{s,c}\,\frac{h_c - \mu(h_c)}{\sigma(h_c)} + y_{b,c},$$
#
# so each layer throws away its input's per-channel statistics and takes the style's instead. Two
# things follow that the paper shows and this lesson measures:
#
# * **truncation in W**: $w' = \bar w + \psi (w - \bar w)$, with $\bar w$ the average style seen in
#   training. ψ = 1 is the model; ψ < 1 pulls every style towards the average: the samples get
#   more typical and less varied (precision up, recall down); ψ = 0 leaves only $\bar w$.
# * **style mixing**: since every layer takes its own style, the layers before a crossover can take
#   $w_1$ and the rest $w_2$. The coarse layers (4×4, 8×8) decide the digit's shape, the fine ones
#   (32×32) its strokes — measured by how often the digit classifier's label changes, and by how far
#   the pixels move, when only the coarse or only the fine styles are swapped.
#
# Claims checked: (1) AdaIN's output has, per sample and channel, mean $y_b$ and standard deviation
# $|y_s|$; (2) mixing at crossover L (all layers from $w_1$) or 0 (all from $w_2$) gives the unmixed
# images bit for bit; (3) truncation scales every style's distance to $\bar w$ by exactly ψ and the
# samples' spread falls with ψ; (4) in the full run (the command line's default `stylegan` run),
# ψ = 0.5 gives more samples the digit classifier is confident on (fidelity) and a lower recall
# (diversity) than ψ = 1, at least 5% less spread, and a higher FID at ψ = 0; and swapping the coarse
# styles changes the digit's label more often, and moves more pixels, than swapping the fine ones.
#
# Measured (the full run, seed 0): from ψ = 1 to ψ = 0 the confident fraction rises 34.6% → 69.1%, the
# recall falls 0.203 → 0 and the spread 17.2 → 8.2 (13.8 at ψ = 0.5, −20%), the FID rises 162 → 460;
# coarse swaps change the label in 79.4% of 500 pairs, fine swaps in 24.8% (pixels moved 15.9 against
# 6.7). The k-NN precision on the digit features does *not* rise here (0.478 at ψ = 1, 0.317 at 0.5,
# 0.047 at 0): the truncated digits are cleaner to the classifier but, pulled towards the average style,
# lie farther from the real digits' features. The model is weak at this budget: varied, digit-like
# samples with many broken or scribbled strokes.
#
# Run it: `python lessons/29_stylegan.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from _common import check, output_dir, run_as_script, save_figure, section

import minigan as mg
from minigan.autograd import Tensor
from minigan.gan import Trainer, default_config
from minigan.gan.models.stylegan import sample_stylegan, style_mixing_grid
from minigan.metrics import class_probs, mean_pairwise_distance
from minigan.metrics.domain import features, fid_digits, load_classifier, prepare_images
from minigan.metrics.scores import precision_recall

COARSE, FINE = 4, 6  # layers 0-3 are the 4×4 and 8×8 ones; 6-7 the 32×32 ones (two layers per resolution)


def crop28(x: np.ndarray) -> np.ndarray:
    return x[..., 2:30, 2:30]


def latents(n: int, nz: int, seed: int) -> Tensor:
    return mg.tensor(np.random.default_rng(seed).standard_normal((n, nz)).astype(np.float32))


def synthesise(G, ws: Tensor, noise_seed: int) -> np.ndarray:
    """G's synthesis network on the styles ws, with the per-pixel noise drawn from one fixed seed."""
    mg.manual_seed(noise_seed)
    with mg.no_grad():
        return G.synthesis(ws).numpy()


# %% [markdown]
# ## 1. AdaIN sets each channel's statistics
#
# On a random feature map and a random style, the output of the first AdaIN layer of G has, for each
# sample n and channel c, mean $y_{b,nc}$ and standard deviation $|y_{s,nc}|$ (up to the ε inside
# the root: $\sigma/\sqrt{\sigma^2 + \varepsilon}$ of a unit-variance map).


# %%
def adain_statistics(G) -> dict:
    adain = G.layers[1].adain
    rng = np.random.default_rng(0)
    h = mg.tensor(rng.normal(3.0, 2.0, (4, adain.num_features, 8, 8)).astype(np.float32))
    w = mg.tensor(rng.standard_normal((4, adain.w_dim)).astype(np.float32))
    with mg.no_grad():
        out = adain(h, w).numpy().astype(np.float64)
        style = adain.style(w).numpy().astype(np.float64)
    c = adain.num_features
    y_s, y_b = style[:, :c], style[:, c:]
    mean_error = float(np.abs(out.mean(axis=(2, 3)) - y_b).max())
    std_error = float((np.abs(out.std(axis=(2, 3)) - np.abs(y_s)) / np.maximum(np.abs(y_s), 1e-3)).max())
    return {"adain_mean_error": mean_error, "adain_std_rel_error": std_error}


# %% [markdown]
# ## 2–3. Train, then mix and truncate
#
# Quick mode trains a narrow model for a few steps (the mechanics only); the full run trains the
# command line's default (`minigan train --model stylegan --data mnist32`, 2,000 steps).


# %%
def styles(G, n: int, seed: int) -> Tensor:
    with mg.no_grad():
        return G.mapping(latents(n, G.nz, seed))


def mixing_endpoints(G, n: int = 8) -> dict:
    w1, w2 = styles(G, n, 1), styles(G, n, 2)
    only_1 = synthesise(G, G.broadcast(w1), 5)
    only_2 = synthesise(G, G.broadcast(w2), 5)
    return {"mix_all_w1_error": float(np.abs(synthesise(G, G.mix(w1, w2, G.num_layers), 5) - only_1).max()),
            "mix_all_w2_error": float(np.abs(synthesise(G, G.mix(w1, w2, 0), 5) - only_2).max())}


def truncation_curve(G, real: np.ndarray, n: int, psis) -> list[dict]:
    feats_real = features(prepare_images(crop28(real), "real"))
    w = styles(G, n, 3).numpy().astype(np.float64)
    w_avg = G.w_avg.numpy().astype(np.float64)
    spread = np.linalg.norm(w - w_avg, axis=1).mean()
    rows = []
    for psi in psis:
        with mg.no_grad():
            w_psi = G.truncate(mg.tensor(w.astype(np.float32)), psi).numpy().astype(np.float64)
        scale_error = abs(np.linalg.norm(w_psi - w_avg, axis=1).mean() - psi * spread) / spread
        x = sample_stylegan(G, n, np.random.default_rng(3), truncation=psi)
        images = prepare_images(crop28(x), "samples")
        precision, recall = precision_recall(feats_real, features(images), k=3)
        rows.append({"psi": psi, "scale_error": float(scale_error), "distance": mean_pairwise_distance(x[:300]),
                     "precision": precision, "recall": recall, "fid": fid_digits(crop28(real), crop28(x)),
                     "confident": float((class_probs(images).max(axis=1) >= 0.9).mean())})
        r = rows[-1]
        print(f"  ψ = {psi:.2f}: spread {r['distance']:.2f}, precision {precision:.3f}, recall {recall:.3f}, "
              f"FID {r['fid']:.2f}, confident {r['confident']:.1%}")
    return rows


def swap_effects(G, n: int) -> dict:
    """Label changes and pixel distance when only the coarse (layers < COARSE) or the fine (≥ FINE) styles
    of w₁ are replaced by those of w₂, the noise held fixed."""
    w1, w2 = styles(G, n, 6), styles(G, n, 7)
    base = synthesise(G, G.broadcast(w1), 9)
    coarse = synthesise(G, G.mix(w2, w1, COARSE), 9)  # layers < COARSE take w₂
    fine = synthesise(G, G.mix(w1, w2, FINE), 9)      # layers ≥ FINE take w₂

    def label(x):
        return class_probs(prepare_images(crop28(np.clip(x, -1, 1)), "images")).argmax(axis=1)

    def distance(x):
        return float(np.linalg.norm((x - base).reshape(n, -1), axis=1).mean())

    base_label = label(base)
    return {"coarse_label_change": float((label(coarse) != base_label).mean()),
            "fine_label_change": float((label(fine) != base_label).mean()),
            "coarse_distance": distance(coarse), "fine_distance": distance(fine)}


def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("29_stylegan", out_dir)
    load_classifier()
    settings = dict(steps=30, width=4, batch_size=16) if quick else {}
    cfg = default_config(model="stylegan", data="mnist32", eval_samples=0, **settings)
    results: dict = {}

    section(f"1. Train the stylegan family for {cfg.steps} steps (width {cfg.width}, batch {cfg.batch_size})")
    trainer = Trainer.from_config(cfg, progress=False)
    trainer.fit()
    G = trainer.G_ema
    G.eval()

    section("2. AdaIN replaces each channel's mean and spread by the style's")
    r = adain_statistics(G)
    results.update(r)
    check("per sample and channel, mean = y_b", r["adain_mean_error"], r["adain_mean_error"] < 1e-4)
    check("per sample and channel, std = |y_s| (relative, ε inside the root)", r["adain_std_rel_error"],
          r["adain_std_rel_error"] < 1e-3)

    section("3. Style mixing: crossover L is w₁ everywhere, crossover 0 is w₂ everywhere")
    r = mixing_endpoints(G)
    results.update(r)
    check("mix(w₁, w₂, L) = G(w₁) and mix(w₁, w₂, 0) = G(w₂), bit for bit",
          (r["mix_all_w1_error"], r["mix_all_w2_error"]), r["mix_all_w1_error"] == 0 and r["mix_all_w2_error"] == 0)

    section("4. Truncation in W")
    n = 200 if quick else 1000
    psis = [1.0, 0.75, 0.5, 0.25, 0.0]
    rows = truncation_curve(G, trainer.dataset.data[:n], n, psis)
    results["truncation"] = rows
    errors, spreads = [row["scale_error"] for row in rows], [row["distance"] for row in rows]
    check("‖w′ − w̄‖ = ψ‖w − w̄‖ (mean over samples, relative error)", max(errors), max(errors) < 1e-5)
    check("smaller ψ, less varied samples (mean pairwise distance falls along ψ = 1 … 0)", tuple(spreads),
          all(a > b for a, b in zip(spreads, spreads[1:])))
    at = {row["psi"]: row for row in rows}
    if not quick:
        check("ψ = 0.5: more samples the classifier is confident on, and a lower recall, than ψ = 1",
              (at[0.5]["confident"], at[1.0]["confident"], at[0.5]["recall"], at[1.0]["recall"]),
              at[0.5]["confident"] >= at[1.0]["confident"] and at[0.5]["recall"] < at[1.0]["recall"])
        check("the FID rises from ψ = 1 to ψ = 0 (the truncated set moves away from the data)",
              (at[1.0]["fid"], at[0.0]["fid"]), at[0.0]["fid"] > at[1.0]["fid"])
        check("ψ = 0.5: at least 5% less spread than ψ = 1", at[0.5]["distance"] / at[1.0]["distance"],
              at[0.5]["distance"] <= 0.95 * at[1.0]["distance"])

    section("5. What the coarse and the fine styles control")
    r = swap_effects(G, 200 if quick else 500)
    results.update(r)
    print(f"  coarse swap: label changed in {r['coarse_label_change']:.1%}, pixels moved {r['coarse_distance']:.2f}; "
          f"fine swap: {r['fine_label_change']:.1%}, {r['fine_distance']:.2f}")
    if not quick:
        check("swapping the coarse styles changes the label more often than swapping the fine ones",
              (r["coarse_label_change"], r["fine_label_change"]), r["coarse_label_change"] > r["fine_label_change"])
        check("... and moves the pixels further", (r["coarse_distance"], r["fine_distance"]),
              r["coarse_distance"] > r["fine_distance"])

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    ax = axes[0]
    ax.plot([row["recall"] for row in rows], [row["precision"] for row in rows], "o-")
    for row in rows:
        ax.annotate(f"ψ={row['psi']}", (row["recall"], row["precision"]), fontsize=8)
    ax.set(xlabel="recall", ylabel="precision", title="truncation: precision against recall")
    strip = np.concatenate([sample_stylegan(G, 8, np.random.default_rng(4), truncation=p) for p in psis])
    axes[1].imshow(strip.reshape(len(psis), 8, 32, 32).transpose(0, 2, 1, 3).reshape(len(psis) * 32, 8 * 32),
                   cmap="gray", vmin=-1, vmax=1)
    axes[1].set(title="rows: ψ = " + ", ".join(map(str, psis)), xticks=[], yticks=[])
    grid = style_mixing_grid(G, 5, 6, COARSE, np.random.default_rng(8))
    axes[2].imshow(grid.reshape(6, 7, 32, 32).transpose(0, 2, 1, 3).reshape(6 * 32, 7 * 32), cmap="gray",
                   vmin=-1, vmax=1)
    axes[2].set(title=f"style mixing: coarse (layers < {COARSE}) from the left column", xticks=[], yticks=[])
    save_figure(fig, out, "stylegan_truncation_and_mixing.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
