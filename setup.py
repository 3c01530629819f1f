"""Package discovery for setuptools; everything else is in pyproject.toml.

Every ``minigan*`` package is found automatically, and the top-level ``lessons/`` folder (where users
look for the lessons) ships inside the wheel as the package ``minigan.lessons``, so ``minigan lesson``
works from a plain, non-editable install.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["minigan*"]) + ["minigan.lessons"],
    package_dir={"minigan.lessons": "lessons"},
)
