"""PReLU, as ``torch.nn.PReLU``: a leaky ReLU with a learned slope (1 or ``num_parameters`` = C of them,
initialised to ``init`` = 0.25). The maths is in ``minigan.ops.prelu``."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops.prelu import prelu
from .module import Module, Parameter

__all__ = ["PReLU"]


class PReLU(Module):
    """y = max(0, x) + a · min(0, x);  weight a (num_parameters,), on the channel axis 1."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(Tensor(backend.array_module().full(num_parameters, init, dtype=np.float32)))

    def forward(self, x: Tensor) -> Tensor:
        if self.num_parameters != 1 and (x.ndim < 2 or x.shape[1] != self.num_parameters):
            raise ValueError(f"{self!r} expects input of shape (N, {self.num_parameters}, *), got {tuple(x.shape)}")
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
