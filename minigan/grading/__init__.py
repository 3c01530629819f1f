"""``minigan check``: the autograder for course assignments.

Students implement layers in plain NumPy (LeakyReLU, linear, conv2d, transposed conv, batchnorm,
the GAN losses) or their own ``minigan.Function``; the checker runs their file in an isolated
child process and compares every output with minigan's own implementation and with central
differences, naming the worst element and, when it recognises one, the mistake behind it.

    from minigan.grading import grade
    report = grade("conv2d", "conv2d.py", seed=0)
    report.passed, report.score
"""

from .assignments import ASSIGNMENTS
from .cli import main_check
from .grader import Report, grade, grade_function

__all__ = ["ASSIGNMENTS", "Report", "grade", "grade_function", "main_check"]
