"""``minigan check``: the autograder for course assignments.

Students implement layers in plain NumPy (LeakyReLU, linear, conv2d, transposed conv, batchnorm,
the GAN losses) or their own ``minigan.Function``; the checker runs their file in an isolated
child process and compares every output with minigan's own implementation and with central
differences, naming the worst element and, when it recognises one, the mistake behind it.

    from minigan.grading import grade
    report = grade("conv2d", "conv2d.py", seed=0)
    report.passed, report.score

Instructors write assignments of their own with Assignment, Pair, Case and from_minigan (see
docs/instructors.md) and load them with load_assignment_file.
"""

from .assignments import ASSIGNMENTS, Assignment, Case, Pair
from .cli import main_check
from .dispatch import grade
from .grader import Report, grade_function
from .reference import from_minigan
from .spec import load_assignment_file

__all__ = ["ASSIGNMENTS", "Assignment", "Case", "Pair", "Report", "from_minigan", "grade", "grade_function",
           "load_assignment_file", "main_check"]
