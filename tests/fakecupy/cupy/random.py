"""``cupy.random`` of the stand-in: a seeded ``RandomState`` per process, NumPy's generator underneath.

The streams are not CuPy's (cuRAND's numbers differ); what matters here is that the same seed gives
the same numbers, and that these draws never touch NumPy's global or user generators.
"""

from __future__ import annotations

import numpy as np

from ._stand_in import device_only, wrap


class RandomState:
    """A seeded generator; ``method`` (a cuRAND kind) is kept but every kind draws the same numbers."""

    def __init__(self, seed=None, method=100):
        self.method = method
        self.seed(seed)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(None if seed is None else int(np.uint64(seed)))

    def standard_normal(self, size=None, dtype=float):
        return wrap(np.asarray(self._rng.standard_normal(size, dtype=np.dtype(dtype))))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return wrap(np.asarray(self._rng.normal(loc, scale, size)).astype(dtype))

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return wrap(np.asarray(self._rng.uniform(low, high, size)).astype(dtype))

    def random_sample(self, size=None, dtype=float):
        return wrap(np.asarray(self._rng.random(size, dtype=np.dtype(dtype))))

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        return wrap(np.asarray(self._rng.integers(low, high, size, dtype=dtype)))

    def permutation(self, num):
        return wrap(self._rng.permutation(device_only(num, "permutation")))

    def shuffle(self, a):
        self._rng.shuffle(device_only(a, "shuffle"))

    def choice(self, a, size=None, replace=True, p=None):
        return wrap(np.asarray(self._rng.choice(device_only(a, "choice"), size, replace, device_only(p, "choice"))))


_state: RandomState | None = None


def get_random_state() -> RandomState:
    global _state
    if _state is None:
        _state = RandomState()
    return _state


def set_random_state(rs: RandomState) -> None:
    global _state
    if not isinstance(rs, RandomState):
        raise TypeError(f"Random state must be an instance of RandomState. Actual: {type(rs)}")
    _state = rs


def seed(seed=None):
    get_random_state().seed(seed)


def _global(name):
    def draw(*args, **kwargs):
        return getattr(get_random_state(), name)(*args, **kwargs)

    draw.__name__ = name
    return draw


standard_normal, normal, randn, uniform = (_global(n) for n in ("standard_normal", "normal", "randn", "uniform"))
random_sample, rand, randint = (_global(n) for n in ("random_sample", "rand", "randint"))
permutation, shuffle, choice = (_global(n) for n in ("permutation", "shuffle", "choice"))
random = random_sample
