"""Run a submission in a child process that cannot hang, flood or score the checker.

The parent writes the inputs to a private temporary directory and starts child.py there with a
minimal environment, its output going to a file. The child limits its own memory (RLIMIT_AS),
CPU time and file sizes before it imports the student's file. The parent waits at most
``timeout`` seconds, then kills the child's whole process group and any process still carrying
this run's token in its environment. Only then does it read the results: .npz files with no
pickle allowed and a size cap, and short error texts.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHILD = Path(__file__).with_name("child.py")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
TOKEN_VARIABLE = "MINIGAN_CHECK_TOKEN"
MAX_RESULT_BYTES = 64 << 20
OUTPUT_FILE_MB = 100

_SIGNALS = {
    signal.SIGSEGV: "a segmentation fault: memory was read or written out of bounds (ctypes, or a bug in "
                    "compiled code)",
    signal.SIGKILL: "it was killed, probably for using too much memory",
    signal.SIGXCPU: "it used more CPU time than allowed",
    signal.SIGABRT: "it aborted",
    signal.SIGBUS: "a bus error (bad memory access)",
    signal.SIGFPE: "a floating-point exception",
}


@dataclass
class ChildRun:
    """What came back from the child: results by call id, error texts, and how the process ended."""

    results: dict[str, list[np.ndarray]] = field(default_factory=dict)
    dtypes: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why results may be missing: import error, time limit, crash, early exit
    output: str = ""  # the last lines the submission printed
    output_bytes: int = 0
    seconds: float = 0.0
    finished: bool = False  # the child reached its end (it writes out/done)


def run_submission(submission: str | Path, calls: list[dict], arrays: dict[str, np.ndarray], *,
                   timeout: float = 60.0, memory_mb: int = 4096, function_class: str | None = None) -> ChildRun:
    """Call the submission's functions as ``calls`` say, in a child process; never raises for its sake.

    Each call is {"id", "function", "args" (array names or numbers), "returns" (how many arrays), and
    "outputs" (their names), or "numeric" (central differences), or "order" (a minigan.Function)}.
    """
    job = {"submission": str(Path(submission).resolve()), "calls": calls, "memory_mb": int(memory_mb),
           "cpu_seconds": int(timeout) + 5, "file_mb": OUTPUT_FILE_MB, "function_class": function_class}
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="minigan-check-", ignore_cleanup_errors=True) as tmp:
        job_dir = Path(tmp)
        (job_dir / "out").mkdir()
        (job_dir / "work").mkdir()
        np.savez(job_dir / "inputs.npz", **arrays)
        (job_dir / "job.json").write_text(json.dumps(job))
        log_path = job_dir / "output.txt"
        start = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen([sys.executable, str(CHILD), str(job_dir)], cwd=job_dir / "work",
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=_child_env(token, job_dir / "work"), start_new_session=True)
            try:
                process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(process.pid)
                returncode = process.wait()
                _kill_tagged(token)
        run = _collect(job_dir / "out", calls)
        run.seconds = time.monotonic() - start
        run.output, run.output_bytes = _tail(log_path)
    if run.problem is None:
        run.problem = _process_problem(timed_out, returncode, timeout, run.finished)
    return run


def _child_env(token: str, home: Path) -> dict[str, str]:
    """A small environment: no secrets of the parent, one thread for BLAS, minigan importable."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "PYTHONPATH": str(PACKAGE_ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHONHASHSEED": "0", "MINIGAN_BACKEND": "numpy", TOKEN_VARIABLE: token}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_tagged(token: str) -> None:
    """Kill processes the submission left behind, even in a new session: they inherit the token."""
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def _collect(out: Path, calls: list[dict]) -> ChildRun:
    run = ChildRun()
    import_error = _read_text(out / "import.err")
    if import_error is not None:
        run.problem = f"your file could not be imported:\n{import_error}"
    run.finished = (out / "done").exists()
    for call in calls:
        key = call["id"]
        error = _read_text(out / f"{key}.err")
        if error is not None:
            run.errors[key] = error
            continue
        path = out / f"{key}.npz"
        if path.exists():
            try:
                run.results[key], run.dtypes[key] = _load_arrays(path, call["returns"])
            except Exception as err:  # a malformed file can only come from the submission itself
                run.errors[key] = f"the result could not be read back ({type(err).__name__}: {err})"
    return run


def _load_arrays(path: Path, count: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` float64 arrays and their original dtypes, or an exception."""
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_RESULT_BYTES:
            raise ValueError(f"more than {MAX_RESULT_BYTES >> 20} MB of results")
    with np.load(path, allow_pickle=False) as data:
        arrays = [np.asarray(data[f"arr_{i}"], dtype=np.float64) for i in range(count)]
        dtypes = [str(d) for d in data["dtypes"]]
    if len(data.files) != count + 1 or len(dtypes) != count:
        raise ValueError(f"expected {count} arrays")
    return arrays, dtypes


def _read_text(path: Path, limit: int = 4000) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _tail(path: Path, max_bytes: int = 2000, max_lines: int = 12) -> tuple[str, int]:
    """The last lines the child printed, and how many bytes it printed in all."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - max_bytes))
        lines = f.read().decode("utf-8", "replace").splitlines()[-max_lines:]
    return "\n".join(line if len(line) <= 200 else line[:200] + " ..." for line in lines), size


def _process_problem(timed_out: bool, returncode: int, timeout: float, finished: bool) -> str | None:
    if timed_out:
        return (f"your code was stopped at the time limit of {timeout:g} s (an infinite loop, or code far too "
                "slow); the checks it had not finished fail")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        reason = _SIGNALS.get(-returncode, "it was stopped by a signal")
        return f"your code crashed the Python process ({name}: {reason}); the checks it had not finished fail"
    if not finished or returncode != 0:
        return (f"your code ended the process early (exit status {returncode}): does it call os._exit(), "
                "sys.exit() or exit()? The checks it had not finished fail")
    return None
