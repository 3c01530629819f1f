# %% [markdown]
# # Lesson 19 — GANs vs VAEs on the same digits
#
# A **variational autoencoder** (Kingma & Welling, 2014) is the other classic deep generative model.
# An encoder $q_\phi(z\mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$ and a decoder
# $p_\theta(x\mid z) = \mathcal N(\text{dec}_\theta(z), s^2 I)$ with prior $p(z) = \mathcal N(0, I)$ are
# trained together to maximise the **evidence lower bound**
#
# $$\log p_\theta(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big]
#   - \mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big),$$
#
# which follows from Jensen's inequality,
# $\log \mathbb E_q[p(x, z)/q(z\mid x)] \ge \mathbb E_q \log[p(x, z)/q(z\mid x)]$;
# the gap is $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$. With $z = \mu + \sigma\epsilon$ (the
# reparametrisation) the bound is differentiable, and the Gaussian KL is closed-form:
# $\tfrac12\sum_j(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)$. Averaging $K$ importance weights gives a
# tighter bound (Burda et al., 2016),
# $\mathcal L_K = \mathbb E\log\frac1K\sum_k p(x, z_k)/q(z_k\mid x)$, with $\mathcal L_1 = \mathrm{ELBO}
# \le \mathcal L_K \le \mathcal L_{K+1} \le \log p(x)$.
#
# Two consequences, which we measure on the same 8×8 digits with a GAN of the same size:
#
# * **The VAE has a likelihood bound; the GAN has none.** A GAN's generator maps $\mathbb R^{16}$ into
#   $\mathbb R^{64}$: its samples lie on an (at most) 16-dimensional surface, which has no density in
#   pixel space at all (the Jacobian's rank, measured below, is 16), so "the likelihood of a held-out
#   digit" is not defined for it.
# * **The VAE's samples are blurrier.** Its decoder outputs the *mean* of $p(x\mid z)$; a Gaussian
#   likelihood charges squared error, whose minimiser over the images compatible with $z$ is their
#   average, which is smooth. We measure sharpness as the **high-frequency energy**: the mean squared
#   difference between neighbouring pixels, relative to real digits'. A GAN is not asked to average;
#   its discriminator rejects blur.
#
# What each is better at, in numbers: the GAN's samples are as sharp as the data; the VAE gives a
# likelihood bound, an encoder (it reconstructs held-out digits), and samples that cover more of the
# data (higher recall on the classifier's features: maximum likelihood is mode-covering, lesson 16).
# Precision and the classifier's confidence are printed for both; at this size they are close, and
# which is ahead depends on the run, so the lesson does not assert an order for them.
#
# A common statement is that *GANs are simply better generative models than VAEs*. The numbers say
# "better at what": sharper samples, yes; a likelihood, an encoder and coverage of the data, no.
#
# Run it: `python lessons/19_gans_vs_vaes.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
import minigan.nn as nn
from minigan import optim
from minigan.data import load_digits
from minigan.gan import losses
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section
from minigan.metrics import class_probs, features, precision_recall
from minigan.metrics.domain import load_classifier

Z_DIM, PIXELS, HIDDEN = 16, 64, 128
LOG_2PI = float(np.log(2 * np.pi))


def split_digits(seed: int = 0):
    images, _ = load_digits(8)
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[:1500]], images[order[1500:]]  # train, held out (297)


# %% [markdown]
# ## 1. The VAE
#
# Encoder 64 → 128 → 128 → (μ, log σ²) in $\mathbb R^{16}$; decoder 16 → 128 → 128 → 64 with tanh (pixels
# live in [−1, 1]); one learned scalar $\log s$ for the decoder's noise. We minimise $-\mathrm{ELBO}$ per image.


# %%
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = mlp([PIXELS, HIDDEN, HIDDEN, 2 * Z_DIM], activation="relu")
        self.decoder = mlp([Z_DIM, HIDDEN, HIDDEN, PIXELS], activation="relu", final=nn.Tanh())
        self.log_s = nn.Parameter(mg.tensor(np.array([-1.0], dtype=np.float32)))

    def encode(self, x: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        h = self.encoder(x.reshape(x.shape[0], PIXELS))
        return h[:, :Z_DIM], h[:, Z_DIM:]

    def log_likelihood(self, x: mg.Tensor, z: mg.Tensor) -> mg.Tensor:
        """log N(x; dec(z), s² I) per image, (N,)."""
        r = x.reshape(x.shape[0], PIXELS) - self.decoder(z)
        return (-0.5 * r * r * mg.exp(-2 * self.log_s) - self.log_s - 0.5 * LOG_2PI).sum(axis=1)

    def elbo(self, x: mg.Tensor) -> mg.Tensor:
        """One-sample ELBO per image, (N,): E_q log p(x | z) − KL(q(z | x) ‖ N(0, I))."""
        mu, log_var = self.encode(x)
        z = mu + mg.exp(0.5 * log_var) * mg.randn(*mu.shape)
        kl = 0.5 * (mu * mu + mg.exp(log_var) - 1 - log_var).sum(axis=1)
        return self.log_likelihood(x, z) - kl


def train_vae(data: np.ndarray, steps: int, seed: int = 0, batch: int = 64) -> VAE:
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    vae = VAE()
    opt = optim.Adam(vae.parameters(), lr=1e-3)
    for _ in range(steps):
        loss = -vae.elbo(mg.tensor(data[rng.integers(0, len(data), batch)])).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return vae


def iwae_bound(vae: VAE, x: np.ndarray, k: int) -> float:
    """Mean over images of log (1/K) Σ_k p(x, z_k) / q(z_k | x), z_k ~ q(z | x): the ELBO for K = 1."""
    with mg.no_grad():
        xt = mg.tensor(x)
        mu, log_var = (t.numpy().astype(np.float64) for t in vae.encode(xt))
        log_w = []
        for _ in range(k):
            eps = np.random.default_rng(len(log_w)).standard_normal(mu.shape)
            z = mu + np.exp(0.5 * log_var) * eps
            log_q = (-0.5 * eps**2 - 0.5 * log_var - 0.5 * LOG_2PI).sum(axis=1)
            log_prior = (-0.5 * z**2 - 0.5 * LOG_2PI).sum(axis=1)
            log_lik = vae.log_likelihood(xt, mg.tensor(z.astype(np.float32))).numpy().astype(np.float64)
            log_w.append(log_lik + log_prior - log_q)
    log_w = np.stack(log_w)
    top = log_w.max(axis=0)
    return float(np.mean(top + np.log(np.mean(np.exp(log_w - top), axis=0))))


# %% [markdown]
# ## 2. The GAN
#
# Generator 16 → 128 → 128 → 64 with tanh, discriminator 64 → 128 → 128 → 1 (LeakyReLU), the
# non-saturating loss, Adam(1e-3, β = (0.5, 0.999)) — the same widths as the VAE's networks.


# %%
def train_gan(data: np.ndarray, steps: int, seed: int = 0, batch: int = 64):
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = mlp([Z_DIM, HIDDEN, HIDDEN, PIXELS], activation="relu", final=nn.Tanh())
    D = mlp([PIXELS, HIDDEN, HIDDEN, 1])
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(steps):
        real = mg.tensor(data[rng.integers(0, len(data), batch)].reshape(batch, PIXELS))
        fake = G(mg.randn(batch, Z_DIM))
        loss_d = losses.discriminator_loss("minimax", D(real), D(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = losses.generator_loss("nonsaturating", D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return G


def jacobian_rank(G, seed: int = 5) -> int:
    """Numerical rank of ∂G(z)/∂z (64 × 16) at one z, row by row with autodiff."""
    z = mg.tensor(np.random.default_rng(seed).standard_normal((1, Z_DIM)), dtype="float64", requires_grad=True)
    out = G.double()(z)  # float64 for the rank (the module is converted in place; sampling is done by now)
    rows = [mg.grad(out[0, i], z, retain_graph=True)[0].numpy().ravel() for i in range(PIXELS)]
    singular = np.linalg.svd(np.array(rows), compute_uv=False)
    return int(np.sum(singular > 1e-8 * singular[0]))


# %% [markdown]
# ## 3. Measure both
#
# * **sharpness**: high-frequency energy $\mathbb E[(x_{i,j+1} - x_{i,j})^2 + (x_{i+1,j} - x_{i,j})^2]$,
#   divided by the same for held-out real digits (1 = as sharp as the data);
# * **recognisable**: the fraction of samples the shipped digit classifier labels with confidence > 0.9;
# * **precision / recall** (lesson 13) on the classifier's features, against the held-out digits.


# %%
def high_frequency_energy(images: np.ndarray) -> float:
    x = images.reshape(-1, 8, 8).astype(np.float64)
    return float(np.mean((x[:, :, 1:] - x[:, :, :-1]) ** 2) + np.mean((x[:, 1:, :] - x[:, :-1, :]) ** 2))


def measure(samples: np.ndarray, held_out: np.ndarray) -> dict:
    precision, recall = precision_recall(features(held_out), features(samples), k=3)
    confident = float(np.mean(class_probs(samples).max(axis=1) > 0.9))
    return dict(sharpness=high_frequency_energy(samples) / high_frequency_energy(held_out), confident=confident,
                precision=precision, recall=recall)


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("19_gans_vs_vaes", out_dir)
    load_classifier()  # build the digit classifier before seeding (creating it draws random numbers)
    steps = 1500 if quick else 4000
    train, held_out = split_digits()
    n = len(held_out)
    results: dict = {}

    section(f"1. train a VAE and a GAN of the same size on 1,500 digits, {steps} steps each")
    vae = train_vae(train, steps)
    G = train_gan(train, steps)
    rng = np.random.default_rng(1)
    with mg.no_grad():
        z = mg.tensor(rng.standard_normal((n, Z_DIM)).astype(np.float32))
        vae_samples = vae.decoder(z).numpy().reshape(n, 1, 8, 8)
        gan_samples = G(z).numpy().reshape(n, 1, 8, 8)
        mu, _ = vae.encode(mg.tensor(held_out))
        reconstructions = vae.decoder(mu).numpy().reshape(n, 1, 8, 8)

    section("2. the VAE's likelihood bound (nats per image, on held-out digits)")
    bounds = {k: iwae_bound(vae, held_out, k) for k in (1, 10, 100 if not quick else 50)}
    for k, b in bounds.items():
        print(f"  L_{k} = {b:.2f}" + ("  (the ELBO)" if k == 1 else ""))
    ks = sorted(bounds)
    results.update(elbo=bounds[1], iwae=bounds[ks[-1]], iwae_k=ks[-1], decoder_noise_std=float(np.exp(
        vae.log_s.numpy()[0])), reconstruction_rmse=float(np.sqrt(np.mean((reconstructions - held_out) ** 2))))
    check("the ELBO on held-out digits is finite", bounds[1], np.isfinite(bounds[1]))
    check(f"more importance samples tighten the bound: L_1 < L_10 < L_{ks[-1]}", tuple(bounds[k] for k in ks),
          bounds[ks[0]] < bounds[ks[1]] < bounds[ks[2]])
    print(f"  the VAE reconstructs held-out digits with RMS error {results['reconstruction_rmse']:.3f} "
          f"(pixels in [−1, 1]); decoder noise s = {results['decoder_noise_std']:.3f}")
    check("the VAE's encoder reconstructs held-out digits (RMS error < 0.35)", results["reconstruction_rmse"],
          results["reconstruction_rmse"] < 0.35)
    rank = jacobian_rank(G)
    results["gan_jacobian_rank"] = rank
    print(f"  the GAN's generator: rank of ∂G/∂z = {rank} < 64 pixels — its samples have no density in R^64")
    check("the GAN's samples lie on a 16-dimensional surface of R^64 (Jacobian rank)", rank, rank == Z_DIM)

    section("3. samples: sharpness, recognisability, precision and recall")
    table = {"real (training digits)": measure(train[:n], held_out), "VAE": measure(vae_samples, held_out),
             "GAN": measure(gan_samples, held_out)}
    print(f"  {'':<16} {'sharpness':>10} {'confident':>10} {'precision':>10} {'recall':>8}")
    for name, m in table.items():
        print(f"  {name:<16} {m['sharpness']:>10.3f} {m['confident']:>10.3f} {m['precision']:>10.3f} "
              f"{m['recall']:>8.3f}")
    results["table"] = table
    vae_m, gan_m = table["VAE"], table["GAN"]
    check("the VAE's samples are blurrier: high-frequency energy below 0.85 of the data's", vae_m["sharpness"],
          vae_m["sharpness"] < 0.85)
    check("the GAN's are as sharp as the data (within 20%)", gan_m["sharpness"], abs(gan_m["sharpness"] - 1) < 0.2)
    check("and sharper than the VAE's (sharpness GAN / VAE > 1.2)", gan_m["sharpness"] / vae_m["sharpness"],
          gan_m["sharpness"] > 1.2 * vae_m["sharpness"])
    check("the VAE covers more of the data: recall VAE > recall GAN", (vae_m["recall"], gan_m["recall"]),
          vae_m["recall"] > gan_m["recall"])

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 4, figsize=(16, 4.4))
    grids = [("held-out digits", held_out), ("VAE reconstructions", reconstructions), ("VAE samples", vae_samples),
             ("GAN samples (same z)", gan_samples)]
    for a, (title, images) in zip(ax, grids):
        tiles = images[:36, 0].reshape(6, 6, 8, 8).transpose(0, 2, 1, 3).reshape(48, 48)
        a.imshow(tiles, cmap="gray", vmin=-1, vmax=1)
        a.set_title(title, fontsize=10)
        a.axis("off")
    fig.suptitle(f"VAE: ELBO {bounds[1]:.1f} nats, sharpness {vae_m['sharpness']:.2f};  "
                 f"GAN: no likelihood, sharpness {gan_m['sharpness']:.2f}", fontsize=10)
    save_figure(fig, out, "vae_vs_gan_samples.png")

    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    names = list(table)
    pos = np.arange(len(names))
    for offset, key in zip((-0.3, -0.1, 0.1, 0.3), ("sharpness", "confident", "precision", "recall")):
        ax[0].bar(pos + offset, [table[k][key] for k in names], 0.2, label=key)
    ax[0].set_xticks(pos)
    ax[0].set_xticklabels(names)
    ax[0].set_title("samples measured against held-out digits")
    ax[0].legend(fontsize=8)
    ax[1].plot(ks, [bounds[k] for k in ks], "o-")
    ax[1].set_xscale("log")
    ax[1].set(xlabel="importance samples K", ylabel="L_K (nats per image)",
              title="the VAE's bound on log p(x) tightens with K")
    save_figure(fig, out, "vae_vs_gan_numbers.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
