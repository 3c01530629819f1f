"""Shared test helpers: float64 tensors, optional PyTorch, and the GPU marker."""

import os

import numpy as np
import pytest
from hypothesis import settings

import minigan as mg

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
