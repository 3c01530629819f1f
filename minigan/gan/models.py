"""GAN generators and discriminators: MLPs for toy data, DCGAN for images, conditional wrappers.

Every discriminator returns one raw score (a logit) per sample, shape (N,); the
losses in ``minigan.gan.losses`` take those scores. Generators map noise
z ~ N(0, I) of shape (N, nz) to samples: (N, dim) for toy data, (N, C, H, W)
in [−1, 1] (a tanh output) for images.

DCGAN (Radford, Metz & Chintala, 2016), as in its reference code:

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

from .. import backend, nn
from ..autograd import Tensor
from ..data import Dataset, load_dataset
from ..ops import broadcast_to, concat, sqrt

__all__ = [
    "ConditionalDiscriminator", "ConditionalGenerator", "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator",
    "MLPGenerator", "MODELS", "MinibatchStdDev", "build_models", "dcgan_plan",
]

MODELS = ("mlp", "dcgan", "cgan")
NORMS = ("batch", "layer", "none")


# ----------------------------------------------------------------------------- building blocks


class MinibatchStdDev(nn.Module):
    """Append one feature: the standard deviation over the batch, averaged over all features.

        s = mean_f √(Var_n x[n, f] + 1e-8)     (one number per batch)

    It is appended as an extra channel (images) or column (vectors) to every
    sample. A collapsed generator makes s ≈ 0 on fake batches while real
    batches have s > 0, so D can tell them apart and G is pushed towards variety.
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[0] < 2:
            raise ValueError(f"MinibatchStdDev needs a batch of at least 2 samples, got shape {tuple(x.shape)}")
        s = sqrt(x.var(axis=0, correction=0) + 1e-8).mean()
        extra = broadcast_to(s.reshape((1,) * x.ndim), (x.shape[0], 1) + tuple(x.shape[2:]))
        return concat([x, extra], axis=1)


def _norm_layers(norm: str, channels: int, spatial: int | None = None) -> list[nn.Module]:
    """[BatchNorm], [LayerNorm] (over C×H×W for images) or no layer."""
    if norm == "batch":
        return [nn.BatchNorm2d(channels) if spatial else nn.BatchNorm1d(channels)]
    if norm == "layer":
        return [nn.LayerNorm((channels, spatial, spatial) if spatial else channels)]
    if norm == "none":
        return []
    raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")


def _spectral(module: nn.Module, on: bool) -> nn.Module:
    return nn.utils.spectral_norm(module) if on else module


def dcgan_plan(image_size: int) -> tuple[int, int]:
    """(start, n) with image_size = start · 2ⁿ: start 7 for sizes like 28, else 4; n ≥ 1."""
    start = 7 if image_size % 7 == 0 else 4
    n = image_size // start
    if image_size < 8 or image_size % start or n & (n - 1):
        raise ValueError(f"DCGAN supports square images of 4·2ⁿ or 7·2ⁿ pixels (8, 14, 16, 28, 32, 64, ...), "
                         f"got {image_size}")
    return start, int(math.log2(n))


# ----------------------------------------------------------------------------- MLPs


class MLPGenerator(nn.Module):
    """z → [Linear → ReLU] × depth → Linear → sample (optionally tanh, reshaped to ``out_shape``).

    ``out_shape`` is (dim,) for toy data or (C, H, W) for images (then ``tanh=True``).
    """

    def __init__(self, nz: int, out_shape, hidden: int = 128, depth: int = 3, tanh: bool = False):
        super().__init__()
        self.nz, self.out_shape = nz, tuple(out_shape) if not isinstance(out_shape, int) else (out_shape,)
        layers, width = [], nz
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, math.prod(self.out_shape)))
        if tanh:
            layers.append(nn.Tanh())
        if len(self.out_shape) > 1:
            layers.append(nn.Unflatten(1, self.out_shape))
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


class MLPDiscriminator(nn.Module):
    """x → flatten → [Linear → norm → LeakyReLU(0.2)] × depth → (minibatch std) → Linear → score (N,)."""

    def __init__(self, in_shape, hidden: int = 128, depth: int = 3, norm: str = "none",
                 spectral_norm: bool = False, minibatch_std: bool = False):
        super().__init__()
        in_shape = (in_shape,) if isinstance(in_shape, int) else tuple(in_shape)
        layers, width = [nn.Flatten()], math.prod(in_shape)
        for _ in range(depth):
            layers += [_spectral(nn.Linear(width, hidden), spectral_norm), *_norm_layers(norm, hidden),
                       nn.LeakyReLU(0.2)]
            width = hidden
        if minibatch_std:
            layers.append(MinibatchStdDev())
            width += 1
        layers.append(_spectral(nn.Linear(width, 1), spectral_norm))
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x).reshape(-1)


# ----------------------------------------------------------------------------- DCGAN


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
        layers = [_spectral(nn.Conv2d(channels, c, 4, 2, 1, bias=bias), spectral_norm), nn.LeakyReLU(0.2)]
        for _ in range(n - 1):
            size //= 2
            conv = nn.Conv2d(c, c * 2, 4, 2, 1, bias=bias)
            layers += [_spectral(conv, spectral_norm), *_norm_layers(norm, c * 2, size), nn.LeakyReLU(0.2)]
            c *= 2
        if minibatch_std:
            layers.append(MinibatchStdDev())
            c += 1
        layers.append(_spectral(nn.Conv2d(c, 1, start, 1, 0, bias=bias), spectral_norm))
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"DCGANDiscriminator expects images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.main(x).reshape(-1)


# ----------------------------------------------------------------------------- conditional GANs


def _labels(labels, like: nn.Parameter) -> Tensor:
    """Integer class labels as a Tensor on the device of ``like``."""
    if isinstance(labels, Tensor):
        return labels
    return Tensor(backend.array_module(like.data).asarray(labels))


class ConditionalGenerator(nn.Module):
    """G(z, y) = net([z, embed(y)]): the label's learned embedding is concatenated to the noise (Mirza &
    Osindero, 2014). ``net`` takes nz + embed_dim inputs."""

    def __init__(self, net: nn.Module, num_classes: int, embed_dim: int = 10):
        super().__init__()
        self.num_classes, self.embed_dim, self.nz = num_classes, embed_dim, net.nz - embed_dim
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = net

    def forward(self, z: Tensor, labels) -> Tensor:
        return self.net(concat([z, self.embed(_labels(labels, self.embed.weight))], axis=1))


class ConditionalDiscriminator(nn.Module):
    """D(x, y) = net([x, embed(y)]). For images the embedding has H·W numbers and is appended as one extra
    channel; for vectors it is appended as ``embed_dim`` extra columns. ``net`` takes the widened input."""

    def __init__(self, net: nn.Module, num_classes: int, sample_shape, embed_dim: int = 10):
        super().__init__()
        self.num_classes, self.sample_shape = num_classes, tuple(sample_shape)
        spatial = self.sample_shape[1:]
        self.embed = nn.Embedding(num_classes, math.prod(spatial) if spatial else embed_dim)
        self.net = net

    def forward(self, x: Tensor, labels) -> Tensor:
        e = self.embed(_labels(labels, self.embed.weight))
        if x.ndim == 4:
            e = e.reshape(x.shape[0], 1, x.shape[2], x.shape[3])
        return self.net(concat([x, e], axis=1))


# ----------------------------------------------------------------------------- the factory


def build_models(model: str = "dcgan", dataset: Dataset | str = "digits16", loss: str = "nonsaturating", *,
                 nz: int | None = None, width: int | None = None, depth: int = 3, norm: str | None = None,
                 spectral_norm: bool = False, minibatch_std: bool = False,
                 init: str | None = None) -> tuple[nn.Module, nn.Module]:
    """A (generator, discriminator) pair for ``dataset``.

    model: "mlp" (toy data, or images flattened), "dcgan" (images) or "cgan" (a DCGAN, or an MLP for
        toy data, conditioned on the dataset's labels).
    nz: noise size (default 100 for images, as DCGAN; 8 for toy data).
    width: DCGAN base channels (default 64) or MLP hidden units (default 128).
    norm: the discriminator's normalisation: "batch" for DCGAN, "none" for MLPs, and never "batch" for
        the WGAN-GP critic (default "layer" for convolutional critics there) or with spectral norm.
    init: "dcgan" (``nn.init.dcgan_init``: N(0, 0.02²) weights, the default for convolutional models) or
        "default" (PyTorch's layer initialisation, the default for MLPs: without batch norm to restore the
        scale, N(0, 0.02²) weights shrink the signal about 5× per 128-unit layer, and a 3-layer generator
        starts out squeezing all its samples onto a tiny line).
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    image = ds.kind == "image"
    conv = model == "dcgan" or (model == "cgan" and image)
    if model == "dcgan" and not image:
        raise ValueError(f"the dcgan model needs image data, {ds.name!r} is {ds.kind}; use --model mlp")
    if model == "cgan" and ds.labels is None:
        raise ValueError(f"the cgan model needs labelled data, {ds.name!r} has no labels")
    if norm is None:
        if loss == "wgan-gp" or spectral_norm:
            norm = "layer" if conv else "none"
        else:
            norm = "batch" if conv else "none"
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")
    if loss == "wgan-gp" and norm == "batch":
        raise ValueError("a WGAN-GP critic cannot use batch norm (the penalty is per sample); use norm 'layer'")
    nz = nz or (100 if image else 8)
    extra_g = 10 if model == "cgan" else 0  # the label embedding's size
    d_shape = list(ds.shape)
    if model == "cgan":
        d_shape[0] += 1 if image else 10
    d_options = dict(norm=norm, spectral_norm=spectral_norm, minibatch_std=minibatch_std)
    if conv:
        size, channels = ds.image_size, ds.channels
        G = DCGANGenerator(nz + extra_g, size, channels, width or 64)
        D = DCGANDiscriminator(size, channels + (model == "cgan"), width or 64, **d_options)
    else:
        G = MLPGenerator(nz + extra_g, ds.shape, width or 128, depth, tanh=image)
        D = MLPDiscriminator(tuple(d_shape), width or 128, depth, **d_options)
    if model == "cgan":
        G = ConditionalGenerator(G, ds.num_classes, extra_g)
        D = ConditionalDiscriminator(D, ds.num_classes, ds.shape, 10)
    if init is None:
        init = "dcgan" if conv else "default"
    if init == "dcgan":
        nn.init.dcgan_init(G), nn.init.dcgan_init(D)
    elif init != "default":
        raise ValueError(f"unknown init {init!r}; choose dcgan or default")
    return G, D
