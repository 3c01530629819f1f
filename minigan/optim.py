"""Optimizers, named and parameterised as in ``torch.optim``: SGD, Adam, RMSprop.

    opt = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); loss.backward(); opt.step()

``step()`` updates each parameter's array in place (so models and optimizers
keep pointing at the same Parameter objects) and never writes into a
gradient, which may share memory with other gradients. All arithmetic stays
in the parameter's dtype and on its device (NumPy or CuPy).
``state_dict()`` holds plain arrays and numbers, so ``mg.save`` / ``mg.load``
resume training bit-for-bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import backend, compiled, kernels
from .autograd import Function, Tensor, no_grad

__all__ = ["SGD", "Adam", "AdamStep", "Optimizer", "RMSprop", "functional_step"]


class Optimizer:
    """Base class: ``param_groups`` (each a dict with "params" and its own hyperparameters) and ``state``."""

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params) if not isinstance(params, Tensor) else [params]
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own hyperparameters, e.g. ``{"params": head.parameters(), "lr": 1e-3}``."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{type(self).__name__} can only optimize Tensors with requires_grad=True, "
                                f"got {type(p).__name__}")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in known for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears in more than one parameter group (or twice in one)")
        settings = {k: _plain(v) for k, v in {**self.defaults, **group}.items() if k != "params"}
        self.param_groups.append({**settings, "params": params})

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (``.grad = None``) before the next backward (zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    def step(self) -> None:
        """Update every parameter that has a gradient (under ``no_grad``)."""
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.update(p, p.grad.data, self.state.setdefault(p, {}), group)

    def update(self, p: Tensor, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update ``p.data`` in place from ``grad`` (an array); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: array or number}}, "param_groups": [{hyperparameters, "params": [index]}]}.

        Parameters are numbered in order across groups, as in PyTorch; arrays are NumPy copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = {k: _export(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state from :meth:`state_dict` (or ``mg.load`` of it)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state_dict has {len(groups)} parameter group(s), "
                             f"this optimizer has {len(self.param_groups)}")
        sizes = [(len(g["params"]), len(s["params"])) for g, s in zip(self.param_groups, groups)]
        if any(a != b for a, b in sizes):
            raise ValueError(f"loaded state_dict has groups of sizes {[b for _, b in sizes]} parameters, "
                             f"this optimizer has {[a for a, _ in sizes]}")
        saved_state = {int(k): v for k, v in state_dict["state"].items()}  # keys may come back as strings
        self.state = {}
        for group, saved in zip(self.param_groups, groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = _plain(value)
            for p, i in zip(group["params"], saved["params"]):
                if int(i) in saved_state:
                    self.state[p] = {k: _import(v, p) for k, v in saved_state[int(i)].items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


def _plain(value: Any) -> Any:
    """Hyperparameters as Python numbers (a NumPy float64 scalar would upcast float32 arrays)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value.item() if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0 else value


def _export(value: Any) -> Any:
    return np.array(backend.to_numpy(value)) if hasattr(value, "shape") and hasattr(value, "dtype") else value


def _import(value: Any, like: Tensor) -> Any:
    """A saved state value as an array on the parameter's device and in its dtype (numbers unchanged)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)  # a step count saved as a 0-d array
    if hasattr(value, "shape"):
        if tuple(value.shape) != like.shape:
            raise ValueError(f"optimizer state of shape {tuple(value.shape)} does not fit a parameter "
                             f"of shape {like.shape}")
        xp = backend.array_module(like.data)
        return xp.array(value, dtype=like.dtype)
    return value


def _check(name: str, value: float, low: float = 0.0, below: float | None = None) -> None:
    if not (value >= low and (below is None or value < below)):
        bounds = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"invalid {name}: {value} (must be {bounds})")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (as torch.optim.SGD):

        g ← g + weight_decay·p
        b ← g (first step), b ← momentum·b + (1 − dampening)·g (later steps)
        g ← g + momentum·b (nesterov) or g ← b
        p ← p − lr·g
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        _check("lr", lr)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def update(self, p, grad, state, group):
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1), as torch.optim.Adam:

        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        p ← p − lr · m̂ / (√v̂ + eps)

    DCGAN uses ``lr=2e-4, betas=(0.5, 0.999)``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        _check("lr", lr)
        _check("beta1", betas[0], below=1.0)
        _check("beta2", betas[1], below=1.0)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def update(self, p, grad, state, group):
        xp = backend.array_module(p.data)
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        state["step"] += 1
        if kernels.textbook():
            self.update_textbook(p, grad, state, group)
        else:
            self.update_fast(p, grad, state, group)

    @staticmethod
    def update_textbook(p, grad, state, group):
        """The algorithm line by line (new arrays for m and v, then the step)."""
        beta1, beta2 = group["betas"]
        t = state["step"]
        state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad
        state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p.data -= group["lr"] * m_hat / (backend.array_module(v).sqrt(v_hat) + group["eps"])

    @staticmethod
    def update_fast(p, grad, state, group):
        """The same step, in place through one temporary: with c = √(1 − β₂ᵗ),
        lr · m̂ / (√v̂ + eps) = lr·c/(1 − β₁ᵗ) · m / (√v + eps·c). Where numba runs, one compiled pass."""
        xp = backend.array_module(p.data)
        beta1, beta2 = group["betas"]
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        c = math.sqrt(1 - beta2**t)
        if compiled.adam(p.data, grad, m, v, beta1, beta2, group["lr"] * c / (1 - beta1**t), group["eps"] * c):
            return
        tmp = xp.multiply(grad, 1 - beta1)
        m *= beta1
        m += tmp  # m ← β₁·m + (1 − β₁)·g
        xp.multiply(grad, 1 - beta2, out=tmp)
        tmp *= grad
        v *= beta2
        v += tmp  # v ← β₂·v + (1 − β₂)·g²
        xp.sqrt(v, out=tmp)
        tmp += group["eps"] * c
        xp.divide(m, tmp, out=tmp)
        tmp *= group["lr"] * c / (1 - beta1**t)
        p.data -= tmp


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton, 2012), as torch.optim.RMSprop:

        s ← α·s + (1 − α)·g²,   avg = √(s − ḡ²) if centered (ḡ ← α·ḡ + (1 − α)·g) else √s
        p ← p − lr · g / (avg + eps)   (with momentum: b ← momentum·b + g / (avg + eps), p ← p − lr·b)

    The original WGAN trains with ``RMSprop(lr=5e-5)``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        _check("lr", lr)
        _check("alpha", alpha)
        _check("eps", eps)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def update(self, p, grad, state, group):
        xp = backend.array_module(p.data)
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(p.data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.data)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        state["step"] += 1
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * grad * grad
        if group["centered"]:
            g_avg = state["grad_avg"]
            g_avg *= alpha
            g_avg += (1 - alpha) * grad
            avg = xp.sqrt(s - g_avg * g_avg) + group["eps"]
        else:
            avg = xp.sqrt(s) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * (grad / avg)


# √(v + 10⁻³⁰) in the differentiable Adam steps: the same value as √v (eps is 1e-8), and a finite
# derivative where g (so v) is exactly 0
SQRT_FLOOR = 1e-30


def functional_step(optimizer: Optimizer, params: list[Tensor], grads: list[Tensor],
                    states: list[dict[str, Any]] | None = None) -> tuple[list[Tensor], list[dict[str, Any]]]:
    """One step of ``optimizer``'s rule written with Tensor ops, so that it can be differentiated.

    Returns (new parameters, new states); nothing is modified. ``params`` are the optimizer's parameters
    (or Tensors standing in for them, in the same order), ``grads`` their gradients (made with
    ``create_graph=True`` to differentiate through the step), ``states`` each parameter's state (default:
    the optimizer's own, read as constants). Unrolled GANs (Metz et al. 2017) chain K of these steps.
    The hyperparameters are those of the optimizer's parameter groups. The rules are the ones in the
    docstrings of :class:`SGD` (without nesterov) and :class:`Adam`; RMSprop is not supported.
    On the textbook tier Adam's rule is the chain of Tensor ops below; on the fast tiers it is one op,
    :class:`AdamStep`, with the same values and its backward written out.
    """
    if not isinstance(optimizer, (SGD, Adam)):
        raise TypeError(f"functional_step supports SGD and Adam, got {type(optimizer).__name__}")
    groups = [g for g in optimizer.param_groups for _ in g["params"]]
    if not (len(params) == len(grads) == len(groups)) or (states is not None and len(states) != len(params)):
        raise ValueError(f"functional_step: the optimizer has {len(groups)} parameters, got {len(params)} "
                         f"params, {len(grads)} grads and {len(states) if states is not None else '-'} states")
    if states is None:
        originals = [p for g in optimizer.param_groups for p in g["params"]]
        states = [{k: Tensor(v) if hasattr(v, "shape") else v for k, v in optimizer.state.get(p, {}).items()}
                  for p in originals]
    new_params, new_states = [], []
    for p, g, state, group in zip(params, grads, states, groups):
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        if isinstance(optimizer, SGD):
            if group["nesterov"]:
                raise ValueError("functional_step does not support nesterov momentum")
            state = dict(state)
            if group["momentum"] != 0:
                buf = state.get("momentum_buffer")
                buf = g if buf is None else group["momentum"] * buf + (1 - group["dampening"]) * g
                g = state["momentum_buffer"] = buf
            new_params.append(p - group["lr"] * g)
        else:
            t = state.get("step", 0) + 1
            if kernels.textbook():
                beta1, beta2 = group["betas"]
                m = (1 - beta1) * g if "exp_avg" not in state else beta1 * state["exp_avg"] + (1 - beta1) * g
                v = ((1 - beta2) * g * g if "exp_avg_sq" not in state
                     else beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g)
                denom = (v + SQRT_FLOOR) ** 0.5 / math.sqrt(1 - beta2**t) + group["eps"]
                p = p - group["lr"] / (1 - beta1**t) * m / denom
            else:
                m, v = state.get("exp_avg"), state.get("exp_avg_sq")
                if m is None:
                    m = v = Tensor(backend.array_module(g.data).zeros(g.shape, dtype=g.dtype))
                p, m, v = AdamStep.apply(p, g, m, v, lr=group["lr"], betas=group["betas"], eps=group["eps"], t=t)
            new_params.append(p)
            state = dict(step=t, exp_avg=m, exp_avg_sq=v)
        new_states.append(state)
    return new_params, new_states


class AdamStep(Function):
    """One Adam step as one differentiable op: (p, g, m, v) → (p′, m′, v′), for :func:`functional_step`.

        m′ = β₁·m + (1 − β₁)·g,   v′ = β₂·v + (1 − β₂)·g²
        s = √(v′ + SQRT_FLOOR),   d = c·s + eps,   p′ = p − a·m′ / d,   with a = lr / (1 − β₁ᵗ), c = 1 / √(1 − β₂ᵗ)

    (SQRT_FLOOR as in the textbook chain: the same value, a finite derivative where v′ = 0.) Backward,
    for the output gradients (P, M, V): m′ reaches the loss directly and through p′, v′ directly and
    through d (∂d/∂v′ = c / 2s), so

        M̃ = M − a·P / d,   Ṽ = V + a·c·P·m′ / (2·s·d²)
        ∂p = P,   ∂m = β₁·M̃,   ∂v = β₂·Ṽ,   ∂g = (1 − β₁)·M̃ + 2(1 − β₂)·g·Ṽ

    written with Tensor ops, so that it can be differentiated again.
    """

    def __init__(self, lr: float, betas: tuple[float, float], eps: float, t: int):
        self.lr, (self.beta1, self.beta2), self.eps, self.t = lr, betas, eps, t

    def forward(self, p, g, m, v):
        b1, b2 = self.beta1, self.beta2
        m_new = b1 * m + (1 - b1) * g
        v_new = b2 * v + (1 - b2) * g * g
        d = backend.array_module(v).sqrt(v_new + SQRT_FLOOR) / math.sqrt(1 - b2**self.t) + self.eps
        return p - self.lr / (1 - b1**self.t) * m_new / d, m_new, v_new

    def backward(self, P, M, V):
        b1, b2 = self.beta1, self.beta2
        a, c = self.lr / (1 - b1**self.t), 1 / math.sqrt(1 - b2**self.t)
        _, g, m, v = self.inputs
        m_new, v_new = self.output(1), self.output(2)
        s = (v_new + SQRT_FLOOR) ** 0.5
        d = s * c + self.eps
        M_total = M - a * P / d
        V_total = V + (a * c / 2) * P * m_new / (s * d * d)
        dg = (1 - b1) * M_total + 2 * (1 - b2) * g * V_total
        return P, dg, b1 * M_total if m.requires_grad else None, b2 * V_total if v.requires_grad else None
