"""Differentiable augmentation of what the discriminator sees (DiffAugment, Zhao et al. 2020).

On a small data set D soon memorises the real images, and G, chasing a D that only says "one of those",
collapses onto a few of them. DiffAugment applies the same random transformation T to every image D
judges, real and generated, in D's loss *and* in G's:

    L_D = loss_D(D(T(x)), D(T(G(z))))          L_G = loss_G(D(T(G(z))))

so D must judge a distribution of transformed images that it cannot memorise pixel for pixel, while G
is still asked for untransformed ones: T is differentiable, and G's gradient flows back through it. (The
failure it avoids: augmenting only the reals teaches G to make transformed images.) A fresh T is drawn
for every batch and every image, from minigan's seeded generator (a run resumes bit for bit).

The transformations, for images x of shape (N, C, H, W) in [−1, 1] whose background is −1 (the digits):

    translation   x shifted by (dy, dx), uniform in {−r, …, r} with r = round(H / 8) (and W / 8), the pixels that
                  come in set to −1. A shift is a product by two shift matrices, y = S_dy (x + 1) S_dxᵀ − 1,
                  with (S_d)[i, k] = 1 when k = i − d (and 0 outside the image): one matmul per side, so
                  the gradient (and the gradient of that) is a matmul by the transposes.
    cutout        a square of side H / 2 at a uniformly random centre (it may be cut by the border) set
                  to −1: y = m ⊙ (x + 1) − 1 with the mask m, so ∂y/∂x = m.
    brightness    y = x + b, b ~ U[−0.5, 0.5) per image (the paper's "color" without saturation: one channel).
    contrast      y = (x − x̄) c + x̄, c ~ U[0.5, 1.5) per image, x̄ the image's mean.

The paper's choice for small data is translation + cutout (+ color); :func:`diff_augment` applies the
policy's transformations in the order of :data:`AUGMENTATIONS`.
"""

from __future__ import annotations

from .. import backend
from ..autograd import Tensor

__all__ = ["AUGMENTATIONS", "augmented", "check_policy", "cutout_mask", "diff_augment", "shift_matrices"]

AUGMENTATIONS = ("translation", "cutout", "brightness", "contrast")
BACKGROUND = -1.0  # the value of the pixels shifted or cut in: black, the digits' background


def check_policy(policy: str) -> tuple[str, ...]:
    """The transformations of a comma-separated ``policy`` ("" for none); ValueError for an unknown one."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(map(repr, unknown))}: "
                         f"choose from {', '.join(AUGMENTATIONS)}")
    return names


def augmented(D, policy: str):
    """The discriminator of the augmented game, ``judge(x, *labels) = D(T(x), *labels)`` with T drawn afresh
    at each call (D itself when ``policy`` is ""). The penalties (R1, gradient penalty) differentiate it too."""
    names = check_policy(policy)
    if not names:
        return D

    def judge(x: Tensor, *labels) -> Tensor:
        return D(diff_augment(x, names), *labels)

    return judge


def shift_matrices(shifts, size: int, dtype):
    """(N, 1, size, size) matrices S_n with (S_n v)[i] = v[i − d_n], 0 where i − d_n is outside:
    S[n, 0, i, k] = [k = i − d_n]."""
    xp = backend.array_module(shifts)
    i, k = xp.arange(size)[:, None], xp.arange(size)[None, :]
    return (k[None] == i[None] - shifts[:, None, None]).astype(dtype)[:, None]


def cutout_mask(centres_y, centres_x, height: int, width: int, side: int, dtype):
    """(N, 1, H, W): 0 on the side × side square whose rows and columns run from centre − ⌊side/2⌋
    (cut by the border), 1 elsewhere."""
    xp = backend.array_module(centres_y)

    def inside(centres, size):  # (N, size): is the index within [centre − ⌊side/2⌋, centre − ⌊side/2⌋ + side)
        offset = xp.arange(size)[None, :] - centres[:, None] + side // 2
        return (offset >= 0) & (offset < side)

    rows, cols = inside(centres_y, height), inside(centres_x, width)
    return 1 - (rows[:, :, None] & cols[:, None, :]).astype(dtype)[:, None]


def diff_augment(x: Tensor, policy: tuple[str, ...] | str) -> Tensor:
    """T(x) for a batch of images (N, C, H, W): the ``policy``'s transformations, each drawn per image."""
    names = check_policy(policy) if isinstance(policy, str) else policy
    if not names:
        return x
    if x.ndim != 4:
        raise ValueError(f"diff_augment expects images of shape (N, C, H, W), got {tuple(x.shape)}")
    n, _, height, width = x.shape
    dtype = x.data.dtype

    def draw(low: int, high: int):  # one integer in {low, …, high} per image
        return backend.random_integers(n, low, high, x.device)

    for name in AUGMENTATIONS:
        if name not in names:
            continue
        if name == "translation":
            ry, rx = round(height / 8), round(width / 8)
            rows = Tensor(shift_matrices(draw(-ry, ry), height, dtype))
            cols = Tensor(shift_matrices(draw(-rx, rx), width, dtype).transpose(0, 1, 3, 2))
            x = rows @ (x - BACKGROUND) @ cols + BACKGROUND
        elif name == "cutout":
            side = height // 2
            mask = cutout_mask(draw(0, height - 1), draw(0, width - 1), height, width, side, dtype)
            x = (x - BACKGROUND) * Tensor(mask) + BACKGROUND
        elif name == "brightness":
            x = x + Tensor(backend.random_uniform((n, 1, 1, 1), -0.5, 0.5, str(dtype), x.device))
        else:  # contrast
            mean = x.mean(axis=(1, 2, 3), keepdims=True)
            x = (x - mean) * Tensor(backend.random_uniform((n, 1, 1, 1), 0.5, 1.5, str(dtype), x.device)) + mean
    return x
