"""Pieces shared by the model families: normalisation layers by name, spectral norm, the minibatch-stddev layer."""

from __future__ import annotations

from ... import nn
from ...autograd import Tensor
from ...ops import broadcast_to, concat, sqrt

__all__ = ["NORMS", "MinibatchStdDev", "norm_layers", "spectral"]

NORMS = ("batch", "layer", "none")


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


def norm_layers(norm: str, channels: int, spatial: int | None = None) -> list[nn.Module]:
    """[BatchNorm], [LayerNorm] (over C×H×W for images) or no layer."""
    if norm == "batch":
        return [nn.BatchNorm2d(channels) if spatial else nn.BatchNorm1d(channels)]
    if norm == "layer":
        return [nn.LayerNorm((channels, spatial, spatial) if spatial else channels)]
    if norm == "none":
        return []
    raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")


def spectral(module: nn.Module, on: bool) -> nn.Module:
    return nn.utils.spectral_norm(module) if on else module
