"""BigGAN's tricks (Brock, Donahue & Simonyan, 2019) in a class-conditional GAN small enough for 32×32 digits.

**Class-conditional batch norm from a shared embedding.** G has one class embedding e = E[y] (shared by all
its layers); every batch norm of G takes its gain and bias from e through two linear maps of its own
(spectrally normalised, as the authors' code does in a spectrally normalised G):

    BN(h | y) = (1 + W_γ e) ⊙ (h − μ_B) / √(σ²_B + ε) + W_β e          (μ_B, σ²_B the batch statistics)

**Projection discriminator** (Miyato & Koyama, 2018). With φ(x) the features of D's last block (after ReLU,
summed over the positions) and an embedding V of the classes,

    D(x, y) = ψ(φ(x)) + V[y] · φ(x)

the second term is the inner product that the log-density ratio log p(x | y)/q(x | y) takes for a
log-linear model of the class given the features.

**Hierarchical latent space** ("skip-z"): z is split into four equal chunks z₀…z₃; z₀ feeds the first linear
layer and each of the three conditional batch norms k gets its own chunk beside the class embedding, so
the noise reaches every resolution directly:

    BN_k(h | y, z) = (1 + W_γ [e, z_k]) ⊙ BN(h) + W_β [e, z_k]

**Orthogonal regularisation** of G's weights, with W the (rows, rest) matrix of a weight (one row per
output filter, as in the authors' code; rows·cols ≥ 2 weights only, the shared embedding excluded):

    R_β(W) = β ‖W Wᵀ ⊙ (1 − I)‖²_F,     β = 10⁻⁴

which pushes different filters towards orthogonality but (unlike β‖WWᵀ − I‖²) leaves their norms free; it
makes G smooth enough for the truncation trick. Added to G's loss (gradients through autograd).

**EMA of G's weights** (the samples come from θ_ema ← β θ_ema + (1 − β) θ) and the **truncation trick**:
at sampling time z ~ N(0, I) with every entry |z_i| > t drawn again, so z lies in [−t, t]ⁿ; a smaller t
trades variety for fidelity.

**Standing statistics** (the authors' sampling, their appendix C.1): G's batch norms run, in eval mode, on
running means and variances; those the training keeps are of the raw G's batches, not of the averaged
weights' activations, and they do not fit the EMA generator (measured: its samples then hardly depend on z).
Before sampling, :func:`standing_statistics` resets them and accumulates plain averages over
``STANDING_BATCHES`` batches of G's own forward passes (batch-norm layers in train mode, nothing else), on
the noise of the sampling (truncated as it is):

    μ = (1/K) Σ_k μ_k,   σ² = (1/K) Σ_k σ²_k          (μ_k, σ²_k: batch k's per-channel statistics)

BigGAN also keeps SAGAN's pieces: spectral norm in G and D, self-attention (at 8×8 here), the hinge loss.
One departure: G's first linear layer (z₀ → 4w×4×4) has no spectral norm. With σ(W) = 1 a 32-d chunk spread
over 2,048 units gives each unit a z-variance of about 1/64, no more than its bias's variation over the
positions, and the batch norm after it weighs both alike: G learned to ignore z, one image per class
(measured on mnist32, mean distance between 30 samples of one class after 600 steps: 3.4 with spectral norm
on this layer, 9.8 without, 17–20 between real digits of a class).

Networks (base width w, nz noise, DCGAN-shaped rather than residual, to fit a CPU):

    G: z₀ → Linear → 4w×4×4 → [CBN, ReLU, SN-ConvT ×2] → 2w×8×8 → attention → [CBN, ReLU, SN-ConvT ×2]
       → w×16×16 → [CBN, ReLU, SN-ConvT ×2] → 1×32×32, linear (as SAGANGenerator's; the sampler clips)
    D: 1×32×32 → SN-Conv ÷2 → w×16×16 → SN-Conv ÷2 → 2w×8×8 → attention → SN-Conv ÷2 → 4w×4×4 → ReLU → Σ → φ
       D(x, y) = SN-Linear(φ) + SN-Embedding(y) · φ
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Tensor, no_grad
from ...ops import concat, relu
from .. import losses
from ..augment import augmented
from ..sampling import generate_samples
from ..step import STATS, grad_norm, update_ema
from .sagan import sn_attention

__all__ = ["BIGGAN_STATS", "BigGANDiscriminator", "BigGANGenerator", "ConditionalBatchNorm2d", "biggan_step",
           "build_biggan", "orthogonal_regularization", "sample_biggan", "standing_statistics", "truncated_normal"]

BIGGAN_STATS = (*STATS, "ortho")
STANDING_BATCHES, STANDING_BATCH_SIZE = 16, 100
Z_CHUNKS = 4  # z → the first linear layer and the three conditional batch norms


def _sn(module: nn.Module) -> nn.Module:
    return nn.utils.spectral_norm(module)


def _labels(labels, like: Tensor) -> Tensor:
    if isinstance(labels, Tensor):
        return labels
    return Tensor(backend.array_module(like.data).asarray(labels))


class ConditionalBatchNorm2d(nn.Module):
    """BN(h | e) = (1 + gain(e)) ⊙ BN(h) + bias(e): batch norm without its own affine, whose per-sample gain and
    bias are linear maps of a conditioning vector e (N, embed_dim) — in BigGAN the class embedding and a chunk
    of z. Both maps start at 0 (a plain batch norm), or, with ``spectral_norm`` (BigGAN's G), at Linear's
    default initialisation with spectral norm on each (σ(0) would be 0): the conditioning then moves gain and
    bias by at most ‖e‖ per sample, at the rate of the other normalised layers."""

    def __init__(self, num_features: int, embed_dim: int, spectral_norm: bool = False):
        super().__init__()
        self.num_features = num_features
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gain = nn.Linear(embed_dim, num_features, bias=False)
        self.bias = nn.Linear(embed_dim, num_features, bias=False)
        if spectral_norm:
            _sn(self.gain), _sn(self.bias)
        else:
            nn.init.zeros_(self.gain.weight), nn.init.zeros_(self.bias.weight)

    def forward(self, h: Tensor, e: Tensor) -> Tensor:
        n, c = h.shape[0], self.num_features
        return (self.gain(e) + 1.0).reshape(n, c, 1, 1) * self.bn(h) + self.bias(e).reshape(n, c, 1, 1)


class BigGANGenerator(nn.Module):
    """G(z, y): z (N, nz) and class labels (N,) → (N, channels, 32, 32), a linear output (the sampler clips).
    z is split into :data:`Z_CHUNKS` chunks (the hierarchical latent space), so nz must be a multiple of 4."""

    def __init__(self, nz: int = 128, num_classes: int = 10, channels: int = 1, width: int = 32,
                 embed_dim: int = 32, image_size: int = 32):
        super().__init__()
        if image_size != 32:
            raise ValueError(f"BigGANGenerator is built for 32×32 images (mnist32), got {image_size}×{image_size}")
        if nz % Z_CHUNKS:
            raise ValueError(f"BigGANGenerator splits z into {Z_CHUNKS} chunks: nz must be a multiple of "
                             f"{Z_CHUNKS}, got {nz}")
        self.nz, self.num_classes, self.channels, self.width = nz, num_classes, channels, width
        w, chunk = width, nz // Z_CHUNKS
        self.embed = nn.Embedding(num_classes, embed_dim)  # the shared class embedding
        self.linear = nn.Linear(chunk, 4 * w * 16)  # no spectral norm here (see the module docstring)

        def cbn(c: int) -> ConditionalBatchNorm2d:  # each batch norm sees [e, z_k]
            return ConditionalBatchNorm2d(c, embed_dim + chunk, spectral_norm=True)

        self.bn1, self.up1 = cbn(4 * w), _sn(nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1))
        self.attention = sn_attention(2 * w)
        self.bn2, self.up2 = cbn(2 * w), _sn(nn.ConvTranspose2d(2 * w, w, 4, 2, 1))
        self.bn3, self.up3 = cbn(w), _sn(nn.ConvTranspose2d(w, channels, 4, 2, 1))

    def forward(self, z: Tensor, labels) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"BigGANGenerator expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        e = self.embed(_labels(labels, self.embed.weight))
        c = self.nz // Z_CHUNKS
        z0, z1, z2, z3 = (z[:, k * c:(k + 1) * c] for k in range(Z_CHUNKS))
        h = self.linear(z0).reshape(z.shape[0], 4 * self.width, 4, 4)
        h = self.attention(self.up1(relu(self.bn1(h, concat([e, z1], axis=1)))))    # 8×8
        h = self.up2(relu(self.bn2(h, concat([e, z2], axis=1))))                    # 16×16
        return self.up3(relu(self.bn3(h, concat([e, z3], axis=1))))                 # 32×32, linear


class BigGANDiscriminator(nn.Module):
    """D(x, y) = ψ(φ(x)) + V[y]·φ(x): (N, channels, 32, 32) and labels (N,) → one score per image (N,)."""

    def __init__(self, num_classes: int = 10, channels: int = 1, width: int = 32, image_size: int = 32):
        super().__init__()
        if image_size != 32:
            raise ValueError(f"BigGANDiscriminator is built for 32×32 images (mnist32), got {image_size}×{image_size}")
        self.num_classes, self.channels, self.image_size = num_classes, channels, image_size
        w = width
        self.stem = nn.Sequential(_sn(nn.Conv2d(channels, w, 4, 2, 1)), nn.ReLU(),
                                  _sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.ReLU())          # 8×8
        self.attention = sn_attention(2 * w)
        self.block = _sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1))                              # 4×4
        self.psi = _sn(nn.Linear(4 * w, 1))
        self.embed = _sn(nn.Embedding(num_classes, 4 * w))                               # V

    def features(self, x: Tensor) -> Tensor:
        """φ(x) (N, 4w): the last block's ReLU features summed over the positions."""
        return relu(self.block(self.attention(self.stem(x)))).sum(axis=(2, 3))

    def forward(self, x: Tensor, labels) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"BigGANDiscriminator expects images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        phi = self.features(x)
        projection = (self.embed(_labels(labels, phi)) * phi).sum(axis=1)
        return self.psi(phi).reshape(-1) + projection


def build_biggan(config, dataset) -> tuple[BigGANGenerator, BigGANDiscriminator]:
    """The BigGAN pair for a labelled 32×32 image data set, with ``config.nz`` and ``config.width``."""
    if dataset.kind != "image" or dataset.labels is None:
        raise ValueError(f"the biggan model needs labelled images, {dataset.name!r} is {dataset.kind}"
                         + ("" if dataset.labels is not None else " without labels"))
    k, size, channels = dataset.num_classes, dataset.image_size, dataset.channels
    return (BigGANGenerator(config.nz, k, channels, config.width, image_size=size),
            BigGANDiscriminator(k, channels, config.width, size))


def orthogonal_regularization(G: nn.Module, beta: float, skip=("embed.weight",)) -> Tensor:
    """Σ_W β ‖W Wᵀ ⊙ (1 − I)‖²_F over G's weights with ≥ 2 dimensions (W reshaped to (shape[0], −1)),
    the parameters named in ``skip`` left out (the shared class embedding, as BigGAN's code).

    Computed without the big Gram matrix when W has more rows than columns: the off-diagonal part is the
    whole minus the diagonal, ‖W Wᵀ‖²_F − Σ_i ‖w_i‖⁴, and ‖W Wᵀ‖²_F = ‖Wᵀ W‖²_F (both are Σ σ⁴).
    """
    total = None
    for name, p in G.named_parameters():
        if p.ndim < 2 or name in skip:
            continue
        w = p.reshape(p.shape[0], -1)
        row_sq = (w * w).sum(axis=1)                    # ‖w_i‖², the diagonal of W Wᵀ
        gram = w.T @ w if w.shape[0] > w.shape[1] else w @ w.T
        term = (gram * gram).sum() - (row_sq * row_sq).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError(f"orthogonal_regularization: {type(G).__name__} has no weight with 2 or more dimensions")
    return total * beta


def biggan_step(G, D, opt_G, opt_D, batches, noise, config, t: int, G_ema=None) -> dict[str, Any]:
    """One BigGAN step: n_critic hinge updates of the projection D, one of G with the orthogonal term, EMA.

        L_D = E max(0, 1 − D(x, y)) + E max(0, 1 + D(G(z, y'), y'))       (y the data's, y' drawn uniformly)
        L_G = −E D(G(z, y'), y') + β Σ_W ‖W Wᵀ ⊙ (1 − I)‖²_F  [+ λ / (mean|G(z, y') − G(z₂, y')| / mean|z − z₂| + ε)]

    The last term, the mode-seeking loss of Mao et al. (2019) (``config.mode_seeking`` = λ; off in the paper),
    costs a second forward pass of G; see :func:`minigan.gan.losses.mode_seeking_loss`.
    """
    judge = augmented(D, config.augment)  # D(T(x), y): D itself without augmentation
    for _ in range(config.n_critic):
        real, labels = next(batches)
        z, fake_labels = noise(len(real))
        fake = G(z, fake_labels)
        real_out, fake_out = judge(real, labels), judge(fake.detach(), fake_labels)
        d_loss = losses.discriminator_loss(config.loss, real_out, fake_out)
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
    grad_norm_d = grad_norm(D)

    D.requires_grad_(False)
    g_adv = losses.generator_loss(config.loss, judge(fake, fake_labels))
    ortho = orthogonal_regularization(G, config.ortho_beta) if config.ortho_beta else None
    g_loss = g_adv + ortho if ortho is not None else g_adv
    if config.mode_seeking:  # a second sample of the same classes from another z: let z move the image
        z_b, _ = noise(len(fake))
        g_loss = g_loss + losses.mode_seeking_loss(fake, G(z_b, fake_labels), z, z_b) * config.mode_seeking
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    if G_ema is not None:
        update_ema(G_ema, G, t, config.ema_decay)
    return {"d_loss": d_loss.data, "g_loss": g_adv.data, "d_real": real_out.data.mean(),
            "d_fake": fake_out.data.mean(), "grad_norm_g": grad_norm(G), "grad_norm_d": grad_norm_d,
            "diversity": fake.data.reshape(len(fake.data), -1).std(axis=0).mean(),
            "ortho": 0.0 if ortho is None else ortho.data}


def truncated_normal(rng: np.random.Generator, shape, threshold: float | None) -> np.ndarray:
    """N(0, 1) entries, each |z| > threshold drawn again until none is left (BigGAN's truncation trick)."""
    z = rng.standard_normal(shape).astype(np.float32)
    if threshold is None:
        return z
    if threshold <= 0:
        raise ValueError(f"truncation threshold must be positive, got {threshold}")
    out = np.abs(z) > threshold
    while out.any():
        z[out] = rng.standard_normal(int(out.sum())).astype(np.float32)
        out = np.abs(z) > threshold
    return z


def standing_statistics(G, noise, batches: int = STANDING_BATCHES, size: int = STANDING_BATCH_SIZE,
                        seed: int = 0) -> None:
    """Replace the running statistics of G's batch norms by their average over ``batches`` forward passes of
    ``size`` samples (z from ``noise(rng, shape)``, classes drawn uniformly; a fixed ``seed``, so the result
    depends on G's weights only). Everything but the batch norms stays in eval mode; no graph is kept."""
    norms = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    xp = backend.xp_for(next(G.parameters()).device)
    rng = np.random.default_rng([seed, 11])
    momenta = [bn.momentum for bn in norms]
    G.eval()
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # a cumulative average over the batches
        bn.train()
    with no_grad():
        for _ in range(batches):
            z = Tensor(xp.asarray(noise(rng, (size, G.nz))))
            G(z, xp.asarray(rng.integers(0, G.num_classes, size=size)))
    for bn, momentum in zip(norms, momenta):
        bn.momentum = momentum
    G.train()


def sample_biggan(G, n: int, rng: np.random.Generator, num_classes: int | None = None, labels=None,
                  truncation: float | None = None, batch: int = 500, standing: bool = True) -> np.ndarray:
    """``n`` samples of a BigGAN generator (eval mode, clipped to [−1, 1]), z truncated at ``truncation``
    (None: no truncation); ``labels``: one int or n ints (default: classes drawn with ``rng``).
    ``standing``: sample from a copy of G with :func:`standing_statistics` on the same noise (G itself is
    left as it is)."""
    def noise(r, shape):
        return truncated_normal(r, shape, truncation)

    if standing:
        G = copy.deepcopy(G)
        standing_statistics(G, noise)
    return np.clip(generate_samples(G, n, rng, G.num_classes, labels, batch, noise=noise), -1.0, 1.0)
