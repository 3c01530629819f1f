"""The CuPy stand-in itself (tests/fakecupy): it must refuse what CuPy refuses, or the GPU run proves nothing.

These tests import the stand-in directly, so they run in the plain suite too, whichever backend is on.
"""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import FAKE_CUPY_DIR, STAND_IN


@pytest.fixture(scope="module")
def cp():
    """The stand-in package. Outside the stand-in run it is imported for this module only (by path, so that a
    real CuPy does not shadow it) and taken out of sys.modules afterwards, so minigan never meets it."""
    if STAND_IN:
        import cupy

        yield cupy
        return
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "cupy" or k.startswith("cupy.")}
    sys.path.insert(0, FAKE_CUPY_DIR)
    try:
        yield importlib.import_module("cupy")
    finally:
        sys.path.remove(FAKE_CUPY_DIR)
        for k in [k for k in sys.modules if k == "cupy" or k.startswith("cupy.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_device_arrays_are_not_numpy_arrays(cp):
    x = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    assert not isinstance(x, np.ndarray)
    assert type(x).__module__ == "cupy" and type(x).__name__ == "ndarray"
    assert cp.get_array_module(x) is cp and cp.get_array_module(np.ones(2)) is np


@pytest.mark.parametrize("mix", [
    lambda cp, d, h: d + h,
    lambda cp, d, h: h * d,
    lambda cp, d, h: np.add(h, d),
    lambda cp, d, h: cp.exp(h),
    lambda cp, d, h: cp.concatenate([d, h]),
    lambda cp, d, h: np.asarray(d),
    lambda cp, d, h: np.testing.assert_allclose(d, h),
    lambda cp, d, h: d.__setitem__(slice(None), h),
    lambda cp, d, h: d.__setitem__(slice(None), [1.0, 2.0, 3.0]),
    lambda cp, d, h: cp.where(h > 0, d, d),
], ids=["add", "rmul", "ufunc", "cupy-func", "concatenate", "asarray", "assert_allclose", "setitem",
        "setitem-list", "where"])
def test_mixing_host_and_device_raises(cp, mix):
    d, h = cp.ones(3, dtype=cp.float32), np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError):
        mix(cp, d, h)


def test_numpy_functions_dispatch_and_stay_on_the_device(cp):
    x = cp.asarray(np.arange(6.0).reshape(2, 3))
    for result in (np.sum(x), np.exp(x), np.concatenate([x, x]), np.einsum("ij->j", x), np.linalg.norm(x),
                   x.sum(), x.max(axis=0), x.T @ x):
        assert isinstance(result, cp.ndarray)  # reductions too: 0-d device arrays, not host scalars
    with pytest.raises(TypeError):
        np.linalg.eigvals(x)  # CuPy has no eigvals: NumPy finds no implementation


def test_get_and_asnumpy_round_trip(cp):
    h = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    d = cp.asarray(h)
    for back in (d.get(), cp.asnumpy(d)):
        assert type(back) is np.ndarray and back.dtype == np.float32
        np.testing.assert_array_equal(back, h)
    assert cp.asarray(d) is d


def test_elementwise_results_are_c_contiguous(cp):
    x = cp.zeros((2, 3, 4, 5), dtype=cp.float32).transpose(0, 3, 1, 2)  # channels-last storage
    assert not x.flags.c_contiguous
    for y in (x * 2, np.exp(x), x + x, cp.maximum(x, 0)):
        assert y.flags.c_contiguous  # CuPy does not keep the input's memory order
    y = cp.empty_like(x)
    cp.multiply(x, 2, out=y)  # what minigan does where the order matters
    assert y.strides == x.strides


def test_only_names_cupy_exports(cp):
    for name in ("asarray", "einsum", "lib", "random", "cuda", "linalg", "asnumpy", "float32"):
        assert hasattr(cp, name)
    for name in ("asmatrix", "float_", "testing", "ma", "eigvals"):
        assert not hasattr(cp, name)
    assert cp.cuda.runtime.getDeviceCount() == 1
    with cp.cuda.Device(0) as device:
        device.synchronize()
    x = cp.arange(4.0)
    view = cp.lib.stride_tricks.as_strided(x, shape=(3, 2), strides=(8, 8))
    np.testing.assert_array_equal(view.get(), [[0, 1], [1, 2], [2, 3]])


def test_random_state_round_trips_and_leaves_numpy_alone(cp):
    numpy_state = np.random.get_state()[1].copy()
    rs = cp.random.RandomState(7, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
    a = rs.standard_normal((4,), dtype=cp.float32).get()
    rs.seed(7)
    np.testing.assert_array_equal(rs.standard_normal((4,), dtype=cp.float32).get(), a)
    cp.random.seed(3)
    b = cp.random.uniform(0, 1, (5,)).get()
    cp.random.seed(3)
    np.testing.assert_array_equal(cp.random.uniform(0, 1, (5,)).get(), b)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_minigan_rng_state_covers_the_device_stream():
    import minigan as mg

    if not STAND_IN:
        pytest.skip("runs in the stand-in suite (MINIGAN_FAKE_CUPY=1)")
    mg.manual_seed(5)
    state = mg.get_rng_state()
    a, b = mg.randn(6, device="cuda").numpy(), mg.randn(3, device="cpu").numpy()
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(6, device="cuda").numpy(), a)
    np.testing.assert_array_equal(mg.randn(3, device="cpu").numpy(), b)


def test_copy_trace_names_the_minigan_line(cp):
    from cupy import _stand_in

    x = cp.arange(3.0)
    with _stand_in.trace_copies() as trace:
        float(x.sum())
        x.get()
        _ = x + 1  # no copy
    assert [kind for kind, _, _ in trace] == ["float", "get"]
    assert all(where.startswith(__file__ + ":") and fn == "test_copy_trace_names_the_minigan_line"
               for _, where, fn in trace)
    if STAND_IN:  # minigan's own copies are named by minigan's file and function
        x = __import__("minigan").tensor([1.0, 2.0], device="cuda")
        with _stand_in.trace_copies() as trace:
            x.numpy()
        assert [(k, where.split(":")[0], fn) for k, where, fn in trace] == [("get", "minigan/autograd.py", "numpy")]


def test_suite_option_puts_the_stand_in_first():
    code = "import cupy, minigan as mg; print(cupy.__file__); print(mg.tensor([1.0]).device)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([FAKE_CUPY_DIR, os.getcwd()]), "MINIGAN_BACKEND": "cupy"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split()[0].startswith(FAKE_CUPY_DIR) and out.split()[1] == "cuda"
