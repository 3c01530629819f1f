"""Unrolled GANs (Metz, Poole, Pfau & Sohl-Dickstein, 2017): the generator plays against a discriminator
that has been allowed to answer.

A plain GAN step updates D, then G against the current D. A generator that moves all its samples to the
mode D likes least wins for a step, until D catches up; then it hops to the next mode, and so on: mode
hopping, the classic failure on the 2-D ring. The unrolled generator minimises instead

    f_K(φ, θ) = L_G(φ, θ^K),   θ^0 = θ,   θ^{k+1} = θ^k − update(∇_θ L_D(θ^k, φ))

the loss against D after K more optimizer steps of D *as functions of φ*: the gradient ∂f_K/∂φ
includes ∂θ^K/∂φ, i.e. how D would react to G's move. Collapsing onto one mode stops paying, because the
unrolled D has already punished it. Each θ^{k+1} is one step of D's own optimizer rule
(``optim.functional_step``) on a gradient taken with ``create_graph=True``, so the chain stays
differentiable; K = 0 is the plain GAN.

The real discriminator takes only the first of the K steps (θ ← θ^1); the other K − 1 are a look-ahead
for G and are thrown away. As in the authors' code, all K steps and G's loss use one batch of real data
and one batch of samples (one forward of G per step).

    stats = unrolled_step(G, D, opt_G, opt_D, real_batch, noise, unrolled_steps=5)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..autograd import Tensor, grad
from ..optim import functional_step
from . import losses
from .step import decay_learning_rates, discriminator_means, grad_norm, update_ema

__all__ = ["check_config", "functional_call", "train_step", "unrolled_step"]


@contextlib.contextmanager
def _swapped(module, tensors: dict[str, Tensor]) -> Iterator[None]:
    """Within the block, ``module``'s parameters named in ``tensors`` are those tensors."""
    owners = dict(module.named_modules())
    saved = []
    for name, value in tensors.items():
        path, _, attr = name.rpartition(".")
        owner = owners[path]
        if attr not in owner._parameters:
            raise KeyError(f"{type(module).__name__} has no parameter {name!r}")
        saved.append((owner, attr, owner._parameters[attr]))
        owner._parameters[attr] = value
    try:
        yield
    finally:
        for owner, attr, value in reversed(saved):
            owner._parameters[attr] = value


def functional_call(module, tensors: dict[str, Tensor], *args, **kwargs):
    """``module(*args)`` computed with the parameters named in ``tensors`` replaced by those tensors
    (as ``torch.func.functional_call``); the module itself is left as it was."""
    with _swapped(module, tensors):
        return module(*args, **kwargs)


def unrolled_step(G, D, opt_G, opt_D, real_batch: Callable[[], Tensor], noise: Callable[[int], Tensor],
                  unrolled_steps: int, loss: str = "nonsaturating") -> dict[str, Tensor]:
    """One unrolled-GAN step: D takes one optimizer step, G one step against D unrolled K steps ahead.

    real_batch(): a batch of real samples; noise(n): n noise vectors for G. ``loss`` is a loss kind of
    ``minigan.gan.losses`` (not relativistic). Returns the step's statistics as Tensors: ``d_loss`` and
    ``real_out`` / ``fake_out`` (D's scores) of the real step, ``g_loss``, the generated batch ``fake``.
    """
    if isinstance(unrolled_steps, bool) or not isinstance(unrolled_steps, int) or unrolled_steps < 0:
        raise ValueError(f"unrolled_steps must be an int ≥ 0, got {unrolled_steps!r}")
    if loss == "relativistic":
        raise ValueError("unrolled_step: the relativistic loss is not supported (its G loss needs real scores)")
    names = [name for name, _ in D.named_parameters()]
    params = list(D.parameters())
    look_ahead = unrolled_steps > 0
    real = real_batch()
    fake = G(noise(len(real)))
    theta, state, first_grads = params, None, None
    for k in range(max(unrolled_steps, 1)):
        with _swapped(D, dict(zip(names, theta))):
            real_out = D(real)
            fake_out = D(fake if look_ahead else fake.detach())
        d_loss = losses.discriminator_loss(loss, real_out, fake_out)
        grads = grad(d_loss, theta, create_graph=look_ahead)
        if k == 0:
            first = dict(d_loss=d_loss.detach(), real_out=real_out.detach(), fake_out=fake_out.detach())
            first_grads = [g.detach() for g in grads]
            if not look_ahead:  # the plain game: D steps first, then G plays against the updated D
                _apply(opt_D, params, first_grads)
                break
        theta, state = functional_step(opt_D, theta, list(grads), state)

    D.requires_grad_(False)
    with _swapped(D, dict(zip(names, theta))):
        g_loss = losses.generator_loss(loss, D(fake))
    opt_G.zero_grad()
    g_loss.backward()  # through θ^K = θ^K(φ) when unrolled
    D.requires_grad_(True)
    opt_G.step()
    if look_ahead:  # only now: the unrolled graph read D's weights, which the real step overwrites
        _apply(opt_D, params, first_grads)
    return dict(first, g_loss=g_loss.detach(), fake=fake.detach())


def train_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict:
    """Step ``t`` of an unrolled run (the signature of ``minigan.gan.step.train_step``): learning-rate decay,
    :func:`unrolled_step` with ``config.unrolled_steps``, the EMA; returns the basic game's statistics."""
    if config.lr_decay:
        decay_learning_rates(opt_G, opt_D, config, t)
    stats = unrolled_step(G, D, opt_G, opt_D, lambda: next(batches)[0], lambda n: noise(n)[0],
                          config.unrolled_steps, config.loss)
    if G_ema is not None:
        update_ema(G_ema, G, t, config.ema_decay)
    return basic_statistics(stats, G, D, config.loss)


def basic_statistics(stats: dict, G, D, loss: str) -> dict:
    """The statistics of ``minigan.gan.step.STATS`` (0-d device arrays) from a step's Tensors."""
    fake = stats["fake"].data
    return {"d_loss": stats["d_loss"].data, "g_loss": stats["g_loss"].data,
            **discriminator_means(loss, stats["real_out"], stats["fake_out"]), "grad_norm_g": grad_norm(G),
            "grad_norm_d": grad_norm(D), "diversity": fake.reshape(len(fake), -1).std(axis=0).mean()}


def check_config(config) -> None:
    """Refuse (ValueError) the settings an unrolled run does not support, naming each."""
    k = config.unrolled_steps
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"unrolled_steps must be an int ≥ 0, got {k!r}")
    if not k:
        return
    unsupported = {
        "model": (config.model != "mlp", f"the mlp model (got {config.model!r})"),
        "optimizer": (config.optimizer != "adam", f"the adam optimizer (got {config.optimizer!r})"),
        "loss": (config.loss in ("relativistic", "wgan", "wgan-gp"), f"a loss without clipping, penalty or real "
                                                                      f"scores in G's loss (got {config.loss!r})"),
        "n_critic": (config.n_critic != 1 or config.critic_warmup, "one D step per G step (n_critic 1, no warm-up)"),
        "gp_lambda / r1_gamma / clip_value": (bool(config.gp_lambda or config.r1_gamma or config.clip_value),
                                              "no gradient penalty, R1 or weight clipping"),
        "instance_noise / label_smoothing": (bool(config.instance_noise or config.label_smoothing),
                                             "no instance noise or label smoothing"),
        "spectral_norm / minibatch_std": (bool(config.spectral_norm or config.minibatch_std),
                                          "a plain discriminator (its weights are the unrolled ones)"),
    }
    for name, (bad, needs) in unsupported.items():
        if bad:
            raise ValueError(f"unrolled_steps {k}: {name} is not supported; the unrolled GAN needs {needs}")


def _apply(opt, params: list, grads: list) -> None:
    for p, g in zip(params, grads):
        p.grad = g
    opt.step()
