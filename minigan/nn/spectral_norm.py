"""Spectral normalisation (Miyato et al., 2018): divide a weight by its largest singular value.

    W_sn = W / σ(W),   σ(W) = max ‖Wv‖ / ‖v‖  (the spectral norm of W reshaped to a matrix)

σ is estimated by power iteration with a vector u that persists between calls:

    v ← Wᵀu / ‖Wᵀu‖,   u ← Wv / ‖Wv‖,   σ ≈ uᵀ W v

One iteration per training step is enough because W changes slowly. u and v are
treated as constants, so the gradient flows to W through both W and σ(W).
This mirrors ``torch.nn.utils.spectral_norm``: the layer keeps the raw weight
as the Parameter ``weight_orig``, u and v as buffers ``weight_u`` and
``weight_v``, and recomputes ``weight`` before every forward.
"""

from __future__ import annotations

from .. import backend
from ..autograd import Tensor, no_grad
from ..ops import matmul, permute, reshape
from .layers import ConvTranspose2d
from .module import Module


def _normalize(v, eps: float):
    """v / max(‖v‖, eps), on v's device (no copy of the norm to the host)."""
    xp = backend.array_module(v)
    return v / xp.maximum(xp.linalg.norm(v), v.dtype.type(eps))


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` = ``<name>_orig`` / σ."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        if n_power_iterations < 0:
            raise ValueError(f"n_power_iterations must be non-negative, got {n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def weight_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a (weight.shape[dim], -1) matrix: dim 0 for Linear/Conv2d, 1 for ConvTranspose2d."""
        if self.dim != 0:
            weight = permute(weight, (self.dim,) + tuple(d for d in range(weight.ndim) if d != self.dim))
        return reshape(weight, (weight.shape[0], -1))

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = self.weight_matrix(weight)
        if do_power_iteration:
            for _ in range(self.n_power_iterations):  # on raw arrays: no graph, u and v updated in place
                v.data[...] = _normalize(w.data.T @ u.data, self.eps)
                u.data[...] = _normalize(w.data @ v.data, self.eps)
        # copies: a later forward updates u and v in place before this graph's backward runs
        sigma = matmul(Tensor(u.data.copy()), matmul(w, Tensor(v.data.copy())))  # uᵀ W v
        return weight / sigma

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module, do_power_iteration=False)
        original = module._parameters[self.name + "_orig"]
        for suffix in ("_orig", "_u", "_v"):
            delattr(module, self.name + suffix)
        original.data = weight.data
        module.register_parameter(self.name, original)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Apply spectral normalisation to ``module.<name>`` and return ``module``.

    ``D = nn.Sequential(spectral_norm(nn.Conv2d(3, 64, 4, 2, 1)), nn.LeakyReLU(0.2), ...)``
    """
    if any(isinstance(h, SpectralNorm) and h.name == name for h in module._forward_pre_hooks.values()):
        raise RuntimeError(f"spectral_norm is already applied to parameter {name!r} of {type(module).__name__}")
    if name not in module._parameters or module._parameters[name] is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter named {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    with no_grad():
        w = fn.weight_matrix(weight).data
    u = _normalize(backend.random_normal(w.shape[0], w.dtype, weight.device), eps)
    v = _normalize(backend.random_normal(w.shape[1], w.dtype, weight.device), eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, Tensor(weight.data))  # replaced by W / σ at the first forward
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``<name>`` becomes a Parameter again, holding W / σ."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of {name!r} not found in {type(module).__name__}")
