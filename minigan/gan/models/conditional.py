"""Conditional GANs (Mirza & Osindero, 2014): G and D also see the class label, through a learned embedding."""

from __future__ import annotations

import math

import numpy as np

from ... import backend, nn
from ...autograd import Tensor
from ...ops import concat

__all__ = ["ConditionalDiscriminator", "ConditionalGenerator"]


def _labels(labels, like: nn.Parameter) -> Tensor:
    """Integer class labels as a Tensor on the device of ``like``; host labels are range-checked on the host,
    before the move (a check of device labels would copy them back at every call)."""
    if isinstance(labels, Tensor):
        return labels
    if not backend.is_cupy_array(labels):
        labels = np.asarray(labels)
        nn.functional.check_embedding_indices(labels, like.shape[0])
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
