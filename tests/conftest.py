"""Shared test helpers: float64 tensors, optional PyTorch, the GPU markers and the CuPy stand-in.

``MINIGAN_FAKE_CUPY=1 MINIGAN_BACKEND=cupy python -m pytest`` runs the suite on the strict CuPy
stand-in in tests/fakecupy (NumPy-backed device arrays that refuse to mix with host arrays); it is put
on the path here, before minigan is imported, and on PYTHONPATH for the command-line tests' children.
"""

import os
import sys

FAKE_CUPY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakecupy")
STAND_IN = os.environ.get("MINIGAN_FAKE_CUPY") == "1"
if STAND_IN:
    sys.path.insert(0, FAKE_CUPY_DIR)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (FAKE_CUPY_DIR, os.environ.get("PYTHONPATH")) if p)

# isort: split
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import minigan as mg  # noqa: E402

# The suite's thread policy (see minigan.threads): one BLAS thread, here and in the commands it starts. Its
# products are small, and idle BLAS threads spinning on a busy two-core machine made it several times slower.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
except ImportError:  # threadpoolctl ships with scikit-learn
    pass

settings.register_profile("ci", deadline=None, max_examples=25, derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    """``gpu`` tests need CuPy (the stand-in counts); ``real_gpu`` tests (speed, memory) need a real GPU."""
    no_cupy = not mg.cupy_available()
    for item in items:
        if item.get_closest_marker("gpu") and no_cupy:
            item.add_marker(pytest.mark.skip(reason="needs CuPy and a CUDA GPU (or MINIGAN_FAKE_CUPY=1)"))
        elif item.get_closest_marker("real_gpu") and (no_cupy or STAND_IN):
            item.add_marker(pytest.mark.skip(reason="needs a real CUDA GPU (not the CuPy stand-in)"))
        elif (marker := item.get_closest_marker("host_only")) and STAND_IN:
            item.add_marker(pytest.mark.skip(reason="host only, not run on the CuPy stand-in: " + marker.args[0]))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def t64(array, requires_grad=True):
    """A float64 leaf tensor on the default device (the GPU when MINIGAN_BACKEND=cupy)."""
    return mg.tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=requires_grad)


def to_np(x):
    return mg.backend.to_numpy(x)


def on_device(array, like=None):
    """A host array copied to the device of ``like`` (a tensor or an array), else to the default device."""
    if like is None:
        device = mg.backend.default_device()
    else:
        device = mg.backend.device_of(like.data if isinstance(like, mg.Tensor) else like)
    return mg.backend.to_device(np.asarray(array), device)


def all_state(trainer):
    """Every array that a trainer's next step depends on, by name: G, D, the EMA copy, both optimizers."""
    state = {}
    for name in ("G", "D", "G_ema"):
        module = getattr(trainer, name)
        if module is not None:
            state.update({f"{name}.{k}": v for k, v in module.state_dict().items()})
    for name in ("opt_G", "opt_D"):
        for i, s in getattr(trainer, name).state_dict()["state"].items():
            state.update({f"{name}.{i}.{k}": np.asarray(v) for k, v in s.items()})
    return state


def assert_same_state(a, b, rtol=None, atol=0.0):
    """Two trainers hold the same state, bit for bit (an exact resume), or to ``rtol`` / ``atol`` when given."""
    sa, sb = all_state(a), all_state(b)
    assert sa.keys() == sb.keys()
    for key in sa:
        if rtol is None:
            np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
        else:
            np.testing.assert_allclose(sa[key], sb[key], rtol=rtol, atol=atol, err_msg=key)
