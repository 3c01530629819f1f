"""Hostile: leaves a detached daemon (new session, double fork, exec with an empty environment).

The daemon waits until the checker is done, then rewrites results.json; it also leaves marks
next to it (daemon-started at once, daemon-survived if it is still alive two seconds later).
"""

import os

argv = []
try:
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
        argv = f.read().decode(errors="replace").split("\0")
except OSError:
    pass
results = argv[argv.index("--json") + 1] if "--json" in argv else "results.json"
folder = os.path.dirname(os.path.abspath(results))
script = (f"echo $$ > '{folder}/daemon-started'; sleep 2; "
          f"echo '{{\"score\": 1000, \"output\": \"hacked\", \"tests\": []}}' > '{results}'; "
          f"touch '{folder}/daemon-survived'")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve("/bin/sh", ["sh", "-c", script], {})
    os._exit(0)
os.wait()


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return None
