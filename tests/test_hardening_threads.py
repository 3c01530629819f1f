"""The BLAS thread policy (minigan.threads): one thread for small products, the idle cores for large ones."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn
from minigan import threads

pytest.importorskip("threadpoolctl")


def test_small_products_get_one_thread_whatever_the_machine():
    assert threads.choose_threads(1e6, cores=16, others=0) == 1
    assert threads.choose_threads(threads.LARGE_PRODUCT_MACS / 2, cores=2, others=0) == 1


def test_large_products_get_the_idle_cores():
    big = 10 * threads.LARGE_PRODUCT_MACS
    assert threads.choose_threads(big, cores=8, others=0) == 8
    assert threads.choose_threads(big, cores=8, others=3) == 5
    assert threads.choose_threads(big, cores=2, others=4) == 1  # a loaded machine: no pool to spin
    assert threads.choose_threads(big, cores=1, others=0) == 1


def test_largest_product_counts_multiply_adds():
    mlp = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    assert threads.largest_product([mlp], [mg.zeros(256, 4)]) == 256 * 64 * 64
    conv = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.ConvTranspose2d(8, 5, 4, 2, 1))
    # Conv2d: N·H_out·W_out × C_in·k² × C_out; ConvTranspose2d: N·H·W × C_in × C_out·k²
    expected = max(2 * 8 * 8 * 3 * 16 * 8, 2 * 8 * 8 * 8 * 5 * 16)
    assert threads.largest_product([conv], [mg.zeros(2, 3, 16, 16)]) == expected
    assert conv.training and not conv[0]._forward_pre_hooks  # train mode and hooks restored


def test_limit_sets_the_pool_and_gives_it_back():
    before = threads.blas_threads()
    if before is None:
        pytest.skip("threadpoolctl finds no BLAS library")
    with threads.limit(1) as n:
        assert n == 1 and threads.blas_threads() == 1
    assert threads.blas_threads() == before


def test_the_runnable_count_is_a_small_non_negative_number():
    assert 0 <= threads.other_runnable_tasks(samples=3, interval=0.0) < 10_000
    assert threads.available_cores() >= 1


@pytest.mark.host_only("the BLAS thread pool of a child process on the CPU")
def test_the_environment_wins_and_otherwise_the_toy_mlp_runs_on_one_thread():
    code = ("import minigan as mg, minigan.nn as nn\n"
            "from minigan import threads\n"
            "G = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 2))\n"
            "with threads.limit_for_models([G], [mg.zeros(256, 4)]) as n:\n"
            "    print(n, threads.blas_threads())\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    clean = {k: v for k, v in os.environ.items() if k not in threads.THREAD_VARIABLES}
    clean["PYTHONPATH"] = root
    chosen = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True)
    assert chosen.stdout.split() == ["1", "1"]
    fixed = subprocess.run([sys.executable, "-c", code], env=dict(clean, OPENBLAS_NUM_THREADS="2"),
                           capture_output=True, text=True, check=True)
    assert fixed.stdout.split()[0] == "None"


def test_products_agree_on_one_thread_and_on_several():
    """To rounding only: whether they agree bit for bit depends on the BLAS build and the CPU (OpenBLAS
    0.3.31 with its Haswell kernels differs by up to 4.6e-5 on this product, whose entries reach about 60)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((512, 300)).astype(np.float32), rng.standard_normal((300, 64)).astype(np.float32)
    with threads.limit(1):
        one = a @ b
    with threads.limit(max(2, threads.available_cores())):
        several = a @ b
    np.testing.assert_allclose(one, several, rtol=1e-5, atol=1e-4)


@pytest.mark.host_only("the BLAS thread pool of a child process on the CPU")
def test_fit_runs_the_toy_mlp_on_one_thread_and_gives_the_pool_back():
    code = ("from minigan import threads\n"
            "from minigan.gan import Trainer, default_config\n"
            "t = Trainer.from_config(default_config(data='gauss1d', steps=1), progress=False)\n"
            "before = threads.blas_threads()\n"
            "with t._blas_threads() as n:\n"
            "    inside = threads.blas_threads()\n"
            "print(n, inside, threads.blas_threads() == before)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    clean = {k: v for k, v in os.environ.items() if k not in threads.THREAD_VARIABLES}
    clean["PYTHONPATH"] = root
    result = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["1", "1", "True"]


def test_a_network_that_refuses_the_probe_input_adds_nothing():
    two_inputs = nn.Linear(8, 8)  # given a (256, 4) batch it raises ValueError: the probe skips it
    mlp = nn.Sequential(nn.Linear(4, 16))
    assert threads.largest_product([two_inputs, mlp], [mg.zeros(256, 4), mg.zeros(256, 4)]) == 256 * 4 * 16
