"""One training step of the basic GAN game: k discriminator (critic) updates, then one generator update.

Goodfellow et al. (2014), Algorithm 1, with the WGAN-GP critic loop (Gulrajani et al. 2017, Algorithm 1):

    for number of training iterations do
        for k steps do                                             (k = n_critic; 100 in the first critic_warmup)
            sample a minibatch x⁽¹⁾…x⁽ᵐ⁾ from the data and z⁽¹⁾…z⁽ᵐ⁾ from the noise prior N(0, I)
            update D by descending its loss
                L_D = loss_D(D(x), D(G(z)))  [+ λ E[(‖∇D(x̂)‖₂ − 1)²],  x̂ = εx + (1 − ε)G(z)]  [+ γ/2 E‖∇D(x)‖²]
            [WGAN: clip every weight of D to [−c, c]]
        end for
        update G by descending L_G = loss_G(D(G(z)))  on the last minibatch of noise
        [EMA: θ_ema ← β θ_ema + (1 − β) θ_G]
    end for

The paper's losses are the minimax pair, L_D = −E[log D(x)] − E[log(1 − D(G(z)))] and
L_G = E[log(1 − D(G(z)))]; every pair of ``minigan.gan.losses.LOSSES`` plugs into the same loop.
Options: instance noise (D sees x + σε in its losses), differentiable augmentation (D sees T(x) and T(G(z)),
``gan.augment``), one-sided label smoothing, linear learning-rate decay.

:func:`train_step` is one iteration of the outer loop. It knows nothing of files, logs or checkpoints: it takes
the networks, their optimizers, ``batches`` (an iterator of real ``(x, labels)``; labels None without classes),
``noise`` (``noise(n)`` → ``(z, labels)``) and the config, and returns the step's statistics as 0-d device
arrays (no host copy, so the GPU never waits for Python). ``minigan.gan.run`` calls it.
"""

from __future__ import annotations

import functools
from typing import Any

from .. import backend
from ..autograd import Tensor, no_grad
from ..creation import randn
from ..ops import sigmoid
from . import losses
from .augment import augmented
from .config import WARMUP_CRITIC_UPDATES, TrainConfig

__all__ = ["STATS", "decay_learning_rates", "discriminator_means", "grad_norm", "instance_noise", "train_step",
           "update_ema"]

STATS = ("d_loss", "g_loss", "d_real", "d_fake", "grad_norm_g", "grad_norm_d", "diversity")


def train_step(G, D, opt_G, opt_D, batches, noise, config: TrainConfig, t: int, G_ema=None) -> dict[str, Any]:
    """Step ``t`` (0-based) of the game: n_critic updates of D, one of G, then the EMA; returns :data:`STATS`."""
    cfg = config
    if cfg.lr_decay:
        decay_learning_rates(opt_G, opt_D, cfg, t)
    sigma = cfg.instance_noise * (max(0.0, 1.0 - t / cfg.steps) if cfg.anneal_noise else 1.0)
    judge = augmented(D, cfg.augment)  # D(T(x)): D itself without augmentation
    for _ in range(WARMUP_CRITIC_UPDATES if t < cfg.critic_warmup else cfg.n_critic):
        real, labels = next(batches)
        z, fake_labels = noise(len(real))
        fake = _call(G, z, fake_labels)  # its graph is kept for the generator's update
        real_out = _call(judge, instance_noise(real, sigma), labels)
        fake_out = _call(judge, instance_noise(fake.detach(), sigma), fake_labels)
        d_loss = losses.discriminator_loss(cfg.loss, real_out, fake_out, 1.0 - cfg.label_smoothing)
        critic = functools.partial(_call, judge, labels=labels)  # the penalties judge their points with real labels
        if cfg.gp_lambda:
            d_loss = d_loss + losses.gradient_penalty(critic, real, fake, cfg.gp_lambda)
        if cfg.r1_gamma:
            d_loss = d_loss + losses.r1_penalty(critic, real, cfg.r1_gamma)
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        if cfg.clip_value:
            for p in D.parameters():
                backend.array_module(p.data).clip(p.data, -cfg.clip_value, cfg.clip_value, out=p.data)
    grad_norm_d = grad_norm(D)

    D.requires_grad_(False)  # the generator's loss needs no gradients for D's weights
    real_ref = _call(judge, instance_noise(real, sigma), labels) if cfg.loss == "relativistic" else None
    g_loss = losses.generator_loss(cfg.loss, _call(judge, instance_noise(fake, sigma), fake_labels), real_ref)
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    if G_ema is not None:
        update_ema(G_ema, G, t, cfg.ema_decay)

    return {"d_loss": d_loss.data, "g_loss": g_loss.data, **discriminator_means(cfg.loss, real_out, fake_out),
            "grad_norm_g": grad_norm(G), "grad_norm_d": grad_norm_d,
            "diversity": fake.data.reshape(len(fake.data), -1).std(axis=0).mean()}


def discriminator_means(loss: str, real_out: Tensor, fake_out: Tensor) -> dict[str, Any]:
    """``d_real`` and ``d_fake``: D's mean output on the real and the generated batch (0-d device arrays),
    as probabilities D(x) = σ(logit) for the losses whose D outputs a logit of P(real)."""
    if loss in losses.PROBABILITY_LOSSES:
        real_out, fake_out = sigmoid(real_out.detach()), sigmoid(fake_out.detach())
    return {"d_real": real_out.data.mean(), "d_fake": fake_out.data.mean()}


def _call(net, x: Tensor, labels=None) -> Tensor:
    """net(x), or net(x, labels) for a conditional network."""
    return net(x) if labels is None else net(x, labels)


def instance_noise(x: Tensor, sigma: float) -> Tensor:
    """x + σ·ε, ε ~ N(0, I) (Sønderby et al. 2017); x itself when σ = 0. Real and generated distributions
    blurred by the same noise overlap, so D cannot separate them perfectly and its gradient stays useful."""
    return x + randn(*x.shape, device=x.device) * sigma if sigma else x


def decay_learning_rates(opt_G, opt_D, config: TrainConfig, t: int) -> None:
    """lr_t = lr · (1 − t / steps): big steps early, fine ones at the end (as in the WGAN-GP code)."""
    scale = max(0.0, 1.0 - t / config.steps)
    for opt, lr in ((opt_G, config.lr_g), (opt_D, config.lr_d)):
        for group in opt.param_groups:
            group["lr"] = lr * scale


def update_ema(G_ema, G, t: int, decay: float) -> None:
    """θ_ema ← β θ_ema + (1 − β) θ, in place; buffers (batch-norm statistics) are copied.

    β = min(decay, (1 + t) / (10 + t)) at step t: a short memory early on, while the weights move fast, so
    that the average does not drag the initial weights along for thousands of steps.
    """
    beta = min(decay, (1 + t) / (10 + t))
    with no_grad():
        for p_ema, p in zip(G_ema.parameters(), G.parameters()):
            p_ema.data *= beta
            p_ema.data += (1 - beta) * p.data
        for b_ema, b in zip(G_ema.buffers(), G.buffers()):
            b_ema.data[...] = b.data


def grad_norm(module) -> Any:
    """‖∇θ‖₂ over all of a module's gradients, as a 0-d device array (no host copy)."""
    grads = [p.grad.data for p in module.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return backend.array_module(grads[0]).sqrt(sum((g * g).sum() for g in grads))
