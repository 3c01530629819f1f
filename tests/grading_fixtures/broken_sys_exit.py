"""Broken: calls sys.exit while being imported."""

import sys

sys.exit("done")
