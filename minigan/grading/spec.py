"""Assignments that instructors write: a Python file of their own, loaded by the parent.

The file defines ``ASSIGNMENT``, an :class:`~minigan.grading.assignments.Assignment`: the
functions to implement (forward/backward pairs), the reference (any function returning the
output and the gradients, e.g. written with minigan or NumPy), the cases (with a weight and a
Gradescope visibility each), the tolerance, check weights, forbidden imports and whether hints
are shown. docs/instructors.md has a worked example. The file is the instructor's and runs in
the checker's own process, never in the child.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from .assignments import Assignment


def load_assignment_file(path: str | Path) -> Assignment:
    """The ``ASSIGNMENT`` of an instructor's file, checked; ValueError naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no assignment file {path}")
    name = f"minigan_assignment_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise ValueError(f"{path} could not be loaded: {type(err).__name__}: {err}") from err
    assignment = getattr(module, "ASSIGNMENT", None)
    if not isinstance(assignment, Assignment):
        raise ValueError(f"{path} must define ASSIGNMENT = minigan.grading.Assignment(...), "
                         f"got {type(assignment).__name__}")
    if not assignment.pairs:
        raise ValueError(f"{path}: ASSIGNMENT {assignment.name!r} has no forward/backward pairs")
    cases = assignment.make_cases(np.random.default_rng(0))
    if not cases:
        raise ValueError(f"{path}: ASSIGNMENT {assignment.name!r} makes no cases")
    for case in cases:
        for pair in assignment.pairs:
            missing = [n for n in (*pair.inputs, *(["dout"] if pair.takes_dout else [])) if n not in case.arrays]
            missing += [n for n in pair.params if n not in case.params]
            if missing:
                raise ValueError(f"{path}: case {case.name!r} lacks {', '.join(missing)} needed by {pair.forward}")
    return assignment
