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

# the layers of the later GANs; this Upsample (sizes, scale factors, linear modes) replaces the one in layers
from .activation import PReLU  # noqa: E402
from .attention import SelfAttention2d  # noqa: E402
from .conv1d import Conv1d, ConvTranspose1d  # noqa: E402
from .equalized import equalized_lr, remove_equalized_lr  # noqa: E402
from .normalization import (  # noqa: E402
    AdaptiveInstanceNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    PixelNorm,
)
from .resample import (  # noqa: E402, F811
    AvgPool2d,
    ConstantPad2d,
    PixelShuffle,
    PixelUnshuffle,
    ReflectionPad2d,
    ReplicationPad2d,
    Upsample,
    ZeroPad2d,
)

__all__ += [
    "AdaptiveInstanceNorm2d", "AvgPool2d", "ConstantPad2d", "Conv1d", "ConvTranspose1d", "GroupNorm",
    "InstanceNorm1d", "InstanceNorm2d", "PReLU", "PixelNorm", "PixelShuffle", "PixelUnshuffle", "ReflectionPad2d",
    "ReplicationPad2d", "SelfAttention2d", "ZeroPad2d", "equalized_lr", "remove_equalized_lr",
]
