"""Backend selection, seeding and device moves (GPU parts skip without CuPy)."""

import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from conftest import to_np

import minigan as mg
from minigan import backend


def test_numpy_is_default_and_array_module():
    x = mg.tensor([1.0])
    assert backend.array_module(x) is (np if x.device == "cpu" else backend._load_cupy())


def test_manual_seed_reproduces_random_tensors():
    mg.manual_seed(123)
    a = to_np(mg.randn(5))
    mg.manual_seed(123)
    b = to_np(mg.randn(5))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32


def test_rng_state_round_trip():
    mg.manual_seed(1)
    state = mg.get_rng_state()
    a = to_np(mg.randn(3, device="cpu"))
    mg.set_rng_state(state)
    np.testing.assert_array_equal(a, to_np(mg.randn(3, device="cpu")))


def test_rng_state_holds_both_streams_and_reads_a_numpy_only_state():
    mg.manual_seed(2)
    state = json.loads(mg.get_rng_state())
    assert set(state) == {"numpy", "cuda"} and state["cuda"] == {"seed": 2, "draws": 0}
    a = to_np(mg.randn(3, device="cpu"))
    mg.set_rng_state(json.dumps(state["numpy"]))  # as checkpoints saved it before the device stream was kept
    np.testing.assert_array_equal(a, to_np(mg.randn(3, device="cpu")))


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown device"):
        mg.use_backend("tpu")


def test_cupy_missing_says_how_to_install(monkeypatch):
    if mg.cupy_available():
        pytest.skip("CuPy is installed here")
    with pytest.raises(RuntimeError, match=r'pip install "minigan\[gpu\]"'):
        mg.use_backend("cupy")
    with pytest.raises(RuntimeError, match="minigan"):
        mg.tensor([1.0]).to("cuda")


def test_tensor_defaults():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(np.zeros(2)).dtype == np.float32
    assert mg.tensor(np.zeros(2), dtype="float64").dtype == np.float64
    assert mg.tensor([1, 2]).dtype.kind == "i"


@pytest.mark.gpu
def test_gpu_round_trip_and_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True, device="cpu")
    y = x.to("cuda")
    assert y.device == "cuda"
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(to_np(x.grad), [2, 4])


@pytest.mark.gpu
def test_mixing_devices_is_an_error():
    with pytest.raises(RuntimeError, match="same device"):
        mg.tensor([1.0], device="cpu") + mg.tensor([1.0], device="cuda")


@pytest.mark.gpu
def test_gradcheck_on_gpu_tensors():
    x = mg.tensor(np.random.default_rng(0).standard_normal(4), dtype="float64", requires_grad=True, device="cuda")
    assert mg.gradcheck(lambda t: mg.tanh(t) * t, (x,))


def test_malloc_tuning_is_on_for_glibc_and_can_be_switched_off():
    code = "import minigan; print(minigan.MALLOC_TUNED)"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    env = {**os.environ, "MINIGAN_MALLOC_TUNING": "0"}
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert off.stdout.strip() == "False"
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert on == "True"


@pytest.mark.gpu
def test_constants_follow_the_tensors_or_the_default_device():
    mg.use_backend("cupy")
    try:
        assert mg.exp([0.0, 1.0]).device == "cuda"  # no tensor among the inputs: the default device
        cupy = backend._load_cupy()
        assert mg.exp(cupy.asarray([0.0, 1.0])).device == "cuda"  # a device array stays there
        assert (mg.tensor([1.0], device="cpu") + [2.0]).device == "cpu"
        with pytest.raises(RuntimeError, match="same device"):
            mg.tensor([1.0], device="cpu") + cupy.asarray([2.0])
    finally:
        mg.use_backend(os.environ.get("MINIGAN_BACKEND", "numpy"))


@pytest.mark.gpu
def test_clip_and_where_differentiate_on_the_device():
    x = mg.tensor([-2.0, 0.5, 3.0], requires_grad=True, device="cuda")
    mg.clip(x, -1.0, 1.0).sum().backward()
    assert x.grad.device == "cuda"
    np.testing.assert_array_equal(to_np(x.grad), [0, 1, 0])
    x.grad = None
    mg.where(np.array([True, False, True]), x, 2 * x).sum().backward()  # a host condition joins the device
    np.testing.assert_array_equal(to_np(x.grad), [1, 2, 1])


def test_using_device_sets_the_default_device_inside_the_block_only():
    before = backend.default_device()
    with backend.using_device("cpu"):
        assert mg.zeros(2).device == "cpu" and backend.default_device() == "cpu"
    assert backend.default_device() == before
    with pytest.raises(ValueError, match="unknown device"), backend.using_device("tpu"):
        pass
