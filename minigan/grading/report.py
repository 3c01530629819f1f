"""The report: a table for the terminal, and Gradescope's results.json.

Gradescope reads {"score": total, "output": text, "tests": [{"name", "score", "max_score", "status",
"output"}, ...]}. The file is written by the parent only, atomically, after the child is dead.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path

from .grader import Check, Report
from .hints import CATALOGUE

WIDTH = 100


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
    return (f"minigan check {report.assignment}: {report.submission}\n"
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
    if shown.hint:
        lines.append(_wrap(CATALOGUE[shown.hint], "hint: "))
    others = [f'{r.case + 1} "{report.cases[r.case].name}"' for r in failing if r is not shown]
    if others:
        lines.append(_wrap(", ".join(others), "also fails in case "))
    if check.note:
        lines.append(_wrap(check.note, "note: "))
    return "\n".join(lines)


def format_report(report: Report) -> str:
    parts = [header(report), "", table(report)]
    if report.problem:
        parts += ["", "PROBLEM: " + report.problem]
    shown_errors: dict[str, str] = {}
    for check in report.checks:
        if not check.passed:
            parts += ["", f"FAIL {check.name}", textwrap.indent(check_details(report, check, shown_errors), "  ")]
    if report.output_bytes:
        parts += ["", f"Your code printed {report.output_bytes} bytes; the last lines were:",
                  textwrap.indent(report.output, "  | ", lambda line: True)]
    failed = sum(not c.passed for c in report.checks)
    verdict = "all checks pass" if report.passed else f"{failed} of {len(report.checks)} checks fail"
    parts += ["", f"Score: {report.score:.2f} / {len(report.checks)}   {'PASS' if report.passed else 'FAIL'}: "
                  f"{verdict} ({report.seconds:.1f} s)"]
    return "\n".join(parts)


def gradescope_results(report: Report) -> dict:
    output = header(report)
    if report.problem:
        output += "\n\nPROBLEM: " + report.problem
    if report.output_bytes:
        output += f"\n\nYour code printed {report.output_bytes} bytes; the last lines were:\n{report.output}"
    tests = [{"name": check.name, "score": round(check.score, 4), "max_score": 1.0,
              "status": "passed" if check.passed else "failed", "output": check_details(report, check)}
             for check in report.checks]
    return {"score": round(sum(t["score"] for t in tests), 4), "output": output, "tests": tests,
            "execution_time": round(report.seconds, 2)}


def write_json(path: str | Path, report: Report) -> None:
    """Write results.json atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(gradescope_results(report), f, indent=2, ensure_ascii=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
