"""minigan: a from-scratch NumPy engine for teaching Generative Adversarial Networks.

    import minigan as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad            # tensor([2., 4., 6.])
"""

from . import backend, kernels, nn, optim
from ._malloc import tune_malloc
from .autograd import Function, Tensor, grad
from .backend import cupy_available, get_rng_state, manual_seed, set_rng_state, use_backend
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_jacobian
from .io import load, save
from .kernels import get_kernels, set_kernels
from .ops import (
    abs,
    amax,
    amin,
    cat,
    clamp,
    clip,
    concat,
    exp,
    leaky_relu,
    log,
    log1p,
    logsigmoid,
    matmul,
    mean,
    pad,
    permute,
    relu,
    sigmoid,
    softplus,
    sqrt,
    stack,
    std,
    sum,
    tanh,
    transpose,
    var,
    where,
)

__version__ = "0.1.0"

__all__ = [
    "Function", "GradcheckError", "Tensor", "abs", "amax", "amin", "arange", "backend", "cat", "clamp", "clip",
    "concat", "cupy_available", "detect_anomaly", "enable_grad", "exp", "full", "get_kernels", "get_rng_state",
    "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "kernels", "leaky_relu", "load", "log", "log1p",
    "logsigmoid", "manual_seed", "matmul", "mean", "nn", "no_grad", "numerical_jacobian", "ones", "ones_like",
    "optim", "pad", "permute", "rand", "randn", "relu", "save", "set_grad_enabled", "set_kernels",
    "set_rng_state", "sigmoid", "softplus", "sqrt", "stack", "std", "sum", "tanh", "tensor", "transpose",
    "use_backend", "var", "where", "zeros", "zeros_like",
]

MALLOC_TUNED = tune_malloc()  # reuse freed activation buffers (see minigan/_malloc.py)
