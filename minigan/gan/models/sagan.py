"""SAGAN (Zhang, Goodfellow, Metaxas & Odena, 2019): a DCGAN-shaped pair with self-attention, spectral norm
in both networks, the hinge loss and the two time-scale update rule, scaled down to 32×32 digits.

Self-attention (``minigan.nn.SelfAttention2d``) lets every position of a feature map x (N, C, H, W) look at
every other one:

    q = W_q x,  k = W_k x  (C/8 channels),   v = W_v x  (C channels)
    β[i, j] = softmax_j (q_iᵀ k_j)                      (attention of position i on position j)
    o_i = Σ_j β[i, j] v_j,     y_i = γ · o_i + x_i       (γ a learned scalar, 0 at the start)

so a fresh block is the identity and the network learns how much non-local evidence to use; the paper
observes γ growing from 0 as training goes. Here the block sits at the 8×8 maps of G and of D (the paper's
best was 32×32 of 128×128 images, a quarter of the side; at 16×16 here one step costs 4× as much on a CPU).

Spectral normalisation (Miyato et al. 2018) divides every weight by its largest singular value σ(W)
(one power iteration per forward): W̄ = W / σ(W), so each layer is 1-Lipschitz. SAGAN applies it to G as
well as D, which the paper found stabilises G and allows fewer D steps per G step (one, here).

Hinge loss (Lim & Ye 2017; Tran et al. 2017), as in SAGAN's eq. (3):

    L_D = E_x[max(0, 1 − D(x))] + E_z[max(0, 1 + D(G(z)))],     L_G = −E_z[D(G(z))]

TTUR (Heusel et al. 2017): in the paper D learns faster than G, lr_D = 4·10⁻⁴, lr_G = 10⁻⁴, Adam β = (0, 0.9);
the command line's default uses equal rates, 2·10⁻⁴ each, which gave better digits here (``gan/config.py``).

Networks (base width w, 32×32 images):

    G: z (nz) → ConvT 4×4 → 4w×4×4 → ConvT ×2 → 2w×8×8 → attention → ConvT ×2 → w×16×16 → ConvT ×2 → 1×32×32
       (batch norm and ReLU after every hidden ConvT; the output is linear, clipped to [−1, 1] by the sampler)
    D: 1×32×32 → Conv ÷2 → w×16×16 → Conv ÷2 → 2w×8×8 → attention → Conv ÷2 → 4w×4×4 → Conv 4×4 → score
       (LeakyReLU(0.1) after every hidden Conv, as in the authors' code)

The family's step is the basic game (``minigan.gan.step.train_step``) with the hinge loss, plus the two γ's
in the statistics (:func:`sagan_step`), so history.csv shows the attention being switched on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ...autograd import Tensor
from ..sampling import generate_samples
from ..step import STATS, train_step
from .blocks import MinibatchStdDev

__all__ = ["SAGANDiscriminator", "SAGANGenerator", "SAGAN_STATS", "build_sagan", "sagan_step", "sample_sagan",
           "sn_attention"]

SAGAN_STATS = (*STATS, "gamma_g", "gamma_d")


def _sn(module: nn.Module) -> nn.Module:
    return nn.utils.spectral_norm(module)


def sn_attention(channels: int) -> nn.SelfAttention2d:
    """A self-attention block with spectral norm on its query, key and value 1×1 convolutions (as the paper)."""
    block = nn.SelfAttention2d(channels)
    for conv in (block.query, block.key, block.value):
        _sn(conv)
    return block


def _check_size(name: str, image_size: int) -> None:
    if image_size != 32:
        raise ValueError(f"{name} is built for 32×32 images (mnist32), got {image_size}×{image_size}")


class SAGANGenerator(nn.Module):
    """z (N, nz) → (N, channels, 32, 32), with self-attention at 8×8 and spectral norm throughout.

    The paper's G ends in tanh; this one's output is linear, as ProGAN's (:func:`sample_sagan` clips the
    samples to the data's range). With tanh, G collapsed to one saturated image within 200 steps on mnist32
    (here and in a PyTorch twin); with the linear output the same run's spread recovered (config.py).
    """

    def __init__(self, nz: int = 128, channels: int = 1, width: int = 32, image_size: int = 32):
        super().__init__()
        _check_size("SAGANGenerator", image_size)
        self.nz, self.channels, self.image_size = nz, channels, image_size
        w = width
        self.main = nn.Sequential(
            _sn(nn.ConvTranspose2d(nz, 4 * w, 4, 1, 0)), nn.BatchNorm2d(4 * w), nn.ReLU(),      # 4×4
            _sn(nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1)), nn.BatchNorm2d(2 * w), nn.ReLU(),   # 8×8
        )
        self.attention = sn_attention(2 * w)
        self.to_image = nn.Sequential(
            _sn(nn.ConvTranspose2d(2 * w, w, 4, 2, 1)), nn.BatchNorm2d(w), nn.ReLU(),           # 16×16
            _sn(nn.ConvTranspose2d(w, channels, 4, 2, 1)),                                      # 32×32
        )

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"SAGANGenerator expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        h = self.main(z.reshape(z.shape[0], self.nz, 1, 1))
        return self.to_image(self.attention(h))


class SAGANDiscriminator(nn.Module):
    """(N, channels, 32, 32) → one score per image (N,), self-attention at 8×8, spectral norm throughout."""

    def __init__(self, channels: int = 1, width: int = 32, image_size: int = 32, minibatch_std: bool = False):
        super().__init__()
        _check_size("SAGANDiscriminator", image_size)
        self.channels, self.image_size = channels, image_size
        w = width
        self.stem = nn.Sequential(
            _sn(nn.Conv2d(channels, w, 4, 2, 1)), nn.LeakyReLU(0.1),                            # 16×16
            _sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.1),                               # 8×8
        )
        self.attention = sn_attention(2 * w)
        std = [MinibatchStdDev()] if minibatch_std else []  # one more channel at 4×4
        self.main = nn.Sequential(
            _sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.1), *std,                     # 4×4
            _sn(nn.Conv2d(4 * w + len(std), 1, 4, 1, 0)),                                       # 1×1
        )

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"SAGANDiscriminator expects images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.main(self.attention(self.stem(x))).reshape(-1)


def build_sagan(config, dataset) -> tuple[SAGANGenerator, SAGANDiscriminator]:
    """The SAGAN pair for ``dataset`` (32×32 images) with ``config.nz`` and ``config.width``."""
    if dataset.kind != "image":
        raise ValueError(f"the sagan model needs image data, {dataset.name!r} is {dataset.kind}")
    size, channels = dataset.image_size, dataset.channels
    return (SAGANGenerator(config.nz, channels, config.width, size),
            SAGANDiscriminator(channels, config.width, size, minibatch_std=config.minibatch_std))


def sample_sagan(G, n: int, rng: np.random.Generator, num_classes=None, labels=None) -> np.ndarray:
    """``n`` samples of a SAGAN generator (eval mode), clipped to [−1, 1]."""
    return np.clip(generate_samples(G, n, rng, num_classes=num_classes, labels=labels), -1.0, 1.0)


def sagan_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict[str, Any]:
    """One step of the basic game (hinge loss by default), with the attention gains γ_G and γ_D."""
    stats = train_step(G, D, opt_G, opt_D, batches, noise, config, t, G_ema)
    stats["gamma_g"] = G.attention.gamma.data[0]
    stats["gamma_d"] = D.attention.gamma.data[0]
    return stats
