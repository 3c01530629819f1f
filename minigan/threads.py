"""How many BLAS threads a training run uses: one for small products, the idle cores for large ones.

NumPy's matrix products run on a BLAS library (OpenBLAS in the wheels) whose thread pool, left alone,
uses every core for every product. For the toy MLPs (a 256 × 64 by 64 × 64 product takes ~20 µs) a
second thread gains little, and between products the pool's threads spin, waiting for work. On a quiet
laptop that costs only power; on a shared server or a 2-vCPU grader with other jobs running, the
spinning threads compete with those jobs, every product waits for its slowest (descheduled) thread,
and training becomes 10–20× slower than on one thread.

The policy, chosen once per run from the models and the machine:

    MACs(product)  = rows × inner × columns, measured on one forward pass of G and D
    threads        = 1                                   if max MACs < LARGE_PRODUCT_MACS
                   = clamp(cores − other runnable tasks, 1, cores)            otherwise

"cores" are the CPUs this process may run on (``os.sched_getaffinity``); "other runnable tasks" are
read from ``/proc/loadavg`` (Linux; elsewhere the machine is taken to be quiet). With one thread there
is no pool to spin. An explicit ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``
in the environment always wins. Products on one thread and on several agree to rounding; whether they
agree bit for bit depends on the BLAS build and the CPU (OpenBLAS 0.3.31's Haswell kernels differ in the
last bits), so where a run must repeat exactly (a resume compared bit for bit), fix the count with
``OPENBLAS_NUM_THREADS``.

    with threads.limit_for_models([G, D], [z, x]):
        trainer.fit()
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from . import compiled, kernels

__all__ = ["LARGE_PRODUCT_MACS", "available_cores", "blas_threads", "choose_threads", "largest_product",
           "limit", "limit_for_models", "other_runnable_tasks"]

# A product of 2·10⁷ multiply-adds takes ~0.4 ms on one core: long enough that waking a second thread
# pays (1.8–1.9× measured on two cores), short products are dominated by Python and element-wise work.
LARGE_PRODUCT_MACS = 2e7
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def other_runnable_tasks(samples: int = 5, interval: float = 0.01) -> int:
    """Tasks other than this one that want a CPU now: the median of a few reads of ``/proc/loadavg``.

    Its fourth field is "running/total"; the running count includes this process. 0 where the file
    does not exist (macOS, Windows).
    """
    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                counts.append(int(f.read().split()[3].split("/")[0]) - 1)
        except (OSError, IndexError, ValueError):
            return 0
        if i + 1 < samples:
            time.sleep(interval)
    return max(0, sorted(counts)[len(counts) // 2])


def choose_threads(largest_macs: float, cores: int | None = None, others: int | None = None) -> int:
    """The policy above: 1 for small products, else the idle cores (at least 1, at most ``cores``)."""
    cores = available_cores() if cores is None else cores
    if largest_macs < LARGE_PRODUCT_MACS or cores == 1:
        return 1
    others = other_runnable_tasks() if others is None else others
    return max(1, min(cores, cores - others))


def largest_product(modules: Sequence[Any], inputs: Sequence[Any]) -> float:
    """The multiply-adds of the largest matrix product in one forward pass of each module on its input.

    Linear: rows × in × out. Conv2d (im2col): N·H_out·W_out × C_in·k_h·k_w × C_out. ConvTranspose2d
    (col2im): N·H·W × C_in × C_out·k_h·k_w. Runs under ``no_grad`` in eval mode and restores train mode.
    A module that refuses its input (one of a family that takes other inputs) adds nothing: a run whose
    products cannot be sized gets one thread, which is never the slow choice on a busy machine.
    """
    import numpy as np

    from .autograd import no_grad
    from .nn import layers

    largest = [0.0]

    def measure(module, args):
        x = args[0]
        shape = tuple(x.shape)
        if isinstance(module, layers.Linear):
            macs = np.prod(shape[:-1]) * module.in_features * module.out_features
        elif isinstance(module, (layers.Conv2d, layers.ConvTranspose2d)) and len(shape) == 4:
            kernel = module.kernel_size[0] * module.kernel_size[1]
            rows = shape[0] * shape[2] * shape[3]
            if isinstance(module, layers.Conv2d):
                rows = rows // (module.stride[0] * module.stride[1])
                macs = rows * shape[1] * kernel * module.out_channels
            else:
                macs = rows * shape[1] * module.out_channels * kernel
        else:
            return None
        largest[0] = max(largest[0], float(macs))
        return None

    for module, x in zip(modules, inputs):
        handles = [m.register_forward_pre_hook(measure) for m in module.modules()
                   if isinstance(m, (layers.Linear, layers.Conv2d, layers.ConvTranspose2d))]
        was_training = module.training
        module.eval()
        try:
            with no_grad():
                module(*x) if isinstance(x, tuple) else module(x)
        except (TypeError, ValueError, RuntimeError, IndexError):
            pass  # a network that takes other inputs (a family of its own): its products stay unsized
        finally:
            module.train(was_training)
            for handle in handles:
                handle.remove()
    return largest[0]


def blas_threads() -> int | None:
    """The BLAS pool's current thread count (None when threadpoolctl finds no BLAS)."""
    from threadpoolctl import threadpool_info

    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else None


def _set_by_environment() -> bool:
    return any(os.environ.get(name, "").strip() for name in THREAD_VARIABLES)


@contextlib.contextmanager
def limit(threads: int) -> Iterator[int]:
    """Run the block with ``threads`` BLAS threads, and as many for the fast tier's compiled loops when
    numba runs them (the previous counts are restored afterwards). The loops and the products run one
    after the other, so one count for both never oversubscribes the cores."""
    from threadpoolctl import threadpool_limits

    joined = kernels.numba_available()
    if joined:
        import numba

        previous = numba.get_num_threads()
        compiled.set_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield threads
    finally:
        if joined:
            compiled.set_threads(previous)


@contextlib.contextmanager
def limit_for_models(modules: Sequence[Any], inputs: Sequence[Any]) -> Iterator[int | None]:
    """Run the block with the policy's thread count for these models; yields the count (None: the
    environment sets it and nothing is changed)."""
    if _set_by_environment():
        yield None
        return
    threads = choose_threads(largest_product(modules, inputs))
    with limit(threads):
        yield threads
