"""The child side of ``minigan check``: runs a student's file under resource limits.

runner.py starts it as ``python child.py JOB_DIR`` in an empty working directory. It reads
JOB_DIR/job.json (which functions to call, with which arguments) and JOB_DIR/inputs.npz, limits
its own memory, CPU time and file sizes, imports the submission and writes each result to
JOB_DIR/out as ID.npz (plain float64 arrays) or ID.err (a short text). It never sees the expected
answers and never writes a score: the parent reads these files once this process is dead.

This file runs as a script and imports nothing from minigan, except in the ``function``
assignment, where the student's class is a minigan.Function.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import resource
import sys
import traceback
from pathlib import Path

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STEP = 1e-5  # central differences: (f(x + h) − f(x − h)) / 2h
MEMORY_MB = 0


class SubmissionError(Exception):
    """A problem with what the submission returned; its message is shown as it is."""


def limit_resources(memory_mb: int, cpu_seconds: int, file_mb: int) -> None:
    """Soft and hard limits alike, so the submission cannot raise them again."""
    limits = [(resource.RLIMIT_AS, memory_mb << 20), (resource.RLIMIT_CPU, cpu_seconds),
              (resource.RLIMIT_FSIZE, file_mb << 20), (resource.RLIMIT_CORE, 0)]
    for kind, value in limits:
        hard = resource.getrlimit(kind)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):  # e.g. macOS does not enforce RLIMIT_AS; the time limit still holds
            pass


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


def numerical_gradients(fn, args: list, wrt: list[int], weights, function: str) -> list[np.ndarray]:
    """Central differences of L = sum(forward(...) * weights), or of the loss itself (weights None)."""
    def objective() -> float:
        out = as_array(fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]), f"{function}'s result")
        if weights is None:
            if out.size != 1:
                raise SubmissionError(f"{function} returned an array of shape {out.shape}; a loss is one number")
            return float(out.reshape(()))
        if out.shape != weights.shape:
            raise SubmissionError(f"{function} returned shape {out.shape} instead of {weights.shape}, so the "
                                  "backward cannot be compared with central differences of it")
        return float(np.sum(out * weights))

    grads = []
    for position in wrt:
        a = args[position]
        g = np.zeros(a.shape)
        for index in np.ndindex(a.shape):
            saved = a[index]
            a[index] = saved + STEP
            plus = objective()
            a[index] = saved - STEP
            minus = objective()
            a[index] = saved
            g[index] = (plus - minus) / (2 * STEP)
        grads.append(g)
    return grads


def function_check(cls, call: dict, arrays: dict) -> list[np.ndarray]:
    """A student's minigan.Function, the way mg.gradcheck and mg.gradgradcheck test one.

    order 1: [out, analytical d<out, dout>/d inputs..., the same by central differences...]
    order 2: [analytical d<grads, v>/d (inputs, dout)..., the same by central differences...]
    """
    import minigan as mg

    name = cls.__name__
    rng = np.random.default_rng(call["seed"])
    inputs = [arrays[key].copy() for key in call["args"]]

    def run(values, grad: bool):
        tensors = [mg.tensor(v, dtype="float64", requires_grad=grad) for v in values]
        out = cls.apply(*tensors)
        if not isinstance(out, mg.Tensor):
            raise SubmissionError(f"{name}.apply returned {kind_of(out)}; expected one Tensor")
        return tensors, out

    def to_array(t, what):
        return np.zeros(0) if t is None else as_array(mg.backend.to_numpy(t.data), what)

    _, out = run(inputs, grad=False)
    out = to_array(out, f"{name}'s output")
    dout = rng.standard_normal(out.shape)
    if call["order"] == 1:
        tensors, result = run(inputs, grad=True)
        grads = mg.grad(result, tensors, grad_outputs=mg.tensor(dout, dtype="float64"), allow_unused=True)
        analytical = [np.zeros(a.shape) if g is None else to_array(g, f"the gradient of input {i}")
                      for i, (a, g) in enumerate(zip(inputs, grads))]

        def value(values) -> float:
            with mg.no_grad():
                return float(np.sum(to_array(run(values, grad=False)[1], f"{name}'s output") * dout))
        return [out, *analytical, *numerical_gradients(lambda *v: value(v), inputs, list(range(len(inputs))),
                                                         None, name)]

    directions = [rng.standard_normal(a.shape) for a in inputs]

    def first_order(values, create_graph: bool):
        tensors, result = run(values[:-1], grad=True)
        d = mg.tensor(values[-1], dtype="float64", requires_grad=create_graph)
        grads = mg.grad(result, tensors, grad_outputs=d, create_graph=create_graph, allow_unused=True)
        total = None
        for g, v in zip(grads, directions):
            if g is not None:
                term = (g * mg.tensor(v, dtype="float64")).sum()
                total = term if total is None else total + term
        return tensors + [d], total

    values = inputs + [dout]
    tensors, total = first_order(values, create_graph=True)
    if total is None or not total.requires_grad:
        raise SubmissionError(f"the gradients returned by {name}.backward cannot be differentiated again: build "
                              "them with minigan operations on Tensors (self.inputs, grad_outputs), not NumPy")
    analytical = [np.zeros(v.shape) if g is None else to_array(g, "a second derivative")
                  for v, g in zip(values, mg.grad(total, tensors, allow_unused=True))]
    numerical = numerical_gradients(lambda *v: float(first_order(list(v), False)[1].data), values,
                                    list(range(len(values))), None, f"{name}.backward")
    return analytical + numerical


def run_call(module, call: dict, arrays: dict) -> list[np.ndarray]:
    name = call["function"]
    fn = getattr(module, name, None)
    if fn is None:
        raise SubmissionError(f"{name} is not defined in your file (check the spelling of the name)")
    if "order" in call:
        return function_check(fn, call, arrays)
    if not callable(fn):
        raise SubmissionError(f"{name} in your file is {kind_of(fn)}, not a function")
    args = [arrays[a].copy() if isinstance(a, str) else a for a in call["args"]]
    if "numeric" in call:
        weights = call["numeric"]["weights"]
        return numerical_gradients(fn, args, call["numeric"]["wrt"], weights and arrays[weights], name)
    return as_outputs(fn(*args), call["outputs"], name)


def save(path: Path, values: list[np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, *[np.asarray(v, dtype=np.float64) for v in values],
                 dtypes=np.array([str(v.dtype) for v in values]))
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="replace")


def finish(out: Path) -> None:
    """Mark the run complete and leave at once (no atexit handlers, no waiting for stray threads)."""
    write_text(out / "done", "")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the submission may have replaced or closed them
            pass
    os._exit(0)


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


def main(job_dir: Path) -> None:
    global MEMORY_MB
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    faulthandler.enable()
    job = json.loads((job_dir / "job.json").read_text())
    out = job_dir / "out"
    with np.load(job_dir / "inputs.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    function_class = job.get("function_class")
    if function_class:
        import minigan  # noqa: F401  (loaded before the memory limit, like NumPy)
    MEMORY_MB = job["memory_mb"]
    limit_resources(job["memory_mb"], job["cpu_seconds"], job["file_mb"])
    sys.path.append(str(Path(job["submission"]).parent))
    try:
        module = load_submission(job["submission"], function_class)
    except BaseException as err:
        write_text(out / "import.err", describe(err))
        finish(out)
    for call in job["calls"]:
        try:
            save(out / f"{call['id']}.npz", run_call(module, call, arrays))
        except BaseException as err:  # anything at all, including a result too large to save
            write_text(out / f"{call['id']}.err", describe(err))
    finish(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
