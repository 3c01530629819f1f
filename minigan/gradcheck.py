"""Gradient checking: compare backward() with central finite differences.

For a function f and inputs x, the numerical Jacobian column k is

    J[:, k] ≈ (f(x + ε e_k) − f(x − ε e_k)) / 2ε          (error O(ε²))

and backward must give the vector-Jacobian product vᵀJ for any upstream v.
We check vᵀJ with a *random* v (a backward that ignores its upstream gradient
fails), that v = 0 gives 0, that gradient shapes and dtypes match the inputs,
and that a second backward agrees with the first. Numbers are compared in
float64 on the CPU, also for GPU tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import Tensor, grad, no_grad
from .backend import to_numpy


class GradcheckError(RuntimeError):
    """Raised when backward disagrees with finite differences; the message explains where."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_inputs(inputs: Sequence[Any]) -> list[int]:
    indices = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not indices:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in indices:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck needs float64 inputs, but input {i} is {inputs[i].dtype}: float32 finite "
                "differences are too coarse (errors around 1e-3) to check a gradient. Create it with "
                "mg.tensor(..., dtype='float64', requires_grad=True)."
            )
    return indices


def _evaluate(fn: Callable, inputs: Sequence[Any]) -> list[np.ndarray]:
    # grad mode stays on: fn may itself differentiate (as in gradgradcheck)
    return [to_numpy(o.data).astype(np.float64) for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def numerical_jacobian(fn: Callable, inputs, eps: float = 1e-6) -> list[list[np.ndarray | None]]:
    """Central-difference Jacobians: ``J[i][j]`` has shape (outputs[i].size, inputs[j].size).

    Entries for inputs that do not require grad are None.
    """
    inputs = _as_tuple(inputs)
    wrt = set(_differentiable_inputs(inputs))
    n_out = len(_evaluate(fn, inputs))
    jac: list[list[np.ndarray | None]] = [[None] * len(inputs) for _ in range(n_out)]
    for j in sorted(wrt):
        if not inputs[j].data.flags.c_contiguous:
            inputs[j].data = inputs[j].data.copy()
        flat = inputs[j].data.reshape(-1)  # a view: writing into it perturbs the input in place
        columns: list[list[np.ndarray]] = [[] for _ in range(n_out)]
        for k in range(flat.size):
            original = flat[k].item()
            flat[k] = original + eps
            plus = _evaluate(fn, inputs)
            flat[k] = original - eps
            minus = _evaluate(fn, inputs)
            flat[k] = original
            for i in range(n_out):
                columns[i].append(((plus[i] - minus[i]) / (2 * eps)).reshape(-1))
        for i in range(n_out):
            jac[i][j] = np.stack(columns[i], axis=1) if columns[i] else np.zeros((plus[i].size, 0))
    return jac


def _analytical_vjp(outputs, inputs, wrt, output_index, v) -> list[np.ndarray | Tensor]:
    """vᵀJ for one output, as Tensors (to check shapes/dtypes); zeros for a constant output."""
    out = outputs[output_index]
    targets = [inputs[j] for j in wrt]
    if not out.requires_grad:
        return [Tensor(np.zeros(t.shape, t.dtype)) for t in targets]
    xp_v = Tensor(v) if not isinstance(v, Tensor) else v
    grads = grad(out, targets, grad_outputs=xp_v.astype(out.dtype) if xp_v.dtype != out.dtype else xp_v,
                 retain_graph=True, allow_unused=True)
    return [g if g is not None else Tensor(np.zeros(t.shape, t.dtype)) for g, t in zip(grads, targets)]


def _to_device_like(array: np.ndarray, like: Tensor) -> Tensor:
    from .backend import to_device

    return Tensor(to_device(array, like.device))


def _mismatch_report(what: str, numerical: np.ndarray, analytical: np.ndarray, shape, atol, rtol,
                     note: str) -> str:
    diff = np.abs(analytical - numerical)
    allowed = atol + rtol * np.abs(numerical)
    rel = diff / np.maximum(np.abs(numerical), 1e-12)
    excess = np.where(np.isnan(diff), np.inf, diff - allowed)  # a NaN / Inf element is the worst kind
    order = np.argsort(-excess, axis=None, kind="stable")[:5]
    lines = [f"gradcheck failed: {what} does not match finite differences.",
             f"  {int((~(diff <= allowed)).sum())} of {diff.size} elements are outside |analytical - numerical| "
             f"<= atol + rtol*|numerical| (atol={atol:g}, rtol={rtol:g}); the worst:",
             "    index            numerical      analytical      |diff|    rel. error"]
    for flat in order:
        idx = np.unravel_index(flat, shape) if len(shape) else ()
        lines.append(f"    {str(tuple(int(i) for i in idx)):<16} {numerical.flat[flat]:>12.6g}  "
                     f"{analytical.flat[flat]:>12.6g}  {diff.flat[flat]:>10.3g}  {rel.flat[flat]:>10.3g}")
    lines.extend(_non_finite(numerical, analytical))
    lines.extend(_hints(numerical, analytical))
    lines.append(f"  ({note})")
    return "\n".join(lines)


def _non_finite(numerical: np.ndarray, analytical: np.ndarray) -> list[str]:
    """Say plainly when NaN / Inf is involved: then no tolerance can make the comparison pass."""
    bad_num, bad_an = int((~np.isfinite(numerical)).sum()), int((~np.isfinite(analytical)).sum())
    if not (bad_num or bad_an):
        return []
    return [f"  {bad_num} numerical and {bad_an} analytical value(s) are NaN or Inf: the function is not "
            "defined or not differentiable at these inputs (e.g. log or sqrt of a negative number, a division "
            "by zero), or backward produces NaN/Inf there. Check at inputs inside the function's domain."]


def _hints(numerical: np.ndarray, analytical: np.ndarray) -> list[str]:
    """Recognise a few common mistakes from the shape of the error."""
    hints = []
    if np.allclose(analytical, 0) and not np.allclose(numerical, 0):
        hints.append("  hint: backward returned all zeros: is the gradient connected to this input?")
    elif np.allclose(analytical, -numerical, rtol=1e-3, atol=1e-8):
        hints.append("  hint: analytical = -numerical everywhere: the gradient has the wrong sign")
    else:
        nz = np.abs(numerical) > 1e-8
        if nz.any():
            ratio = analytical[nz] / numerical[nz]
            if np.allclose(ratio, ratio.flat[0], rtol=1e-3) and not np.isclose(ratio.flat[0], 1.0):
                hints.append(f"  hint: analytical = {ratio.flat[0]:.6g} × numerical everywhere: a constant "
                             "factor is missing or extra")
    return hints


def gradcheck(fn: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, nondet_tol: float = 0.0,
              seed: int = 0) -> bool:
    """Check the gradients of ``fn(*inputs)`` w.r.t. every input with requires_grad (float64 only).

    Returns True, or raises :class:`GradcheckError` with a report of the worst
    elements (or returns False when ``raise_exception=False``). ``fast_mode``
    compares random directional derivatives vᵀJu instead of whole Jacobians,
    for inputs too large to perturb one element at a time.
    """
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    rng = np.random.default_rng(seed)
    try:
        _check(fn, inputs, wrt, eps, atol, rtol, fast_mode, nondet_tol, rng)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check(fn, inputs, wrt, eps, atol, rtol, fast_mode, nondet_tol, rng) -> None:
    for j in wrt:  # contiguous before the graph is built: replacing .data later would bump its version
        if not inputs[j].data.flags.c_contiguous:
            inputs[j].data = inputs[j].data.copy()
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    if not outputs:
        raise GradcheckError("gradcheck: fn returned no Tensor")
    vs = [rng.standard_normal(o.shape) for o in outputs]
    if fast_mode:
        _check_directional(fn, inputs, wrt, outputs, vs, eps, atol, rtol, rng)
    else:
        jac = numerical_jacobian(fn, inputs, eps)
        for i, out in enumerate(outputs):
            grads = _analytical_vjp(outputs, inputs, wrt, i, _to_device_like(vs[i], out))
            for g, j in zip(grads, wrt):
                _check_shape_dtype(g, inputs[j], i, j)
                numerical = (vs[i].reshape(-1) @ jac[i][j]).reshape(inputs[j].shape)
                analytical = to_numpy(g.data).astype(np.float64)
                if not np.allclose(analytical, numerical, atol=atol, rtol=rtol):
                    raise GradcheckError(_mismatch_report(
                        f"the gradient of output {i} w.r.t. input {j} (shape {inputs[j].shape})",
                        numerical, analytical, inputs[j].shape, atol, rtol,
                        "checked vᵀJ with a random upstream gradient v; J from central differences "
                        f"with eps={eps:g}"))
    _check_zero_and_repeat(fn, inputs, wrt, outputs, vs, nondet_tol)


def _check_shape_dtype(g: Tensor, target: Tensor, i: int, j: int) -> None:
    if g.shape != target.shape or g.dtype != target.dtype:
        raise GradcheckError(f"gradcheck failed: the gradient of output {i} w.r.t. input {j} has shape "
                             f"{g.shape} and dtype {g.dtype}, but the input has shape {target.shape} "
                             f"and dtype {target.dtype}")


def _check_directional(fn, inputs, wrt, outputs, vs, eps, atol, rtol, rng) -> None:
    us = {j: rng.standard_normal(inputs[j].shape) for j in wrt}
    originals = {j: inputs[j].data.copy() for j in wrt}

    def shifted(sign: float) -> list[np.ndarray]:
        for j in wrt:
            inputs[j].data[...] = originals[j] + sign * eps * _to_device_like(us[j], inputs[j]).data
        return _evaluate(fn, inputs)

    plus, minus = shifted(+1), shifted(-1)
    for j in wrt:
        inputs[j].data[...] = originals[j]
    for i, out in enumerate(outputs):
        numerical = float(np.sum(vs[i] * (plus[i] - minus[i]) / (2 * eps)))
        grads = _analytical_vjp(outputs, inputs, wrt, i, _to_device_like(vs[i], out))
        analytical = 0.0
        for g, j in zip(grads, wrt):
            _check_shape_dtype(g, inputs[j], i, j)
            analytical += float(np.sum(to_numpy(g.data) * us[j]))
        if abs(analytical - numerical) > atol + rtol * abs(numerical):
            raise GradcheckError(
                f"gradcheck (fast mode) failed for output {i}: the directional derivative vᵀJu is "
                f"{numerical:.6g} by finite differences but {analytical:.6g} from backward "
                f"(|diff| {abs(analytical - numerical):.3g}). Run without fast_mode on a small input to "
                "see which elements are wrong.")


def _check_zero_and_repeat(fn, inputs, wrt, outputs, vs, nondet_tol) -> None:
    for i, out in enumerate(outputs):
        zero = _analytical_vjp(outputs, inputs, wrt, i, _to_device_like(np.zeros(out.shape), out))
        for g, j in zip(zero, wrt):
            if np.any(to_numpy(g.data) != 0):
                raise GradcheckError(f"gradcheck failed: a zero upstream gradient for output {i} gave a non-zero "
                                     f"gradient for input {j}: backward must scale with its upstream gradient")
    again = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    for i, out in enumerate(outputs):
        first = _analytical_vjp(outputs, inputs, wrt, i, _to_device_like(vs[i], out))
        second = _analytical_vjp(again, inputs, wrt, i, _to_device_like(vs[i], again[i]))
        for a, b, j in zip(first, second, wrt):
            if np.max(np.abs(to_numpy(a.data) - to_numpy(b.data)), initial=0.0) > nondet_tol:
                raise GradcheckError(f"gradcheck failed: two backward passes gave different gradients for "
                                     f"output {i} w.r.t. input {j} (backward is not deterministic)")


def gradgradcheck(fn: Callable, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
                  seed: int = 0) -> bool:
    """Check second derivatives: gradcheck the map (inputs, v) ↦ vᵀ ∂fn/∂inputs built with create_graph=True."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    rng = np.random.default_rng(seed + 1)
    with no_grad():
        outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    if grad_outputs is None:
        grad_outputs = [Tensor(_to_device_like(rng.standard_normal(o.shape), o).data, requires_grad=True)
                        for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_derivative(*args):
        outs = [o for o in _as_tuple(fn(*args[:n])) if isinstance(o, Tensor)]
        pairs = [(o, v) for o, v in zip(outs, args[n:]) if o.requires_grad]
        targets = [args[j] for j in wrt]
        if not pairs:
            return tuple(Tensor(np.zeros(t.shape, t.dtype)) for t in targets)
        grads = grad([o for o, _ in pairs], targets, grad_outputs=[v for _, v in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(t.data * 0) for g, t in zip(grads, targets))

    return gradcheck(first_derivative, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, fast_mode=fast_mode, seed=seed)
