"""Differentiable operations. Each is a ``Function`` with its forward and backward side by side."""

from .activation import leaky_relu, logsigmoid, relu, sigmoid, softplus, tanh
from .arithmetic import (
    abs,
    add,
    astype,
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
    sqrt,
    sub,
    where,
)
from .reduce import max, mean, min, sum, var
from .shape import (
    broadcast_to,
    concat,
    expand_dims,
    getitem,
    pad,
    reshape,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    to_device,
    transpose,
)

__all__ = [
    "abs", "add", "astype", "broadcast_to", "clip", "concat", "div", "exp", "expand_dims", "getitem",
    "leaky_relu", "log", "log1p", "logsigmoid", "matmul", "max", "mean", "min", "mul", "neg", "pad",
    "pow", "relu", "reshape", "rpow", "sigmoid", "softplus", "sqrt", "squeeze", "stack", "sub", "sum",
    "sum_to", "swapaxes", "tanh", "to_device", "transpose", "var", "where",
]
