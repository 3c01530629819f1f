"""pix2pix (Isola et al. 2017): a conditional GAN from paired images, U-Net generator, PatchGAN discriminator.

The objective (their eq. 1–4), with x the input image (an edge map), y its target (the digit) and z the
generator's noise, which — as in the paper — is only the dropout inside G:

    L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_{x,z}[log(1 − D(x, G(x, z)))]
    L_L1(G)     = E_{x,y,z}[‖y − G(x, z)‖₁]
    G* = arg min_G max_D  L_cGAN(G, D) + λ L_L1(G),   λ = 100

D judges the *pair* (input and output, stacked as channels), so it can tell an output that does not fit its
input. Its output is a map of logits, one per overlapping patch ("PatchGAN"): each says whether that patch of
the pair looks real, and the losses average over patches. As in the paper, G minimises −log D(x, G(x, z))
(the non-saturating form) plus λ·L1, D's objective is halved ("we divide the objective by 2 while optimizing
D, which slows down the rate at which D learns"), and both use Adam(2e-4, β₁ 0.5).

The paper keeps dropout (and batch statistics) on at test time; minigan translates in eval mode (no dropout,
the running statistics), so that a checkpoint gives one answer per input.

One step (their §3.3): draw pairs (x, y); ŷ = G(x); update D on ½ loss_D(D(x, y), D(x, ŷ)); update G on
loss_G(D(x, ŷ)) + λ·mean|y − ŷ|.

Sizes, scaled from the paper's 256×256 to 28×28 digits (the paper's layer pattern, fewer and narrower layers):

    U-Net G   28 →(C32)→ 14 →(C64)→ 7 →(C128)→ 4 →(C128)→ 2  then back up, each decoder layer taking the
              mirror encoder layer's output beside its input (the skips): 2 → 4 → 7 → 14 → 28, tanh.
              Dropout 0.5 on the first two decoder layers (the paper: the first three of eight).
    PatchGAN  (x, y) 2×28×28 →(C32, s2)→ 14 →(C64, s2)→ 7 →(C1, s1)→ 6×6 logits; each logit sees a
              22×22 patch (the paper's 70×70 patches on 256×256 images cover a smaller part of the image).
"""

from __future__ import annotations

from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops import concat
from .. import losses
from ..step import discriminator_means

__all__ = ["PIX2PIX_STATS", "PatchDiscriminator", "UNetGenerator", "build_pix2pix", "pix2pix_step"]

PIX2PIX_STATS = ("d_loss", "g_loss", "d_real", "d_fake", "l1")


def _down(cin: int, cout: int, k: int, norm: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride=2, padding=1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def _up(cin: int, cout: int, k: int, dropout: bool = False) -> nn.Sequential:
    layers = [nn.ConvTranspose2d(cin, cout, k, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout)]
    if dropout:
        layers.append(nn.Dropout(0.5))
    return nn.Sequential(*layers, nn.ReLU())


class UNetGenerator(nn.Module):
    """The U-Net of pix2pix on (N, 1, 28, 28): an encoder, a decoder, and skips between mirror layers.

    Encoder e1..e4 (LeakyReLU 0.2, batch norm but on e1 and e4): 28 → 14 → 7 → 4 → 2. Decoder (ReLU, batch
    norm): d4: 2 → 4, d3: [d4, e3] 4 → 7, d2: [d3, e2] 7 → 14, out: [d2, e1] 14 → 28 with tanh.
    """

    directions = ("a2b",)  # what translate() maps

    def __init__(self, width: int = 32, channels: int = 1, dropout: bool = True):
        super().__init__()
        w = width
        self.e1 = _down(channels, w, 4, norm=False)
        self.e2 = _down(w, 2 * w, 4)
        self.e3 = _down(2 * w, 4 * w, 3)
        self.e4 = nn.Sequential(nn.Conv2d(4 * w, 4 * w, 4, stride=2, padding=1), nn.ReLU())  # innermost: no norm
        self.d4 = _up(4 * w, 4 * w, 4, dropout)
        self.d3 = _up(8 * w, 2 * w, 3, dropout)
        self.d2 = _up(4 * w, w, 4)
        self.out = nn.Sequential(nn.ConvTranspose2d(2 * w, channels, 4, stride=2, padding=1), nn.Tanh())
        self.shape_in = (channels, 28, 28)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.shape_in:
            raise ValueError(f"UNetGenerator: expected input (N, {', '.join(map(str, self.shape_in))}), "
                             f"got {tuple(x.shape)}")
        e1 = self.e1(x)
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        d = self.d4(self.e4(e3))
        d = self.d3(concat([d, e3], axis=1))
        d = self.d2(concat([d, e2], axis=1))
        return self.out(concat([d, e1], axis=1))

    def translate(self, x: Tensor, direction: str = "a2b") -> Tensor:
        if direction != "a2b":
            raise ValueError(f"pix2pix translates a2b only (its generator maps inputs to targets), got {direction!r}")
        return self(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN on a pair or a single image: (N, in_channels, 28, 28) → (N, 1, 6, 6) logits, one per patch.

    C32 (stride 2, no norm) → C64 (stride 2, batch norm, or instance norm with ``norm="instance"``) → a
    4×4 convolution to one logit per position; LeakyReLU(0.2) between.
    """

    def __init__(self, in_channels: int = 2, width: int = 32, norm: str = "batch"):
        super().__init__()
        norm_layer = nn.InstanceNorm2d(2 * width, affine=True) if norm == "instance" else nn.BatchNorm2d(2 * width)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False), norm_layer, nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 4, stride=1, padding=1),
        )
        self.in_channels = in_channels

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """D(x, y) on the pair stacked as channels (pix2pix), or D(x) on one image (CycleGAN)."""
        h = x if y is None else concat([x, y], axis=1)
        if h.ndim != 4 or h.shape[1] != self.in_channels:
            raise ValueError(f"PatchDiscriminator: expected {self.in_channels} input channel(s) in all, "
                             f"got shape {tuple(h.shape)}")
        return self.net(h)


def build_pix2pix(config: Any, dataset: Any):
    """(G, D) of pix2pix for ``config`` (``width``: G's and D's base channels; ``dropout`` in G)."""
    if dataset.shape_a != (1, 28, 28) or dataset.shape != (1, 28, 28):
        raise ValueError(f"pix2pix: expects 28×28 inputs and targets (edges2mnist), got {dataset.name} with "
                         f"inputs {dataset.shape_a} and targets {dataset.shape}")
    G = nn.init.dcgan_init(UNetGenerator(config.width, dropout=config.dropout))  # N(0, 0.02²), as the paper
    G.task = dataset.name  # what translation_sample draws its inputs from
    return G, nn.init.dcgan_init(PatchDiscriminator(2, config.width))


def pix2pix_step(G, D, opt_G, opt_D, batches, noise, config: Any, t: int, G_ema=None) -> dict[str, Any]:
    """One pix2pix step (see the module doc): D on ½ its cGAN loss, then G on cGAN + λ·L1."""
    x, y = next(batches)
    fake = G(x)
    real_out = D(x, y)
    fake_out = D(x, fake.detach())
    d_loss = 0.5 * losses.discriminator_loss(config.loss, real_out, fake_out)
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()

    D.requires_grad_(False)  # G's loss needs no gradients for D's weights
    adversarial = losses.generator_loss(config.loss, D(x, fake))
    l1 = (fake - y).abs().mean()
    g_loss = adversarial + config.l1_lambda * l1
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    return {"d_loss": d_loss.data, "g_loss": adversarial.data,
            **discriminator_means(config.loss, real_out, fake_out), "l1": l1.data}
