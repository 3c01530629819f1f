"""Run a submission in a child process that cannot hang, flood or score the checker.

The parent starts child.py (see sandbox.py for the user it runs as and its folders), talks to it
over two pipes, and drains its output in a thread, keeping only the tail. Each request asks the
child to call one of the student's functions, once or on a batch of perturbed inputs; the answer
is raw arrays, read with size and dtype caps. Central differences are computed here, from the
student's forward values. The parent also reads the child's CPU clock from the kernel before and
after every request, so the cost of each call is measured outside the student's code. After the
last request, or at the time limit, every process the child left behind is killed; only then does
the caller judge and write results.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sandbox
from .policy import forbidden_folders
from .text import clean

CHILD = Path(__file__).with_name("child.py")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
TOKEN_VARIABLE = "MINIGAN_CHECK_TOKEN"
HEADER = struct.Struct("<QQ")
MAX_HEADER_BYTES = 1 << 20
MAX_RESULT_BYTES = 64 << 20
MAX_SUBMISSION_BYTES = 16 << 20
OUTPUT_FILE_MB = 100
OUTPUT_TAIL_BYTES = 2000  # of the submission's output, the report shows at most this much (its end)
STEP = 1e-5  # central differences: (f(x + h) − f(x − h)) / 2h
PROCESSES = 16  # RLIMIT_NPROC of the child's own user (as root)
_DTYPE_KINDS = "biuf"

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
    """What came back from the child: results by call id, error texts, costs, and how it ended."""

    results: dict[str, list[np.ndarray]] = field(default_factory=dict)
    dtypes: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of the child for each call
    evaluations: dict[str, int] = field(default_factory=dict)  # forward calls in a batch
    problem: str | None = None  # why results may be missing: import error, time limit, crash, early exit
    output: str = ""  # the last lines the submission printed, cleaned of control characters
    output_bytes: int = 0
    output_cut: bool = False
    seconds: float = 0.0
    uid: int | None = None  # the user the child ran as (None: the caller's own)
    pid_namespace: bool = False  # the processes the child started lived in a PID namespace of their own


class ChannelError(Exception):
    """The child's answer is missing, malformed or too large."""


class _Drain(threading.Thread):
    """Read the child's output to the end, counting it and keeping the last bytes."""

    def __init__(self, fd: int):
        super().__init__(daemon=True)
        self.fd, self.tail, self.total = fd, bytearray(), 0

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            self.tail += chunk
            if len(self.tail) > 2 * OUTPUT_TAIL_BYTES:
                del self.tail[:-OUTPUT_TAIL_BYTES]
        os.close(self.fd)


class Session:
    """One child process and its channel; ``request`` never raises for the submission's sake."""

    def __init__(self, submission: Path, job: dict, timeout: float, uid: int | None):
        self.timeout, self.deadline = timeout, time.monotonic() + timeout
        self.start = time.monotonic()
        self.token = secrets.token_hex(16)
        self.slot = sandbox.UserSlot(uid) if sandbox.is_root() else None
        self.tmp = tempfile.TemporaryDirectory(prefix="minigan-check-", ignore_cleanup_errors=True)
        job_dir = Path(self.tmp.name)
        owner = self.slot.uid if self.slot else None
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        out_read, out_write = os.pipe()
        try:
            copy, work = sandbox.prepare_folders(job_dir, Path(submission), owner)
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(CHILD), str(to_child), str(from_child)], cwd=work,
                stdin=subprocess.DEVNULL, stdout=out_write, stderr=out_write, pass_fds=(to_child, from_child),
                env=self._env(work), start_new_session=True,
                preexec_fn=sandbox.new_pid_namespace if self.slot and sandbox.use_pid_namespace() else None)
        except BaseException:
            for fd in (to_child, from_child, out_write, out_read, self._to_child, self._from_child):
                os.close(fd)
            if self.slot:
                self.slot.release()
            self.tmp.cleanup()
            raise
        for fd in (to_child, from_child, out_write):
            os.close(fd)
        os.set_blocking(self._to_child, False)  # a child that stops reading cannot hold the parent past the deadline
        self.pid_namespace = sandbox.in_own_pid_namespace(self.process.pid)
        self.drain = _Drain(out_read)
        self.drain.start()
        self.dead = None  # why the channel stopped
        self.timed_out = False
        job = dict(job, submission=str(copy),
                   processes=PROCESSES if self.slot else None,
                   user=[self.slot.uid, self.slot.gid] if self.slot else None)
        self.import_error = None
        try:
            self._send(job, [])
        except ChannelError as err:
            self.dead = str(err)

    def _env(self, home: Path) -> dict[str, str]:
        """A small environment: no secrets of the parent, one thread for BLAS."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
               "PYTHONIOENCODING": "utf-8", "PYTHONHASHSEED": "0", "MINIGAN_BACKEND": "numpy",
               TOKEN_VARIABLE: self.token}
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"
        return env

    # ------------------------------------------------------------------ channel

    def _send(self, header: dict, arrays: list[np.ndarray]) -> None:
        arrays = [np.ascontiguousarray(a) for a in arrays]
        header = dict(header, arrays=[{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays])
        head = json.dumps(header).encode()
        body = b"".join(a.tobytes() for a in arrays)
        message = memoryview(HEADER.pack(len(head), len(body)) + head + body)
        while message:
            self._wait(select_write=True)
            try:
                message = message[os.write(self._to_child, message):]
            except BlockingIOError:
                continue
            except OSError as err:
                raise ChannelError(f"your code stopped reading requests ({err.strerror})") from None

    def _wait(self, select_write: bool = False) -> None:
        fd = self._to_child if select_write else self._from_child
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.timed_out = True
            raise ChannelError("time limit")
        ready = select.select([], [fd], [], remaining) if select_write else select.select([fd], [], [], remaining)
        if not any(ready):
            self.timed_out = True
            raise ChannelError("time limit")

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            self._wait()
            chunk = os.read(self._from_child, min(left, 1 << 20))
            if not chunk:
                raise ChannelError("no result came back from your code")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _receive(self) -> tuple[dict, list[np.ndarray], list[str]]:
        header_size, data_size = HEADER.unpack(self._read(HEADER.size))
        if header_size > MAX_HEADER_BYTES or data_size > MAX_RESULT_BYTES:
            raise ChannelError(f"the result could not be read back (more than {MAX_RESULT_BYTES >> 20} MB)")
        try:
            header = json.loads(self._read(header_size))
            if not isinstance(header, dict):
                raise ValueError(f"a header that is {type(header).__name__}, not an object")
            data = self._read(data_size)
            arrays, dtypes, offset = [], [], 0
            for meta in header.get("arrays", []):
                dtype = np.dtype(str(meta["dtype"]))
                shape = tuple(int(n) for n in meta["shape"])
                if dtype.kind not in _DTYPE_KINDS or dtype.itemsize > 16 or any(n < 0 for n in shape):
                    raise ValueError(f"an array of dtype {dtype} and shape {shape}")
                count = int(np.prod(shape, dtype=np.int64))
                if offset + count * dtype.itemsize > len(data):
                    raise ValueError("fewer bytes than the arrays need")
                array = np.frombuffer(data, dtype, count, offset).reshape(shape)
                arrays.append(array.astype(np.float64))
                dtypes.append(str(dtype))
                offset += count * dtype.itemsize
        except ChannelError:
            raise
        except Exception as err:  # anything malformed can only come from the submission
            raise ChannelError(f"the result could not be read back ({type(err).__name__}: {clean(str(err))})") \
                from None
        return header, arrays, dtypes

    def request(self, header: dict, arrays: list[np.ndarray]) -> tuple[list[np.ndarray] | None, list[str], str | None,
                                                                      float]:
        """(arrays, their dtypes, error, CPU seconds) for one request."""
        if self.dead:
            return None, [], self.dead, 0.0
        nonce = secrets.token_hex(8)
        before = sandbox.cpu_seconds(self.process.pid)
        clock = time.monotonic()
        try:
            self._send(dict(header, id=nonce), arrays)
            reply, values, dtypes = self._receive()
            if reply.get("id") != nonce:
                raise ChannelError("the result could not be read back (an answer to another request)")
        except ChannelError as err:
            self.dead = str(err)
            return None, [], self.dead, 0.0
        after = sandbox.cpu_seconds(self.process.pid)
        cost = after - before if before is not None and after is not None else time.monotonic() - clock
        if not reply.get("ok"):
            return None, [], clean(str(reply.get("error", "")))[-4000:] or "an error without a message", cost
        return values, dtypes, None, cost

    def begin(self) -> None:
        """Wait for the child to import the submission."""
        if self.dead:
            return
        try:
            reply, _, _ = self._receive()
        except ChannelError as err:
            self.dead = str(err)
            return
        if reply.get("id") != "import":
            self.dead = "the result could not be read back (an answer before the import ended)"
        elif not reply.get("ok"):
            self.import_error = clean(str(reply.get("error", "")))[-4000:]
            self.dead = f"your file could not be imported:\n{self.import_error}"

    def close(self) -> ChildRun:
        """End the child and everything it started; then (only then) hand back what it said."""
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            returncode = self.process.wait(timeout=max(0.0, min(2.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            returncode = None
        sandbox.kill_group(self.process.pid)
        if returncode is None:
            returncode = self.process.wait()
        if self.slot:
            if not sandbox.kill_user(self.slot.uid, self.slot.gid):
                raise RuntimeError(f"processes of user {self.slot.uid} survived SIGKILL; no results are written")
        sandbox.kill_tagged(f"{TOKEN_VARIABLE}={self.token}".encode())
        self.drain.join(timeout=5)
        run = ChildRun(uid=self.slot.uid if self.slot else None, pid_namespace=self.pid_namespace)
        run.seconds = time.monotonic() - self.start
        text = bytes(self.drain.tail[-OUTPUT_TAIL_BYTES:]).decode("utf-8", "replace")
        run.output_bytes, run.output_cut = self.drain.total, self.drain.total > OUTPUT_TAIL_BYTES
        lines = clean(text).splitlines()[-12:]
        run.output = "\n".join(line if len(line) <= 200 else line[:200] + " ..." for line in lines)
        run.problem = self._problem(returncode)
        if self.slot:
            self.slot.release()
        self.tmp.cleanup()
        return run

    def _problem(self, returncode: int) -> str | None:
        if self.import_error is not None:
            return f"your file could not be imported:\n{self.import_error}"
        if self.timed_out:
            return (f"your code was stopped at the time limit of {self.timeout:g} s (an infinite loop, or code "
                    "far too slow); the checks it had not finished fail")
        if returncode < 0:
            try:
                name = signal.Signals(-returncode).name
            except ValueError:
                name = f"signal {-returncode}"
            reason = _SIGNALS.get(-returncode, "it was stopped by a signal")
            return f"your code crashed the Python process ({name}: {reason}); the checks it had not finished fail"
        if self.dead and "could not be read back" in self.dead:
            return f"{self.dead}; the checks after it fail"
        if self.dead or returncode != 0:
            return (f"your code ended the process early (exit status {returncode}): does it call os._exit(), "
                    "sys.exit() or exit()? The checks it had not finished fail")
        return None


# ----------------------------------------------------------------------------- numerical gradients


def _perturbations(args: list, wrt: list[int]) -> list[list]:
    """[position, flat index, value] for x + h and x − h of every element of the arguments ``wrt``."""
    changes = []
    for position in wrt:
        flat = np.asarray(args[position], dtype=np.float64).ravel()
        for index, value in enumerate(flat):
            changes += [[position, index, float(value + STEP)], [position, index, float(value - STEP)]]
    return changes


def _differences(values: list[np.ndarray], shapes: list[tuple], weights, function: str) -> list[np.ndarray]:
    """Central differences of L = Σ out · weights (or of the loss itself) from the forward values."""
    def objective(out: np.ndarray) -> float:
        if weights is None:
            if out.size != 1:
                raise ValueError(f"{function} returned an array of shape {out.shape}; a loss is one number")
            return float(out.reshape(()))
        if out.shape != weights.shape:
            raise ValueError(f"{function} returned shape {out.shape} instead of {weights.shape}, so the "
                             "backward cannot be compared with central differences of it")
        return float(np.sum(out * weights))

    grads, k = [], 0
    for shape in shapes:
        g = np.zeros(int(np.prod(shape, dtype=np.int64)))
        for index in range(g.size):
            g[index] = (objective(values[k]) - objective(values[k + 1])) / (2 * STEP)
            k += 2
        grads.append(g.reshape(shape))
    return grads


def _encode_args(args: list, arrays: dict[str, np.ndarray]) -> tuple[list[dict], list[np.ndarray]]:
    specs, sent = [], []
    for a in args:
        if isinstance(a, str):
            specs.append({"array": len(sent)})
            sent.append(arrays[a])
        else:
            specs.append({"value": a})
    return specs, sent


def _execute(session: Session, run: ChildRun, call: dict, arrays: dict[str, np.ndarray]) -> None:
    key = call["id"]
    if "order" in call:
        _execute_function(session, run, call, arrays)
        return
    if "penalty" in call:
        result, dtypes, error, cost = session.request({"op": "fn_penalty", "inputs": 1},
                                                      [arrays[a] for a in call["args"]])
        if error is not None:
            if not session.dead:
                run.errors[key] = error
        elif len(result) != call["returns"]:
            run.errors[key] = f"the result could not be read back (expected {call['returns']} arrays)"
        else:
            run.results[key], run.dtypes[key] = result, dtypes
        return
    specs, sent = _encode_args(call["args"], arrays)
    header = {"op": "call", "function": call["function"], "args": specs, "outputs": call.get("outputs", [])}
    if "numeric" in call:
        values = [arrays[a] if isinstance(a, str) else a for a in call["args"]]
        wrt = call["numeric"]["wrt"]
        header = dict(header, op="batch", perturb=_perturbations(values, wrt))
    result, dtypes, error, cost = session.request(header, sent)
    for _ in range(call.get("repeats", 1) - 1):  # the cheapest call is its cost: one-off costs drop out
        if error is not None or session.dead:
            break
        again, _, again_error, again_cost = session.request(header, sent)
        if again_error is None and _same_arrays(again, result):  # a repeat that answers otherwise is not one
            cost = min(cost, again_cost)
    run.cpu[key] = cost
    if error is not None:
        if not session.dead:  # a dead channel is the run's problem, reported once
            run.errors[key] = error
        return
    if "numeric" in call:
        run.evaluations[key] = len(header["perturb"])
        weights = call["numeric"]["weights"]
        try:
            result = _differences(result, [np.shape(values[p]) for p in wrt], weights and arrays[weights],
                                  call["function"])
        except ValueError as err:
            run.errors[key] = str(err)
            return
        dtypes = ["float64"] * len(result)
    elif len(result) != call["returns"]:
        run.errors[key] = f"the result could not be read back (expected {call['returns']} arrays)"
        return
    run.results[key], run.dtypes[key] = result, dtypes


def _same_arrays(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


def _execute_function(session: Session, run: ChildRun, call: dict, arrays: dict[str, np.ndarray]) -> None:
    """gradcheck (order 1) or gradgradcheck (order 2) of a minigan.Function, judged here.

    order 1: [out, analytical d⟨out, dout⟩/d inputs..., the same by central differences...]
    order 2: [analytical d⟨grads, v⟩/d (inputs, dout)..., the same by central differences...]
    """
    key = call["id"]
    rng = np.random.default_rng(call["seed"])
    inputs = [arrays[name] for name in call["args"]]
    n = len(inputs)

    def ask(op, values, perturb=None):
        header = {"op": op, "inputs": n, **({"perturb": perturb} if perturb is not None else {})}
        result, _, error, cost = session.request(header, values)
        run.cpu[f"{key}.{op}"] = cost
        if error is not None:
            raise ChannelError(error)
        return result

    try:
        (out,) = ask("fn_forward", inputs)
        dout = rng.standard_normal(out.shape)
        if call["order"] == 1:
            analytical = ask("fn_vjp", inputs + [dout])
            outs = ask("fn_batch", inputs + [dout], _perturbations(inputs, list(range(n))))
            numerical = _differences(outs, [a.shape for a in inputs], dout, "the Function")
            values = [out, *analytical[:n], *numerical]
        else:
            directions = [rng.standard_normal(a.shape) for a in inputs]
            point = inputs + [dout]
            analytical = ask("fn_vjp2", point + directions)
            totals = ask("fn_dot", point + directions, _perturbations(point, list(range(n + 1))))
            numerical = _differences(totals, [a.shape for a in point], None, "the backward")
            values = [*analytical[:n + 1], *numerical]
    except (ChannelError, ValueError) as err:
        if not session.dead:
            run.errors[key] = str(err)
        return
    run.results[key], run.dtypes[key] = values, ["float64"] * len(values)


def run_submission(submission: str | Path, calls: list[dict], arrays: dict[str, np.ndarray], *,
                   timeout: float = 60.0, memory_mb: int = 4096, function_class: str | None = None,
                   forbidden: tuple[str, ...] = (), uid: int | None = None) -> ChildRun:
    """Make the ``calls`` on the submission in a child process; never raises for its sake.

    Each call is {"id", "function", "args" (array names or numbers), "returns" (how many arrays), and
    "outputs" (their names)}, optionally "repeats" (make the call that many times, keep the first
    answer and the smallest cost of the calls that gave that same answer without an error), or with
    "numeric": {"wrt", "weights"} (central differences of the
    forward, computed here from a batch of its values), or with "order" (a minigan.Function).
    """
    path = Path(submission)
    if path.is_symlink() or not path.is_file():
        return ChildRun(problem=f"{path.name} is not a regular file (a symbolic link, a folder or missing): submit "
                                "the Python file itself; nothing was run")
    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        return ChildRun(problem=f"{path.name} is larger than {MAX_SUBMISSION_BYTES >> 20} MB; nothing was run")
    job = {"memory_mb": int(memory_mb), "cpu_seconds": int(timeout) + 5, "file_mb": OUTPUT_FILE_MB,
           "function_class": function_class, "forbidden": list(forbidden),
           "forbidden_folders": forbidden_folders(forbidden),
           "package_root": str(PACKAGE_ROOT) if function_class else None}
    session = Session(Path(submission), job, timeout, uid)
    record = ChildRun()
    try:
        session.begin()
        for call in calls:
            _execute(session, record, call, arrays)
    finally:
        final = session.close()
    final.results, final.dtypes, final.errors = record.results, record.dtypes, record.errors
    final.cpu, final.evaluations = record.cpu, record.evaluations
    return final
