"""Differentiable operations. Each is a ``Function`` with its forward and backward side by side,
and its user-facing function right under it. Importing this package sets Tensor's methods
(``minigan/ops/methods.py``)."""

from . import methods
from .activation import leaky_relu, logsigmoid, relu, sigmoid, softplus, tanh
from .arithmetic import (
    abs,
    add,
    astype,
    clamp,
    clip,
    div,
    exp,
    log,
    log1p,
    matmul,
    mul,
    neg,
    pow,
    rpow,
    sign,
    sqrt,
    sub,
    where,
)
from .reduce import amax, amin, max, mean, min, std, sum, var
from .shape import (
    broadcast_to,
    cat,
    concat,
    expand_dims,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    to_device,
    transpose,
    unsqueeze,
)

methods.install()

__all__ = [
    "abs", "add", "amax", "amin", "astype", "broadcast_to", "cat", "clamp", "clip", "concat", "div", "exp",
    "expand_dims", "flatten", "getitem", "leaky_relu", "log", "log1p", "logsigmoid", "matmul", "max", "mean",
    "min", "mul", "neg", "pad", "permute", "pow", "relu", "reshape", "rpow", "sigmoid", "sign", "softplus",
    "sqrt", "squeeze", "stack", "std", "sub", "sum", "sum_to", "swapaxes", "tanh", "to_device", "transpose",
    "unsqueeze", "var", "where",
]
