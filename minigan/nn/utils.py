"""``nn.utils``: spectral normalisation and gradient clipping, as in ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ..autograd import Tensor
from .spectral_norm import remove_spectral_norm, spectral_norm

__all__ = ["clip_grad_norm_", "remove_spectral_norm", "spectral_norm"]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    eps: float = 1e-6) -> Tensor:
    """Scale all gradients by min(1, max_norm / (‖g‖ + eps)), ‖g‖ the norm of all of them together.

    Returns the total norm before clipping. Gradients are replaced, not modified in place.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:
        return Tensor(backend.array_module().zeros(()))
    xp = backend.array_module(grads[0])
    if norm_type == float("inf"):
        total = max(float(xp.abs(g).max()) for g in grads)
    else:
        total = sum(float((xp.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    scale = min(1.0, max_norm / (total + eps))
    if scale < 1.0:
        for p in params:
            if p.grad is not None:
                p.grad = Tensor(p.grad.data * p.grad.dtype.type(scale))
    return Tensor(xp.asarray(total))
