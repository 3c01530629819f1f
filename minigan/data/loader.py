"""A small seeded mini-batch loader over NumPy arrays, with exact resume.

One epoch visits a permutation of ``range(n)`` in slices of ``batch_size``::

    loader = DataLoader(images, labels, batch_size=64, rng=0)
    for x, y in loader:          # one epoch
        ...
    state = loader.state_dict()  # plain ints and a JSON string
    loader.load_state_dict(state)

The loader remembers the random-generator state at the start of the current
epoch and how many batches of that epoch it has handed out. Restoring that
state re-draws the same permutation and continues with the next batch, so a
resumed run sees exactly the batches an uninterrupted one would have.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` if it is a ``np.random.Generator``; an int seeds a new one.

    ``None`` gives a generator seeded from fresh OS entropy (not reproducible).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


class DataLoader:
    """Iterate over aligned arrays in (shuffled) mini-batches, one epoch per ``for`` loop.

    Args:
        *arrays: one or more arrays with the same length along axis 0
            (e.g. ``images, labels``). Each batch is a tuple with one slice per array.
        batch_size: samples per batch (> 0).
        shuffle: draw a fresh permutation every epoch (else keep the order).
        drop_last: skip the final batch when it would be smaller than ``batch_size``.
        rng: a ``np.random.Generator`` (used and advanced in place) or an int seed.
            ``None`` means unseeded. Give the loader a generator of its own:
            ``load_state_dict`` rewinds it.

    ``len(loader)`` is the number of batches per epoch; ``loader.epoch`` counts
    finished epochs. Only one iteration over a loader should be live at a time.
    """

    def __init__(
        self,
        *arrays: np.ndarray,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = True,
        rng: np.random.Generator | int | None = None,
    ):
        if not arrays:
            raise ValueError("DataLoader needs at least one array")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        for i, a in enumerate(arrays):
            if a is None:
                raise TypeError(f"DataLoader: array {i} is None (leave out arrays you do not have)")
        arrays = tuple(np.asarray(a) for a in arrays)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"DataLoader: array {i} is a scalar; arrays need a batch axis 0")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(
                f"DataLoader: arrays must have the same length along axis 0, got lengths {lengths}"
            )
        n = lengths[0]
        if n == 0:
            raise ValueError("DataLoader: the arrays are empty")
        if drop_last and batch_size > n:
            raise ValueError(
                f"DataLoader: batch_size={batch_size} is larger than the {n} samples and drop_last=True, "
                "so an epoch would have no batches; lower batch_size or pass drop_last=False"
            )
        self.arrays = arrays
        self.n = n
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_generator(rng)
        self.epoch = 0  # finished epochs
        self._position = 0  # batches already handed out in the current epoch
        self._order: np.ndarray | None = None  # this epoch's sample order, drawn lazily
        self._epoch_rng_state: dict | None = None  # rng state just before drawing _order

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return -(-self.n // self.batch_size)  # ceil

    def _draw_order(self) -> None:
        self._epoch_rng_state = self.rng.bit_generator.state
        self._order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _next_epoch(self) -> None:
        self.epoch += 1
        self._position = 0
        self._draw_order()

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        if self._order is None:
            self._draw_order()
        if self._position >= len(self):  # the last epoch ended exactly at its final batch
            self._next_epoch()
        bs = self.batch_size
        for b in range(self._position, len(self)):
            idx = self._order[b * bs : (b + 1) * bs]
            self._position = b + 1
            yield tuple(a[idx] for a in self.arrays)
        self._next_epoch()

    def state_dict(self) -> dict:
        """Everything needed to resume: ``{"epoch", "position", "rng_state"}`` (ints and a JSON str)."""
        rng_state = self._epoch_rng_state if self._order is not None else self.rng.bit_generator.state
        return {"epoch": int(self.epoch), "position": int(self._position), "rng_state": json.dumps(rng_state)}

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``; the next batch is the one that followed it originally."""
        missing = {"epoch", "position", "rng_state"} - set(state)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: missing keys {sorted(missing)}")
        rng_state = state["rng_state"]
        if isinstance(rng_state, np.ndarray):  # e.g. a 0-d string array read back from .npz
            rng_state = rng_state.item()
        rng_state = json.loads(rng_state)
        if rng_state.get("bit_generator") != type(self.rng.bit_generator).__name__:
            raise ValueError(
                f"DataLoader.load_state_dict: state is for a {rng_state.get('bit_generator')} generator, "
                f"this loader uses {type(self.rng.bit_generator).__name__}"
            )
        position = int(state["position"])
        if not 0 <= position <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: position {position} outside 0..{len(self)}")
        self.rng.bit_generator.state = rng_state
        self.epoch = int(state["epoch"])
        self._position = position
        self._order = None  # re-drawn from the restored generator on the next iteration


def infinite(loader: DataLoader) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield batches forever, epoch after epoch (for step-based training loops)."""
    while True:
        yield from loader
