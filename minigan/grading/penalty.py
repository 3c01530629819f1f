"""The gradient-penalty assignment: a critic activation whose gradient is differentiable again.

WGAN-GP (Gulrajani et al. 2017) penalises λ E[(‖∇ₓ f(x)‖ − 1)²]. Minimising it differentiates
∇ₓ f itself, so every op in the critic needs a backward built from differentiable ops. The
student writes ``Softplus`` as a minigan.Function, softplus(z) = log(1 + eᶻ), with
backward g · σ(z) written in minigan ops, and the checks are

    Softplus.apply: forward       against log(1 + eᶻ) (computed here, stably)
    Softplus.backward: dz         against σ(z) · dout
    gradcheck / gradgradcheck     against central differences of the student's own Function
    gradient penalty              P = mean_n (‖∇ₓ f(xₙ)‖ − 1)² for the critic f(x) = softplus(x W) · v,
                                  computed through the student's Softplus, against the same with
                                  minigan's softplus
    gradient penalty: dP/dW       the double backward through the student's Softplus

The child runs the student's Function (and minigan's autograd around it); every comparison is
made here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .assignments import ASSIGNMENTS, Case
from .compare import compare
from .grader import CaseResult, Check, Report, _function_result, _missing, _report
from .policy import forbidden_attributes, forbidden_imports
from .runner import ChildRun, run_submission

CLASS = "Softplus"
# minigan's softplus under any of its names, and the ways to reach a loaded module without importing it
FORBIDDEN_ATTRIBUTES = ("softplus", "logsigmoid", "gradient_penalty", "binary_cross_entropy_with_logits", "ops",
                        "activation", "functional", "modules", "import_module", "__import__", "__subclasses__")
TOLERANCE = 1e-7


def reference_penalty(x: np.ndarray, w: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P and dP/dW with minigan's own softplus (double backward through minigan's autograd)."""
    import minigan as mg

    from .reference import _LOCK

    with _LOCK:
        xt, wt = mg.tensor(x, dtype="float64", requires_grad=True), mg.tensor(w, dtype="float64", requires_grad=True)
        critic = (mg.softplus(xt @ wt) * mg.tensor(v, dtype="float64")).sum()
        (g,) = mg.grad(critic, xt, create_graph=True)
        penalty = (((g * g).sum(axis=1) + 1e-12).sqrt() - 1) ** 2
        penalty = penalty.mean()
        (dw,) = mg.grad(penalty, wt)
        return mg.backend.to_numpy(penalty.data).astype(np.float64), mg.backend.to_numpy(dw.data).astype(np.float64)


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def grade_penalty(submission: str | Path, *, seed: int = 0, timeout: float = 60.0, memory_mb: int = 4096,
                  uid: int | None = None, problem: str | None = None) -> Report:
    cases = ASSIGNMENTS["gradient_penalty"].make_cases(np.random.default_rng(seed))
    arrays = {f"{k}.{name}": a for k, case in enumerate(cases) for name, a in case.arrays.items()}
    calls = []
    for k in range(len(cases)):
        for order in (1, 2):
            calls.append({"id": f"{k}.order{order}", "function": CLASS, "args": [f"{k}.x"], "order": order,
                          "seed": seed * 100 + k, "returns": 3 if order == 1 else 4})
        calls.append({"id": f"{k}.penalty", "function": CLASS, "args": [f"{k}.x", f"{k}.w", f"{k}.v"],
                      "penalty": True, "returns": 2})
    forbidden = ASSIGNMENTS["gradient_penalty"].forbidden_imports
    found = problem or forbidden_imports(submission, forbidden) or forbidden_attributes(submission,
                                                                                      FORBIDDEN_ATTRIBUTES)
    if found:
        run = ChildRun(problem=found if problem else f"{found}; nothing was run, and every check fails")
    else:
        run = run_submission(submission, calls, arrays, timeout=timeout, memory_mb=memory_mb, function_class=CLASS,
                             forbidden=forbidden, uid=uid)
    checks = [Check(f"{CLASS}.apply: forward", [_against(k, run, f"{k}.order1", 0, "out", _softplus(c.arrays["x"]))
                                                 for k, c in enumerate(cases)]),
              Check(f"{CLASS}.backward: dz", [_against(k, run, f"{k}.order1", 1, "dz", _reference_dz(c, seed, k))
                                               for k, c in enumerate(cases)]),
              Check(f"gradcheck: {CLASS}", [_function_result(k, run, f"{k}.order1", [1], [2], "dz")
                                             for k in range(len(cases))]),
              Check(f"gradgradcheck: {CLASS}", [_function_result(k, run, f"{k}.order2", [0, 1], [2, 3],
                                                                 "second derivative") for k in range(len(cases))])]
    expected = [reference_penalty(c.arrays["x"], c.arrays["w"], c.arrays["v"]) for c in cases]
    checks.append(Check("gradient penalty through your Softplus", [
        _against(k, run, f"{k}.penalty", 0, "P", expected[k][0]) for k in range(len(cases))]))
    checks.append(Check("gradient penalty: dP/dW (double backward)", [
        _against(k, run, f"{k}.penalty", 1, "dP/dW", expected[k][1]) for k in range(len(cases))]))
    if not checks[3].passed and checks[2].passed:
        checks[5].note = (f"{CLASS}.backward is right but cannot be differentiated again: build it from minigan "
                          "ops on Tensors (self.inputs, g), not from NumPy arrays.")
    return _report("gradient_penalty", submission, seed, TOLERANCE, cases, checks, run)


def _reference_dz(case: Case, seed: int, k: int) -> np.ndarray:
    """σ(z) · dout, with the dout the runner draws for this case."""
    z = case.arrays["x"]
    dout = np.random.default_rng(seed * 100 + k).standard_normal(z.shape)
    return _sigmoid(z) * dout


def _against(k: int, run: ChildRun, key: str, index: int, name: str, expected: np.ndarray) -> CaseResult:
    if key not in run.results:
        return CaseResult(k, False, np.inf, _missing(run, key))
    result = compare(run.results[key][index], expected, name, TOLERANCE)
    hint = None
    if not result.passed:
        from .hints import ratio_hint

        hint = ratio_hint(expected, run.results[key][index])
    return CaseResult(k, result.passed, result.error, result.message, hint)
