"""DCGAN (Radford, Metz & Chintala, 2016), as in its reference code:

* no pooling: the generator upsamples with stride-2 transposed convolutions
  (kernel 4, padding 1: each doubles the size), the discriminator downsamples
  with stride-2 convolutions;
* batch normalisation in G and D, except G's output layer and D's input layer;
* ReLU in G with tanh at the output, LeakyReLU(0.2) in D;
* weights ~ N(0, 0.02²), BatchNorm scales ~ N(1, 0.02²) (``nn.init.dcgan_init``).

The first transposed convolution turns z (as an nz×1×1 image) into a start×start
map; start is 4 (7 for 28-pixel images), and each stride-2 layer doubles it:
8 = 4·2, 16 = 4·2², 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴. The discriminator mirrors
this and ends with a start×start convolution to a single score.

For a WGAN-GP critic, batch norm must go: the gradient penalty is taken per
sample, and batch norm mixes the samples of a batch (Gulrajani et al., 2017,
use layer norm). ``norm="layer"`` or ``"none"`` select that; spectral
normalisation (Miyato et al., 2018) and a minibatch-stddev feature (Karras et
al., 2018, a simple form of Salimans et al.'s minibatch discrimination) are
options of every discriminator.
"""

from __future__ import annotations

import math

from ... import nn
from ...autograd import Tensor
from .blocks import MinibatchStdDev, norm_layers, spectral

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "dcgan_plan"]


def dcgan_plan(image_size: int) -> tuple[int, int]:
    """(start, n) with image_size = start · 2ⁿ: start 7 for sizes like 28, else 4; n ≥ 1."""
    start = 7 if image_size % 7 == 0 else 4
    n = image_size // start
    if image_size < 8 or image_size % start or n & (n - 1):
        raise ValueError(f"DCGAN supports square images of 4·2ⁿ or 7·2ⁿ pixels (8, 14, 16, 28, 32, 64, ...), "
                         f"got {image_size}")
    return start, int(math.log2(n))


class DCGANGenerator(nn.Module):
    """z (N, nz) → start×start → ×2 per layer → (N, channels, image_size, image_size) in [−1, 1].

    ``width`` (ngf) is the channel count of the last hidden layer; each earlier
    layer has twice as many (64 px, width 64: 512 → 256 → 128 → 64 → channels).
    The layers and state_dict keys (``main.<i>.weight``) match the DCGAN reference
    code, whose generator takes z as (N, nz, 1, 1).
    """

    def __init__(self, nz: int = 100, image_size: int = 64, channels: int = 1, width: int = 64):
        super().__init__()
        self.nz, self.image_size, self.channels = nz, image_size, channels
        start, n = dcgan_plan(image_size)
        c = width * 2 ** (n - 1)
        layers = [nn.ConvTranspose2d(nz, c, start, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"DCGANGenerator expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


class DCGANDiscriminator(nn.Module):
    """(N, channels, size, size) → ÷2 per layer → start×start → one score per image (N,).

    ``width`` (ndf) is the channel count of the first layer, doubled at each
    later one. ``norm``: "batch" (DCGAN), "layer" or "none" (WGAN-GP critics);
    the first layer is never normalised. With batch norm the layers match the
    DCGAN reference code (no biases, same ``main.<i>`` state_dict keys, minus its
    final Sigmoid: this returns logits).
    """

    def __init__(self, image_size: int = 64, channels: int = 1, width: int = 64, norm: str = "batch",
                 spectral_norm: bool = False, minibatch_std: bool = False):
        super().__init__()
        self.image_size, self.channels = image_size, channels
        start, n = dcgan_plan(image_size)
        c, size, bias = width, image_size // 2, norm != "batch"  # DCGAN's convolutions have no bias
        layers = [spectral(nn.Conv2d(channels, c, 4, 2, 1, bias=bias), spectral_norm), nn.LeakyReLU(0.2)]
        for _ in range(n - 1):
            size //= 2
            conv = nn.Conv2d(c, c * 2, 4, 2, 1, bias=bias)
            layers += [spectral(conv, spectral_norm), *norm_layers(norm, c * 2, size), nn.LeakyReLU(0.2)]
            c *= 2
        if minibatch_std:
            layers.append(MinibatchStdDev())
            c += 1
        layers.append(spectral(nn.Conv2d(c, 1, start, 1, 0, bias=bias), spectral_norm))
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"DCGANDiscriminator expects images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.main(x).reshape(-1)
