"""SRGAN (Ledig et al. 2017): super-resolution by a residual generator, a perceptual content loss and a GAN.

The generator G maps a low-resolution image I_LR (here 7×7) to I_SR = G(I_LR) (28×28); the perceptual loss
(their eq. 3–5) is a content loss plus a small adversarial term,

    l_SR = l_X + 10⁻³ · l_Gen,
    l_X   = 1 / (W H C) Σ (φ(I_HR) − φ(G(I_LR)))²        (the "VGG loss": a feature map φ of a fixed network)
    l_Gen = Σ −log D(G(I_LR))                              (non-saturating; averaged over the batch here)

and D is trained on −log D(I_HR) − log(1 − D(G(I_LR))). φ here is **not VGG**: it is the deepest feature map
(32×4×4, the third convolution block) of the digits classifier minigan ships (``minigan.metrics.domain``,
trained on scikit-learn's digits, inputs resized to 16×16 bilinearly) — a stand-in for the VGG-19 network
of the paper, which knows nothing of digits and does not ship. As in the paper, G is first trained on the
pixel MSE alone (their SRResNet, ``pretrain_steps``), then with l_SR; Adam(β₁ 0.9), lr 10⁻⁴.

Sizes, scaled from the paper's 16 residual blocks of 64 channels on 4× upscaling of 96×96 crops:

    G   conv9×9 → C (PReLU) → B residual blocks [conv3 BN PReLU conv3 BN, + x] → conv3 BN, + the first
        features (the long skip) → 2 × [conv3 → 4C, PixelShuffle(2), PReLU] (7 → 14 → 28) → conv3×3 → tanh
        (the paper's last convolution is 9×9; at 28×28 that one layer cost more than the rest of G here)
    D   conv3 blocks C, C/s2, 2C, 2C/s2 (BN but on the first, LeakyReLU 0.2) 28 → 14 → 7, dense 128, dense 1
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...nn import functional as F
from ...ops.pool import interpolate
from .. import losses
from ..step import discriminator_means

__all__ = ["SRGAN_STATS", "SRDiscriminator", "SRGenerator", "build_srgan", "content_features", "srgan_step"]

SRGAN_STATS = ("d_loss", "g_loss", "d_real", "d_fake", "mse", "content")
CONTENT_LAYERS = 9  # the classifier's body up to the third block's activation: (N, 32, 4, 4)


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.PReLU(),
                                  nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRGenerator(nn.Module):
    """SRResNet: (N, 1, 7, 7) → (N, 1, 28, 28), B residual blocks and two pixel-shuffle (×2) upsamplings."""

    directions = ("a2b",)

    def __init__(self, width: int = 32, blocks: int = 4, channels: int = 1):
        super().__init__()
        c = width
        self.head = nn.Sequential(nn.Conv2d(channels, c, 9, padding=4), nn.PReLU())
        self.blocks = nn.Sequential(*[_Residual(c) for _ in range(blocks)])
        self.neck = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c))
        self.up = nn.Sequential(nn.Conv2d(c, 4 * c, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(),
                                nn.Conv2d(c, 4 * c, 3, padding=1), nn.PixelShuffle(2), nn.PReLU())
        self.tail = nn.Sequential(nn.Conv2d(c, channels, 3, padding=1), nn.Tanh())  # the paper: 9×9 (see above)
        self.shape_in = (channels, 7, 7)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.shape_in:
            raise ValueError(f"SRGenerator: expected input (N, {', '.join(map(str, self.shape_in))}), "
                             f"got {tuple(x.shape)}")
        h = self.head(x)
        return self.tail(self.up(h + self.neck(self.blocks(h))))

    def translate(self, x: Tensor, direction: str = "a2b") -> Tensor:
        if direction != "a2b":
            raise ValueError(f"srgan translates a2b only (low to high resolution), got {direction!r}")
        return self(x)


class SRDiscriminator(nn.Module):
    """(N, 1, 28, 28) → (N, 1) logits of "a real high-resolution image"."""

    def __init__(self, width: int = 32, channels: int = 1):
        super().__init__()
        c = width

        def block(cin, cout, stride, norm=True):
            layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1)]
            return layers + ([nn.BatchNorm2d(cout)] if norm else []) + [nn.LeakyReLU(0.2)]

        self.net = nn.Sequential(*block(channels, c, 1, norm=False), *block(c, c, 2), *block(c, 2 * c, 1),
                                 *block(2 * c, 2 * c, 2), nn.Flatten(), nn.Linear(2 * c * 7 * 7, 128),
                                 nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


@lru_cache(maxsize=2)
def _content_network(device: str):
    """A frozen copy of the shipped digits classifier's convolutional layers (eval mode, no weight gradients)."""
    from ...metrics.domain import load_classifier

    body = copy.deepcopy(load_classifier(device)).body
    layers = nn.Sequential(*[body[i] for i in range(CONTENT_LAYERS)])
    return layers.requires_grad_(False).eval()


def content_features(x: Tensor) -> Tensor:
    """φ(x): images (N, 1, 28, 28) in [−1, 1] resized to 16×16 (bilinear) through the digits CNN's conv blocks."""
    return _content_network(x.device)(interpolate(x, size=(16, 16), mode="bilinear", align_corners=False))


def build_srgan(config: Any, dataset: Any):
    """(G, D) of SRGAN for ``config`` (``width`` channels, ``residual_blocks`` B)."""
    if dataset.shape_a != (1, 7, 7) or dataset.shape != (1, 28, 28):
        raise ValueError(f"srgan: expects 7×7 inputs and 28×28 targets (mnist-sr4), got {dataset.name} with "
                         f"inputs {dataset.shape_a} and targets {dataset.shape}")
    G = SRGenerator(config.width, config.residual_blocks)
    G.task = dataset.name
    return G, SRDiscriminator(config.width)


def srgan_step(G, D, opt_G, opt_D, batches, noise, config: Any, t: int, G_ema=None) -> dict[str, Any]:
    """Step t: the pixel-MSE pre-training of G while t < pretrain_steps, then D's step and G's on l_SR."""
    lr_lo, hr = next(batches)
    sr = G(lr_lo)
    mse = F.mse_loss(sr, hr)
    if t < config.pretrain_steps:  # SRResNet: MSE only, D waits
        opt_G.zero_grad()
        mse.backward()
        opt_G.step()
        zero = mse.data * 0
        return {"d_loss": zero, "g_loss": zero, "d_real": zero, "d_fake": zero, "mse": mse.data, "content": zero}
    real_out, fake_out = D(hr), D(sr.detach())
    d_loss = losses.discriminator_loss(config.loss, real_out, fake_out)
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()

    D.requires_grad_(False)
    adversarial = losses.generator_loss(config.loss, D(sr))
    content = F.mse_loss(content_features(sr), content_features(hr).detach())
    g_loss = content + config.adv_weight * adversarial
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    return {"d_loss": d_loss.data, "g_loss": adversarial.data,
            **discriminator_means(config.loss, real_out, fake_out), "mse": mse.data, "content": content.data}
