"""``Module`` and ``Parameter``: the containers that hold a model's weights.

A Module registers what you assign to it: ``self.fc = nn.Linear(2, 3)`` makes
``fc`` a child, ``self.w = nn.Parameter(...)`` a trainable parameter, and
``self.register_buffer("running_mean", zeros)`` saved state that is not trained.
``state_dict()`` walks that tree and names every array with PyTorch's dotted
keys (``main.3.running_mean``), so a minigan state_dict loads into the same
PyTorch model and back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..creation import tensor as _new_tensor

_DEVICE_NAMES = ("cpu", "cuda", "gpu", "numpy", "cupy")


class Parameter(Tensor):
    """A Tensor that a Module trains: ``requires_grad=True`` by default.

    Raw data (lists, NumPy arrays) is copied and becomes float32 unless it is
    integer; a Tensor keeps its array and dtype (as ``torch.nn.Parameter``).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        array = data.data if isinstance(data, Tensor) else _new_tensor(data).data
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """Returned by ``register_forward_pre_hook``; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model. Subclasses set attributes in
    ``__init__`` (after ``super().__init__()``) and implement ``forward``."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called: "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._put(params, name, value)
        elif isinstance(value, Module):
            self._put(modules, name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (nn.Parameter or None expected)")
            params[name] = None
        elif name in buffers:
            buffers[name] = None if value is None else _as_buffer(value)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                f"(nn.Module or None expected)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _put(self, table: dict, name: str, value: Any) -> None:
        """Store ``value`` in one of the three tables (in place if the name is there already)."""
        for other in (self._parameters, self._buffers, self._modules):
            if other is not table:
                other.pop(name, None)
        self.__dict__.pop(name, None)
        table[name] = value

    def __getattr__(self, name: str) -> Any:  # called only when normal lookup fails
        for table in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(table)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}, ...) needs an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        self._put(self._parameters, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """Save ``value`` (array or Tensor, kept without gradient) in the state_dict under ``name``."""
        self._put(self._buffers, name, None if value is None else _as_buffer(value))

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs an nn.Module, got {type(module).__name__}")
        self._put(self._modules, name, module)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None result replaces ``args``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every descendant, parents first (a shared one once)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, child)
                        for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, table: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for key, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a shared parameter is listed once
                yield (f"{prefix}.{key}" if prefix else key), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on self; e.g. ``model.apply(init_weights)``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """An ordered dict of NumPy copies: each module's parameters, then its buffers, then its children."""
        state: dict[str, np.ndarray] = {}
        for prefix, module in self.named_modules(remove_duplicate=False):
            for table in (module._parameters, module._buffers):
                for key, value in table.items():
                    if value is not None:
                        state[f"{prefix}.{key}" if prefix else key] = np.array(backend.to_numpy(value.data))
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters and buffers in place (their identity is kept).

        Missing and unexpected keys (checked when ``strict``) and shape mismatches
        (always) are all listed in one ``RuntimeError``; nothing is copied then.
        """
        own = {}
        for prefix, module in self.named_modules(remove_duplicate=False):
            for table in (module._parameters, module._buffers):
                for key, value in table.items():
                    if value is not None:
                        own[f"{prefix}.{key}" if prefix else key] = value
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays = {k: _to_numpy_like(v) for k, v in state_dict.items() if k in own}
        wrong = [f"{k}: checkpoint has shape {arrays[k].shape}, the model has {own[k].shape}"
                 for k in arrays if arrays[k].shape != own[k].shape]
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(unexpected))
        if wrong:
            problems.append("shape mismatch(es):\n\t\t" + "\n\t\t".join(wrong))
        if problems:
            raise RuntimeError(f"error(s) loading state_dict into {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        for key, array in arrays.items():
            target = own[key]
            xp = backend.array_module(target.data)
            target.data[...] = xp.asarray(array.astype(target.dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes, devices, dtypes
    def train(self, mode: bool = True) -> Module:
        """Training mode (batch statistics, dropout on); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (running statistics, dropout off); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter, e.g. the discriminator during a G step."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to None (or to zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def to(self, device: str | None = None, dtype: Any = None) -> Module:
        """Move parameters and buffers in place to ``device`` ("cpu"/"cuda") and/or cast floats to ``dtype``.

        ``model.to("cuda")``, ``model.to("float64")``, ``model.to(dtype="float64")``. The
        Parameter objects stay the same, so an optimizer created before still works.
        """
        if device is not None and str(device).lower().split(":")[0] not in _DEVICE_NAMES:
            device, dtype = None, device  # model.to("float64")

        def convert(array):
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return array

        for t in list(self.parameters()) + list(self.buffers()):
            t.data = convert(t.data)
            if t.grad is not None:
                t.grad = Tensor(convert(t.grad.data))
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 (for gradient checks)."""
        return self.to(dtype="float64")

    def float(self) -> Module:
        return self.to(dtype="float32")

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(lines + children)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _as_buffer(value: Any) -> Tensor:
    if isinstance(value, Parameter):
        raise TypeError("a buffer cannot be an nn.Parameter; use register_parameter for trainable tensors")
    if isinstance(value, Tensor):
        return Tensor(value.data) if value.requires_grad else value
    array = value if backend.is_cupy_array(value) else np.asarray(value)
    return Tensor(array)


def _to_numpy_like(value: Any) -> np.ndarray:
    """A state_dict value (NumPy/CuPy array, Tensor, torch tensor, number) as a NumPy array."""
    if isinstance(value, Tensor) or backend.is_cupy_array(value):
        return backend.to_numpy(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu()
    return np.asarray(value)


class Sequential(Module):
    """Modules called one after another: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``.

    Children are named "0", "1", ... (so state_dict keys are "0.weight", ...);
    ``model[0]``, ``model[-1]``, ``model[1:]``, ``len(model)`` and iteration work.
    A single dict argument gives named children instead.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def _check_index(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of length {n}")
        return index % n

    def __getitem__(self, index: int | slice):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        return items[self._check_index(index)][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of sub-modules that registers them (names "0", "1", ...); it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        n = len(items)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for ModuleList of length {n}")
        return items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for ModuleList of length {n}")
        self.add_module(str(index % n), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self
