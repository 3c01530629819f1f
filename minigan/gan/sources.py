"""What a training step draws from: minibatches of real data and noise for the generator.

Both hold their own random state, which the run saves in every checkpoint, so that a resumed run draws the
same batches and the same noise as one that never stopped.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..creation import randn
from ..data import DataLoader, infinite

__all__ = ["Noise", "RealBatches"]


class RealBatches:
    """An endless iterator of real minibatches ``(x, labels)`` on the device (labels None when not asked for).

    ``data`` (and ``labels``) are device arrays; a seeded :class:`~minigan.data.DataLoader` over their
    indices shuffles them epoch after epoch. After ``loader.load_state_dict(...)`` call :meth:`restart`.
    """

    def __init__(self, data, labels, batch_size: int, rng: np.random.Generator):
        self.data, self.labels = data, labels
        self.loader = DataLoader(np.arange(len(data)), batch_size=batch_size, rng=rng)
        self.restart()

    def restart(self) -> None:
        """Continue from the loader's current state (its next batch)."""
        self._indices = infinite(self.loader)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[Tensor, object]:
        (idx,) = next(self._indices)
        idx = backend.array_module(self.data).asarray(idx)
        return Tensor(self.data[idx]), None if self.labels is None else self.labels[idx]


class Noise:
    """``noise(n)`` → ``(z, labels)``: z ~ N(0, I) of shape (n, nz) from minigan's seeded generator, and, for a
    conditional generator (``num_classes`` given), classes drawn uniformly with ``rng``; else labels None."""

    def __init__(self, nz: int, device: str, num_classes: int | None = None, rng: np.random.Generator | None = None):
        if num_classes is not None and rng is None:
            raise ValueError("Noise: a conditional generator's labels need an rng (a np.random.Generator)")
        self.nz, self.device, self.num_classes, self.rng = nz, device, num_classes, rng

    def __call__(self, n: int) -> tuple[Tensor, object]:
        z = randn(n, self.nz, device=self.device)
        if self.num_classes is None:
            return z, None
        labels = self.rng.integers(0, self.num_classes, size=n)
        return z, backend.xp_for(self.device).asarray(labels)
