"""``minigan check --gradescope DIR``: a ready autograder folder to zip and upload.

It holds ``setup.sh`` (installs minigan: a wheel placed in the folder, else from the package
index), ``run_autograder`` (grades /autograder/submission into /autograder/results/results.json)
and ``assignments/`` (copies of the instructor's assignment files). run_autograder never hides a
failure of the grader: exit status 0 or 1 with a results.json written is a graded submission;
anything else (the grader was killed, crashed, or was set up wrongly) replaces results.json with
a note for the course staff and fails the run, so that Gradescope shows it.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
if ls ./*.whl >/dev/null 2>&1; then
    pip3 install ./*.whl
else
    pip3 install "minigan=={version}"
fi
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission (as root). The checker runs the student's code as an
# unprivileged user of its own and writes results.json itself, after every process of that user
# is dead. Exit status 0 (all checks pass) and 1 (some fail) are graded submissions.
set -u
AUTOGRADER="${{AUTOGRADER:-/autograder}}"
PYTHON="${{PYTHON:-python3}}"
RESULTS="$AUTOGRADER/results/results.json"
mkdir -p "$AUTOGRADER/results"
rm -f "$RESULTS"
cd "$AUTOGRADER/source"
"$PYTHON" -m minigan check {arguments} --json "$RESULTS"
status=$?
if [ "$status" -gt 1 ] || [ ! -s "$RESULTS" ]; then
    # the grader did not finish: never leave a results.json it did not write
    NOTE="The autograder itself failed (exit status $status). This is not a verdict on your code: tell the staff."
    printf '{{"score": 0, "output": "%s"}}\\n' "$NOTE" > "$RESULTS"
    [ "$status" -gt 1 ] || status=3
    exit "$status"
fi
exit 0
"""


def write_bundle(folder: str | Path, builtins: list[str], specs: list[tuple[str, str]], *, seed: int,
                 timeout: float, memory_mb: int, version: str) -> list[Path]:
    """Write the folder; ``builtins`` are assignment names, ``specs`` (assignment file, submitted file name)."""
    from .assignments import ASSIGNMENTS

    folder = Path(folder)
    (folder / "assignments").mkdir(parents=True, exist_ok=True)
    words = []
    for name in builtins:
        words += [name, f"$AUTOGRADER/submission/{ASSIGNMENTS[name].submission_file}"]
    for spec, submitted in specs:
        copy = folder / "assignments" / Path(spec).name
        if Path(spec).resolve() != copy.resolve():
            shutil.copyfile(spec, copy)
        words += ["--assignment-file", f"assignments/{copy.name}", f"$AUTOGRADER/submission/{submitted}"]
    words += ["--seed", str(seed), "--timeout", f"{timeout:g}", "--memory-mb", str(memory_mb)]
    arguments = " ".join(f'"{w}"' if w.startswith("$") else shlex.quote(w) for w in words)
    written = []
    texts = {"setup.sh": SETUP.format(version=version), "run_autograder": RUN.format(arguments=arguments)}
    for name, text in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
        written.append(path)
    return written + sorted((folder / "assignments").iterdir())
