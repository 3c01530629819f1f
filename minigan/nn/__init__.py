"""Neural-network building blocks, named as in ``torch.nn``.

    import minigan.nn as nn
    D = nn.Sequential(nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(64 * 14 * 14, 1))

The layers of DCGAN live in ``layers``; those of the later GANs (ProGAN, StyleGAN, SAGAN, BigGAN, pix2pix,
CycleGAN, SRGAN, WaveGAN) in ``normalization``, ``resample``, ``attention``, ``conv1d``, ``activation`` and
``equalized``.
"""

from . import functional, init, utils
from .activation import PReLU
from .attention import SelfAttention2d
from .conv1d import Conv1d, ConvTranspose1d
from .equalized import equalized_lr, remove_equalized_lr
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
)
from .module import Module, ModuleList, Parameter, Sequential
from .normalization import AdaptiveInstanceNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, PixelNorm
from .resample import (
    AvgPool2d,
    ConstantPad2d,
    PixelShuffle,
    PixelUnshuffle,
    ReflectionPad2d,
    ReplicationPad2d,
    Upsample,
    ZeroPad2d,
)

__all__ = [
    "AdaptiveInstanceNorm2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "ConstantPad2d", "Conv1d", "Conv2d",
    "ConvTranspose1d", "ConvTranspose2d", "Dropout", "Embedding", "Flatten", "GroupNorm", "Identity",
    "InstanceNorm1d", "InstanceNorm2d", "LayerNorm", "LeakyReLU", "Linear", "Module", "ModuleList", "PReLU",
    "Parameter", "PixelNorm", "PixelShuffle", "PixelUnshuffle", "ReLU", "ReflectionPad2d", "ReplicationPad2d",
    "Sequential", "SelfAttention2d", "Sigmoid", "Tanh", "Unflatten", "Upsample", "ZeroPad2d", "equalized_lr",
    "functional", "init", "remove_equalized_lr", "utils",
]
