"""StyleGAN's mechanisms (Karras, Laine & Aila, 2019, "v1"), in a generator for 32×32 digits.

**Mapping network** f: z → w, an MLP (here 4 layers; the paper's has 8) on the pixel-normed z, with an
equalized learning rate 100× smaller than the synthesis network's (lr multiplier 0.01):

    w = f(z / √(mean z² + 10⁻⁸)) ∈ W

**Synthesis network**: a learned constant c (C×4×4) is the input; every layer ℓ (two per resolution,
4, 8, 16, 32) adds **per-pixel noise** with a learned per-channel scale and is then normalised by
**AdaIN** with a style from an affine map A_ℓ of w:

    h ← h + s_ℓ ⊙ ε,  ε ~ N(0, 1) per pixel (one map per sample),  s_ℓ ∈ R^C starting at 0
    (y_s, y_b) = A_ℓ w,   AdaIN(h, w) = y_s ⊙ (h − μ(h)) / σ(h) + y_b       (per sample and channel)

**Style mixing** regularisation: for a fraction of the fake batches two latents z₁, z₂ are mapped to w₁,
w₂ and the layers before a random crossover ℓ* take w₁, the rest w₂, so that the network cannot assume
neighbouring styles are correlated. **Truncation** in W: w′ = w̄ + ψ(w − w̄), with w̄ the moving average
of w over training (a buffer, updated by the step, decay 0.995).

Loss: the non-saturating loss with R1 on the real data, γ = 10 (as the paper's FFHQ runs):
L_D = softplus(D(G(z))) + softplus(−D(x)) + γ/2 ‖∇D(x)‖², L_G = softplus(−D(G(z))).

D is ProGAN's at its final resolution (equalized LR, minibatch stddev), as in the paper.
Departures to fit a CPU: no progressive growing (the paper grows as ProGAN; here all of G trains at
32×32 from the start), a 4-layer mapping network, 64-d z and w, channels 4w-4w-2w-w.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Tensor, no_grad
from ...creation import randn
from ...ops import leaky_relu
from ...ops.pool import interpolate
from .. import losses
from ..augment import augmented
from ..sampling import generate_samples
from ..step import STATS, grad_norm, update_ema
from .progan import ProGANDiscriminator

__all__ = ["MappingNetwork", "NoiseInput", "STYLEGAN_STATS", "StyleGANGenerator", "build_stylegan",
           "sample_stylegan", "style_mixing_grid", "stylegan_step"]

STYLEGAN_STATS = (*STATS, "r1")
W_AVG_DECAY = 0.995


def _eq(module: nn.Module, gain: float = 2 ** 0.5, lr_multiplier: float = 1.0) -> nn.Module:
    return nn.equalized_lr(module, gain=gain, lr_multiplier=lr_multiplier)


class MappingNetwork(nn.Module):
    """z (N, nz) → w (N, w_dim): pixel norm, then ``depth`` equalized Linear + LeakyReLU(0.2) layers."""

    def __init__(self, nz: int = 64, w_dim: int = 64, depth: int = 4, lr_multiplier: float = 0.01):
        super().__init__()
        self.nz, self.w_dim = nz, w_dim
        layers: list[nn.Module] = [nn.PixelNorm()]
        for i in range(depth):
            layers += [_eq(nn.Linear(nz if i == 0 else w_dim, w_dim), lr_multiplier=lr_multiplier), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"MappingNetwork expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        return self.net(z)


class NoiseInput(nn.Module):
    """h + s ⊙ ε: one N(0, 1) map per sample, scaled per channel by the learned s (zeros at the start)."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(Tensor(backend.array_module().zeros(channels, dtype=np.float32)))

    def forward(self, h: Tensor, noise: Tensor | None = None) -> Tensor:
        n, c, hh, ww = h.shape
        if noise is None:
            noise = randn(n, 1, hh, ww, device=h.device)
        return h + self.weight.reshape(1, c, 1, 1) * noise


class _StyleLayer(nn.Module):
    """[conv 3×3] → noise → LeakyReLU(0.2) → AdaIN(·, w)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, conv: bool = True):
        super().__init__()
        self.conv = _eq(nn.Conv2d(c_in, c_out, 3, padding=1)) if conv else None
        self.noise = NoiseInput(c_out)
        self.adain = nn.AdaptiveInstanceNorm2d(c_out, w_dim)
        _eq(self.adain.style, gain=1.0)
        with no_grad():  # equalized_lr zeroed the bias; a fresh AdaIN starts as a plain instance norm: y_s = 1
            self.adain.style.bias.data[:c_out] = 1.0
        xp = backend.array_module()
        self.bias = nn.Parameter(Tensor(xp.zeros(c_out, dtype=np.float32)))

    def forward(self, h: Tensor, w: Tensor) -> Tensor:
        if self.conv is not None:
            h = self.conv(h)
        h = self.noise(h) + self.bias.reshape(1, -1, 1, 1)
        return self.adain(leaky_relu(h, 0.2), w)


class StyleGANGenerator(nn.Module):
    """z (N, nz) → (N, channels, 32, 32); ``forward(z)`` or ``synthesis(ws)`` with one w per layer."""

    def __init__(self, nz: int = 64, w_dim: int = 64, channels: int = 1, widths=(64, 64, 32, 16),
                 mapping_depth: int = 4, image_size: int = 32):
        super().__init__()
        if image_size != 32 or len(widths) != 4:
            raise ValueError(f"StyleGANGenerator makes 32×32 images from 4 resolutions, got {image_size} and "
                             f"{len(widths)} widths")
        self.nz, self.w_dim, self.channels, self.image_size = nz, w_dim, channels, image_size
        self.mapping = MappingNetwork(nz, w_dim, mapping_depth)
        xp = backend.array_module()
        self.const = nn.Parameter(Tensor(xp.ones((1, widths[0], 4, 4), dtype=np.float32)))
        layers = [_StyleLayer(widths[0], widths[0], w_dim, conv=False), _StyleLayer(widths[0], widths[0], w_dim)]
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [_StyleLayer(a, b, w_dim), _StyleLayer(b, b, w_dim)]
        self.layers = nn.ModuleList(layers)
        self.num_layers = len(layers)
        self.to_rgb = _eq(nn.Conv2d(widths[-1], channels, 1), gain=1.0)
        self.register_buffer("w_avg", xp.zeros(w_dim, dtype=np.float32))

    def synthesis(self, ws: Tensor) -> Tensor:
        """ws (N, num_layers, w_dim): layer ℓ's AdaIN takes ws[:, ℓ]."""
        if ws.ndim != 3 or tuple(ws.shape[1:]) != (self.num_layers, self.w_dim):
            raise ValueError(f"StyleGANGenerator.synthesis expects styles of shape (N, {self.num_layers}, "
                             f"{self.w_dim}), got {tuple(ws.shape)}")
        n = ws.shape[0]
        h = self.const * Tensor(backend.array_module(ws.data).ones((n, 1, 1, 1), dtype=np.float32))
        for i, layer in enumerate(self.layers):
            if i >= 2 and i % 2 == 0:
                h = interpolate(h, scale_factor=2, mode="nearest")
            h = layer(h, ws[:, i])
        return self.to_rgb(h)

    def truncate(self, w: Tensor, psi: float) -> Tensor:
        """w′ = w̄ + ψ (w − w̄)."""
        w_avg = Tensor(self.w_avg.data.reshape(1, -1))
        return w_avg + (w - w_avg) * psi

    def broadcast(self, w: Tensor) -> Tensor:
        """(N, w_dim) → (N, num_layers, w_dim): the same style at every layer."""
        n = w.shape[0]
        ones = Tensor(backend.array_module(w.data).ones((1, self.num_layers, 1), dtype=np.float32))
        return w.reshape(n, 1, self.w_dim) * ones

    def mix(self, w1: Tensor, w2: Tensor, crossover: int) -> Tensor:
        """Layers < crossover take w1, the rest w2: (N, num_layers, w_dim)."""
        xp = backend.array_module(w1.data)
        mask = Tensor((xp.arange(self.num_layers) < crossover).astype(np.float32).reshape(1, -1, 1))
        return self.broadcast(w1) * mask + self.broadcast(w2) * (1.0 - mask)

    def forward(self, z: Tensor, psi: float = 1.0) -> Tensor:
        w = self.mapping(z)
        if psi != 1.0:
            w = self.truncate(w, psi)
        return self.synthesis(self.broadcast(w))


def build_stylegan(config, dataset) -> tuple[StyleGANGenerator, ProGANDiscriminator]:
    """StyleGAN's G and ProGAN's D at 32×32; channels (4w, 4w, 2w, w) for w = ``config.width``."""
    if dataset.kind != "image":
        raise ValueError(f"the stylegan model needs image data, {dataset.name!r} is {dataset.kind}")
    w = config.width
    widths = (4 * w, 4 * w, 2 * w, w)
    D = ProGANDiscriminator(dataset.channels, widths, dataset.image_size)
    D.set_phase(3, 1.0)
    return StyleGANGenerator(config.nz, config.nz, dataset.channels, widths, image_size=dataset.image_size), D


def stylegan_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict[str, Any]:
    """One StyleGAN step: D with the non-saturating loss and R1 on reals; G on (sometimes mixed) styles;
    w̄ ← 0.995 w̄ + 0.005 mean(w); EMA of G."""
    real, _ = next(batches)
    n = len(real)
    z1, _ = noise(n)
    w1 = G.mapping(z1)
    if config.style_mixing and float(np.random.default_rng([config.seed, 7, t]).random()) < config.style_mixing:
        z2, _ = noise(n)
        crossover = int(np.random.default_rng([config.seed, 8, t]).integers(1, G.num_layers))
        ws = G.mix(w1, G.mapping(z2), crossover)
    else:
        ws = G.broadcast(w1)
    with no_grad():
        G.w_avg.data[...] = W_AVG_DECAY * G.w_avg.data + (1 - W_AVG_DECAY) * w1.data.mean(axis=0)
    fake = G.synthesis(ws)
    judge = augmented(D, config.augment)  # D(T(x)): D itself without augmentation
    real_out, fake_out = judge(real), judge(fake.detach())
    d_loss = losses.discriminator_loss("nonsaturating", real_out, fake_out)
    r1 = losses.r1_penalty(judge, real, config.r1_gamma) if config.r1_gamma else None
    total = d_loss + r1 if r1 is not None else d_loss
    opt_D.zero_grad()
    total.backward()
    opt_D.step()
    grad_norm_d = grad_norm(D)

    D.requires_grad_(False)
    g_loss = losses.generator_loss("nonsaturating", judge(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    if G_ema is not None:
        update_ema(G_ema, G, t, config.ema_decay)  # buffers (w̄) are copied
    return {"d_loss": d_loss.data, "g_loss": g_loss.data, "d_real": real_out.data.mean(),
            "d_fake": fake_out.data.mean(), "grad_norm_g": grad_norm(G), "grad_norm_d": grad_norm_d,
            "diversity": fake.data.reshape(n, -1).std(axis=0).mean(), "r1": 0.0 if r1 is None else r1.data}


def sample_stylegan(G, n: int, rng: np.random.Generator, num_classes=None, labels=None, truncation: float | None = None,
                    batch: int = 500) -> np.ndarray:
    """``n`` samples (eval mode), with the truncation trick w′ = w̄ + ψ(w − w̄) when ``truncation`` = ψ is given."""
    if labels is not None:
        raise ValueError("labels were given but the stylegan model is not conditional")
    psi = 1.0 if truncation is None else float(truncation)
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"the truncation ψ of stylegan must be in [0, 1], got {psi}")
    return np.clip(generate_samples(G, n, rng, batch=batch, psi=psi), -1.0, 1.0)


def style_mixing_grid(G, rows: int, cols: int, crossover: int, rng: np.random.Generator) -> np.ndarray:
    """A (rows + 1) × (cols + 1) grid: the top row the "source" images (styles after the crossover), the left
    column the "destination" images (styles before it), cell (i, j) the mix — coarse styles from row i's
    latent, fine styles from column j's. Returns (rows + 1)·(cols + 1) images, blank at the corner."""
    xp = backend.xp_for(next(G.parameters()).device)
    za = Tensor(xp.asarray(rng.standard_normal((rows, G.nz)).astype(np.float32)))
    zb = Tensor(xp.asarray(rng.standard_normal((cols, G.nz)).astype(np.float32)))
    G.eval()
    with no_grad():
        wa, wb = G.mapping(za), G.mapping(zb)
        top = G.synthesis(G.broadcast(wb)).numpy()
        left = G.synthesis(G.broadcast(wa)).numpy()
        cells = []
        for i in range(rows):
            wi = Tensor(xp.repeat(wa.data[i:i + 1], cols, axis=0))
            cells.append(G.synthesis(G.mix(wi, wb, crossover)).numpy())
    G.train()
    blank = -np.ones_like(top[:1])
    grid = [blank, top] + [np.concatenate([left[i:i + 1], cells[i]]) for i in range(rows)]
    return np.clip(np.concatenate(grid), -1.0, 1.0)
