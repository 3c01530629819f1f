"""GAN generators and discriminators, one family per module: ``mlp``, ``dcgan``, ``conditional``.

Every discriminator returns one raw score (a logit) per sample, shape (N,); the
losses in ``minigan.gan.losses`` take those scores. Generators map noise
z ~ N(0, I) of shape (N, nz) to samples: (N, dim) for toy data, (N, C, H, W)
in [−1, 1] (a tanh output) for images.

``build_models`` makes the (G, D) pair of one model family for a data set.
"""

from __future__ import annotations

from ... import nn
from ...data import Dataset, load_dataset
from .blocks import NORMS, MinibatchStdDev
from .conditional import ConditionalDiscriminator, ConditionalGenerator
from .dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_plan
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = [
    "ConditionalDiscriminator", "ConditionalGenerator", "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator",
    "MLPGenerator", "MODELS", "MinibatchStdDev", "NORMS", "build_models", "dcgan_plan",
]

MODELS = ("mlp", "dcgan", "cgan")  # what build_models builds; the trainer's --model choices are gan.families


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
