"""The lesson helpers under their old name: ``from _common import check`` still works in a lesson file.

The helpers live in :mod:`minigan.lessons_support`; new lessons import them from there, so that they
also run as notebooks outside this folder.
"""

from minigan.lessons_support import (  # noqa: F401  (re-exported)
    check,
    lesson_environment,
    mlp,
    output_dir,
    run_as_script,
    save_figure,
    section,
)
