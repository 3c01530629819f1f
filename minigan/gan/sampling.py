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
                     batch: int = 500, noise=None, **forward_kwargs) -> np.ndarray:
    """``n`` samples of G (eval mode, no graph) from noise drawn with ``rng``; labels for conditional G.

    ``labels``: one int for all samples or n ints (default: classes drawn with ``rng``); only with
    ``num_classes`` (a conditional G). ``noise(rng, shape)`` draws each batch's z (default N(0, 1); BigGAN
    passes its truncated normal); ``forward_kwargs`` go to G's forward (StyleGAN's ψ). The training random
    state is untouched.
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
            shape = (m, G.nz)
            drawn = rng.standard_normal(shape).astype(np.float32) if noise is None else noise(rng, shape)
            z = Tensor(xp.asarray(drawn))
            if num_classes is None:
                out.append(G(z, **forward_kwargs).numpy())
            else:
                out.append(G(z, xp.asarray(labels[start:start + m]), **forward_kwargs).numpy())
    G.train()
    return np.concatenate(out) if out else np.zeros((0,))
