"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU.

A tensor's ``data`` is a NumPy or a CuPy array. Code never imports cupy at
module level; it asks the array for its module with :func:`array_module`.
CuPy is optional: it is imported the first time a GPU is asked for.
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def using_device(device: str):
    """``with using_device("cpu"):`` new tensors, and the random draws that fill them, go to ``device``
    inside the block (as ``with torch.device(...)``); the default device is restored after it."""
    global _default_device
    device = _normalise_device(device)
    if device == "cuda":
        _load_cupy()
    previous, _default_device = _default_device, device
    try:
        yield
    finally:
        _default_device = previous


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
#
# Two generators: NumPy's (host draws) and the device's. CuPy's RandomState cannot export its cuRAND
# state, so the device stream is kept here as two integers, (seed, draws): draw number k comes from a
# Philox generator seeded with a key hashed from (seed, k). Saving those two integers in a checkpoint
# and restoring them continues the device stream exactly, as NumPy's saved state continues the host's.

_cuda_stream = {"seed": int(np.random.SeedSequence().generate_state(1, np.uint64)[0]), "draws": 0}
_cuda_generator: Any = None


def manual_seed(seed: int) -> None:
    """Seed every generator minigan uses (NumPy's, the device stream, and CuPy's global one once loaded)."""
    global _seed, _numpy_rng
    _seed = int(seed)
    _numpy_rng = np.random.default_rng(_seed)
    _cuda_stream.update(seed=_seed, draws=0)
    if _cupy is not None:
        _cupy.random.seed(_seed)


def get_rng_state() -> str:
    """The state of both generators (NumPy's and the device stream) as a JSON string, for checkpoints."""
    return json.dumps({"numpy": _numpy_rng.bit_generator.state, "cuda": dict(_cuda_stream)})


def set_rng_state(state: str) -> None:
    """Restore what :func:`get_rng_state` returned (a NumPy-only state from older checkpoints works too)."""
    state = json.loads(state)
    if "numpy" not in state:  # saved before the device stream was part of the state
        state = {"numpy": state, "cuda": _cuda_stream}
    _numpy_rng.bit_generator.state = state["numpy"]
    _cuda_stream.update(seed=int(state["cuda"]["seed"]), draws=int(state["cuda"]["draws"]))


def _next_cuda_generator():
    """The device generator for the next draw: Philox keyed by (seed, draws), then draws += 1."""
    global _cuda_generator
    cupy = _load_cupy()
    if _cuda_generator is None:
        _cuda_generator = cupy.random.RandomState(method=cupy.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
    key = np.random.SeedSequence([_cuda_stream["seed"], _cuda_stream["draws"]]).generate_state(1, np.uint64)[0]
    _cuda_stream["draws"] += 1
    _cuda_generator.seed(key)
    return _cuda_generator


def random_normal(shape, dtype="float32", device: str | None = None):
    """N(0, 1) samples from the device's seeded generator."""
    device = device or _default_device
    if device == "cuda":
        return _next_cuda_generator().standard_normal(shape, dtype=np.dtype(dtype))
    return _numpy_rng.standard_normal(shape, dtype=np.dtype(dtype))


def random_uniform(shape, low=0.0, high=1.0, dtype="float32", device: str | None = None):
    """U[low, high) samples from the device's seeded generator."""
    device = device or _default_device
    if device == "cuda":
        return _next_cuda_generator().uniform(low, high, shape, dtype=np.dtype(dtype))
    return _numpy_rng.uniform(low, high, shape).astype(dtype)


def random_integers(n: int, low: int, high: int, device: str | None = None):
    """n int64 integers uniform in {low, …, high} from the device's seeded generator: ⌊u⌋ + low for
    u ~ U[0, k), k = high − low + 1 (the min guards u rounding up to k)."""
    device = device or _default_device
    xp, k = xp_for(device), high - low + 1
    u = random_uniform((n,), 0.0, float(k), "float64", device)
    return xp.minimum(xp.floor(u), k - 1).astype(xp.int64) + low


if os.environ.get("MINIGAN_BACKEND"):
    use_backend(os.environ["MINIGAN_BACKEND"])
