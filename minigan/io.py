"""Checkpoints: ``mg.save(obj, path)`` / ``mg.load(path)`` with ``.npz`` files, written atomically, no pickle.

    mg.save({"G": G.state_dict(), "opt_G": opt_G.state_dict(), "step": 1000}, "run/checkpoint.npz")
    ckpt = mg.load("run/checkpoint.npz"); G.load_state_dict(ckpt["G"])

``obj`` is a (nested) dict whose leaves are arrays (NumPy, CuPy, Tensors) or
JSON values (numbers, strings, bools, None, lists). Each array is stored under
its path joined with "/" (``G/0.weight``, readable with plain ``np.load``);
the nesting and the other values are kept in a JSON entry, so ``load``
returns the same structure (int keys, tuples and 0-d arrays included).

The file is first written to a temporary file in the same directory, flushed
to disk, then renamed over ``path`` in one step (``os.replace``): a crash
mid-write leaves the previous checkpoint intact, never a half-written one.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from . import backend
from .autograd import Tensor

__all__ = ["load", "load_array", "save"]

_META = "__minigan__"  # the npz entry holding the structure as JSON


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON description of ``value``; its arrays are added to ``arrays`` under their paths."""
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at {path or 'the top level'}")
            items.append([key, _encode(item, f"{path}/{key}" if path else str(key), arrays)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        nodes = [_encode(item, f"{path}/{i}", arrays) for i, item in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": nodes}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if isinstance(value, Tensor) or backend.is_cupy_array(value):
        value = backend.to_numpy(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(f"save: {path!r} is an object array, which cannot be stored without pickle")
        name = path or "array"
        if name in arrays or name == _META:
            raise ValueError(f"save: two entries would both be stored as {name!r}; rename one of them")
        arrays[name] = array
        return {"array": name}
    raise TypeError(f"save: cannot store {type(value).__name__} at {path!r}; use arrays, numbers, strings, "
                    "lists or dicts")


def _decode(node: dict, arrays) -> Any:
    kind, content = next(iter(node.items()))
    if kind == "dict":
        return {key: _decode(item, arrays) for key, item in content}
    if kind == "list":
        return [_decode(item, arrays) for item in content]
    if kind == "tuple":
        return tuple(_decode(item, arrays) for item in content)
    if kind == "array":
        return arrays[content]
    return content


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path`` (an .npz file) atomically."""
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": "minigan", "version": 1, "tree": _encode(obj, "", arrays)}
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_META: np.array(json.dumps(meta))}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path: str | os.PathLike) -> Any:
    """Read what :func:`save` wrote (a plain ``np.savez`` file gives a flat dict of its arrays)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"cannot load checkpoint {path!r}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        if _META not in arrays:
            return arrays
        meta = json.loads(str(arrays.pop(_META)))
        return _decode(meta["tree"], arrays)
    except Exception as err:
        raise ValueError(f"cannot load checkpoint {path!r}: the file is corrupt or not a minigan/.npz "
                         f"checkpoint ({type(err).__name__}: {err})") from err


def load_array(path: str | os.PathLike) -> np.ndarray:
    """One array from a ``.npy`` file, for the commands that take ``--input x.npy``; a ValueError (one line,
    naming the file) when it is missing or not a NumPy array file. Pickled objects are refused."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no such input file: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: not a NumPy .npy array file ({type(err).__name__})") from err
