# %% [markdown]
# # Lesson 14 — Game dynamics: why GAN training oscillates
#
# Training a GAN is not minimising one loss: two players follow the gradients of *opposite*
# objectives. The smallest game that shows what can go wrong is bilinear,
#
# $$\min_x \max_y\; f(x, y) = x\,y,$$
#
# whose only equilibrium is $(0, 0)$. The players' gradient field is
# $(-\partial_x f, \partial_y f) = (-y, x)$ — a pure **rotation** (its Jacobian has eigenvalues
# $\pm i$): following it exactly ($\dot x = -y$, $\dot y = x$) circles the equilibrium forever at
# constant radius. Discrete steps of size $\eta$ make it worse or better:
#
# * **simultaneous** steps $x' = x - \eta y$, $y' = y + \eta x$ multiply by
#   $\begin{pmatrix}1 & -\eta\\ \eta & 1\end{pmatrix} = \sqrt{1+\eta^2}\,\times$ a rotation:
#   the radius grows by **exactly $\sqrt{1+\eta^2}$ per step** — an outward spiral;
# * **alternating** steps ($y$ answers the *new* $x$): $x' = x - \eta y$, $y' = y + \eta x'$,
#   matrix $\begin{pmatrix}1 & -\eta\\ \eta & 1-\eta^2\end{pmatrix}$ with determinant 1 — area is
#   preserved and, for $\eta < 2$, the iterates cycle on an ellipse. For $\eta = 1$ the
#   eigenvalues are $e^{\pm i\pi/3}$: **from $(1, 1)$ the iterates return to $(1, 1)$ after exactly 6 steps**;
# * **extragradient** (Korpelevich, 1976) steps to a look-ahead point and updates with the
#   gradient *there*: $x' = x - \eta(y + \eta x)$, $y' = y + \eta(x - \eta y)$, matrix
#   $\begin{pmatrix}1-\eta^2 & -\eta\\ \eta & 1-\eta^2\end{pmatrix}$, so the radius shrinks by
#   **exactly $\sqrt{(1-\eta^2)^2 + \eta^2} = \sqrt{1 - \eta^2 + \eta^4}$ per step**;
# * **optimistic** steps (Daskalakis et al., 2018) extrapolate from the previous gradient,
#   $x_{t+1} = x_t - 2\eta\,g_t + \eta\,g_{t-1}$, and also converge.
#
# Every step below is taken with minigan autodiff: `mg.grad(f, [x, y])` on tensors.
#
# A common statement is that *simultaneous gradient descent converges on convex-concave games*.
# $xy$ **is** convex-concave — linear, hence convex, in $x$ for every fixed $y$, and linear, hence
# concave, in $y$ for every fixed $x$ — and simultaneous steps spiral out of it for every $\eta > 0$.
# What does converge (section 4): the **averaged iterates** — the mean of the alternating steps' cycle
# is exactly the equilibrium, so their running average falls like $1/t$ — and plain simultaneous
# steps on a **strictly** convex-concave game, $xy + \tfrac\mu2 x^2 - \tfrac\mu2 y^2$, whose step matrix
# $\begin{pmatrix}1-\eta\mu & -\eta\\ \eta & 1-\eta\mu\end{pmatrix}$ shrinks the radius by exactly
# $\sqrt{(1-\eta\mu)^2 + \eta^2}$, below 1 when $\eta < 2\mu/(1+\mu^2)$.
#
# Run it: `python lessons/14_game_dynamics.py [--quick] [--out DIR]`.

# %%
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import minigan as mg
from minigan.lessons_support import check, output_dir, run_as_script, save_figure, section


def leaf(value: float) -> mg.Tensor:
    return mg.tensor(value, dtype="float64", requires_grad=True)


def bilinear(x: mg.Tensor, y: mg.Tensor) -> mg.Tensor:
    return x * y


def players_gradients(f, x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) at (x, y), by reverse-mode autodiff."""
    xt, yt = leaf(x), leaf(y)
    gx, gy = mg.grad(f(xt, yt), [xt, yt])
    return gx.item(), gy.item()


# %% [markdown]
# ## 1. Four ways to take a step
#
# x descends $f$, y ascends it. Each function returns the whole trajectory.


# %%
def simultaneous(f, start, eta, steps):
    path = [start]
    for _ in range(steps):
        x, y = path[-1]
        gx, gy = players_gradients(f, x, y)  # both players look at the same point
        path.append((x - eta * gx, y + eta * gy))
    return np.array(path)


def alternating(f, start, eta, steps):
    path = [start]
    for _ in range(steps):
        x, y = path[-1]
        gx, _ = players_gradients(f, x, y)
        x = x - eta * gx  # x moves first ...
        _, gy = players_gradients(f, x, y)
        path.append((x, y + eta * gy))  # ... and y answers the new x
    return np.array(path)


def extragradient(f, start, eta, steps):
    path = [start]
    for _ in range(steps):
        x, y = path[-1]
        gx, gy = players_gradients(f, x, y)
        xh, yh = x - eta * gx, y + eta * gy  # look ahead
        gx, gy = players_gradients(f, xh, yh)  # gradient at the look-ahead point
        path.append((x - eta * gx, y + eta * gy))  # step from the original point
    return np.array(path)


def optimistic(f, start, eta, steps):
    path = [start]
    previous = players_gradients(f, *start)
    for _ in range(steps):
        x, y = path[-1]
        gx, gy = players_gradients(f, x, y)
        path.append((x - eta * (2 * gx - previous[0]), y + eta * (2 * gy - previous[1])))
        previous = (gx, gy)
    return np.array(path)


# %% [markdown]
# ## 2. A GAN with one parameter per player: the Dirac-GAN
#
# Mescheder, Geiger & Nowozin (2018) reduce a GAN to its skeleton: the data is a point mass at
# 0, the generator a point mass at $\theta$, the discriminator $D(x) = \sigma(\psi x)$. Then
#
# $$V(\psi, \theta) = \log\sigma(0) + \log(1 - \sigma(\psi\theta)) = -\log 2 - \operatorname{softplus}(\psi\theta),$$
#
# which near $(0, 0)$ is $-\log 2 - \tfrac12\psi\theta + \dots$: the bilinear game again, so
# simultaneous gradient steps spiral away from the equilibrium. The **R1 penalty**
# $\tfrac\gamma2\,\mathbb E_{p_{\text{data}}}\|\nabla_x D\|^2 = \tfrac\gamma2\psi^2$ (up to the
# $\sigma'$ factor, here on the logit) adds friction to the discriminator and makes the same
# simultaneous steps converge.


# %%
def dirac_gan(gamma: float):
    """f(θ, ψ) for "θ minimises, ψ maximises": V(ψ, θ) − (γ/2) ψ²."""
    def f(theta, psi):
        return -float(np.log(2.0)) - mg.softplus(psi * theta) - 0.5 * gamma * psi * psi
    return f


# %%
def main(quick: bool = False, out_dir=None) -> dict:
    out = output_dir("14_game_dynamics", out_dir)
    results: dict = {}
    eta = 0.2
    steps = 60 if quick else 150
    start = (1.0, 1.0)

    section(f"1. min_x max_y xy from (1, 1), η = {eta}, {steps} steps")
    paths = {
        "simultaneous": simultaneous(bilinear, start, eta, steps),
        "alternating": alternating(bilinear, start, eta, steps),
        "extragradient": extragradient(bilinear, start, eta, steps),
        "optimistic": optimistic(bilinear, start, eta, steps),
    }
    radii = {k: np.linalg.norm(p, axis=1) for k, p in paths.items()}
    for k, r in radii.items():
        print(f"  {k:>13}: ‖(x, y)‖ {r[0]:.4f} -> {r[-1]:.4g}")
    grow = radii["simultaneous"][1:] / radii["simultaneous"][:-1]
    shrink = radii["extragradient"][1:] / radii["extragradient"][:-1]
    results.update(simultaneous_ratio_error=float(np.abs(grow - np.sqrt(1 + eta**2)).max()),
                   extragradient_ratio_error=float(np.abs(shrink - np.sqrt(1 - eta**2 + eta**4)).max()),
                   final_radius={k: float(r[-1]) for k, r in radii.items()})
    check(f"simultaneous: every step scales the radius by √(1+η²) = {np.sqrt(1 + eta**2):.6f} (max error)",
          results["simultaneous_ratio_error"], results["simultaneous_ratio_error"] < 1e-12)
    check(f"extragradient: every step scales it by √(1−η²+η⁴) = {np.sqrt(1 - eta**2 + eta**4):.6f} (max error)",
          results["extragradient_ratio_error"], results["extragradient_ratio_error"] < 1e-12)
    a = radii["alternating"]
    check("alternating: the radius neither explodes nor dies (min, max over the run)",
          (float(a.min()), float(a.max())), 0.5 < a.min() and a.max() < 2.0)
    check("optimistic: converges towards (0, 0) (final radius)", float(radii["optimistic"][-1]),
          radii["optimistic"][-1] < 0.5 * radii["optimistic"][0])

    section("2. alternating steps with η = 1 cycle with period 6")
    cycle = alternating(bilinear, start, 1.0, 12)
    for t, (x, y) in enumerate(cycle[:7]):
        print(f"  step {t}: ({x:+.0f}, {y:+.0f})")
    back = np.abs(cycle[6] - np.array(start)).max()
    earlier = min(np.abs(cycle[t] - np.array(start)).max() for t in range(1, 6))
    results.update(period6_error=float(back), closest_before_6=float(earlier),
                   period12_error=float(np.abs(cycle[12] - np.array(start)).max()))
    check("back at (1, 1) after exactly 6 steps", float(back), back < 1e-12)
    check("and not before (closest approach in steps 1–5)", float(earlier), earlier > 0.5)

    section("3. the Dirac-GAN: simultaneous steps spiral out; R1 makes them converge")
    gan_steps = 200 if quick else 500
    plain = simultaneous(dirac_gan(0.0), (1.0, 1.0), 0.1, gan_steps)
    r1 = simultaneous(dirac_gan(1.0), (1.0, 1.0), 0.1, gan_steps)
    plain_r, r1_r = np.linalg.norm(plain, axis=1), np.linalg.norm(r1, axis=1)
    results.update(dirac_plain_final=float(plain_r[-1]), dirac_r1_final=float(r1_r[-1]))
    print(f"  ‖(θ, ψ)‖: plain {plain_r[0]:.3f} -> {plain_r[-1]:.3f}; with R1 (γ = 1) -> {r1_r[-1]:.2e}")
    check("plain Dirac-GAN: simultaneous steps move away from the equilibrium", float(plain_r[-1]),
          plain_r[-1] > plain_r[0])
    check("with the R1 penalty they converge (final radius)", float(r1_r[-1]), r1_r[-1] < 0.05)

    section("4. what does converge on convex-concave games")
    long_cycle = alternating(bilinear, start, 1.0, 600)
    running = np.cumsum(long_cycle, axis=0) / np.arange(1, len(long_cycle) + 1)[:, None]
    average_radius = np.linalg.norm(running, axis=1)
    mu, eta_s = 0.5, 0.1
    strict = simultaneous(lambda x, y: x * y + 0.5 * mu * x * x - 0.5 * mu * y * y, start, eta_s, steps)
    strict_r = np.linalg.norm(strict, axis=1)
    strict_factor = np.sqrt((1 - eta_s * mu) ** 2 + eta_s**2)
    strict_error = float(np.max(np.abs(strict_r[1:] / strict_r[:-1] - strict_factor)))
    results.update(averaged_radius_final=float(average_radius[-1]), alternating_radius_final=float(
        np.linalg.norm(long_cycle[-1])), strict_ratio_error=strict_error, strict_final_radius=float(strict_r[-1]))
    print(f"  alternating (η = 1), 600 steps: last iterate at radius {np.linalg.norm(long_cycle[-1]):.3f}, "
          f"running average at {average_radius[-1]:.5f} (t·radius = {600 * average_radius[-1]:.2f}, bounded)")
    check("xy is convex-concave yet simultaneous steps diverge (final radius > √2)",
          float(radii["simultaneous"][-1]), radii["simultaneous"][-1] > np.sqrt(2))
    check("averaged iterates converge: running mean of the alternating steps within 0.01 of (0, 0)",
          float(average_radius[-1]), average_radius[-1] < 0.01)
    check("and like 1/t: t·|average| stays below 3 for t = 100 … 600",
          float(np.max(np.arange(100, 601) * average_radius[100:601])),
          np.max(np.arange(100, 601) * average_radius[100:601]) < 3)
    check(f"strictly convex-concave (μ = {mu}): simultaneous steps scale the radius by exactly "
          f"√((1−ημ)²+η²) = {strict_factor:.6f} (max error)", strict_error, strict_error < 1e-12)
    check("and converge (final radius)", float(strict_r[-1]), strict_r[-1] < 0.2 * np.sqrt(2))

    # ----------------------------------------------------------------- figures
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.8))
    colors = dict(simultaneous="C3", alternating="C0", extragradient="C2", optimistic="C1")
    for k, p in paths.items():
        ax[0].plot(p[:, 0], p[:, 1], "-", color=colors[k], lw=1.2, label=k)
    ax[0].plot(cycle[:7, 0], cycle[:7, 1], "k--o", ms=4, lw=0.8, label="alternating, η = 1 (6-cycle)")
    ax[0].plot(*start, "k*", ms=12)
    ax[0].plot(0, 0, "k+", ms=12, mew=2)
    ax[0].set_xlim(-2.2, 2.2)
    ax[0].set_ylim(-2.2, 2.2)  # the simultaneous spiral leaves the frame
    ax[0].set_aspect("equal")
    ax[0].set_xlabel("x (minimises xy)")
    ax[0].set_ylabel("y (maximises xy)")
    ax[0].set_title(f"min_x max_y xy, η = {eta}")
    ax[0].legend(fontsize=7, loc="upper left", framealpha=0.9)
    t = np.arange(steps + 1)
    for k, r in radii.items():
        ax[1].semilogy(t, r, color=colors[k], label=k)
    ax[1].semilogy(t, np.sqrt(2) * np.sqrt(1 + eta**2) ** t, "k:", lw=1, label="√2 (1+η²)^(t/2)")
    ax[1].semilogy(t, np.sqrt(2) * np.sqrt(1 - eta**2 + eta**4) ** t, "k--", lw=1, label="√2 (1−η²+η⁴)^(t/2)")
    ax[1].semilogy(t, strict_r, color="C4", lw=1.2, label=f"simultaneous, xy + (μ/2)(x² − y²), μ = {mu}, η = {eta_s}")
    ax[1].semilogy(t[1:], average_radius[1:steps + 1], color="C0", ls="-.", lw=1,
                   label="running average of alternating (η = 1)")
    ax[1].set_xlabel("step t")
    ax[1].set_ylabel("distance to the equilibrium")
    ax[1].set_title("exact growth and decay rates")
    ax[1].legend(fontsize=7)
    ax[2].plot(plain[:, 0], plain[:, 1], color="C3", lw=1, label="simultaneous GD")
    ax[2].plot(r1[:, 0], r1[:, 1], color="C2", lw=1, label="simultaneous GD + R1 (γ = 1)")
    ax[2].plot(1, 1, "k*", ms=12)
    ax[2].plot(0, 0, "k+", ms=12, mew=2)
    ax[2].set_aspect("equal")
    ax[2].set_xlabel("θ (generator)")
    ax[2].set_ylabel("ψ (discriminator)")
    ax[2].set_title("Dirac-GAN, η = 0.1")
    ax[2].legend(fontsize=7, loc="lower left")
    save_figure(fig, out, "game_dynamics.png")
    return results


if __name__ == "__main__":
    run_as_script(main)
