"""Progressive growing of GANs (Karras, Aila, Laine & Lehtinen, 2018), from 4×4 to 32×32 digits.

G and D start at 4×4 and grow a block at a time, 4 → 8 → 16 → 32. A new block is **faded in**: with α rising
linearly from 0 to 1 over a phase, the new resolution r's output is blended with the old one, upsampled,

    G_α(z) = (1 − α) · up(toRGB_old(h)) + α · toRGB_new(block(up(h)))             (h: the r/2 features)
    D_α(x) = rest((1 − α) · fromRGB_old(pool(x)) + α · block(fromRGB_new(x)))      (the mirror image)

so at α = 0 the grown G computes exactly what the smaller one did (upsampled), and training continues
without a jump. After each fade a **stabilisation** phase trains the grown networks at α = 1. The real
images are blended the same way, x_α = (1 − α)·up(pool(x_r)) + α·x_r, so that D compares like with like.

The schedule, with P = ``config.phase_steps``: 4×4 for P steps; then for each new resolution a fade of P
steps and a stabilisation of P steps (7P steps in all, then 32×32 at α = 1). It is a function of the step t
alone (:func:`progan_phase`), so it travels in the config and a resumed run continues mid-fade exactly;
G and D keep their (level, α) as buffers too, so a checkpoint knows its phase.

The paper's other ingredients:

* **Equalized learning rate**: every weight is stored as N(0, 1) and scaled at run time by He's constant,
  Ŵ = W · √2/√fan_in (``minigan.nn.equalized_lr``), so that Adam's step is the same for every layer.
* **Pixel norm** in G after every convolution: b_{x,y} = a_{x,y} / √(mean_c a²_{x,y} + 10⁻⁸).
* **Minibatch standard deviation** in D's last block: the std over the batch, averaged, as an extra map.
* **WGAN-GP with drift**: L_D = E D(G(z)) − E D(x) + λ E(‖∇D(x̂)‖ − 1)² + ε E D(x)², λ = 10, ε = 10⁻³;
  L_G = −E D(G(z)); Adam(lr 10⁻³, β = (0, 0.99)); one D step per G step; EMA of G (decay 0.999).

G's output is always 32×32 (the current resolution's image, nearest-upsampled), and D pools its 32×32
input down to the current resolution, so the run's samples, metrics and ``minigan sample`` need nothing
special; the samples are 32×32 in every phase, blocky early on. G's output is linear, as in the paper (no
tanh); :func:`sample_progan` clips the samples to the data's range [−1, 1], as the paper's image export does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Tensor
from ...ops import leaky_relu
from ...ops.pool import avg_pool2d, interpolate
from .. import losses
from ..augment import augmented
from ..sampling import generate_samples
from ..step import STATS, grad_norm, update_ema
from .blocks import MinibatchStdDev

__all__ = ["PROGAN_STATS", "ProGANDiscriminator", "ProGANGenerator", "build_progan", "fade_real", "progan_phase",
           "progan_step", "sample_progan"]

PROGAN_STATS = (*STATS, "level", "alpha")
LEVELS = 4  # 4, 8, 16, 32


def _eq(module: nn.Module, gain: float = 2 ** 0.5) -> nn.Module:
    return nn.equalized_lr(module, gain=gain)


def progan_phase(t: int, phase_steps: int, levels: int = LEVELS) -> tuple[int, float]:
    """(level, α) at step t: level 0 (4×4) for P steps, then per level a fade (α = (t − start)/P) and a
    stabilisation (α = 1), P steps each; after the last level's stabilisation, (levels − 1, 1)."""
    if phase_steps < 1:
        raise ValueError(f"progan_phase: phase_steps must be at least 1, got {phase_steps}")
    P = phase_steps
    if t < P:
        return 0, 1.0
    level, into = divmod(t - P, 2 * P)
    level += 1
    if level >= levels:
        return levels - 1, 1.0
    return level, (into / P if into < P else 1.0)


def _up(x: Tensor, factor: int) -> Tensor:
    return x if factor == 1 else interpolate(x, scale_factor=factor, mode="nearest")


def _pool(x: Tensor, factor: int) -> Tensor:
    return x if factor == 1 else avg_pool2d(x, factor)


class _Phased(nn.Module):
    """The (level, α) of a growing network, kept as buffers (so that they are in the state_dict)."""

    def _init_phase(self, image_size: int) -> None:
        xp = backend.array_module()
        self.image_size = image_size
        self.register_buffer("level", xp.zeros((), dtype=np.int64))
        self.register_buffer("alpha", xp.ones((), dtype=np.float32))

    def set_phase(self, level: int, alpha: float) -> None:
        if not 0 <= level < LEVELS or not 0.0 <= alpha <= 1.0:
            raise ValueError(f"{type(self).__name__}.set_phase: need level in 0..{LEVELS - 1} and α in [0, 1], "
                             f"got {level}, {alpha}")
        self.level.data[...] = level
        self.alpha.data[...] = alpha

    @property
    def phase(self) -> tuple[int, float]:
        return int(self.level.data), float(self.alpha.data)

    def resolution(self, level: int | None = None) -> int:
        return 4 * 2 ** (self.phase[0] if level is None else level)


class ProGANGenerator(_Phased):
    """z (N, nz) → (N, channels, 32, 32): the current phase's image, nearest-upsampled to 32×32."""

    def __init__(self, nz: int = 128, channels: int = 1, widths=(64, 64, 32, 16), image_size: int = 32):
        super().__init__()
        if image_size != 32 or len(widths) != LEVELS:
            raise ValueError(f"ProGANGenerator grows 4 → 32 in {LEVELS} levels; got image size {image_size} and "
                             f"{len(widths)} widths")
        self._init_phase(image_size)
        self.nz, self.channels, self.widths = nz, channels, tuple(widths)
        c0 = widths[0]
        self.dense = _eq(nn.Linear(nz, c0 * 16))          # the latent as a 4×4 map
        blocks = [nn.Sequential(_eq(nn.Conv2d(c0, c0, 3, padding=1)), nn.LeakyReLU(0.2), nn.PixelNorm())]
        for a, b in zip(widths[:-1], widths[1:]):
            blocks.append(nn.Sequential(nn.Upsample(scale_factor=2), _eq(nn.Conv2d(a, b, 3, padding=1)),
                                        nn.LeakyReLU(0.2), nn.PixelNorm(), _eq(nn.Conv2d(b, b, 3, padding=1)),
                                        nn.LeakyReLU(0.2), nn.PixelNorm()))
        self.blocks = nn.ModuleList(blocks)
        self.to_rgb = nn.ModuleList([_eq(nn.Conv2d(c, channels, 1), gain=1.0) for c in widths])
        self.pixel_norm = nn.PixelNorm()

    def forward_at(self, z: Tensor, level: int, alpha: float) -> Tensor:
        """The image at resolution 4·2^level (not upsampled), faded in with α."""
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"ProGANGenerator expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        h = self.dense(self.pixel_norm(z)).reshape(z.shape[0], self.widths[0], 4, 4)
        h = self.blocks[0](self.pixel_norm(leaky_relu(h, 0.2)))
        for lv in range(1, level):
            h = self.blocks[lv](h)
        if level == 0:
            return self.to_rgb[0](h)
        new = self.to_rgb[level](self.blocks[level](h))
        if alpha >= 1.0:
            return new
        return _up(self.to_rgb[level - 1](h), 2) * (1.0 - alpha) + new * alpha

    def forward(self, z: Tensor) -> Tensor:
        level, alpha = self.phase
        return _up(self.forward_at(z, level, alpha), self.image_size // self.resolution(level))


class ProGANDiscriminator(_Phased):
    """(N, channels, 32, 32) → one critic score per image (N,), judged at the current phase's resolution."""

    def __init__(self, channels: int = 1, widths=(64, 64, 32, 16), image_size: int = 32):
        super().__init__()
        if image_size != 32 or len(widths) != LEVELS:
            raise ValueError(f"ProGANDiscriminator grows 4 → 32 in {LEVELS} levels; got image size {image_size} "
                             f"and {len(widths)} widths")
        self._init_phase(image_size)
        self.channels, self.widths = channels, tuple(widths)
        self.from_rgb = nn.ModuleList([nn.Sequential(_eq(nn.Conv2d(channels, c, 1)), nn.LeakyReLU(0.2))
                                       for c in widths])
        blocks = [None]  # level 0 has the final block instead
        for a, b in zip(widths[:-1], widths[1:]):  # block l: c_l → c_{l−1}, halving the size
            blocks.append(nn.Sequential(_eq(nn.Conv2d(b, b, 3, padding=1)), nn.LeakyReLU(0.2),
                                        _eq(nn.Conv2d(b, a, 3, padding=1)), nn.LeakyReLU(0.2), nn.AvgPool2d(2)))
        self.blocks = nn.ModuleList(blocks[1:])  # blocks[l − 1] is level l's
        c0 = widths[0]
        self.final = nn.Sequential(MinibatchStdDev(), _eq(nn.Conv2d(c0 + 1, c0, 3, padding=1)), nn.LeakyReLU(0.2),
                                   _eq(nn.Conv2d(c0, c0, 4)), nn.LeakyReLU(0.2), nn.Flatten(),
                                   _eq(nn.Linear(c0, 1), gain=1.0))

    def forward_at(self, x: Tensor, level: int, alpha: float) -> Tensor:
        """The score of images x at resolution 4·2^level, with the new block faded in by α."""
        h = self.from_rgb[level](x)
        if level > 0:
            h = self.blocks[level - 1](h)
            if alpha < 1.0:
                h = self.from_rgb[level - 1](_pool(x, 2)) * (1.0 - alpha) + h * alpha
        for lv in range(level - 1, 0, -1):
            h = self.blocks[lv - 1](h)
        return self.final(h).reshape(-1)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"ProGANDiscriminator expects images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        level, alpha = self.phase
        return self.forward_at(_pool(x, self.image_size // self.resolution(level)), level, alpha)


def fade_real(x: Tensor, level: int, alpha: float, image_size: int = 32) -> Tensor:
    """Real 32×32 images as the phase shows them: pooled to r = 4·2^level, blended with their r/2 version
    during a fade, x_α = (1 − α)·up(pool(x_r)) + α·x_r, and nearest-upsampled back to 32×32."""
    r = 4 * 2 ** level
    x_r = _pool(x, image_size // r)
    if level > 0 and alpha < 1.0:
        x_r = _up(_pool(x_r, 2), 2) * (1.0 - alpha) + x_r * alpha
    return _up(x_r, image_size // r)


def build_progan(config, dataset) -> tuple[ProGANGenerator, ProGANDiscriminator]:
    """The growing pair for 32×32 images; channels (2w, 2w, w, w/2) at 4, 8, 16, 32 for w = ``config.width``."""
    if dataset.kind != "image":
        raise ValueError(f"the progan model needs image data, {dataset.name!r} is {dataset.kind}")
    w = config.width
    widths = (2 * w, 2 * w, w, max(1, w // 2))
    return (ProGANGenerator(config.nz, dataset.channels, widths, dataset.image_size),
            ProGANDiscriminator(dataset.channels, widths, dataset.image_size))


def progan_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict[str, Any]:
    """One ProGAN step at the phase of step t: a WGAN-GP critic update with drift, a generator update, EMA.

        L_D = E D(G(z)) − E D(x_α) + λ E(‖∇D(x̂)‖ − 1)² + ε E D(x_α)²,    L_G = −E D(G(z))
    """
    level, alpha = progan_phase(t, config.phase_steps)
    for net in (G, D) if G_ema is None else (G, D, G_ema):
        net.set_phase(level, alpha)
    judge = augmented(D, config.augment)  # D(T(x)): D itself without augmentation
    for _ in range(config.n_critic):
        real, _ = next(batches)
        real = fade_real(real, level, alpha)
        z, _ = noise(len(real))
        fake = G(z)
        real_out, fake_out = judge(real), judge(fake.detach())
        d_loss = fake_out.mean() - real_out.mean()
        if config.gp_lambda:
            d_loss = d_loss + losses.gradient_penalty(judge, real, fake, config.gp_lambda)
        if config.drift:
            d_loss = d_loss + (real_out * real_out).mean() * config.drift
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
    grad_norm_d = grad_norm(D)

    D.requires_grad_(False)
    g_loss = -judge(fake).mean()
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    if G_ema is not None:
        update_ema(G_ema, G, t, config.ema_decay)
    xp = backend.array_module(real.data)
    return {"d_loss": d_loss.data, "g_loss": g_loss.data, "d_real": real_out.data.mean(),
            "d_fake": fake_out.data.mean(), "grad_norm_g": grad_norm(G), "grad_norm_d": grad_norm_d,
            "diversity": fake.data.reshape(len(fake.data), -1).std(axis=0).mean(),
            "level": xp.asarray(level, dtype=xp.float32), "alpha": xp.asarray(alpha, dtype=xp.float32)}


def sample_progan(G, n: int, rng: np.random.Generator, num_classes=None, labels=None) -> np.ndarray:
    """``n`` samples of the generator at its current phase (32×32), clipped to [−1, 1]."""
    return np.clip(generate_samples(G, n, rng, num_classes=num_classes, labels=labels), -1.0, 1.0)
