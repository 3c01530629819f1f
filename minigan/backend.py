"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU.

A tensor's ``data`` is a NumPy or a CuPy array. Code never imports cupy at
module level; it asks the array for its module with :func:`array_module`.
CuPy is optional: it is imported the first time a GPU is asked for.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

_INSTALL_HINT = 'install the GPU extra with: pip install "minigan[gpu]" (needs an NVIDIA GPU and CUDA 12)'

_cupy: Any = None
_default_device = "cpu"
_seed: int | None = None
_numpy_rng = np.random.default_rng()


def _load_cupy():
    """Import CuPy on first use; a clear error says how to get it."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as err:
            raise RuntimeError(f"the CuPy backend was asked for but CuPy is not installed; {_INSTALL_HINT}") from err
        try:
            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device found")
        except Exception as err:  # CUDA driver errors come in several types
            raise RuntimeError(f"CuPy is installed but no usable CUDA GPU was found ({err}); {_INSTALL_HINT}") from err
        _cupy = cupy
        if _seed is not None:
            cupy.random.seed(_seed)
    return _cupy


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _load_cupy()
        return True
    except RuntimeError:
        return False


def _normalise_device(device: str) -> str:
    names = {"cpu": "cpu", "numpy": "cpu", "cuda": "cuda", "gpu": "cuda", "cupy": "cuda"}
    key = str(device).lower().split(":")[0]
    if key not in names:
        raise ValueError(f"unknown device {device!r}; use 'cpu' or 'cuda'")
    return names[key]


def use_backend(name: str) -> None:
    """Set where new tensors live: ``"numpy"``/``"cpu"`` or ``"cupy"``/``"cuda"``."""
    global _default_device
    device = _normalise_device(name)
    if device == "cuda":
        _load_cupy()
    _default_device = device


def default_device() -> str:
    return _default_device


def is_cupy_array(x: Any) -> bool:
    return type(x) is not np.ndarray and type(x).__module__.startswith("cupy")


def cupy_loaded() -> bool:
    """True once CuPy is in use; until then every array is a NumPy array."""
    return _cupy is not None


def note_cupy_array() -> None:
    """A CuPy array was handed to minigan directly: make sure device checks are on."""
    _load_cupy()


def array_module(x: Any = None):
    """The array module (numpy or cupy) of ``x``; of the default device when ``x`` is None."""
    if x is None:
        return _load_cupy() if _default_device == "cuda" else np
    if hasattr(x, "data") and not isinstance(x, (np.ndarray, memoryview)) and not is_cupy_array(x):
        x = x.data  # a Tensor
    return _load_cupy() if is_cupy_array(x) else np


def device_of(x: Any) -> str:
    return "cuda" if is_cupy_array(x) else "cpu"


def xp_for(device: str):
    return _load_cupy() if _normalise_device(device) == "cuda" else np


def to_device(array: Any, device: str):
    """Move an array to ``device`` ("cpu" or "cuda"); a no-op when it is already there."""
    device = _normalise_device(device)
    if device == "cuda":
        return _load_cupy().asarray(array)
    return array.get() if is_cupy_array(array) else np.asarray(array)


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy copy/view of a NumPy or CuPy array (or a Tensor)."""
    if hasattr(array, "data") and not isinstance(array, np.ndarray) and not is_cupy_array(array):
        array = array.data
    return array.get() if is_cupy_array(array) else np.asarray(array)


# ----------------------------------------------------------------------------- randomness


def manual_seed(seed: int) -> None:
    """Seed every generator minigan uses (NumPy, and CuPy once loaded)."""
    global _seed, _numpy_rng
    _seed = int(seed)
    _numpy_rng = np.random.default_rng(_seed)
    if _cupy is not None:
        _cupy.random.seed(_seed)


def get_rng_state() -> str:
    """The global generator's state as a JSON string (for checkpoints)."""
    return json.dumps(_numpy_rng.bit_generator.state)


def set_rng_state(state: str) -> None:
    _numpy_rng.bit_generator.state = json.loads(state)


def random_normal(shape, dtype="float32", device: str | None = None):
    """N(0, 1) samples from the device's seeded generator."""
    device = device or _default_device
    if device == "cuda":
        return _load_cupy().random.standard_normal(shape, dtype=dtype)
    return _numpy_rng.standard_normal(shape, dtype=np.dtype(dtype))


def random_uniform(shape, low=0.0, high=1.0, dtype="float32", device: str | None = None):
    device = device or _default_device
    if device == "cuda":
        return _load_cupy().random.uniform(low, high, shape).astype(dtype)
    return _numpy_rng.uniform(low, high, shape).astype(dtype)


if os.environ.get("MINIGAN_BACKEND"):
    use_backend(os.environ["MINIGAN_BACKEND"])
