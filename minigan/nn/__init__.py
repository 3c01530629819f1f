"""Neural-network building blocks, named as in ``torch.nn``.

    import minigan.nn as nn
    D = nn.Sequential(nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(64 * 14 * 14, 1))
"""

from . import functional, init, utils
from .layers import (
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    Unflatten,
    Upsample,
)
from .module import Module, ModuleList, Parameter, Sequential

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "Embedding", "Flatten", "Identity",
    "LayerNorm", "LeakyReLU", "Linear", "Module", "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Tanh", "Unflatten", "Upsample", "functional", "init", "utils",
]
