"""Grade a submission: draw the cases, run the student's code in a child process, compare, score.

For each forward/backward pair the checks are

    forward: out          the student's output against minigan's
    backward: dx, dw...   each gradient against minigan's (float64, relative error ≤ tolerance)
    backward vs. your forward
                          the student's gradients against central differences of the student's OWN
                          forward: it tells a wrong forward from a wrong backward

Each check runs on every case; its score is its weight times the (weighted) fraction of cases it
passes. Expected answers, central differences, verdicts and scores are computed here, in the
parent; the child only returns raw arrays.

A backward that differentiates the forward numerically is recognised by its cost, measured by the
parent from the child's CPU clock (outside the student's code). The forward is called alone, then
the backward alone (the same request around each, so the channel's own cost cancels), each
COST_REPEATS times, the cheapest call that gives the first call's answer again counting (a first
call's warm-up, or a busy machine, would otherwise cost as much as central differences of a small
case; a repeat answered otherwise, say fast zeros, does not count); then the forward on a batch of
2n perturbed inputs, which gives the cost of one forward call. In units of that,

    r = |cost of the backward call − cost of the forward call| / cost of one forward

(the absolute value, so that work moved from the backward into the forward call counts too). An
analytic backward costs a few forwards, or, written as Python loops, a fraction of a forward per
input element; central differences cost about one to two forwards per input element (the batch's
calls carry a little more overhead than the student's own). The pair's gradient checks get no
marks when, over all cases, Σ r ≥ NUMERIC_CALLS_PER_ELEMENT · Σ n (n: input elements of a case)
and the mean r is at least NUMERIC_CALLS_MIN: below that, a numerical and an analytic backward
cost too little to be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .assignments import ASSIGNMENTS, Assignment, Case, Pair
from .compare import Comparison, compare
from .hints import ratio_hint, recognise
from .policy import forbidden_imports
from .runner import ChildRun, run_submission

# Gradients against central differences (step 1e-5) of the student's own forward. Their error is
# absolute (round-off in the forward over the step), so the floor is set by the largest gradient of
# all the inputs together.
NUMERIC_TOLERANCE = 1e-4
NUMERIC_FLOOR = 1e-3
NUMERIC_CALLS_MIN = 16  # a backward costing fewer forwards than this (on average) is never called numerical
NUMERIC_CALLS_PER_ELEMENT = 0.5
COST_REPEATS = 3  # the forward and the backward are each called this often; the cheapest call is the cost


@dataclass
class CaseResult:
    case: int
    passed: bool
    error: float  # the largest relative error; inf when the result is missing, misshapen or not finite
    message: str = ""
    hint: str | None = None  # a key of hints.CATALOGUE


@dataclass
class Check:
    name: str
    results: list[CaseResult]
    note: str = ""  # a diagnosis across checks, e.g. "your forward is right: the mistake is in the backward"
    weight: float = 1.0  # the check's points
    case_weights: list[float] | None = None  # each case's share (default equal)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def weights(self) -> list[float]:
        return self.case_weights or [1.0] * len(self.results)

    @property
    def score(self) -> float:
        weights = self.weights()
        total = sum(weights[r.case] for r in self.results)
        return self.weight * sum(weights[r.case] for r in self.results if r.passed) / total if total else 0.0

    @property
    def max_error(self) -> float:
        return max((r.error for r in self.results), default=0.0)


@dataclass
class Report:
    assignment: str
    submission: str
    seed: int
    tolerance: float
    cases: list[Case]
    checks: list[Check]
    problem: str | None = None  # the submission could not be imported, crashed, timed out, exited
    output: str = ""  # the last lines the submission printed
    output_bytes: int = 0
    output_cut: bool = False
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    uid: int | None = None  # the user the submission ran as (None: the caller's own)
    hints: bool = True

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.weight for c in self.checks)


def grade_pairs(spec: Assignment, submission: str | Path, *, seed: int = 0, timeout: float = 60.0,
                memory_mb: int = 4096, uid: int | None = None, problem: str | None = None) -> Report:
    """Check a student's file for an assignment made of forward/backward pairs (see :func:`dispatch.grade`).

    With ``problem`` (e.g. the file is missing) nothing is run and every check fails with it.
    """
    cases = spec.make_cases(np.random.default_rng(seed))
    expected = [{name: values for pair in spec.pairs for name, values in _expected(pair, case).items()}
                for case in cases]
    calls, arrays = _plan(spec.pairs, cases)
    found = problem or forbidden_imports(submission, spec.forbidden_imports)
    if found:
        run = ChildRun(problem=found if problem else f"{found}; nothing was run, and every check fails")
    else:
        run = run_submission(submission, calls, arrays, timeout=timeout, memory_mb=memory_mb,
                             forbidden=spec.forbidden_imports, uid=uid)
    checks = []
    for pair in spec.pairs:
        checks += _pair_checks(spec.name if spec.hints else "", spec.tolerance, pair, cases, expected, run)
    case_weights = [case.weight for case in cases]
    for check in checks:
        check.weight, check.case_weights = spec.weight(check.name), case_weights
    report = _report(spec.name, submission, seed, spec.tolerance, cases, checks, run)
    report.hints = spec.hints
    return report


def _expected(pair: Pair, case: Case) -> dict[str, tuple[np.ndarray, ...]]:
    args = [case.arrays[name] for name in pair.inputs] + [case.params[name] for name in pair.params]
    out, *grads = pair.reference(*args, case.arrays["dout"] if pair.takes_dout else None)
    if pair.takes_dout and out.shape != case.arrays["dout"].shape:
        raise RuntimeError(f"{pair.forward}: case {case.name!r} expects output {case.arrays['dout'].shape}, "
                           f"minigan gives {out.shape}")
    return {pair.forward: (out,), pair.backward: tuple(grads)}


def _plan(pairs, cases: list[Case]) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The calls the child makes (forward and backward of every case first, central differences last)."""
    arrays = {f"{k}.{name}": a for k, case in enumerate(cases) for name, a in case.arrays.items()}
    calls, numeric = [], []
    for k, case in enumerate(cases):
        for pair in pairs:
            args = [f"{k}.{name}" for name in pair.inputs] + [case.params[name] for name in pair.params]
            dout = [f"{k}.dout"] if pair.takes_dout else []
            calls.append({"id": f"{k}.{pair.forward}", "function": pair.forward, "args": args,
                          "outputs": [pair.output], "returns": 1, "repeats": COST_REPEATS})
            calls.append({"id": f"{k}.{pair.backward}", "function": pair.backward, "args": dout + args,
                          "outputs": list(pair.grads), "returns": len(pair.grads), "repeats": COST_REPEATS})
            numeric.append({"id": f"{k}.{pair.backward}.numeric", "function": pair.forward, "args": args,
                            "numeric": {"wrt": list(range(len(pair.inputs))), "weights": (dout or [None])[0]},
                            "returns": len(pair.inputs)})
    return calls + numeric, arrays


def _missing(run: ChildRun, key: str) -> str:
    return run.errors.get(key) or run.problem or "no result came back from your code"


def _output_result(assignment, k, case, run, key, index, function, output, expected, tolerance) -> CaseResult:
    if key not in run.results:
        return CaseResult(k, False, np.inf, _missing(run, key))
    got, dtype = run.results[key][index], run.dtypes[key][index]
    result = compare(got, expected, output, tolerance)
    hint = None
    if not result.passed and assignment:  # "" when the assignment shows no hints
        try:
            hint = recognise(assignment, function, output, case, expected, got, dtype)
        except Exception:  # a hint is a bonus: whatever the submission returned, grading goes on
            hint = None
    return CaseResult(k, result.passed, result.error, result.message, hint)


def _consistency_result(k, run, pair: Pair) -> CaseResult:
    key = f"{k}.{pair.backward}"
    if key not in run.results:
        return CaseResult(k, False, np.inf, f"{pair.backward} gave no result: {_missing(run, key)}")
    numeric_key = f"{key}.numeric"
    if numeric_key not in run.results:
        return CaseResult(k, False, np.inf, f"central differences of your {pair.forward} could not be computed: "
                                            f"{_missing(run, numeric_key)}")
    numerical = run.results[numeric_key]
    if not all(np.all(np.isfinite(n)) for n in numerical):
        return CaseResult(k, False, np.inf, f"central differences of your {pair.forward} are not finite: it returns "
                                            "NaN or infinity for these inputs or very near them")
    worst = _worst(list(zip(pair.grads, run.results[key], numerical)))
    message = "" if worst.passed else (f"your gradients disagree with central differences of your own "
                                       f"{pair.forward}:\n{worst.message}")
    return CaseResult(k, worst.passed, worst.error, message)


def _worst(triples) -> Comparison:
    """Compare (name, gradient, numerical gradient) triples on a common scale; the worst comparison."""
    scale = max((float(np.max(np.abs(n), initial=0.0)) for _, _, n in triples), default=0.0)
    results = [compare(got, numerical, name, NUMERIC_TOLERANCE, NUMERIC_FLOOR, scale, ("numerically", "yours"))
               for name, got, numerical in triples]
    return max(results, key=lambda r: r.error)


def _pair_checks(assignment, tolerance, pair: Pair, cases, expected, run) -> list[Check]:
    forward = Check(f"{pair.forward}: {pair.output}", [
        _output_result(assignment, k, case, run, f"{k}.{pair.forward}", 0, pair.forward, pair.output,
                       expected[k][pair.forward][0], tolerance) for k, case in enumerate(cases)])
    backward = [Check(f"{pair.backward}: {name}", [
        _output_result(assignment, k, case, run, f"{k}.{pair.backward}", i, pair.backward, name,
                       expected[k][pair.backward][i], tolerance) for k, case in enumerate(cases)])
        for i, name in enumerate(pair.grads)]
    consistency = Check(f"{pair.backward} vs. your forward",
                        [_consistency_result(k, run, pair) for k in range(len(cases))])
    calls = numerical_backward(run, pair, cases)
    if calls is not None:
        message = (f"your {pair.backward} calls your {pair.forward} about {calls} times (its cost, measured by "
                   f"the checker outside your code, is that of {calls} calls of your forward): it computes the "
                   "gradient numerically, and a numerical gradient gets no marks here")
        for check in (*backward, consistency):
            check.results = [CaseResult(r.case, False, r.error, message) for r in check.results]
        return [forward, *backward, consistency]
    if forward.passed and not all(c.passed for c in backward):
        consistency.note = f"Your {pair.forward} is right, so the mistake is in {pair.backward}."
    elif not forward.passed and consistency.passed:
        forward.note = (f"Your {pair.backward} agrees with your own {pair.forward}: fix the forward first, "
                        "and the backward probably follows.")
    return [forward, *backward, consistency]


def numerical_backward(run: ChildRun, pair: Pair, cases: list[Case]) -> int | None:
    """The mean cost of the backward in forward calls, when it says "numerical"; else None."""
    ratios, elements = [], 0
    for k, case in enumerate(cases):
        forward, backward, batch = (f"{k}.{pair.forward}", f"{k}.{pair.backward}", f"{k}.{pair.backward}.numeric")
        if backward not in run.results or batch not in run.evaluations or forward not in run.cpu:
            continue
        per_call = run.cpu[batch] / run.evaluations[batch]
        if per_call <= 0:
            continue
        ratios.append(abs(run.cpu[backward] - run.cpu[forward]) / per_call)
        elements += sum(case.arrays[name].size for name in pair.inputs)
    if not ratios:
        return None
    mean = float(np.mean(ratios))
    if mean < NUMERIC_CALLS_MIN or sum(ratios) < NUMERIC_CALLS_PER_ELEMENT * elements:
        return None
    return int(round(mean))


def _report(assignment, submission, seed, tolerance, cases, checks, run: ChildRun) -> Report:
    return Report(assignment, str(submission), seed, tolerance, cases, checks, run.problem, run.output,
                  run.output_bytes, run.output_cut, run.seconds, {"pid_namespace": run.pid_namespace}, uid=run.uid)


# ----------------------------------------------------------------------------- your own Function


def parse_shapes(text: str) -> list[tuple[int, ...]]:
    """'(3,4),(4,5)' -> [(3, 4), (4, 5)];  '(3,)' or '3' -> [(3,)]."""
    import ast

    try:
        value = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError) as err:
        raise ValueError(f"cannot read the shapes {text!r}: write them like \"(3,4),(4,5)\"") from err
    shapes = [tuple(v) if isinstance(v, (tuple, list)) else (v,) for v in value]
    if not shapes or not all(isinstance(n, int) and n > 0 for shape in shapes for n in shape):
        raise ValueError(f"shapes must be tuples of positive integers, got {text!r}")
    if sum(int(np.prod(s)) for s in shapes) > 2000:
        raise ValueError("keep the inputs small (2000 numbers in all): every number costs two calls of forward")
    return shapes


def grade_function(target: str, shapes: list[tuple[int, ...]], *, seed: int = 0, timeout: float = 60.0,
                   memory_mb: int = 4096, positive: bool = False, second_order: bool = True,
                   uid: int | None = None, problem: str | None = None) -> Report:
    """Check a student's minigan.Function subclass, ``target`` = 'file.py:ClassName'."""
    path, _, name = target.rpartition(":")
    if not path or not name.isidentifier():
        raise ValueError(f"give the class as FILE.py:ClassName, got {target!r}")
    rng = np.random.default_rng(seed)
    cases = []
    for label in ("random inputs", "another draw"):
        draw = (lambda s: rng.uniform(0.5, 2.0, s)) if positive else rng.standard_normal
        cases.append(Case(label, {f"input{i}": draw(shape) for i, shape in enumerate(shapes)}, {}))
    arrays = {f"{k}.{key}": a for k, case in enumerate(cases) for key, a in case.arrays.items()}
    calls = []
    for k, case in enumerate(cases):
        args = [f"{k}.{key}" for key in case.arrays]
        for order in (1, 2) if second_order else (1,):
            returns = 1 + 2 * len(shapes) if order == 1 else 2 * (len(shapes) + 1)
            calls.append({"id": f"{k}.order{order}", "function": name, "args": args, "order": order,
                          "seed": seed * 100 + k, "returns": returns})
    forbidden = ASSIGNMENTS["function"].forbidden_imports
    found = problem or forbidden_imports(path, forbidden)
    if found:
        run = ChildRun(problem=found if problem else f"{found}; nothing was run, and every check fails")
    else:
        run = run_submission(path, calls, arrays, timeout=timeout, memory_mb=memory_mb, function_class=name,
                             forbidden=forbidden, uid=uid)
    n = len(shapes)
    checks = [Check(f"{name}.apply: forward", [_forward_runs(k, run, name) for k in range(len(cases))])]
    for i, shape in enumerate(shapes):
        checks.append(Check(f"gradcheck: input {i} {shape}", [
            _function_result(k, run, f"{k}.order1", [1 + i], [1 + n + i], f"d/d input{i}")
            for k in range(len(cases))]))
    if second_order:
        checks.append(Check("gradgradcheck", [
            _function_result(k, run, f"{k}.order2", list(range(n + 1)), list(range(n + 1, 2 * n + 2)),
                             "second derivative") for k in range(len(cases))]))
    return _report("function", target, seed, NUMERIC_TOLERANCE, cases, checks, run)


def _forward_runs(k, run, name) -> CaseResult:
    key = f"{k}.order1"
    if key not in run.results:
        return CaseResult(k, False, np.inf, _missing(run, key))
    out = run.results[key][0]
    if not np.all(np.isfinite(out)):
        return CaseResult(k, False, np.inf, f"{name}'s output contains NaN or infinity", "not_finite")
    return CaseResult(k, True, 0.0)


def _function_result(k, run, key, analytical, numerical, what) -> CaseResult:
    if key not in run.results:
        return CaseResult(k, False, np.inf, _missing(run, key))
    values = run.results[key]
    worst = _worst([(what, values[a], values[b]) for a, b in zip(analytical, numerical)])
    if worst.passed:
        return CaseResult(k, True, worst.error)
    hints = [ratio_hint(values[b], values[a]) for a, b in zip(analytical, numerical)]
    return CaseResult(k, False, worst.error, f"backward disagrees with central differences of forward:\n"
                      f"{worst.message}", next((h for h in hints if h), None))
