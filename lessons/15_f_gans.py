# %% [markdown]
# # Lesson 15 — f-GANs: any f-divergence through its variational bound
#
# The original GAN minimises (a shifted) Jensen–Shannon divergence (lesson 05). Nowozin, Cseke &
# Tomioka (2016) showed that the same adversarial recipe works for every **f-divergence**
#
# $$D_f(P\,\|\,Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx,\qquad f \text{ convex},\ f(1) = 0.$$
#
# **The variational bound.** A convex, lower-semicontinuous $f$ equals its double Fenchel
# conjugate: $f(u) = \sup_t\,\{tu - f^*(t)\}$ with $f^*(t) = \sup_u\,\{ut - f(u)\}$. Put that inside
# the integral and move the supremum outside (choosing one $t$ per $x$ is a function $T(x)$):
#
# $$D_f(P\,\|\,Q) = \int q \sup_t \Big\{t\frac{p}{q} - f^*(t)\Big\} dx
#   \;\ge\; \sup_T\; \mathbb E_{x\sim P}[T(x)] - \mathbb E_{x\sim Q}[f^*(T(x))],$$
#
# with **equality at $T^*(x) = f'\big(p(x)/q(x)\big)$**, where the inner supremum is attained. The
# right-hand side needs only *samples* of $P$ and $Q$, so a neural network $T$ (the critic) can
# maximise it, and a generator can then minimise it. Three examples:
#
# | divergence | $f(u)$ | $f^*(t)$ | $T^* = f'(p/q)$ | critic output |
# |---|---|---|---|---|
# | KL$(P\,\Vert\,Q)$ | $u\log u$ | $e^{t-1}$ | $1 + \log(p/q)$ | $T = v$ |
# | reverse KL = KL$(Q\,\Vert\,P)$ | $-\log u$ | $-1 - \log(-t)$, $t<0$ | $-q/p$ | $T = -e^{v}$ |
# | Pearson $\chi^2(P\,\Vert\,Q)$ | $(u-1)^2$ | $t^2/4 + t$ | $2(p/q - 1)$ | $T = v$ |
#
# ($v$ is the network's raw output; the last column keeps $T$ in the domain of $f^*$.)
# The original GAN is the case $f(u) = u\log u - (u+1)\log(u+1)$, $f^*(t) = -\log(1 - e^t)$, with
# $T = \log D$: the bound is then exactly $V(D, G)$, and $D_f = 2\,\mathrm{JSD} - \log 4$.
#
# We take $P = \mathcal N(0, 1)$ and $Q = \mathcal N(1, 1.2^2)$, whose divergences have closed
# forms, evaluate the bound at the closed-form $T^*$, and train a small minigan MLP critic for
# each divergence. The claim: **the trained critic's bound is within 5% of the true divergence.**
#
# Run it: `python lessons/15_f_gans.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

import minigan as mg
from minigan import optim, theory
from minigan.lessons_support import check, mlp, output_dir, run_as_script, save_figure, section

MU_P, S_P, MU_Q, S_Q = 0.0, 1.0, 1.0, 1.2


# %% [markdown]
# ## 1. The three divergences: closed forms, quadrature, and the tight bound
#
# For Gaussians, $\mathrm{KL}$ is `theory.kl_gaussians`, and
# $\chi^2(P\,\|\,Q) = \int p^2/q - 1 = \frac{\sigma_q^2}{\sigma_p\sqrt{2\sigma_q^2 - \sigma_p^2}}
# \exp\!\frac{(\mu_p-\mu_q)^2}{2\sigma_q^2 - \sigma_p^2} - 1$ (finite when $2\sigma_q^2 > \sigma_p^2$).
# We check them against `theory.f_divergence` by quadrature.


# %%
def pearson_gaussians(mu_p, s_p, mu_q, s_q) -> float:
    a = 2 * s_q**2 - s_p**2
    return float(s_q**2 / (s_p * np.sqrt(a)) * np.exp((mu_p - mu_q) ** 2 / a) - 1)


def log_ratio(x: np.ndarray) -> np.ndarray:
    """log p(x) − log q(x)."""
    return norm.logpdf(x, MU_P, S_P) - norm.logpdf(x, MU_Q, S_Q)


# Per divergence: the conjugate f*(t), the optimal critic T*(x), and the output activation T = g(v),
# each once for NumPy arrays and once for minigan tensors.
DIVERGENCES = {
    "kl": dict(
        name="KL(P‖Q)",
        conj=lambda t: np.exp(t - 1), conj_mg=lambda t: mg.exp(t - 1),
        t_star=lambda x: 1 + log_ratio(x),
        act=lambda v: v, act_mg=lambda v: v,
        true=lambda: theory.kl_gaussians(MU_P, S_P, MU_Q, S_Q)),
    "reverse_kl": dict(
        name="reverse KL = KL(Q‖P)",
        conj=lambda t: -1 - np.log(-t), conj_mg=lambda t: -1 - mg.log(-t),
        t_star=lambda x: -np.exp(-log_ratio(x)),
        act=lambda v: -np.exp(v), act_mg=lambda v: -mg.exp(v),
        true=lambda: theory.kl_gaussians(MU_Q, S_Q, MU_P, S_P)),
    "pearson": dict(
        name="Pearson χ²(P‖Q)",
        conj=lambda t: t * t / 4 + t, conj_mg=lambda t: t * t / 4 + t,
        t_star=lambda x: 2 * (np.exp(log_ratio(x)) - 1),
        act=lambda v: v, act_mg=lambda v: v,
        true=lambda: pearson_gaussians(MU_P, S_P, MU_Q, S_Q)),
}


def bound(t_p: np.ndarray, t_q: np.ndarray, conj) -> float:
    """E_P[T] − E_Q[f*(T)] from critic values on samples of P and of Q."""
    return float(np.mean(t_p) - np.mean(conj(t_q)))


# %% [markdown]
# ## 2. Train a critic per divergence
#
# Maximise $\mathbb E_P[T] - \mathbb E_Q[f^*(T)]$ over an MLP (1 → 64 → 64 → 1, tanh) on fresh
# samples each step, i.e. minimise its negative with Adam, learning rate decaying to 0. This is
# exactly the f-GAN's inner loop; a generator would then minimise the same quantity.
#
# We evaluate every bound by Monte Carlo on 200,000 fresh samples of each distribution. The
# estimates scatter around the bound's value by sampling noise (a few thousandths here), so even a
# lower bound can come out slightly above the divergence.


# %%
def train_critic(kind: str, steps: int, seed: int, batch: int = 512, lr: float = 3e-3):
    spec = DIVERGENCES[kind]
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = mlp([1, 64, 64, 1], activation="tanh")
    opt = optim.Adam(net.parameters(), lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * (1 - step / steps)
        xp = mg.tensor(rng.normal(MU_P, S_P, (batch, 1)).astype(np.float32))
        xq = mg.tensor(rng.normal(MU_Q, S_Q, (batch, 1)).astype(np.float32))
        objective = spec["act_mg"](net(xp)).mean() - spec["conj_mg"](spec["act_mg"](net(xq))).mean()
        opt.zero_grad()
        (-objective).backward()
        opt.step()
    return net


def critic_values(net, kind: str, x: np.ndarray) -> np.ndarray:
    with mg.no_grad():
        v = net(mg.tensor(x[:, None].astype(np.float32))).numpy().ravel().astype(np.float64)
    return DIVERGENCES[kind]["act"](v)


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("15_f_gans", out_dir)
    steps = 400 if quick else 2000
    n = 50_000 if quick else 200_000
    x = np.linspace(-12, 14, 26001)
    p, q = norm.pdf(x, MU_P, S_P), norm.pdf(x, MU_Q, S_Q)
    rng = np.random.default_rng(123)
    sample_p, sample_q = rng.normal(MU_P, S_P, n), rng.normal(MU_Q, S_Q, n)
    results: dict = {}
    nets = {}

    for k, (kind, spec) in enumerate(DIVERGENCES.items()):
        section(f"{k + 1}. {spec['name']}")
        true = spec["true"]()
        quad = theory.f_divergence(p, q, x, kind)
        tight_quad = theory.integrate(p * spec["t_star"](x) - q * spec["conj"](spec["t_star"](x)), x)
        tight_mc = bound(spec["t_star"](sample_p), spec["t_star"](sample_q), spec["conj"])
        nets[kind] = train_critic(kind, steps, seed=k)
        trained = bound(critic_values(nets[kind], kind, sample_p), critic_values(nets[kind], kind, sample_q),
                        spec["conj"])
        rel = abs(trained - true) / true
        results[kind] = dict(true=true, quadrature=quad, bound_optimal_quadrature=tight_quad,
                             bound_optimal_mc=tight_mc, bound_trained=trained, trained_rel_error=rel)
        print(f"  closed form {true:.5f} | quadrature {quad:.5f} | bound at T* (quadrature) {tight_quad:.5f} "
              f"| at T* (Monte Carlo) {tight_mc:.5f} | trained critic {trained:.5f}")
        check("closed form = quadrature", abs(true - quad), abs(true - quad) < 1e-6)
        check("the bound is tight at T* = f'(p/q) (quadrature)", abs(tight_quad - true), abs(tight_quad - true) < 1e-6)
        check("the trained critic's bound is within 5% of the divergence (relative error)", rel, rel < 0.05)

    # ----------------------------------------------------------------- figure
    fig, ax = plt.subplots(1, 4, figsize=(20, 4.4))
    xs = np.linspace(-3, 4.5, 400)
    for a, (kind, spec) in zip(ax, DIVERGENCES.items()):
        a.plot(xs, spec["t_star"](xs), "k", lw=2.5, label="T* = f′(p/q)")
        a.plot(xs, critic_values(nets[kind], kind, xs), "C3--", lw=1.8, label="trained critic T")
        a2 = a.twinx()
        a2.fill_between(xs, norm.pdf(xs, MU_P, S_P), alpha=0.15, color="C0", label="p = N(0, 1)")
        a2.fill_between(xs, norm.pdf(xs, MU_Q, S_Q), alpha=0.15, color="C1", label="q = N(1, 1.2²)")
        a2.set_yticks([])
        a2.set_ylim(0, 1.0)
        core = spec["t_star"](np.linspace(-2.5, 3.0, 100))  # where both densities carry mass
        pad = 0.1 * (core.max() - core.min())
        a.set_ylim(core.min() - pad, core.max() + pad)
        a.set_title(f"{spec['name']}: optimal vs trained critic", fontsize=10)
        a.set_xlabel("x")
        a.legend(fontsize=8, loc="upper left")
        a2.legend(fontsize=7, loc="lower right")
    names = [DIVERGENCES[k]["name"] for k in DIVERGENCES]
    pos = np.arange(len(names))
    ax[3].bar(pos - 0.25, [results[k]["true"] for k in DIVERGENCES], 0.25, label="true divergence")
    ax[3].bar(pos, [results[k]["bound_optimal_mc"] for k in DIVERGENCES], 0.25, label="bound at T* (Monte Carlo)")
    ax[3].bar(pos + 0.25, [results[k]["bound_trained"] for k in DIVERGENCES], 0.25, label="bound, trained critic")
    ax[3].set_xticks(pos, names, fontsize=8)
    ax[3].set_title("the variational lower bound")
    ax[3].legend(fontsize=8)
    save_figure(fig, out, "f_gans.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
