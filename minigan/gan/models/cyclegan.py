"""CycleGAN (Zhu et al. 2017): translation between two domains from *unpaired* images, by cycle consistency.

Two generators, G: A → B and F: B → A, and two discriminators, D_B (real b vs G(a)) and D_A (real a vs F(b)).
The full objective (their eq. 3, with the identity term of §5.2):

    L(G, F, D_A, D_B) = L_GAN(G, D_B) + L_GAN(F, D_A) + λ_cyc L_cyc(G, F) + λ_id L_id(G, F)
    L_cyc = E_a ‖F(G(a)) − a‖₁ + E_b ‖G(F(b)) − b‖₁           λ_cyc = 10
    L_id  = E_b ‖G(b) − b‖₁ + E_a ‖F(a) − a‖₁                 λ_id = 0.5 λ_cyc = 5

With unpaired data nothing ties G(a) to a particular b; the cycle term says that a → B → A must come back
to a, so G has to keep what F needs to reconstruct a (here: which digit it is). The adversarial terms are
least squares (their §4, from LSGAN): D minimises ½E[(D(y) − 1)²] + ½E[D(G(x))²], G minimises
½E[(D(G(x)) − 1)²]. D is updated from a **history pool** of the last 50 generated images (Shrivastava et
al. 2017): once the pool is full, each new fake is, with probability ½, swapped for a random older one
that D sees instead — so D does not forget what G used to do. Adam(2e-4, β₁ 0.5); the learning rate is
constant for the first half of training and decays linearly to 0 over the second (the paper: 100 + 100
epochs).

Networks, scaled from 256×256 (c7s1-64, d128, d256, 9 residual blocks, u128, u64, c7s1-3) to 28×28:

    ResNet G  reflect-pad 3, conv7 → w, IN, ReLU; conv3/2 → 2w (14); conv3/2 → 4w (7); R residual blocks
              [reflect-pad, conv3, IN, ReLU, reflect-pad, conv3, IN, + x]; two transposed conv3/2 (7 → 14
              → 28) with IN, ReLU; reflect-pad 3, conv7 → 1, tanh. (w 8 and R 3 by default; the paper: 64 and 9.)
              ``downsamplings`` 1 (or 0) keeps one (or none) of the stride-2 pairs: the residual blocks then
              work at 14×14 (28×28) on 2w (w) channels, a smaller receptive field for the same cost per block.
    D         the PatchGAN of ``pix2pix`` on one image, with instance norm (as the paper's D).
"""

from __future__ import annotations

from typing import Any

from ... import nn
from ...autograd import Tensor, no_grad
from ...creation import rand, zeros
from ...ops import concat
from .. import losses
from .pix2pix import PatchDiscriminator

__all__ = ["CYCLEGAN_STATS", "CycleDiscriminators", "CycleGenerators", "HistoryPool", "ResnetGenerator",
           "build_cyclegan", "cyclegan_step"]

CYCLEGAN_STATS = ("d_loss", "g_loss", "d_real", "d_fake", "cycle", "identity")


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(),
                                  nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator on (N, 1, 28, 28): ``downsamplings`` stride-2 convolutions (doubling the channels),
    R residual blocks, as many stride-2 transposed convolutions back to 28×28."""

    def __init__(self, width: int = 16, blocks: int = 3, channels: int = 1, downsamplings: int = 2):
        super().__init__()
        if downsamplings not in (0, 1, 2):
            raise ValueError(f"ResnetGenerator: downsamplings must be 0, 1 or 2 (residual blocks at 28, 14 or 7 "
                             f"pixels), got {downsamplings}")
        w, k = width, 2 ** downsamplings
        down, up = [], []
        for i in range(downsamplings):
            c = w * 2 ** i
            down += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU()]
            up = [nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(c),
                  nn.ReLU()] + up
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(channels, w, 7), nn.InstanceNorm2d(w), nn.ReLU(),
            *down, *[_Residual(k * w) for _ in range(blocks)], *up,
            nn.ReflectionPad2d(3), nn.Conv2d(w, channels, 7), nn.Tanh(),
        )
        self.shape_in = (channels, 28, 28)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.shape_in:
            raise ValueError(f"ResnetGenerator: expected input (N, {', '.join(map(str, self.shape_in))}), "
                             f"got {tuple(x.shape)}")
        return self.net(x)


class CycleGenerators(nn.Module):
    """The pair (G: A → B as ``a2b``, F: B → A as ``b2a``); ``forward`` is G, ``translate`` goes either way."""

    directions = ("a2b", "b2a")

    def __init__(self, width: int = 16, blocks: int = 3, downsamplings: int = 2):
        super().__init__()
        self.a2b = ResnetGenerator(width, blocks, downsamplings=downsamplings)
        self.b2a = ResnetGenerator(width, blocks, downsamplings=downsamplings)

    def forward(self, x: Tensor) -> Tensor:
        return self.a2b(x)

    def translate(self, x: Tensor, direction: str = "a2b") -> Tensor:
        if direction not in self.directions:
            raise ValueError(f"cyclegan: direction must be a2b or b2a, got {direction!r}")
        return self.a2b(x) if direction == "a2b" else self.b2a(x)


class HistoryPool(nn.Module):
    """The last ``size`` generated images (buffers, so a checkpoint keeps them); :meth:`query` as in the paper.

    While fewer than ``size`` are stored, every new image is stored and returned. Then each new image is,
    with probability ½, returned as it is, or else stored in the place of a random stored image, which is
    returned instead. The draws come from minigan's global generator (saved with every checkpoint).
    """

    def __init__(self, size: int, shape: tuple[int, ...]):
        super().__init__()
        self.size = size
        self.register_buffer("images", zeros(max(size, 1), *shape))
        self.register_buffer("count", zeros(1))

    def query(self, fake: Tensor) -> Tensor:
        if self.size == 0:
            return fake.detach()
        out = fake.data.copy()
        with no_grad():
            u = rand(2, len(out), device=fake.device).data  # one coin and one slot per image
        stored = self.images.data
        for i in range(len(out)):
            n = int(self.count.data[0])
            if n < self.size:
                stored[n] = out[i]
                self.count.data[0] = n + 1
            elif u[0, i] < 0.5:
                j = min(int(u[1, i] * self.size), self.size - 1)
                out[i], stored[j] = stored[j].copy(), out[i].copy()
        return Tensor(out)


class CycleDiscriminators(nn.Module):
    """D_A (judges domain A) and D_B (judges domain B), each with its history pool of generated images."""

    def __init__(self, width: int = 16, pool_size: int = 50, shape: tuple[int, ...] = (1, 28, 28)):
        super().__init__()
        self.d_a = PatchDiscriminator(1, width, norm="instance")
        self.d_b = PatchDiscriminator(1, width, norm="instance")
        self.pool_a = HistoryPool(pool_size, shape)
        self.pool_b = HistoryPool(pool_size, shape)

    def forward(self, x: Tensor) -> Tensor:
        """D_B(x): is x a real image of domain B."""
        return self.d_b(x)


def build_cyclegan(config: Any, dataset: Any):
    """(the generator pair, the discriminator pair) for ``config`` (``width``, ``residual_blocks``,
    ``downsamplings``, ``pool_size``)."""
    if dataset.shape_a != (1, 28, 28) or dataset.shape != (1, 28, 28):
        raise ValueError(f"cyclegan: expects 28×28 images on both sides (digits2mnist), got {dataset.name} with "
                         f"{dataset.shape_a} and {dataset.shape}")
    G = CycleGenerators(config.width, config.residual_blocks, config.downsamplings)
    G = nn.init.dcgan_init(G)  # N(0, 0.02²), as the paper
    G.task = dataset.name
    return G, nn.init.dcgan_init(CycleDiscriminators(config.width, config.pool_size))


def decay_after_half(opt_G, opt_D, config: Any, t: int) -> None:
    """lr_t = lr for t < steps/2, then lr · (steps − t) / (steps/2): linear to 0 over the second half."""
    half = config.steps / 2
    scale = min(1.0, max(0.0, (config.steps - t) / half)) if half else 1.0
    for opt, lr in ((opt_G, config.lr_g), (opt_D, config.lr_d)):
        for group in opt.param_groups:
            group["lr"] = lr * scale


def cyclegan_step(G, D, opt_G, opt_D, batches, noise, config: Any, t: int, G_ema=None) -> dict[str, Any]:
    """One CycleGAN step: both generators on the full objective, then both discriminators on pooled fakes."""
    if config.lr_decay:
        decay_after_half(opt_G, opt_D, config, t)
    a, b = next(batches)
    fake_b, fake_a = G.a2b(a), G.b2a(b)
    cycle = (G.b2a(fake_b) - a).abs().mean() + (G.a2b(fake_a) - b).abs().mean()
    identity = (G.a2b(b) - b).abs().mean() + (G.b2a(a) - a).abs().mean() if config.identity_lambda else cycle * 0
    D.requires_grad_(False)
    adversarial = (losses.generator_loss(config.loss, D.d_b(fake_b))
                   + losses.generator_loss(config.loss, D.d_a(fake_a)))
    g_loss = adversarial + config.cycle_lambda * cycle + config.identity_lambda * identity
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)

    real_b_out, pooled_b_out = D.d_b(b), D.d_b(D.pool_b.query(fake_b))
    real_a_out, pooled_a_out = D.d_a(a), D.d_a(D.pool_a.query(fake_a))
    d_loss = (losses.discriminator_loss(config.loss, real_b_out, pooled_b_out)
              + losses.discriminator_loss(config.loss, real_a_out, pooled_a_out))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    d_real = concat([real_a_out.detach().reshape(-1), real_b_out.detach().reshape(-1)]).data.mean()
    d_fake = concat([pooled_a_out.detach().reshape(-1), pooled_b_out.detach().reshape(-1)]).data.mean()
    return {"d_loss": d_loss.data, "g_loss": adversarial.data, "d_real": d_real, "d_fake": d_fake,
            "cycle": cycle.data, "identity": identity.data}
