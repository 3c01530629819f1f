"""GAN losses, each written out from its formula. Inputs are discriminator *logits*.

With D(x) = σ(logit), the logs are written with softplus so that they stay exact
at logits of ±100:  −log σ(a) = softplus(−a),  −log(1 − σ(a)) = softplus(a).
Every function returns a scalar Tensor to *minimise* (the discriminator's losses
are the negatives of the quantities it maximises). :data:`LOSSES` names every
objective (the ``--loss`` choices); ``discriminator_loss(kind, ...)`` and
``generator_loss(kind, ...)`` pick the pair for one.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor, grad
from ..ops import relu, softplus, sqrt

__all__ = [
    "LOSSES", "PROBABILITY_LOSSES", "discriminator_loss", "feature_matching_loss", "generator_loss",
    "gradient_penalty", "hinge_discriminator_loss", "hinge_generator_loss", "lsgan_discriminator_loss",
    "lsgan_generator_loss", "minimax_discriminator_loss", "minimax_generator_loss", "mode_seeking_loss",
    "nonsaturating_generator_loss",
    "r1_penalty", "relativistic_discriminator_loss", "relativistic_generator_loss", "saturation_ratio",
    "wgan_critic_loss", "wgan_generator_loss",
]

# ----------------------------------------------------------------------------- the original game


def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0) -> Tensor:
    """−E[log D(x)] − E[log(1 − D(G(z)))] = E[softplus(−r)] + E[softplus(f)].

    ``real_label`` < 1 gives one-sided label smoothing (Salimans et al. 2016): the real term becomes
    the cross-entropy with target t, E[softplus(r) − t·r]; the fake target stays 0.
    """
    if real_label == 1.0:
        real_term = softplus(-real_logits).mean()
    else:
        real_term = (softplus(real_logits) - real_logits * real_label).mean()
    return real_term + softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """The saturating loss: E[log(1 − D(G(z)))] = −E[softplus(f)]. Its gradient vanishes when D wins."""
    return -softplus(fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """−E[log D(G(z))] = E[softplus(−f)]: the same fixed point, strong gradients when D(G(z)) ≈ 0."""
    return softplus(-fake_logits).mean()


# ----------------------------------------------------------------------------- alternatives


def lsgan_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Least squares (Mao et al. 2017): ½E[(D(x) − 1)²] + ½E[D(G(z))²] on raw outputs."""
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()


def lsgan_generator_loss(fake_logits: Tensor) -> Tensor:
    """½E[(D(G(z)) − 1)²]."""
    return 0.5 * ((fake_logits - 1) ** 2).mean()


def wgan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Wasserstein (Arjovsky et al. 2017): the critic maximises E[f(x)] − E[f(G(z))], so minimises the negative."""
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """−E[f(G(z))]."""
    return -fake_scores.mean()


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Hinge (Lim & Ye 2017; Miyato et al. 2018): E[max(0, 1 − r)] + E[max(0, 1 + f)]."""
    return relu(1 - real_logits).mean() + relu(1 + fake_logits).mean()


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    """−E[f]."""
    return -fake_logits.mean()


def relativistic_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Relativistic average (Jolicoeur-Martineau 2018): is real data more realistic than fake on average?

    −E[log σ(r − E f)] − E[log(1 − σ(f − E r))] = E[softplus(−(r − E f))] + E[softplus(f − E r)].
    """
    return softplus(-(real_logits - fake_logits.mean())).mean() + softplus(fake_logits - real_logits.mean()).mean()


def relativistic_generator_loss(fake_logits: Tensor, real_logits: Tensor) -> Tensor:
    """The same game with the roles swapped: E[softplus(−(f − E r))] + E[softplus(r − E f)]."""
    return softplus(-(fake_logits - real_logits.mean())).mean() + softplus(real_logits - fake_logits.mean()).mean()


# ----------------------------------------------------------------------------- regularisers


def _per_sample_norm(g: Tensor) -> Tensor:
    """‖g_i‖₂ over every axis but the batch axis (with a tiny ε so √ stays differentiable at 0)."""
    return sqrt((g * g).reshape(g.shape[0], -1).sum(axis=1) + 1e-12)


def gradient_penalty(critic, real: Tensor, fake: Tensor, lambda_: float = 10.0) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): λ E[(‖∇ f(x̂)‖ − 1)²] on x̂ = ε x + (1 − ε) G(z), ε ~ U(0, 1).

    The gradient is taken with ``create_graph=True``, so minimising the penalty differentiates
    through the critic's backward pass (a double backward).
    """
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real {real.shape} and fake {fake.shape} must have the same shape")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = Tensor(backend.random_uniform(shape, dtype=real.dtype, device=real.device))
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).detach().requires_grad_()
    (g,) = grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lambda_ * ((_per_sample_norm(g) - 1) ** 2).mean()


def r1_penalty(critic, real: Tensor, gamma: float = 10.0) -> Tensor:
    """R1 (Mescheder et al. 2018): γ/2 · E[‖∇ D(x)‖²] on real data only."""
    x = real.detach().requires_grad_()
    (g,) = grad(critic(x).sum(), x, create_graph=True)
    return (gamma / 2) * (g * g).reshape(g.shape[0], -1).sum(axis=1).mean()


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """‖E f(x) − E f(G(z))‖² on an intermediate layer of D (Salimans et al. 2016); real features are constants."""
    diff = real_features.detach().mean(axis=0) - fake_features.mean(axis=0)
    return (diff * diff).sum()


def mode_seeking_loss(fake_a: Tensor, fake_b: Tensor, z_a, z_b, eps: float = 1e-5) -> Tensor:
    """The mode-seeking term of Mao et al. (2019), to add to G's loss (times λ): 1 / (ratio + ε), with

        ratio = mean |G(z_a, y) − G(z_b, y)|  /  mean |z_a − z_b|,

    two samples of the same condition y from two noises. A G that maps different z to the same image (the
    mode collapse of a conditional GAN, which can learn to ignore z) has ratio → 0 and pays 1/ε; so G is
    pushed to let z move the image. ``z_a``, ``z_b`` are constants (arrays or tensors); ε as the authors' code.
    """
    z_a, z_b = (z.data if isinstance(z, Tensor) else z for z in (z_a, z_b))
    z_distance = backend.array_module(z_a).abs(z_a - z_b).mean()  # a 0-d device array: no host copy
    ratio = (fake_a - fake_b).abs().mean() / Tensor(z_distance.astype(fake_a.data.dtype))
    return (ratio + eps) ** -1


# ----------------------------------------------------------------------------- one entry point

# Every objective the trainer knows, by its command-line name → (discriminator loss, generator loss). "wgan-gp"
# is the Wasserstein game whose critic also pays the gradient penalty (the step adds it, weight gp_lambda).
_LOSS_PAIRS = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "nonsaturating": (minimax_discriminator_loss, nonsaturating_generator_loss),
    "lsgan": (lsgan_discriminator_loss, lsgan_generator_loss),
    "wgan": (wgan_critic_loss, wgan_generator_loss),
    "wgan-gp": (wgan_critic_loss, wgan_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "relativistic": (relativistic_discriminator_loss, relativistic_generator_loss),
}
LOSSES = tuple(_LOSS_PAIRS)
PROBABILITY_LOSSES = ("minimax", "nonsaturating")  # D's output is the logit of P(real); label smoothing applies


def _pair(kind: str):
    if kind not in _LOSS_PAIRS:
        raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
    return _LOSS_PAIRS[kind]


def discriminator_loss(kind: str, real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0) -> Tensor:
    """The discriminator's (critic's) loss; ``kind`` is one of :data:`LOSSES`.

    ``real_label`` < 1 (one-sided label smoothing) applies to the :data:`PROBABILITY_LOSSES` only.
    """
    d_loss, _ = _pair(kind)
    if kind in PROBABILITY_LOSSES:
        return d_loss(real_logits, fake_logits, real_label)
    if real_label != 1.0:
        raise ValueError(f"label smoothing applies to the minimax / nonsaturating losses, not {kind!r}")
    return d_loss(real_logits, fake_logits)


def generator_loss(kind: str, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
    """The generator's loss for ``kind``; ``relativistic`` also needs the real logits."""
    _, g_loss = _pair(kind)
    if kind == "relativistic":
        if real_logits is None:
            raise ValueError("the relativistic generator loss needs real_logits")
        return g_loss(fake_logits, real_logits)
    return g_loss(fake_logits)


def saturation_ratio(d_fake: float) -> float:
    """|∂(non-saturating)/∂f| / |∂(saturating)/∂f| = (1 − D)/D at D = D(G(z)): huge when D(G(z)) ≈ 0."""
    d = float(np.clip(d_fake, 1e-300, 1.0))
    return (1 - d) / d
