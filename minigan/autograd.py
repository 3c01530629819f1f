"""Reverse-mode automatic differentiation: ``Tensor``, ``Function`` and the backward pass.

A ``Tensor`` wraps an array (NumPy or CuPy). Every operation on tensors is a
``Function``: ``forward`` computes on raw arrays, ``backward`` maps the
gradient of the output to gradients of the inputs *using minigan ops on
Tensors*. Because backward is itself made of ops, running it with
``create_graph=True`` records a graph of the gradient computation, and
differentiating that graph gives second derivatives (Hessian-vector products,
WGAN-GP's gradient penalty) with no second implementation.

The backward pass visits functions in reverse topological order, found by an
iterative depth-first search (no recursion, so a chain of 10,000 ops works).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import backend
from .grad_mode import _modes, detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "Tensor", "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "no_grad",
           "run_backward", "set_grad_enabled"]

# ----------------------------------------------------------------------------- Tensor

_FLOAT_KINDS = "f"


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind in _FLOAT_KINDS


class Tensor:
    """An array with an optional gradient and a link to the Function that created it.

    Attributes: ``data`` (numpy/cupy array), ``grad`` (Tensor or None),
    ``requires_grad``, ``creator`` (the Function that produced it, None for leaves).
    The operators and the methods that are ops (``+``, ``@``, ``sum``, ``reshape``,
    ...) are defined beside the ops, in ``minigan/ops/methods.py``, and set on this
    class when ``minigan.ops`` is imported (so this module imports no op).
    """

    __array_ufunc__ = None  # make NumPy hand `ndarray * tensor` to Tensor.__rmul__
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False):
        if type(data) is not np.ndarray:
            if isinstance(data, Tensor):
                data = data.data
            elif backend.is_cupy_array(data):
                backend.note_cupy_array()
            elif not isinstance(data, np.ndarray):
                data = np.asarray(data)
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {data.dtype}; "
                "create it with dtype='float32' or 'float64'"
            )
        self._version = 0  # bumped on every write of .data; see the `data` property
        self._data = data
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self.creator: Function | None = None
        self.output_index = 0

    # --- the array, and its version counter (as PyTorch's): a Function records its inputs' versions in
    # forward and backward refuses to run on an input whose data was replaced or updated since, instead of
    # silently using the new values. ``x.data = a`` and ``x.data += a`` (any augmented assignment) count as
    # writes; element writes through the array itself (``x.data[0] = 1``) bypass the counter.
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value) -> None:
        self._data = value
        self._version += 1

    # --- basic properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    def numel(self) -> int:
        """The number of elements (PyTorch's name; ``size`` is NumPy's, a number here too)."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        """Truth of a one-element tensor; larger tensors are ambiguous, as in NumPy and PyTorch."""
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                             "reduce it first, e.g. (t > 0).numpy().all()")
        return bool(self.item())

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), precision=4, separator=", ", threshold=20)
        extra = f", dtype={self.dtype}"
        if self.device != "cpu":
            extra += f", device='{self.device}'"
        if self.creator is not None:
            extra += f", creator={type(self.creator).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # --- conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the GPU if needed)."""
        return backend.to_numpy(self.data)

    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def __float__(self) -> float:
        return float(self.item())

    def tolist(self):
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and not _is_float(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = flag
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradient (``.grad = None``), or set it to zeros with ``set_to_none=False``."""
        if set_to_none or self.grad is None:
            self.grad = None
        else:
            self.grad = Tensor(backend.array_module(self.data).zeros_like(self.data))

    # --- differentiation
    def backward(self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is the upstream gradient (required unless self has one element).
        The graph is freed afterwards unless ``retain_graph`` (default: ``create_graph``).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of the tensors it was "
                "computed from had requires_grad=True (or it was computed under mg.no_grad())"
            )
        run_backward([self], [grad], create_graph=create_graph,
                     retain_graph=create_graph if retain_graph is None else retain_graph)


# ----------------------------------------------------------------------------- Function


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` on Tensors.

    Subclass it; an op with parameters declares them in its own ``__init__``
    (``Sum(dim=(1,), keepdim=False)``), and ``MyOp.apply(*inputs, **params)``
    is ``MyOp(**params)(*inputs)``. In ``backward(self, *grad_outputs)`` read
    the inputs as Tensors from ``self.inputs`` (and the output from
    ``self.output()``), and return one gradient Tensor per input (``None``
    where an input gets no gradient), built from minigan ops so that it can be
    differentiated again.
    """

    @classmethod
    def apply(cls, *inputs, **params):
        try:
            fn = cls(**params)
        except TypeError as err:
            declared = [n for n in inspect.signature(cls).parameters]
            try:
                inspect.signature(cls).bind(**params)
            except TypeError:
                raise TypeError(f"{cls.__name__} declares the parameters {declared} in its __init__, "
                                f"got {sorted(params)}") from err
            raise
        return fn(*inputs)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(self, *arrays)")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(self, *grad_outputs)")

    def __call__(self, *inputs):
        tensors = _as_tensors(inputs)
        try:
            outputs = self.forward(*[t.data for t in tensors])
        except ValueError as err:  # e.g. shapes that do not broadcast: say which op
            raise ValueError(f"{type(self).__name__}: {err} (input shapes {[t.shape for t in tensors]})") from err
        is_tuple = isinstance(outputs, tuple)
        outputs = outputs if is_tuple else (outputs,)
        needs_grad = _modes.grad_enabled and any(t.requires_grad for t in tensors)
        results = tuple(Tensor(out, requires_grad=needs_grad and out.dtype.kind == "f") for out in outputs)
        if needs_grad:
            self.inputs = tensors
            self.input_versions = [t._version for t in tensors]
            self.output_meta = [(out.shape, out.dtype) for out in outputs]
            self._outputs = [weakref.ref(r) for r in results]
            for i, r in enumerate(results):
                r.creator, r.output_index = self, i
        return results if is_tuple else results[0]

    def output(self, index: int = 0) -> Tensor:
        """The forward's output as a Tensor (for backwards such as exp's: d e^x = e^x dx)."""
        out = self._outputs[index]()
        if out is None:
            raise RuntimeError(f"{type(self).__name__}: output {index} was freed before backward")
        return out

    def release(self) -> None:
        """Drop everything saved for backward, so that the arrays can be freed."""
        self.__dict__ = {"_freed": True}

    def __getattr__(self, name: str):  # only reached when normal lookup fails
        if self.__dict__.get("_freed") and name in ("inputs", "output_meta", "input_versions", "_outputs"):
            raise AttributeError(
                f"{type(self).__name__}.{name} is gone: backward() freed this graph's saved tensors after using "
                "them. To walk the graph by hand, do it before backward(), or call backward(retain_graph=True)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _as_tensors(inputs: Sequence[Any]) -> list[Tensor]:
    """Wrap Python scalars and raw arrays as constant tensors, matching the tensors' dtype and device.

    With no tensor among the inputs, arrays keep their device and Python numbers or lists go to the
    default device. A device array next to host tensors is left as it is, for the device check below.
    """
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    if like is None:
        return [x if isinstance(x, Tensor) else Tensor(x if isinstance(x, np.ndarray) or backend.is_cupy_array(x)
                                                       else backend.array_module().asarray(x)) for x in inputs]
    tensors = []
    for x in inputs:
        if not isinstance(x, Tensor):
            if backend.is_cupy_array(x) and like.device == "cpu":
                x = Tensor(x)
            else:
                array = x if backend.is_cupy_array(x) else np.asarray(x)
                dtype = like.dtype if like.dtype.kind == "f" and array.dtype.kind in "biuf" else None
                x = Tensor(backend.array_module(like.data).asarray(array, dtype=dtype))
        tensors.append(x)
    if backend.cupy_loaded():  # only then can two devices meet
        devices = {t.device for t in tensors}
        if len(devices) > 1:
            raise RuntimeError(
                "expected all tensors on the same device, got tensors on both cpu and cuda; "
                "move them with tensor.to('cuda') or tensor.to('cpu')"
            )
    return tensors


# ----------------------------------------------------------------------------- the backward pass


def _graph_freed_error() -> RuntimeError:
    return RuntimeError(
        "trying to backward through the graph a second time: its saved values were freed by the "
        "first backward. Pass retain_graph=True to the first backward() / mg.grad() if you need to "
        "differentiate the same graph twice."
    )


def _check_versions(fn: Function) -> None:
    """Raise when an input of ``fn`` was written after ``fn`` used it in the forward pass."""
    for i, (t, saved) in enumerate(zip(fn.inputs, fn.input_versions)):
        if t._version != saved:
            raise RuntimeError(
                f"one of the tensors needed for gradient computation was modified after it was used: input {i} "
                f"of {type(fn).__name__} (a {t.dtype} tensor of shape {tuple(t.shape)}) is at version "
                f"{t._version}, but {type(fn).__name__} used it at version {saved}. Its .data was replaced or "
                "updated in place after the forward pass, so backward would use the new values. Change a copy "
                "instead, or run backward() before changing it")


def _topological_order(roots: Iterable[Function]) -> list[Function]:
    """Functions reachable from ``roots``, each listed after every function that consumes its outputs."""
    order: list[Function] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, 0)]
        while stack:
            fn, i = stack.pop()
            if getattr(fn, "_freed", False):
                raise _graph_freed_error()
            if i < len(fn.inputs):
                stack.append((fn, i + 1))
                parent = fn.inputs[i].creator
                if parent is not None and fn.inputs[i].requires_grad and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append((parent, 0))
            else:
                order.append(fn)  # post-order: after all of its inputs' creators
    order.reverse()
    return order


def _accumulate(current: Tensor | None, new: Tensor) -> Tensor:
    return new if current is None else current + new


def _check_gradient(fn: Function, index: int, grad: Tensor, target: Tensor) -> Tensor:
    """Make sure a backward returned a Tensor of the input's shape and dtype."""
    if not isinstance(grad, Tensor):
        grad = Tensor(backend.array_module(target.data).asarray(grad))
    if grad.shape != target.shape:
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned a gradient of shape {grad.shape} for input {index}, "
            f"which has shape {target.shape}"
        )
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    if _modes.anomaly and not bool(backend.array_module(grad.data).isfinite(grad.data).all()):
        raise FloatingPointError(f"{type(fn).__name__}.backward produced NaN/Inf in the gradient of input {index}")
    return grad


def _root_gradient(output: Tensor, grad: Any) -> Tensor:
    xp = backend.array_module(output.data)
    if grad is None:
        if output.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {output.shape} needs a `grad` argument of the same shape "
                "(only a single-element output, like a loss, has the implicit gradient 1)"
            )
        return Tensor(xp.ones(output.shape, dtype=output.dtype))
    grad = grad if isinstance(grad, Tensor) else Tensor(xp.asarray(grad, dtype=output.dtype))
    if grad.shape != output.shape:
        raise ValueError(f"gradient of shape {grad.shape} given for an output of shape {output.shape}")
    return grad


def run_backward(outputs, grad_outputs, *, create_graph=False, retain_graph=False, inputs=None):
    """Propagate gradients from ``outputs`` back through the graph.

    With ``inputs=None`` gradients accumulate into every leaf's ``.grad`` (``backward()``);
    otherwise the gradients of ``inputs`` are returned as a list (``mg.grad``).
    """
    roots = [(o, _root_gradient(o, g)) for o, g in zip(outputs, grad_outputs)]
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    captured: list[Tensor | None] = [None] * (len(inputs) if inputs is not None else 0)
    pending: dict[int, list[Tensor | None]] = {}
    alive: dict[int, list[Tensor]] = {}  # outputs stay alive until their creator's backward has run

    def deliver(tensor: Tensor, grad: Tensor) -> None:
        if wanted is not None and id(tensor) in wanted:
            i = wanted[id(tensor)]
            captured[i] = _accumulate(captured[i], grad)
        if tensor.creator is not None:
            slots = pending.setdefault(id(tensor.creator), [None] * len(tensor.creator.output_meta))
            slots[tensor.output_index] = _accumulate(slots[tensor.output_index], grad)
            alive.setdefault(id(tensor.creator), []).append(tensor)
        elif wanted is None:
            tensor.grad = _accumulate(tensor.grad, grad if create_graph else grad.detach())

    order = _topological_order(o.creator for o, _ in roots if o.creator is not None)
    if wanted is not None:
        order = _prune(order, wanted)
    with set_grad_enabled(create_graph):
        for output, grad in roots:
            deliver(output, grad)
        for fn in order:
            slots = pending.pop(id(fn), None)
            outputs_kept = alive.pop(id(fn), None)  # noqa: F841  (held for fn.output() in backward)
            if slots is not None:
                xp = backend.array_module(fn.inputs[0].data) if fn.inputs else np
                grads = [g if g is not None else Tensor(xp.zeros(shape, dtype)) for g, (shape, dtype)
                         in zip(slots, fn.output_meta)]
                _check_versions(fn)
                input_grads = fn.backward(*grads)
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
                if len(input_grads) != len(fn.inputs):
                    raise RuntimeError(f"{type(fn).__name__}.backward returned {len(input_grads)} gradients "
                                       f"for {len(fn.inputs)} inputs")
                for i, (tensor, g) in enumerate(zip(fn.inputs, input_grads)):
                    if g is not None and tensor.requires_grad:
                        deliver(tensor, _check_gradient(fn, i, g, tensor))
            if not retain_graph:
                fn.release()
    return captured


def _prune(order: list[Function], wanted: dict[int, int]) -> list[Function]:
    """Keep only the functions through which some wanted input is reached."""
    useful: set[int] = set()
    for fn in reversed(order):  # inputs' creators first
        if any(id(t) in wanted or (t.creator is not None and id(t.creator) in useful) for t in fn.inputs):
            useful.add(id(fn))
    return [fn for fn in order if id(fn) in useful]


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, retain_graph: bool | None = None,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated into ``.grad``).

    sum_i  grad_outputs[i] · d outputs[i] / d inputs. With ``create_graph=True``
    the returned gradients are themselves differentiable.
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for what, tensors in (("input", inputs), ("output", outputs)):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"{what} {i} of mg.grad is not a Tensor (got {type(t).__module__}."
                                f"{type(t).__name__}); pass the minigan Tensors themselves, e.g. "
                                "x = mg.tensor(a, requires_grad=True) and mg.grad(y, x)")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"input {i} of mg.grad does not require grad; create it with requires_grad=True")
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise RuntimeError(f"output {i} of mg.grad does not require grad: it does not depend on any input")
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(outputs, grad_outputs, create_graph=create_graph, retain_graph=retain, inputs=inputs)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(f"input {i} of mg.grad was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(result)
