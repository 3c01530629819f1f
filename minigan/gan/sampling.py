"""Drawing samples from a trained generator: noise in, samples out, in eval mode and without a graph.

This is the sample function of the noise-driven model families (mlp, dcgan, cgan); ``load_generator`` in
``minigan.gan.families`` rebuilds a generator from a checkpoint for it.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad

__all__ = ["generate_samples"]


def generate_samples(G, n: int, rng: np.random.Generator, num_classes: int | None = None, labels=None,
                     batch: int = 500) -> np.ndarray:
    """``n`` samples of G (eval mode, no graph) from noise drawn with ``rng``; labels for conditional G.

    ``labels``: one int for all samples or n ints (default: classes drawn with ``rng``); only with
    ``num_classes`` (a conditional G). The training random state is untouched.
    """
    device = next(G.parameters()).device
    xp = backend.xp_for(device)
    if num_classes is not None:
        labels = rng.integers(0, num_classes, size=n) if labels is None else np.broadcast_to(labels, (n,))
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"labels must be in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    elif labels is not None:
        raise ValueError("labels were given but the model is not conditional (train it with --model cgan)")
    G.eval()
    out = []
    with no_grad():
        for start in range(0, n, batch):
            m = min(batch, n - start)
            z = Tensor(xp.asarray(rng.standard_normal((m, G.nz)).astype(np.float32)))
            if num_classes is None:
                out.append(G(z).numpy())
            else:
                out.append(G(z, xp.asarray(labels[start:start + m])).numpy())
    G.train()
    return np.concatenate(out) if out else np.zeros((0,))
