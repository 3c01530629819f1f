"""Command line of the checker: ``minigan check`` (or ``python -m minigan.grading``).

    minigan check --list
    minigan check --template conv2d > conv2d.py
    minigan check conv2d conv2d.py [linear linear.py ...] [--seed 0] [--timeout 60] [--memory-mb 4096]
                  [--json results.json]
    minigan check --assignment-file spec.py FILE [--json results.json]
    minigan check function my_op.py:MyOp --inputs "(3,4),(4,5)" [--positive] [--first-order]
    minigan check --gradescope DIR conv2d [--assignment-file spec.py FILE_NAME] [--seed 1234]

Exit status: 0 when every check passes, 1 when some fail, 2 for a usage error, 3 when the checker
itself failed (nothing is written then).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from .assignments import ASSIGNMENTS

TEMPLATES = Path(__file__).with_name("templates")

SANDBOX_NOTE = (
    "Run as root (as on Gradescope), the submission runs as an unprivileged user of its own, with no "
    "write access to the package, the submission or the results, and every process of that user is "
    "killed before results are written. Run as any other user (a student's laptop), the checks give "
    "feedback, not a sandbox: the code runs as you.")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"--timeout must be between 0 and 86400 seconds, got {text!r}")
    return value


def _memory(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--memory-mb must be a whole number of MB, got {text!r}") from None
    if not 256 <= value <= 1 << 20:
        raise argparse.ArgumentTypeError(f"--memory-mb must be between 256 and 1048576, got {text!r}")
    return value


def _uid(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--uid must be a number, got {text!r}") from None
    if not 0 < value < 2**32 - 1:
        raise argparse.ArgumentTypeError(f"--uid must be a user id other than root's (0), got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A usage error is one line on stderr and exit status 2."""
        self.exit(2, f"minigan check: {message} (see minigan check --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="minigan check",
        description="Check your implementation of a course assignment against minigan, and see where it "
                    "goes wrong.", epilog=SANDBOX_NOTE)
    parser.add_argument("items", nargs="*", metavar="ASSIGNMENT FILE",
                        help="an assignment (see --list) and your Python file; several pairs grade several files "
                             "(for 'function': FILE.py:ClassName)")
    parser.add_argument("--list", action="store_true", help="list the assignments")
    parser.add_argument("--template", metavar="NAME", help="print a skeleton to start the assignment from")
    parser.add_argument("--assignment-file", nargs=2, action="append", default=[], metavar=("SPEC", "FILE"),
                        help="an instructor's assignment file and the file to grade with it (may repeat)")
    parser.add_argument("--gradescope", metavar="DIR",
                        help="write a Gradescope autograder folder (setup.sh, run_autograder, the assignments) "
                             "for the ASSIGNMENT names given and each --assignment-file SPEC FILE_NAME")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    parser.add_argument("--timeout", type=_positive_seconds, default=60.0,
                        help="time limit in seconds for each file (default 60)")
    parser.add_argument("--memory-mb", type=_memory, default=4096, help="memory limit in MB (default 4096)")
    parser.add_argument("--uid", type=_uid, help="as root: run submissions as this user id (and group id) "
                                                 "instead of a free one of the checker's own")
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
        functions = spec.writes or ", ".join(spec.functions)
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


class UsageError(Exception):
    """A mistake on the command line: one line, exit status 2."""


def missing_file_message(path: str) -> str:
    """The expected file, and what the folder holds instead (a misnamed file shows up here)."""
    target = Path(path)
    folder = target.parent
    try:
        found = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))[:20]
    except OSError:
        found = None
    listing = ("the folder does not exist" if found is None else
               f"it holds: {', '.join(found)}" if found else "it is empty")
    return (f"expected your file {target.name} in {folder} ({listing}). Submit a file named exactly "
            f"{target.name}; nothing was graded")


def _jobs(args) -> list[tuple[object, str]]:
    """(assignment name or Assignment, file) pairs from the command line."""
    from .spec import load_assignment_file

    items = list(args.items)
    if len(items) % 2:
        raise UsageError("give each assignment with its file: ASSIGNMENT FILE [ASSIGNMENT FILE ...], or --list")
    jobs: list[tuple[object, str]] = []
    for name, path in zip(items[::2], items[1::2]):
        if name not in ASSIGNMENTS:
            raise UsageError(f"unknown assignment {name!r}; one of {', '.join(ASSIGNMENTS)}")
        jobs.append((name, path))
    for spec, path in args.assignment_file:
        try:
            jobs.append((load_assignment_file(spec), path))
        except ValueError as err:
            raise UsageError(str(err)) from None
    if not jobs:
        raise UsageError("give an assignment and your file, or --list")
    return jobs


def _grade_one(assignment, path: str, args, limits: dict):
    from .dispatch import grade
    from .grader import grade_function, parse_shapes

    if assignment == "function":
        if not args.inputs:
            raise UsageError('minigan check function: give the input shapes, e.g. --inputs "(3,4),(4,5)"')
        shapes = parse_shapes(args.inputs)
        file = path.rpartition(":")[0] or path
        problem = None if Path(file).is_file() else missing_file_message(file)
        if problem and not args.json:
            raise UsageError(f"no such file: {file}")
        return grade_function(path, shapes, positive=args.positive, second_order=not args.first_order,
                              problem=problem, **limits)
    problem = None if Path(path).is_file() else missing_file_message(path)
    if problem and not args.json:
        raise UsageError(f"no such file: {path}")
    return grade(assignment, path, problem=problem, **limits)


def _bundle(args) -> int:
    from . import gradescope
    from .spec import load_assignment_file

    unknown = [name for name in args.items if name not in ASSIGNMENTS or name == "function"]
    if unknown:
        raise UsageError(f"--gradescope takes assignment names (not 'function') and --assignment-file SPEC "
                         f"FILE_NAME; unknown: {', '.join(unknown)}")
    for spec, _ in args.assignment_file:
        try:
            load_assignment_file(spec)
        except ValueError as err:
            raise UsageError(str(err)) from None
    if not args.items and not args.assignment_file:
        raise UsageError("--gradescope DIR needs an assignment name or --assignment-file SPEC FILE_NAME")
    from .. import __version__

    written = gradescope.write_bundle(args.gradescope, list(args.items), [tuple(s) for s in args.assignment_file],
                                      seed=args.seed, timeout=args.timeout, memory_mb=args.memory_mb,
                                      version=__version__)
    _print("\n".join(["Wrote:"] + [f"  {p}" for p in written] +
                     ["Zip the folder's contents (zip -r autograder.zip .) and upload it as the autograder."]))
    return 0


def main_check(argv: list[str]) -> int:
    from . import report as report_module

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
    limits = {"seed": args.seed, "timeout": args.timeout, "memory_mb": args.memory_mb, "uid": args.uid}
    try:
        if args.gradescope:
            return _bundle(args)
        reports = [_grade_one(assignment, path, args, limits) for assignment, path in _jobs(args)]
    except (UsageError, ValueError) as err:
        _print(f"minigan check: {err}", sys.stderr)
        return 2
    except Exception as err:  # the checker itself failed: never an exit status that reads as a grade
        _print(f"minigan check: the checker failed ({type(err).__name__}: {err}); no results were written",
               sys.stderr)
        return 3
    _print("\n\n".join(report_module.format_report(r) for r in reports))
    if args.json:
        report_module.write_json(args.json, reports)
    return 0 if all(r.passed for r in reports) else 1
