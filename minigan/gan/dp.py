"""Differentially private GANs: DP-SGD (Abadi et al. 2016) on the discriminator.

Only D touches real data; G learns from D's outputs alone, so a private D makes G private too (by
post-processing). One private D update:

1. Poisson sampling: each of the N real examples joins the batch independently with probability
   q = B / N (so the batch size varies around B, and may even be 0).
2. Per-example gradients g_i = ∇_θ ℓ_i of each example's loss ℓ_i — its real term, the fake term of the
   sample paired with it, and any penalty that touches x_i (R1, the gradient penalty): all of them are
   inside the clip.
3. Clipping: ḡ_i = g_i · min(1, C / ‖g_i‖), so one example moves the sum by at most C.
4. Noise: g̃ = (Σ_i ḡ_i + N(0, σ²C² I)) / (qN), divided by the *expected* batch size (the actual size
   would itself reveal who was sampled); D's optimizer then steps on g̃.

Steps 1–4 are the sampled Gaussian mechanism with noise multiplier σ; ``minigan.privacy`` turns σ, q and
the number of D updates into ε.

**Per-example gradients, vectorised.** Autodiff gives the gradient of a sum, not the N gradients of its
terms. The trick used here: give every example its own copy of the weights. Each weight W of D is
replaced, for one forward pass, by a stack W_1 … W_N (shape (N, *W.shape)), and the layers are computed
so that example i only meets copy i — Linear as a batched product y_i = W_i x_i + b_i, Conv2d as the
batched product of W_i (as a matrix) with the unfolded patches of x_i, layer norm's γ_i, β_i by
broadcasting. Then ∂(Σ_j ℓ_j)/∂W_i = ∂ℓ_i/∂W_i: one backward pass of the batch loss yields all N
per-example gradients, as the slices of the stack's gradient. Because it is ordinary autodiff, terms
that differentiate through D themselves (R1's ‖∇_x D(x_i)‖²) work unchanged, with ``create_graph``.
It costs N copies of the weights (small for these models) and replaces each matrix product by N
smaller ones. Layers that mix the examples of a batch (batch norm, the minibatch-stddev feature) would
make ℓ_i depend on other examples, and clipping could no longer bound one example's influence: they
are refused; with ``--dp`` a discriminator whose default is batch norm gets layer norm instead (a
per-example normalisation over C×H×W, as in WGAN-GP critics).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

import numpy as np

from .. import backend, nn
from ..autograd import Tensor, grad
from ..creation import randn
from ..ops import matmul, pad, stack, swapaxes
from . import losses
from .step import decay_learning_rates, update_ema
from .unrolled import _swapped, basic_statistics

__all__ = ["Accountant", "check_config", "clipped_gradients", "discriminator_norm", "dp_step", "per_example_gradients",
           "prepare", "train_step"]

MIXING_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d)


def _linear(module, x: Tensor) -> Tensor:
    """y_i = W_i x_i + b_i with W (N, out, in), b (N, out)."""
    y = matmul(x.reshape(x.shape[0], 1, -1), swapaxes(module.weight, 1, 2)).reshape(x.shape[0], -1)
    return y if module.bias is None else y + module.bias


def _conv2d(module, x: Tensor) -> Tensor:
    """Cross-correlation of x_i with its own kernel W_i (N, out, in, kh, kw): W_i as a matrix times the
    unfolded patches of x_i (columns ordered channel-major, then kernel row and column, as W's layout)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = module.kernel_size, module.stride, module.padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    xp = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    taps = [xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] for i in range(kh) for j in range(kw)]
    cols = stack(taps, axis=2).reshape(n, c * kh * kw, ho * wo)
    y = matmul(module.weight.reshape(n, module.out_channels, -1), cols).reshape(n, module.out_channels, ho, wo)
    return y if module.bias is None else y + module.bias.reshape(n, module.out_channels, 1, 1)


_PER_EXAMPLE_FORWARD = {nn.Linear: _linear, nn.Conv2d: _conv2d}
_BROADCASTING = (nn.LayerNorm,)  # elementwise affine parameters: a stack (N, *shape) broadcasts as it is


def _check_layers(D) -> None:
    for name, m in D.named_modules():
        if isinstance(m, MIXING_LAYERS) or type(m).__name__ == "MinibatchStdDev":
            raise ValueError(f"DP-SGD: layer {name or type(m).__name__} ({type(m).__name__}) mixes the examples "
                             "of a batch, so per-example clipping would not bound one example's influence")
        if any(True for _ in m.parameters(recurse=False)) and not isinstance(
                m, tuple(_PER_EXAMPLE_FORWARD) + _BROADCASTING):
            raise TypeError(f"DP-SGD: per-example gradients support Linear, Conv2d and LayerNorm, not layer "
                            f"{name} ({type(m).__name__})")


@contextlib.contextmanager
def _per_example(D, n: int) -> Iterator[list[Tensor]]:
    """Within the block D computes example i with its own weight copies; yields the stacks (leaves)."""
    _check_layers(D)
    names = [name for name, _ in D.named_parameters()]
    stacks = []
    for p in D.parameters():
        xp = backend.array_module(p.data)
        stacks.append(Tensor(xp.ascontiguousarray(xp.broadcast_to(p.data, (n,) + p.shape)), requires_grad=True))
    patched = [m for m in D.modules() if type(m) in _PER_EXAMPLE_FORWARD]
    for m in patched:
        object.__setattr__(m, "forward", functools.partial(_PER_EXAMPLE_FORWARD[type(m)], m))
    try:
        with _swapped(D, dict(zip(names, stacks))):
            yield stacks
    finally:
        for m in patched:
            del m.__dict__["forward"]


def per_example_gradients(D, batch_loss: Callable[[], Tensor], n: int) -> list[Tensor]:
    """∇_θ ℓ_i for i = 1..n, one (n, *p.shape) array per parameter p of D, in ``D.parameters()`` order.

    ``batch_loss()`` computes the *mean* of the n per-example losses ℓ_i with D (it is called inside the
    per-example context, see the module docstring); its gradient for copy i is ∇ℓ_i / n.
    """
    with _per_example(D, n) as stacks:
        loss = batch_loss()
        grads = grad(loss, stacks, allow_unused=True)
    return [Tensor(g.data * n) if g is not None else Tensor(backend.array_module(s.data).zeros_like(s.data))
            for g, s in zip(grads, stacks)]


def clipped_gradients(per_example: list[Tensor], max_grad_norm: float) -> tuple[list[Tensor], Tensor]:
    """ḡ_i = g_i · min(1, C / ‖g_i‖) (‖g_i‖ over all parameters together); returns (ḡ, the norms ‖g_i‖)."""
    xp = backend.array_module(per_example[0].data)
    n = per_example[0].shape[0]
    sq = sum((g.data.reshape(n, -1) ** 2).sum(axis=1) for g in per_example)
    norms = xp.sqrt(sq)
    factor = xp.minimum(1.0, max_grad_norm / xp.maximum(norms, 1e-12)).astype(per_example[0].dtype)
    clipped = [Tensor(g.data * factor.reshape((n,) + (1,) * (g.ndim - 1))) for g in per_example]
    return clipped, Tensor(norms)


def dp_step(G, D, opt_G, opt_D, real: Tensor, noise: Callable[[int], Tensor], loss: str, *,
            noise_multiplier: float, max_grad_norm: float, expected_batch_size: float, batch_size: int,
            r1_gamma: float = 0.0, gp_lambda: float = 0.0, instance_noise: float = 0.0,
            g_step: bool = True) -> dict[str, Tensor]:
    """One private D update on the Poisson-sampled ``real`` batch (steps 2–4 above), then one G update
    (unless ``g_step`` is False: the first of n_critic D updates).

    ``batch_size`` is the size of G's own batch. Returns the statistics as Tensors (``d_loss``,
    ``real_out``, ``fake_out``, ``g_loss``, ``fake``, ``clip_fraction``: the share of clipped examples).
    """
    xp = backend.array_module(next(iter(D.parameters())).data)
    params = list(D.parameters())
    m = real.shape[0]

    def noisy(x):
        return x + randn(*x.shape, device=x.device) * instance_noise if instance_noise else x

    stats = {}
    if m > 0:
        fake = G(noise(m)).detach()

        def batch_loss():
            real_out, fake_out = D(noisy(real)), D(noisy(fake))
            stats.update(real_out=real_out.detach(), fake_out=fake_out.detach())
            total = losses.discriminator_loss(loss, real_out, fake_out)
            stats["d_loss"] = total.detach()
            if gp_lambda:
                total = total + losses.gradient_penalty(D, real, fake, gp_lambda)
            if r1_gamma:
                total = total + losses.r1_penalty(D, real, r1_gamma)
            return total

        clipped, norms = clipped_gradients(per_example_gradients(D, batch_loss, m), max_grad_norm)
        summed = [g.data.sum(axis=0) for g in clipped]
        stats["clip_fraction"] = Tensor((norms.data > max_grad_norm).mean(dtype=xp.float64))
    else:  # an empty Poisson sample: the update is noise alone
        summed = [xp.zeros_like(p.data) for p in params]
        zero = Tensor(xp.zeros(1, dtype=params[0].dtype))
        stats.update(real_out=zero, fake_out=zero, d_loss=Tensor(xp.zeros((), dtype=params[0].dtype)),
                     clip_fraction=Tensor(xp.zeros((), dtype=xp.float64)))
    std = noise_multiplier * max_grad_norm
    for p, s in zip(params, summed):
        p.grad = Tensor((s + randn(*p.shape, dtype=p.dtype, device=p.device).data * std) / expected_batch_size)
    opt_D.step()
    if not g_step:
        return dict(stats, g_loss=Tensor(xp.zeros((), dtype=params[0].dtype)), fake=real)

    fake = G(noise(batch_size))
    D.requires_grad_(False)
    g_loss = losses.generator_loss(loss, D(noisy(fake)))
    opt_G.zero_grad()
    g_loss.backward()
    D.requires_grad_(True)
    opt_G.step()
    return dict(stats, g_loss=g_loss.detach(), fake=fake.detach())


def train_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict:
    """Step ``t`` of a --dp run (the signature of ``minigan.gan.step.train_step``): n_critic private D
    updates (:func:`dp_step`) on Poisson samples of ``batches.data``, the last followed by G's update.

    The Poisson sample of update j in step t is drawn with a generator seeded by (seed, 6, t, j), so a resumed
    run draws the same batches without any state to save.
    """
    if config.lr_decay:
        decay_learning_rates(opt_G, opt_D, config, t)
    data = batches.data
    n = len(data)
    rate = min(1.0, config.batch_size / n)
    xp = backend.array_module(data)
    for j in range(config.n_critic):
        chosen = np.flatnonzero(np.random.default_rng([config.seed, 6, t, j]).random(n) < rate)
        stats = dp_step(G, D, opt_G, opt_D, Tensor(data[xp.asarray(chosen)]), lambda m: noise(m)[0], config.loss,
                        noise_multiplier=config.noise_multiplier, max_grad_norm=config.max_grad_norm,
                        expected_batch_size=rate * n, batch_size=config.batch_size, r1_gamma=config.r1_gamma,
                        gp_lambda=config.gp_lambda, instance_noise=config.instance_noise,
                        g_step=j == config.n_critic - 1)
    if G_ema is not None:
        update_ema(G_ema, G, t, config.ema_decay)
    return basic_statistics(stats, G, D, config.loss)


def prepare(config, dataset_size: int) -> Accountant:
    """The accountant of a --dp run; with ``target_epsilon`` set, first solve σ for it (written into
    ``config``, so the run folder records the σ used and a resumed run keeps it)."""
    rate = min(1.0, config.batch_size / dataset_size)
    if config.target_epsilon is not None:
        from ..privacy import noise_multiplier_for_epsilon

        config.noise_multiplier = noise_multiplier_for_epsilon(config.target_epsilon, rate,
                                                               config.steps * config.n_critic, config.delta)
        config.target_epsilon = None
    return Accountant(config.noise_multiplier, rate, config.delta)


def discriminator_norm(model: str, d_norm: str | None) -> str | None:
    """The D normalisation a --dp run uses: layer norm where the model's default is batch norm."""
    if d_norm == "batch":
        raise ValueError("--dp cannot use batch norm in D: it mixes the examples of a batch, so clipping each "
                         "example's gradient would not bound its influence on the update; use layer norm "
                         "(the default with --dp) or none")
    if d_norm is None and model in ("dcgan", "cgan"):
        return "layer"
    return d_norm


def check_config(config) -> None:
    """Refuse (ValueError) the settings a DP run does not support, naming each."""
    if not config.dp:
        return
    if not (config.noise_multiplier >= 0 and config.max_grad_norm > 0 and 0 < config.delta < 1):
        raise ValueError(f"--dp needs noise_multiplier ≥ 0, max_grad_norm > 0 and 0 < delta < 1, got "
                         f"{config.noise_multiplier}, {config.max_grad_norm}, {config.delta}")
    bad = {
        "loss relativistic": config.loss == "relativistic",
        "minibatch_std": config.minibatch_std,
        "spectral_norm": config.spectral_norm,
        "clip_value": bool(config.clip_value),
        "unrolled_steps": bool(config.unrolled_steps),
        "model cgan": config.model == "cgan",
        "critic_warmup": bool(config.critic_warmup),
        "augment": bool(config.augment),
    }
    for name, on in bad.items():
        if on:
            raise ValueError(f"--dp does not support {name} (its D update is not a sum of per-example terms, or "
                             "it is not implemented for private training)")
    discriminator_norm(config.model, config.d_norm)


class Accountant:
    """ε after T private D updates at rate q = batch_size / dataset_size: the RDP of one update is
    computed once, and T updates have T times it (``minigan.privacy``)."""

    def __init__(self, noise_multiplier: float, sample_rate: float, delta: float):
        from .. import privacy

        self.noise_multiplier, self.sample_rate, self.delta = noise_multiplier, sample_rate, delta
        self._privacy = privacy
        self._one = privacy.compute_rdp(noise_multiplier, sample_rate, 1)

    def epsilon(self, updates: int) -> float:
        if updates == 0:
            return 0.0
        return float(self._privacy.rdp_to_epsilon(self._one * updates, self.delta)[0])
