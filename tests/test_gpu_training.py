"""Training on the GPU (CuPy, or the strict stand-in with MINIGAN_FAKE_CUPY=1): exact resume and no host syncs.

    MINIGAN_FAKE_CUPY=1 MINIGAN_BACKEND=cupy python -m pytest tests/test_gpu_training.py
"""

import collections
import os
import sys
import time

import numpy as np
import pytest
from conftest import STAND_IN

import minigan as mg
from minigan.gan.config import TrainConfig, default_config
from minigan.gan.run import Trainer


def mlp_ring8(steps, **overrides):
    settings = dict(width=16, depth=2, nz=4, batch_size=32, log_every=3, sample_every=10_000,
                    checkpoint_every=10_000, eval_samples=0, lr_decay=False, device="cuda")
    settings.update(overrides)
    return default_config(data="ring8", loss="nonsaturating", steps=steps, **settings)


def dcgan_wgan_gp_sn(steps, **overrides):
    settings = dict(model="dcgan", width=4, nz=8, batch_size=8, spectral_norm=True, n_critic=2, log_every=3,
                    sample_every=10_000, checkpoint_every=10_000, eval_samples=0, lr_decay=False, device="cuda")
    settings.update(overrides)
    return default_config(data="digits", loss="wgan-gp", steps=steps, **settings)


def weights(trainer) -> dict:
    out = {}
    for name in ("G", "D"):
        out.update({f"{name}.{k}": mg.backend.to_numpy(v) for k, v in getattr(trainer, name).state_dict().items()})
    return out


@pytest.mark.gpu
@pytest.mark.parametrize("config", [mlp_ring8, dcgan_wgan_gp_sn], ids=["mlp-ring8", "dcgan-wgan-gp-sn"])
def test_resume_on_the_device_is_bit_identical(tmp_path, config):
    """N straight steps on --device cuda == N/2 steps, a checkpoint, a resume, N/2 more: identical weights."""
    n = 6
    straight = Trainer.from_config(config(n), str(tmp_path / "straight"), progress=False)
    straight.fit()
    assert next(straight.G.parameters()).device == "cuda"
    Trainer.from_config(config(n // 2), str(tmp_path / "halves"), progress=False).fit()
    resumed = Trainer.resume(str(tmp_path / "halves"), progress=False, steps=n)
    assert resumed.step == n // 2
    resumed.fit()
    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_train_config_follows_the_backend():
    assert TrainConfig().device == mg.backend.default_device()
    assert default_config(data="ring8").device == mg.backend.default_device()


@pytest.mark.skipif(not STAND_IN, reason="the copy trace is the stand-in's (MINIGAN_FAKE_CUPY=1)")
def test_no_device_to_host_copy_inside_the_step_beyond_logging():
    """Over a DCGAN run (WGAN-GP, spectral norm), the only device→host copies are the log fetches."""
    from cupy import _stand_in

    steps, log_every = 6, 3
    trainer = Trainer.from_config(dcgan_wgan_gp_sn(steps, log_every=log_every), None, progress=False)
    with _stand_in.trace_copies() as trace:
        for _ in range(log_every - 1):  # the steps between two logs: not one copy
            trainer.train_step()
            trainer.step += 1
    assert trace == []
    trainer = Trainer.from_config(dcgan_wgan_gp_sn(steps, log_every=log_every), None, progress=False)
    with _stand_in.trace_copies() as trace:
        trainer.fit()
    sites = collections.Counter((where, function) for _, where, function in trace)
    assert sites and all(function == "_log" for _, function in sites), sites
    assert sum(sites.values()) == steps // log_every * len(sites)  # the same fetch once per log


@pytest.mark.real_gpu
def test_a_dcgan_step_is_faster_on_the_gpu_than_on_the_cpu():
    """Speed only means something on a real GPU: skipped on the stand-in."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
    import dcgan_step

    def median_seconds(step, n=5):
        step()  # warm-up: CuPy compiles its kernels on first use
        times = []
        for _ in range(n):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return sorted(times)[n // 2]

    gpu = median_seconds(dcgan_step.minigan_step(256, "cuda"))
    cpu = median_seconds(dcgan_step.minigan_step(256, "cpu"), n=3)
    assert gpu < cpu, f"DCGAN step at batch 256: {gpu * 1e3:.1f} ms on the GPU, {cpu * 1e3:.1f} ms on the CPU"


@pytest.mark.skipif(not STAND_IN, reason="the copy trace and the memory order are the stand-in's")
def test_layers_keep_channels_last_and_make_no_host_copies():
    """Conv → BN → LeakyReLU → Conv, spectral norm, embedding: no host copy, and the activation between the
    convolutions stays channels-last in memory (CuPy's own elementwise results would be C-ordered)."""
    from cupy import _stand_in

    from minigan.nn.utils import spectral_norm

    layers = [spectral_norm(mg.nn.Conv2d(3, 8, 4, 2, 1)).to("cuda"), mg.nn.BatchNorm2d(8).to("cuda"),
              mg.nn.LeakyReLU(0.2)]
    embed = mg.nn.Embedding(10, 4).to("cuda")
    x = mg.randn(2, 3, 8, 8, device="cuda", requires_grad=True)
    with _stand_in.trace_copies() as trace:
        h = x
        for layer in layers:
            h = layer(h)
        e = embed(mg.tensor(np.array([1, 2, 9]), device="cuda"))
        (h.sum() + e.sum()).backward()
    assert trace == []
    assert h.data.transpose(0, 2, 3, 1).flags.c_contiguous  # (N, C, H, W) stored as (N, H, W, C)
    with pytest.raises(ValueError, match="indices must be in"):
        embed(np.array([10]))  # host indices are checked before they move
