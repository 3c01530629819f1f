"""``python -m minigan.grading ASSIGNMENT FILE`` (the same as ``minigan check``)."""

import sys

from .cli import main_check

sys.exit(main_check(sys.argv[1:]))
