"""``grade``: the one entry point that picks how an assignment is checked."""

from __future__ import annotations

from pathlib import Path

from .assignments import ASSIGNMENTS, Assignment
from .grader import Report, grade_pairs
from .penalty import grade_penalty


def grade(assignment: str | Assignment, submission: str | Path, *, seed: int = 0, timeout: float = 60.0,
          memory_mb: int = 4096, uid: int | None = None, problem: str | None = None) -> Report:
    """Check a student's file for one assignment (all but ``function``; see :func:`grader.grade_function`).

    ``assignment`` is a built-in name or an :class:`Assignment` (e.g. from an instructor's file). The
    gradient-penalty assignment differentiates the student's Function twice (:mod:`.penalty`); every other
    assignment compares forward/backward pairs (:func:`grader.grade_pairs`).
    With ``problem`` (e.g. the file is missing) nothing is run and every check fails with it.
    """
    spec = ASSIGNMENTS[assignment] if isinstance(assignment, str) else assignment
    if spec is ASSIGNMENTS["gradient_penalty"]:
        return grade_penalty(submission, seed=seed, timeout=timeout, memory_mb=memory_mb, uid=uid, problem=problem)
    return grade_pairs(spec, submission, seed=seed, timeout=timeout, memory_mb=memory_mb, uid=uid, problem=problem)
