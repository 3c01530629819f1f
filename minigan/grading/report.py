"""The report: a table for the terminal, and Gradescope's results.json.

Gradescope reads {"score": total, "output": text, "execution_time", "extra_data", "tests": [{"name",
"score", "max_score", "status", "output", "visibility", "extra_data"}, ...]}. Each check is one
test, worth its weight; a check's cases of another visibility (hidden, after the due date) form a
test of their own, worth their share of the weight. Several graded files go into one file. Scores
are rounded to hundredths, as people read them. Every text passes through ``text.clean`` (no
escape sequences or control characters). The file is written by the parent only, atomically,
after every process of the child is dead.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path

from .grader import Check, Report
from .hints import CATALOGUE
from .runner import OUTPUT_TAIL_BYTES
from .text import clean, cut

WIDTH = 100
TEST_OUTPUT_LIMIT = 8000  # characters of one test's output in results.json


def _error_text(error: float) -> str:
    return "-" if error == float("inf") else f"{error:.1e}"


def _wrap(text: str, label: str = "") -> str:
    """Prose wrapped to the report's width, continuation lines aligned after the label."""
    return textwrap.fill(text, WIDTH - 2, initial_indent=label, subsequent_indent=" " * len(label),
                         break_long_words=False, break_on_hyphens=False)


def header(report: Report) -> str:
    if report.assignment == "function":
        rule = (f"backward agrees with central differences of forward to a relative error of "
                f"{report.tolerance:g}")
        what = "inputs"
    else:
        rule = f"its relative error against minigan is at most {report.tolerance:g} (float64)"
        what = "cases"
    return (f"minigan check {report.assignment}: {clean(report.submission)}\n"
            f"{len(report.cases)} {what} (seed {report.seed}). A check passes when, in every case, {rule}.")


def table(report: Report) -> str:
    width = max([len(c.name) for c in report.checks] + [5])
    rows = [f"  result  {'check':<{width}}  cases  max rel. error"]
    for check in report.checks:
        passed = sum(r.passed for r in check.results)
        rows.append(f"  {'PASS' if check.passed else 'FAIL':<6}  {check.name:<{width}}  "
                    f"{passed:>2}/{len(check.results):<2}  {_error_text(check.max_error):>14}")
    return "\n".join(rows)


def shown_case(check: Check):
    """The failing case to explain: the first one a hint recognises, else the one with the largest error."""
    failing = [r for r in check.results if not r.passed]
    with_hint = [r for r in failing if r.hint]
    return with_hint[0] if with_hint else max(failing, key=lambda r: r.error)


def check_details(report: Report, check: Check, shown_errors: dict[str, str] | None = None) -> str:
    """What a check found, for the terminal and for Gradescope's per-test output.

    ``shown_errors`` maps error texts already printed to their check's name: the terminal report
    prints each error once.
    """
    if check.passed:
        text = f"passed in all {len(check.results)} cases (largest relative error {_error_text(check.max_error)})"
        return text + (f"\n{_wrap(check.note, 'note: ')}" if check.note else "")
    failing = [r for r in check.results if not r.passed]
    shown = shown_case(check)
    case = report.cases[shown.case]
    message = shown.message
    if report.problem and report.problem in message:
        message = "your code did not get this far (see PROBLEM above)"
    if shown_errors is not None:
        for text, name in shown_errors.items():
            message = message.replace(text, f"the error shown for {name} above")
        if "\n" in message or "Error" in message:
            shown_errors.setdefault(shown.message, check.name)
    lines = [f"fails in {len(failing)} of {len(check.results)} cases",
             f'case {shown.case + 1} "{case.name}": {case.describe()}', message]
    if shown.hint and report.hints:
        lines.append(_wrap(CATALOGUE[shown.hint], "hint: "))
    others = [f'{r.case + 1} "{report.cases[r.case].name}"' for r in failing if r is not shown]
    if others:
        lines.append(_wrap(", ".join(others), "also fails in case "))
    if check.note:
        lines.append(_wrap(check.note, "note: "))
    return "\n".join(lines)


def output_section(report: Report) -> str:
    """What the submission printed: its size, the kept tail, and where it was cut."""
    if report.output_cut:
        head = (f"Your code printed {report.output_bytes} bytes; only the last {OUTPUT_TAIL_BYTES} bytes are "
                f"kept (the report's limit on printed output). The last lines were:")
    else:
        head = f"Your code printed {report.output_bytes} bytes; the last lines were:"
    return head + "\n" + textwrap.indent(report.output, "  | ", lambda line: True)


def _score(value: float) -> str:
    return f"{value:.2f}"


def format_report(report: Report) -> str:
    parts = [header(report), "", table(report)]
    if report.problem:
        parts += ["", "PROBLEM: " + report.problem]
    shown_errors: dict[str, str] = {}
    for check in report.checks:
        if not check.passed:
            parts += ["", f"FAIL {check.name}", textwrap.indent(check_details(report, check, shown_errors), "  ")]
    if report.output_bytes:
        parts += ["", output_section(report)]
    failed = sum(not c.passed for c in report.checks)
    verdict = "all checks pass" if report.passed else f"{failed} of {len(report.checks)} checks fail"
    parts += ["", f"Score: {_score(report.score)} / {report.max_score:g}   {'PASS' if report.passed else 'FAIL'}: "
                  f"{verdict} ({report.seconds:.1f} s)"]
    return clean("\n".join(parts))


def _round(value: float) -> float:
    return round(value + 0.0, 2)


def _tests(report: Report, prefix: str) -> list[dict]:
    tests = []
    for check in report.checks:
        weights = check.weights()
        total = sum(weights[r.case] for r in check.results) or 1.0
        groups: dict[str, list] = {}
        for result in check.results:
            groups.setdefault(report.cases[result.case].visibility if report.cases else "visible", []).append(result)
        for visibility, results in groups.items():
            part = Check(check.name, results, check.note, check.weight, check.case_weights)
            share = check.weight * sum(weights[r.case] for r in results) / total
            score = check.weight * sum(weights[r.case] for r in results if r.passed) / total
            name = check.name if visibility == "visible" else f"{check.name} ({visibility.replace('_', ' ')} cases)"
            tests.append({
                "name": clean(prefix + name), "score": _round(score), "max_score": _round(share),
                "status": "passed" if part.passed else "failed", "visibility": visibility,
                "output": cut(clean(check_details(report, part)), TEST_OUTPUT_LIMIT, "this test's output"),
                "extra_data": {"cases": [report.cases[r.case].name for r in results] if report.cases else [],
                               "passed": [bool(r.passed) for r in results],
                               "max_relative_error": None if part.max_error == float("inf") else part.max_error,
                               "hint": next((r.hint for r in results if not r.passed and r.hint), None)}})
    return tests


def gradescope_results(reports: Report | list[Report]) -> dict:
    """results.json for one graded file or several."""
    reports = [reports] if isinstance(reports, Report) else list(reports)
    outputs, tests = [], []
    for report in reports:
        output = header(report)
        if report.problem:
            output += "\n\nPROBLEM: " + report.problem
        if report.output_bytes:
            output += "\n\n" + output_section(report)
        outputs.append(clean(output))
        prefix = f"{Path(report.submission).name}: " if len(reports) > 1 else ""
        tests += _tests(report, prefix)
    return {"score": _round(sum(t["score"] for t in tests)),
            "output": cut("\n\n".join(outputs), TEST_OUTPUT_LIMIT, "the output"), "tests": tests,
            "execution_time": round(sum(r.seconds for r in reports), 2),
            "extra_data": {"submissions": [clean(r.submission) for r in reports],
                           "seeds": [r.seed for r in reports], "sandboxed": all(r.uid is not None for r in reports),
                           "pid_namespace": all(r.extra.get("pid_namespace") for r in reports)}}


def write_json(path: str | Path, reports: Report | list[Report]) -> None:
    """Write results.json atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(gradescope_results(reports), f, indent=2, ensure_ascii=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
