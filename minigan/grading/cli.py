"""Command line of the checker: ``minigan check`` (or ``python -m minigan.grading``).

    minigan check --list
    minigan check --template conv2d > conv2d.py
    minigan check conv2d conv2d.py [--seed 0] [--timeout 60] [--memory-mb 4096] [--json results.json]
    minigan check function my_op.py:MyOp --inputs "(3,4),(4,5)" [--positive] [--first-order]

Exit status: 0 when every check passes, 1 when some fail, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .assignments import ASSIGNMENTS

TEMPLATES = Path(__file__).with_name("templates")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigan check",
        description="Check your implementation of a course assignment against minigan, and see where it "
                    "goes wrong.")
    parser.add_argument("assignment", nargs="?", help="the assignment (see --list)")
    parser.add_argument("file", nargs="?", help="your Python file; for 'function': FILE.py:ClassName")
    parser.add_argument("--list", action="store_true", help="list the assignments")
    parser.add_argument("--template", metavar="NAME", help="print a skeleton to start the assignment from")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    parser.add_argument("--timeout", type=float, default=60.0, help="time limit in seconds (default 60)")
    parser.add_argument("--memory-mb", type=int, default=4096, help="memory limit in MB (default 4096)")
    parser.add_argument("--json", metavar="FILE", help="also write the results in Gradescope's results.json format")
    parser.add_argument("--inputs", metavar="SHAPES", help='function: the input shapes, e.g. "(3,4),(4,5)"')
    parser.add_argument("--positive", action="store_true",
                        help="function: draw inputs from [0.5, 2] instead of N(0, 1) (for log, sqrt, ...)")
    parser.add_argument("--first-order", action="store_true", help="function: skip gradgradcheck")
    return parser


def list_assignments() -> str:
    lines = ["Assignments (minigan check ASSIGNMENT FILE):", ""]
    for spec in ASSIGNMENTS.values():
        lines.append(f"  {spec.name:<18} {spec.summary}")
        functions = ", ".join(spec.functions) or 'a minigan.Function subclass: FILE.py:ClassName --inputs "(3,4)"'
        lines.append(f"  {'':<18} {functions}")
    lines += ["", "Start from a skeleton: minigan check --template NAME > NAME.py"]
    return "\n".join(lines)


def _print(text: str, stream=None) -> None:
    stream = stream or sys.stdout
    try:
        try:
            print(text, file=stream, flush=True)
        except UnicodeEncodeError:  # a terminal that cannot show σ, ≤, ...
            print(text.encode("ascii", "replace").decode("ascii"), file=stream, flush=True)
    except BrokenPipeError:  # the reader went away (| head): not an error of the checker
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def main_check(argv: list[str]) -> int:
    from . import report as report_module
    from .grader import grade, grade_function, parse_shapes

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already printed by argparse
        return int(exit_.code or 0)
    if args.list:
        _print(list_assignments())
        return 0
    if args.template:
        path = TEMPLATES / f"{args.template}.py"
        if args.template not in ASSIGNMENTS or not path.exists():
            _print(f"minigan check: no template {args.template!r}; see --list", sys.stderr)
            return 2
        sys.stdout.write(path.read_text(encoding="utf-8"))
        return 0
    if not args.assignment or not args.file:
        parser.print_usage(sys.stderr)
        _print("minigan check: give an assignment and your file, or --list", sys.stderr)
        return 2
    if args.assignment not in ASSIGNMENTS:
        _print(f"minigan check: unknown assignment {args.assignment!r}; one of {', '.join(ASSIGNMENTS)}",
               sys.stderr)
        return 2
    limits = {"seed": args.seed, "timeout": args.timeout, "memory_mb": args.memory_mb}
    try:
        if args.assignment == "function":
            if not args.inputs:
                _print('minigan check function: give the input shapes, e.g. --inputs "(3,4),(4,5)"', sys.stderr)
                return 2
            report = grade_function(args.file, parse_shapes(args.inputs), positive=args.positive,
                                    second_order=not args.first_order, **limits)
        else:
            if not Path(args.file).is_file():
                _print(f"minigan check: no such file: {args.file}", sys.stderr)
                return 2
            report = grade(args.assignment, args.file, **limits)
    except ValueError as err:
        _print(f"minigan check: {err}", sys.stderr)
        return 2
    _print(report_module.format_report(report))
    if args.json:
        report_module.write_json(args.json, report)
    return 0 if report.passed else 1
