"""The parametric ReLU (He et al., 2015), SRGAN's activation: a leaky ReLU whose slope is learned.

    y = max(0, x) + a · min(0, x),   a per channel (axis 1) or one for all
    dx = g · (1 if x > 0 else a),    da = Σ g · min(0, x)   (over everything but the channel)

Written with relu (min(0, x) = x − relu(x)), so both gradients come from existing ops and are
differentiable again.
"""

from __future__ import annotations

from ..autograd import Tensor
from .activation import relu


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """y = max(0, x) + weight · min(0, x); ``weight`` has 1 or C (= input.shape[1]) elements."""
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D (1 or C values), got shape {tuple(weight.shape)}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.shape[0] not in (1, channels):
        raise ValueError(f"prelu: weight of shape {tuple(weight.shape)} must have 1 or {channels} elements "
                         f"(the channels of input of shape {tuple(input.shape)})")
    a = weight.reshape((1, -1) + (1,) * (input.ndim - 2)) if input.ndim >= 2 else weight
    positive = relu(input)
    return positive + a * (input - positive)
