"""The untrusted side of ``minigan check``: evaluates a student's functions, nothing more.

runner.py starts it as ``python -I child.py IN OUT`` (two pipe descriptors) in an empty private
working directory. When the checker runs as root, this process starts as root only to load Python,
NumPy and the modules a submission commonly uses (the interpreter may live where no other user can
read, e.g. under /root); it then becomes the run's unprivileged user, for good, before it reads a
byte of the submission. The parent sends
frames (a JSON header and raw arrays); this process answers each with the arrays the student's
code returned, or a short error text. It never sees an expected answer, never computes a
difference, a score or a verdict: all of that happens in the parent, which also measures the
cost of every request from outside. Nothing this process or the submission does (patching
NumPy, patching these functions, writing to the channel) reaches the judging code.

Before the submission is imported, this process limits its own memory, CPU time, file sizes and
number of processes, and installs an audit hook (which Python code cannot remove) that refuses
the imports the assignment forbids. It imports nothing from minigan, except for assignments
on a minigan.Function, which need minigan's autograd.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import resource
import struct
import sys
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# loaded before the change of user, so that a submission can use them wherever Python is installed
PRELOAD = ("numpy.random", "numpy.fft", "numpy.polynomial", "numpy.lib.stride_tricks", "math", "cmath",
           "itertools", "functools", "collections", "random", "copy", "typing", "dataclasses", "warnings",
           "time", "re", "string", "fractions", "decimal", "statistics", "operator", "contextlib", "enum",
           "types", "inspect", "textwrap", "pprint", "io", "ctypes", "numbers", "heapq", "bisect", "traceback")
HEADER = struct.Struct("<QQ")  # header bytes, array bytes
MEMORY_MB = 0
FORBIDDEN: tuple[str, ...] = ()
FORBIDDEN_FOLDERS: tuple[tuple[str, str], ...] = ()  # (folder, the forbidden name it holds)


class SubmissionError(Exception):
    """A problem with what the submission returned; its message is shown as it is."""


# ----------------------------------------------------------------------------- channel


def read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> tuple[dict, list[np.ndarray]]:
    header_size, data_size = HEADER.unpack(read_exact(fd, HEADER.size))
    header = json.loads(read_exact(fd, header_size))
    data = read_exact(fd, data_size)
    arrays, offset = [], 0
    for meta in header.pop("arrays"):
        dtype = np.dtype(meta["dtype"])
        count = int(np.prod(meta["shape"], dtype=np.int64))
        arrays.append(np.frombuffer(data, dtype, count, offset).reshape(meta["shape"]).copy())
        offset += count * dtype.itemsize
    return header, arrays


def send(fd: int, header: dict, arrays: list[np.ndarray] = ()) -> None:
    arrays = [np.ascontiguousarray(a) for a in arrays]
    header = dict(header, arrays=[{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays])
    head = json.dumps(header).encode()
    body = b"".join(a.tobytes() for a in arrays)
    message = memoryview(HEADER.pack(len(head), len(body)) + head + body)
    while message:
        message = message[os.write(fd, message):]


# ----------------------------------------------------------------------------- limits and imports


def limit_resources(memory_mb: int, cpu_seconds: int, file_mb: int, processes: int | None) -> None:
    """Soft and hard limits alike, so the submission cannot raise them again."""
    limits = [(resource.RLIMIT_AS, memory_mb << 20), (resource.RLIMIT_CPU, cpu_seconds),
              (resource.RLIMIT_FSIZE, file_mb << 20), (resource.RLIMIT_CORE, 0)]
    if processes:
        limits.append((resource.RLIMIT_NPROC, processes))
    for kind, value in limits:
        hard = resource.getrlimit(kind)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):  # e.g. macOS does not enforce RLIMIT_AS; the time limit still holds
            pass


def become(uid: int, gid: int) -> None:
    """Change to the run's user and group (real, effective and saved ids): no way back to root.

    Python's own folders may be readable by root alone (an interpreter under /root): they are
    opened first, and imports go on through /proc/self/fd/N, which reaches an open folder without
    passing through its parents. A later ``import signal`` works wherever Python lives.
    """
    import ctypes

    folders = [p for p in sys.path if p and os.path.isdir(p)]
    kept = [f"/proc/self/fd/{os.open(p, os.O_RDONLY | os.O_DIRECTORY)}" for p in folders]
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.umask(0o077)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise SystemExit("could not change user")
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self belongs to the new user again
    pairs = sorted(zip(folders, kept), key=lambda pair: -len(pair[0]))

    def moved(path: str) -> str:
        for folder, fd_path in pairs:
            if path == folder or path.startswith(folder + os.sep):
                return fd_path + path[len(folder):]
        return path

    sys.path[:] = kept
    for module in list(sys.modules.values()):  # packages already loaded find their submodules here
        path = getattr(module, "__path__", None)
        if isinstance(path, list):
            path[:] = [moved(p) for p in path]
    sys.path_importer_cache.clear()


def forbidden_name(module: str) -> str | None:
    """The forbidden entry that ``module`` is, or lies inside ('minigan' covers 'minigan.nn')."""
    for name in FORBIDDEN:
        if module == name or module.startswith(name + "."):
            return name
    return None


def folders_of(names: tuple[str, ...], extra: list[str]) -> tuple[tuple[str, str], ...]:
    """Where the forbidden packages live, found without importing them (``extra``: the parent's finds)."""
    found = [(os.path.realpath(folder), name) for folder, name in extra]
    for name in names:
        top, _, rest = name.partition(".")
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append((os.path.realpath(os.path.join(location, *rest.split(".")) if rest else location), name))
    return tuple(found)


def audit(event: str, args: tuple) -> None:
    """Refuse forbidden imports, and reading their files. An audit hook stays for the life of the process."""
    if event == "import" and args and isinstance(args[0], str):
        name = forbidden_name(args[0])
        if name is not None:
            raise ImportError(f"import {args[0]} is not allowed in this assignment (it forbids: "
                              f"{', '.join(FORBIDDEN)})")
    elif event == "open" and FORBIDDEN_FOLDERS and args and isinstance(args[0], (str, bytes)):
        path = os.path.realpath(os.fsdecode(args[0]))
        for folder, name in FORBIDDEN_FOLDERS:
            if path == folder or path.startswith(folder + os.sep):
                raise PermissionError(f"reading {path} is not allowed in this assignment: it is part of {name}, "
                                      "which the assignment forbids")


# ----------------------------------------------------------------------------- results


def describe(err: BaseException) -> str:
    """The exception as a student wants to read it: their frames only, and the message."""
    if isinstance(err, SubmissionError):
        return str(err)
    if isinstance(err, SystemExit):
        return (f"your code called sys.exit({err.code!r}) (or exit()); a submission must return its "
                "results, not end the program")
    try:
        frames = [f for f in traceback.extract_tb(err.__traceback__)
                  if f.filename != __file__ and not f.filename.startswith("<frozen")]
        lines = traceback.format_list(frames[-4:]) + traceback.format_exception_only(type(err), err)
        text = "".join(lines).rstrip()
    except Exception:  # an exception whose message cannot even be printed
        text = type(err).__name__
    if isinstance(err, MemoryError):
        text += f"\n(the memory limit is {MEMORY_MB} MB)"
    return text[-3000:]


def kind_of(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    return "None" if value is None else f"a {type(value).__name__}"


def as_array(value, what: str) -> np.ndarray:
    if value is None:
        raise SubmissionError(f"{what} is None: is a return statement missing?")
    try:
        array = np.asarray(value)
    except Exception as err:
        raise SubmissionError(f"{what} is {kind_of(value)}, not an array of numbers ({err})") from None
    if array.dtype.kind not in "biuf":
        raise SubmissionError(f"{what} is {kind_of(value)} of dtype {array.dtype}, not an array of real numbers")
    return array


def as_outputs(result, names: list[str], function: str) -> list[np.ndarray]:
    if len(names) == 1:
        return [as_array(result, f"{function}'s result")]
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise SubmissionError(f"{function} returned {kind_of(result)}; expected a tuple of {len(names)} "
                              f"arrays ({', '.join(names)})")
    return [as_array(value, f"{name} (returned by {function})") for value, name in zip(result, names)]


def arguments(header: dict, arrays: list[np.ndarray]) -> list:
    """Each argument a fresh copy: the submission may write into its inputs."""
    return [arrays[a["array"]].copy() if "array" in a else a["value"] for a in header["args"]]


def perturbed(args: list, changes: list) -> list:
    """The arguments with one element set to a new value: [position, flat index, value]."""
    position, index, value = changes
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    args[position].flat[index] = value
    return args


# ----------------------------------------------------------------------------- a minigan.Function


def function_ops(cls, op: str, header: dict, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Forward, vector-Jacobian products and second-order products of the student's Function.

    fn_forward: out.   fn_vjp: the gradients of ⟨out, dout⟩.   fn_vjp2: the gradients of
    ⟨gradients, v⟩ with respect to the inputs and dout.   fn_dot: ⟨gradients, v⟩ itself, for every
    perturbation in the request (the parent differentiates it numerically).
    """
    import minigan as mg

    name = cls.__name__
    n = header["inputs"]

    def run(values, grad: bool):
        tensors = [mg.tensor(v, dtype="float64", requires_grad=grad) for v in values]
        out = cls.apply(*tensors)
        if not isinstance(out, mg.Tensor):
            raise SubmissionError(f"{name}.apply returned {kind_of(out)}; expected one Tensor")
        return tensors, out

    def to_array(t, what):
        return np.zeros(0) if t is None else as_array(mg.backend.to_numpy(t.data), what)

    def first_order(values, directions, create_graph: bool):
        tensors, result = run(values[:n], grad=True)
        d = mg.tensor(values[n], dtype="float64", requires_grad=create_graph)
        grads = mg.grad(result, tensors, grad_outputs=d, create_graph=create_graph, allow_unused=True)
        total = None
        for g, v in zip(grads, directions):
            if g is not None:
                term = (g * mg.tensor(v, dtype="float64")).sum()
                total = term if total is None else total + term
        return tensors + [d], total

    if op == "fn_penalty":
        return penalty(cls, *arrays)
    values = arrays[:n + 1]
    if op == "fn_forward":
        with mg.no_grad():
            return [to_array(run(values[:n], grad=False)[1], f"{name}'s output")]
    if op == "fn_batch":
        outs = []
        with mg.no_grad():
            for change in header["perturb"]:
                outs.append(to_array(run(perturbed(values[:n], change), grad=False)[1], f"{name}'s output"))
        return outs
    if op == "fn_vjp":
        tensors, result = run(values[:n], grad=True)
        grads = mg.grad(result, tensors, grad_outputs=mg.tensor(values[n], dtype="float64"), allow_unused=True)
        return [np.zeros(a.shape) if g is None else to_array(g, f"the gradient of input {i}")
                for i, (a, g) in enumerate(zip(values, grads))]
    directions = arrays[n + 1:]
    if op == "fn_vjp2":
        tensors, total = first_order(values, directions, create_graph=True)
        if total is None or not total.requires_grad:
            raise SubmissionError(f"the gradients returned by {name}.backward cannot be differentiated again: "
                                  "build them with minigan operations on Tensors (self.inputs, grad_outputs), "
                                  "not NumPy")
        return [np.zeros(v.shape) if g is None else to_array(g, "a second derivative")
                for v, g in zip(values, mg.grad(total, tensors, allow_unused=True))]
    if op == "fn_dot":
        outs = []
        for change in header["perturb"]:
            total = first_order(perturbed(values, change), directions, create_graph=False)[1]
            outs.append(np.zeros(()) if total is None else to_array(total, f"{name}.backward's result"))
        return outs
    raise SubmissionError(f"unknown request {op!r}")


def penalty(cls, x, w, v) -> list[np.ndarray]:
    """P = mean_n (‖∇ₓ f(xₙ)‖ − 1)² for f(x) = cls(x W) · v, and dP/dW: a double backward through cls."""
    import minigan as mg

    xt, wt = mg.tensor(x, dtype="float64", requires_grad=True), mg.tensor(w, dtype="float64", requires_grad=True)
    h = cls.apply(xt @ wt)
    if not isinstance(h, mg.Tensor):
        raise SubmissionError(f"{cls.__name__}.apply returned {kind_of(h)}; expected one Tensor")
    (g,) = mg.grad((h * mg.tensor(v, dtype="float64")).sum(), xt, create_graph=True)
    p = ((((g * g).sum(axis=1) + 1e-12).sqrt() - 1) ** 2).mean()
    if not p.requires_grad:
        raise SubmissionError(f"the gradient penalty cannot be differentiated: {cls.__name__}.backward returns a "
                              "gradient built from NumPy, not from minigan operations on Tensors")
    (dw,) = mg.grad(p, wt, allow_unused=True)
    dw = np.zeros(w.shape) if dw is None else as_array(mg.backend.to_numpy(dw.data), "dP/dW")
    return [as_array(mg.backend.to_numpy(p.data), "the penalty"), dw]


# ----------------------------------------------------------------------------- the loop


def answer(module, function_class, header: dict, arrays: list[np.ndarray]) -> list[np.ndarray]:
    op = header["op"]
    if function_class:
        return function_ops(getattr(module, function_class), op, header, arrays)
    name = header["function"]
    fn = getattr(module, name, None)
    if fn is None:
        raise SubmissionError(f"{name} is not defined in your file (check the spelling of the name)")
    if not callable(fn):
        raise SubmissionError(f"{name} in your file is {kind_of(fn)}, not a function")
    args = arguments(header, arrays)
    if op == "call":
        return as_outputs(fn(*args), header["outputs"], name)
    if op == "batch":
        return [as_array(fn(*perturbed(args, change)), f"{name}'s result") for change in header["perturb"]]
    raise SubmissionError(f"unknown request {op!r}")


def load_submission(path: str, function_class: str | None):
    spec = importlib.util.spec_from_file_location("submission", path)
    if spec is None or spec.loader is None:
        raise SubmissionError(f"cannot import {path}: it is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)
    if function_class:
        import minigan as mg

        cls = getattr(module, function_class, None)
        if cls is None:
            raise SubmissionError(f"{function_class} is not defined in your file (check the spelling of the name)")
        if not (isinstance(cls, type) and issubclass(cls, mg.Function)):
            raise SubmissionError(f"{function_class} in your file is {kind_of(cls)}, not a subclass of "
                                  "minigan.Function")
    return module


def serve(fd_in: int, fd_out: int) -> None:
    global MEMORY_MB, FORBIDDEN, FORBIDDEN_FOLDERS
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    faulthandler.enable()
    job, _ = receive(fd_in)
    if job.get("package_root"):
        sys.path.insert(0, job["package_root"])
        import minigan  # noqa: F401  (loaded before the memory limit, like NumPy)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a module this Python lacks is simply not preloaded
            pass
    MEMORY_MB = job["memory_mb"]
    FORBIDDEN = tuple(job.get("forbidden", ()))
    FORBIDDEN_FOLDERS = folders_of(FORBIDDEN, job.get("forbidden_folders", []))
    limit_resources(job["memory_mb"], job["cpu_seconds"], job["file_mb"], job.get("processes"))
    if job.get("user"):
        become(*job["user"])
    sys.addaudithook(audit)
    sys.path.append(os.path.dirname(job["submission"]))
    function_class = job.get("function_class")
    try:
        module = load_submission(job["submission"], function_class)
    except BaseException as err:
        send(fd_out, {"id": "import", "ok": False, "error": describe(err)})
        return
    send(fd_out, {"id": "import", "ok": True})
    while True:
        try:
            header, arrays = receive(fd_in)
        except EOFError:
            return
        try:
            values = answer(module, function_class, header, arrays)
            reply = {"id": header["id"], "ok": True}
        except BaseException as err:  # anything at all, including os-level errors of the submission
            values, reply = [], {"id": header["id"], "ok": False, "error": describe(err)}
        try:
            send(fd_out, reply, values)
        except (TypeError, ValueError, OverflowError) as err:  # a result that cannot be sent
            send(fd_out, {"id": header["id"], "ok": False, "error": f"the result could not be sent ({err})"})


def main() -> None:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    try:
        serve(fd_in, fd_out)
    except (EOFError, BrokenPipeError):
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the submission may have replaced or closed them
            pass
    os._exit(0)  # no atexit handlers, no waiting for stray threads


if __name__ == "__main__":
    main()
