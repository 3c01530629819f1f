"""Shared test helpers: float64 tensors, optional PyTorch, and the GPU marker."""

import os

import numpy as np
import pytest
from hypothesis import settings

import minigan as mg

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
    """Tests marked ``gpu`` run only where CuPy sees a CUDA device."""
    if mg.cupy_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def t64(array, requires_grad=True):
    """A float64 leaf tensor on the default device (the GPU when MINIGAN_BACKEND=cupy)."""
    return mg.tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=requires_grad)


def to_np(x):
    return mg.backend.to_numpy(x)
