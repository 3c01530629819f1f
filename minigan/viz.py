"""Pictures of a GAN's progress: sample grids, loss curves, 1-D histograms and 2-D scatter plots.

Everything draws on a ``matplotlib.figure.Figure`` with the Agg canvas and
writes a PNG file, so it works on machines without a display and never
touches pyplot's global state:

    viz.save_image_grid(images, "samples.png")          # (N, C, H, W) in [-1, 1]
    viz.plot_losses(history, "losses.png")              # rows of Trainer.history
    viz.plot_samples(samples, dataset, "samples.png")   # picks the right plot for the data
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import backend

__all__ = ["image_grid", "plot_1d", "plot_2d", "plot_losses", "plot_samples", "plot_waveforms", "save_image_grid"]


def _numpy(x) -> np.ndarray:
    return np.asarray(backend.to_numpy(x), dtype=np.float64)


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | os.PathLike) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path)
    return os.fspath(path)


def image_grid(images, nrow: int | None = None, padding: int = 1) -> np.ndarray:
    """Tile (N, C, H, W) images in [-1, 1] into one (rows·(H+p)+p, nrow·(W+p)+p[, 3]) array in [0, 1].

    ``nrow`` images per row (default ⌈√N⌉); grey images give a 2-D array, RGB a 3-D one.
    """
    x = _numpy(images)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"image_grid expects (N, 1 or 3, H, W) images, got shape {x.shape}")
    n, c, h, w = x.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    grid = np.ones((c, rows * (h + padding) + padding, nrow * (w + padding) + padding))
    for i in range(n):
        top, left = padding + (i // nrow) * (h + padding), padding + (i % nrow) * (w + padding)
        grid[:, top:top + h, left:left + w] = (np.clip(x[i], -1, 1) + 1) / 2
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_image_grid(images, path: str | os.PathLike, nrow: int | None = None, title: str | None = None) -> str:
    """Write a grid of (N, C, H, W) images in [-1, 1] as a PNG (nearest-neighbour, no smoothing)."""
    grid = image_grid(images, nrow)
    scale = max(1.0, 480 / max(grid.shape[:2]))  # small images are enlarged for viewing
    fig = _new_figure(grid.shape[1] * scale / 100, grid.shape[0] * scale / 100 + (0.3 if title else 0))
    ax = fig.add_axes((0, 0, 1, 1 if not title else 1 - 0.3 / fig.get_figheight()))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10, y=0.995)
    return _save(fig, path)


def plot_losses(history: Sequence[dict], path: str | os.PathLike, title: str | None = None) -> str:
    """Two panels over training steps: the losses, and the mean discriminator outputs D(x) and D(G(z))."""
    fig = _new_figure(10, 3.8)
    ax_loss, ax_d = fig.subplots(1, 2)
    steps = [row["step"] for row in history]
    for key, label in (("d_loss", "discriminator"), ("g_loss", "generator")):
        ax_loss.plot(steps, [row[key] for row in history], label=label)
    ax_loss.set(xlabel="step", ylabel="loss", title="losses")
    for key, label in (("d_real", "mean D(x)"), ("d_fake", "mean D(G(z))")):
        ax_d.plot(steps, [row[key] for row in history], label=label)
    ax_d.set(xlabel="step", title="discriminator outputs")
    for ax in (ax_loss, ax_d):
        ax.legend(loc="best", fontsize=8)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_1d(samples, path: str | os.PathLike, real=None, density=None, title: str | None = None) -> str:
    """Histogram of 1-D samples, with the real data's histogram and/or the true density p(x) if given."""
    fake = _numpy(samples).reshape(-1)
    fig = _new_figure(6, 4)
    ax = fig.add_subplot()
    values = [fake] if real is None else [fake, _numpy(real).reshape(-1)]
    lo, hi = min(v.min() for v in values), max(v.max() for v in values)
    bins = np.linspace(lo - 0.05 * (hi - lo + 1e-9), hi + 0.05 * (hi - lo + 1e-9), 60)
    if real is not None:
        ax.hist(values[1], bins=bins, density=True, alpha=0.4, color="tab:blue", label="data")
    ax.hist(fake, bins=bins, density=True, alpha=0.5, color="tab:orange", label="generated")
    if density is not None:
        grid = np.linspace(bins[0], bins[-1], 400)
        ax.plot(grid, density(grid), color="black", lw=1.5, label="p_data(x)")
    ax.set(xlabel="x", ylabel="density", title=title or "")
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_2d(samples, path: str | os.PathLike, real=None, centers=None, title: str | None = None) -> str:
    """Scatter plot of 2-D samples over the real data, with the mixture's mode centres marked if given."""
    fake = _numpy(samples)
    fig = _new_figure(5.5, 5.5)
    ax = fig.add_subplot()
    ax.scatter(fake[:, 0], fake[:, 1], s=4, alpha=0.4, color="tab:orange", label="generated")
    if real is not None:  # on top, so that the data stays visible under a spread-out generator
        r = _numpy(real)
        ax.scatter(r[:, 0], r[:, 1], s=2, alpha=0.6, color="tab:blue", label="data")
    if centers is not None:
        c = _numpy(centers)
        ax.scatter(c[:, 0], c[:, 1], marker="x", s=40, color="black", label="modes")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set(title=title or "")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    return _save(fig, path)


def plot_samples(samples, dataset, path: str | os.PathLike, title: str | None = None, nrow: int | None = None,
                 n_real: int = 1000) -> str:
    """The natural picture for ``dataset`` (a ``minigan.data.Dataset``): image grid, histogram or scatter."""
    if dataset.kind == "image":
        return save_image_grid(samples, path, nrow=nrow, title=title)
    real = dataset.data[:n_real]
    if dataset.kind == "waveform":
        return plot_waveforms(samples, path, real=real, title=title)
    toy = dataset.distribution
    if dataset.kind == "toy1d":
        density = toy.density if toy is not None and toy.centers is not None else None
        return plot_1d(samples, path, real=real, density=density, title=title)
    centers = toy.centers if toy is not None else None
    return plot_2d(samples, path, real=real, centers=centers, title=title)


def plot_waveforms(samples, path: str | os.PathLike, real=None, title: str | None = None, n_show: int = 16) -> str:
    """1-D clips (N, 1, L) or (N, L): the first ``n_show`` drawn as waveforms (4 per row), each titled with
    its kind (marked when it is not a clean wave of it) and dominant frequency (``minigan.metrics.waves``);
    below, over all N clips (and ``real``), the histogram of dominant frequencies and the fraction of each
    waveform kind."""
    from .metrics.waves import KIND_NAMES, classify_waveforms, clean_waves, dominant_frequency

    x = _numpy(samples)
    x = x.reshape(len(x), -1)
    show = x[:n_show]
    kinds, freqs, clean = classify_waveforms(x), dominant_frequency(x), clean_waves(x[:n_show])
    cols, rows = 4, math.ceil(len(show) / 4)
    fig = _new_figure(12, 1.6 * rows + 3.2)
    grid = fig.add_gridspec(rows + 2, cols, height_ratios=[1] * rows + [0.25, 2])
    for i, clip in enumerate(show):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        ax.plot(clip, lw=0.8, color="tab:orange")
        ax.set(ylim=(-1.05, 1.05), xticks=[], yticks=[])
        ax.set_title(f"{KIND_NAMES[kinds[i]]}{'' if clean[i] else ' (not clean)'}, f₀ {freqs[i]:.1f}", fontsize=8)
    ax_f, ax_k = fig.add_subplot(grid[rows + 1, :2]), fig.add_subplot(grid[rows + 1, 2:])
    sets = [("generated", x, kinds, freqs, "tab:orange")]
    if real is not None:
        r = _numpy(real).reshape(len(real), -1)
        sets.insert(0, ("data", r, classify_waveforms(r), dominant_frequency(r), "tab:blue"))
    top = max(f.max() for _, _, _, f, _ in sets)
    bins = np.arange(0, math.ceil(top) + 2)
    for j, (label, _, k, f, colour) in enumerate(sets):
        ax_f.hist(f, bins=bins, density=True, alpha=0.5, color=colour, label=label)
        ax_k.bar(np.arange(3) + 0.4 * j - 0.2 * (len(sets) - 1), np.bincount(k, minlength=3) / len(k),
                 width=0.4, color=colour, alpha=0.8, label=label)
    ax_f.set(xlabel="dominant frequency (cycles per clip)", ylabel="density")
    ax_k.set(xticks=range(3), xticklabels=KIND_NAMES, ylabel="fraction", title="waveform kind")
    for ax in (ax_f, ax_k):
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
