"""WaveGAN (Donahue, McAuley & Puckette, 2019): DCGAN flattened to one dimension, for raw audio.

The paper's recipe, in its Table 2 (here for clips of L = 16 · 4ⁿ samples; the paper has n = 5, L = 16,384):

    G   z (nz = 100) → Dense → (16, d·2ⁿ⁻¹) → ReLU → n × [ConvTranspose1d(kernel 25, stride 4), ReLU] → tanh
        (the channels halve at each layer, the last one gives the C = 1 audio channel; no batch norm)
    D   (C, L) → n × [Conv1d(kernel 25, stride 4), LeakyReLU(0.2), phase shuffle (n = 2)] → Dense → score
        (channels d, 2d, …; no phase shuffle after the last convolution; no normalisation)
    WGAN-GP: λ = 10, five critic updates per generator update, Adam(lr 10⁻⁴, β = (0.5, 0.9)), batch 64.

Each stride-4 layer multiplies (G) or divides (D) the length by 4: the transposed convolutions use padding
11 and output padding 1, (ℓ − 1)·4 − 2·11 + 25 + 1 = 4ℓ; the convolutions padding 11, ⌊(ℓ + 22 − 25)/4⌋ + 1
= ℓ/4. The first layer of G is a dense layer to 16 positions, where DCGAN would start from a transposed
convolution of a 1×1 map; the last of D a dense layer on 16 positions.

Phase shuffle. Transposed convolutions of stride s leave a periodic pattern (the "checkerboard" of images;
in audio a tone at the frequencies k/s of the sampling rate), and D can tell real from fake by the phase of
that pattern alone. Phase shuffle shifts every activation map of D by a random s ∈ {−n, …, n} samples, so
the phase carries no information and D must judge the waveform itself (see :class:`PhaseShuffle`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Function, Tensor
from ..sampling import generate_samples

__all__ = ["KERNEL", "STRIDE", "MirroredShift", "MirroredShiftAdjoint", "PhaseShuffle", "WaveGANDiscriminator",
           "WaveGANGenerator", "build_wavegan", "mirrored_source", "wavegan_layers", "wavegan_metrics"]

KERNEL, STRIDE, START = 25, 4, 16  # the paper's kernel and stride; the length of G's first feature map
PADDING, OUTPUT_PADDING = 11, 1     # so that each layer scales the length by exactly 4


def wavegan_layers(length: int) -> int:
    """n with length = 16 · 4ⁿ, n ≥ 1 (64, 256, 1,024, 4,096, 16,384)."""
    n = round(math.log(max(length, 1) / START, STRIDE)) if length >= START else 0
    if n < 1 or START * STRIDE ** n != length:
        raise ValueError(f"WaveGAN supports clips of 16·4ⁿ samples (64, 256, 1024, ...), got length {length}")
    return n


def mirrored_source(shifts, length: int):
    """The index each output sample reads, r(t − s_i), for t = 0 … L − 1: (N, L) integers.

    r mirrors about the end samples without repeating them (PyTorch's ``pad(mode="reflect")``):
    r(u) = −u for u < 0, 2(L − 1) − u for u > L − 1, else u (for |s_i| < L, one mirror is enough).
    """
    xp = backend.array_module(shifts)
    u = xp.arange(length)[None, :] - shifts[:, None]
    return xp.where(u < 0, -u, xp.where(u > length - 1, 2 * (length - 1) - u, u))


def _gather(x, index):
    """out[i, c, t] = x[i, c, index[i, t]]."""
    xp = backend.array_module(x)
    return xp.take_along_axis(x, xp.broadcast_to(index[:, None, :], x.shape[:2] + index.shape[1:]), axis=2)


class MirroredShift(Function):
    """y[i, c, t] = x[i, c, r(t − s_i)] (see :func:`mirrored_source`);  dx = :class:`MirroredShiftAdjoint` (g).

    A gather, so the gradient is the scatter that adds each g[i, c, t] back to the sample it was read from.
    """

    def __init__(self, shifts):
        self.shifts = shifts

    def forward(self, x):
        return _gather(x, mirrored_source(self.shifts, x.shape[2]))

    def backward(self, g):
        return MirroredShiftAdjoint.apply(g, shifts=self.shifts)


class MirroredShiftAdjoint(Function):
    """The scatter dx[i, c, j] = Σ_{t : r(t − s_i) = j} g[i, c, t], as two gathers;  dg = MirroredShift (gg).

    Sample j is read once unshifted, by t = j + s_i (when 0 ≤ j + s_i < L), and at most once more as a
    mirror image: by t = s_i − j when 1 ≤ j ≤ s_i (the left end, s_i > 0), or by t = 2(L − 1) − j + s_i when
    L − 1 + s_i ≤ j ≤ L − 2 (the right end, s_i < 0). With g extended by one zero sample at index L,

        dx[i, c, j] = g[i, c, a(i, j)] + g[i, c, b(i, j)],

    a and b those t, or L where there is none.
    """

    def __init__(self, shifts):
        self.shifts = shifts

    def forward(self, g):
        xp = backend.array_module(g)
        n, channels, length = g.shape
        s, j = self.shifts[:, None], xp.arange(length)[None, :]
        none = length  # the zero sample appended below
        a = xp.where((j + s >= 0) & (j + s < length), j + s, none)
        b = xp.where((j >= 1) & (j <= s), s - j,
                     xp.where((j >= length - 1 + s) & (j <= length - 2), 2 * (length - 1) - j + s, none))
        g_ext = xp.concatenate([g, xp.zeros((n, channels, 1), dtype=g.dtype)], axis=2)
        return _gather(g_ext, a) + _gather(g_ext, b)

    def backward(self, gg):
        return MirroredShift.apply(gg, shifts=self.shifts)


class PhaseShuffle(nn.Module):
    """Shift each example's activations by a random whole number of samples, filling in by reflection.

    For x of shape (N, C, L) and shift_max n, draw s_i uniformly from {−n, …, n} for each example i, and

        y[i, c, t] = x̃[i, c, t − s_i],   t = 0 … L − 1,

    where x̃ is x reflected about its end samples (PyTorch's ``pad(mode="reflect")``: x̃[−j] = x[j],
    x̃[L − 1 + j] = x[L − 1 − j]). The op is one gather, :class:`MirroredShift`; its gradient moves each
    g back by s_i, and the mirrored samples add theirs to the sample they mirror.

    The shifts come from minigan's seeded generator (so a run resumes bit for bit). Like dropout, the layer
    is the identity in eval mode. One shift per example, as the PyTorch ports of WaveGAN do; the paper's
    TensorFlow code draws one shift per batch.
    """

    def __init__(self, shift_max: int = 2):
        super().__init__()
        if not isinstance(shift_max, int) or shift_max < 0:
            raise ValueError(f"PhaseShuffle: shift_max must be a non-negative int, got {shift_max!r}")
        self.shift_max = shift_max

    def draw_shifts(self, n: int, device: str) -> Any:
        """s_i for n examples: (n,) integers in {−shift_max, …, shift_max}, on ``device``."""
        return backend.random_integers(n, -self.shift_max, self.shift_max, device)

    def forward(self, x: Tensor, shifts=None) -> Tensor:
        """``shifts`` (n ints) fixes s_i instead of drawing them (for tests and pictures)."""
        if x.ndim != 3:
            raise ValueError(f"PhaseShuffle expects input of shape (N, C, L), got {tuple(x.shape)}")
        n, length = self.shift_max, x.shape[2]
        if n == 0 or (not self.training and shifts is None):
            return x
        if length <= n:
            raise ValueError(f"PhaseShuffle({n}): the input's length {length} must exceed the shift range {n}")
        xp = backend.array_module(x.data)
        if shifts is None:
            s = self.draw_shifts(x.shape[0], x.device)
        else:
            given = np.asarray(backend.to_numpy(shifts) if not isinstance(shifts, (list, tuple)) else shifts)
            if given.shape != (x.shape[0],) or given.dtype.kind not in "iu" or np.abs(given).max() > n:
                raise ValueError(f"PhaseShuffle({n}): shifts must be {x.shape[0]} ints in [−{n}, {n}], "
                                 f"got {given.tolist()}")
            s = xp.asarray(given.astype(np.int64))
        return MirroredShift.apply(x, shifts=s)

    def extra_repr(self) -> str:
        return f"shift_max={self.shift_max}"


class WaveGANGenerator(nn.Module):
    """z (N, nz) → (N, channels, length) in [−1, 1]: a dense layer to 16 positions, then n transposed
    convolutions of stride 4 (channels width·2ⁿ⁻¹, …, width, then ``channels``)."""

    def __init__(self, nz: int = 100, length: int = 256, channels: int = 1, width: int = 32):
        super().__init__()
        self.nz, self.length, self.channels = nz, length, channels
        n = wavegan_layers(length)
        c = self.start_channels = width * 2 ** (n - 1)
        self.fc = nn.Linear(nz, START * c)
        layers: list[nn.Module] = []
        for i in range(n):
            out = channels if i == n - 1 else c // 2
            layers += [nn.ReLU(), nn.ConvTranspose1d(c, out, KERNEL, STRIDE, PADDING, OUTPUT_PADDING)]
            c = out
        self.main = nn.Sequential(*layers, nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"WaveGANGenerator expects noise of shape (N, {self.nz}), got {tuple(z.shape)}")
        return self.main(self.fc(z).reshape(z.shape[0], self.start_channels, START))


class WaveGANDiscriminator(nn.Module):
    """(N, channels, length) → one score per clip (N,): n convolutions of stride 4 (channels width, 2·width,
    …) with LeakyReLU(0.2) and phase shuffle between them, then a dense layer on the 16 positions left.

    ``score_bias`` False drops the dense layer's bias: a Wasserstein critic's loss E f(G(z)) − E f(x) and its
    gradient penalty do not change when a constant is added to f, so that bias would get a zero gradient
    and never train (``build_wavegan`` drops it for the WGAN losses).
    """

    def __init__(self, length: int = 256, channels: int = 1, width: int = 32, phase_shuffle: int = 2,
                 score_bias: bool = True):
        super().__init__()
        self.length, self.channels = length, channels
        n = wavegan_layers(length)
        layers: list[nn.Module] = []
        c_in, c = channels, width
        for i in range(n):
            layers += [nn.Conv1d(c_in, c, KERNEL, STRIDE, PADDING), nn.LeakyReLU(0.2)]
            if i < n - 1 and phase_shuffle:
                layers.append(PhaseShuffle(phase_shuffle))
            c_in, c = c, 2 * c
        self.main = nn.Sequential(*layers)
        self.fc = nn.Linear(START * c_in, 1, bias=score_bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or tuple(x.shape[1:]) != (self.channels, self.length):
            raise ValueError(f"WaveGANDiscriminator expects clips of shape (N, {self.channels}, {self.length}), "
                             f"got {tuple(x.shape)}")
        h = self.main(x)
        return self.fc(h.reshape(h.shape[0], -1)).reshape(-1)


def build_wavegan(config, dataset) -> tuple[WaveGANGenerator, WaveGANDiscriminator]:
    """The family's (G, D) for ``config`` (nz, width = d, phase_shuffle) and a waveform data set."""
    if dataset.kind != "waveform":
        raise ValueError(f"--model wavegan needs waveform data (--data waves), {dataset.name!r} is {dataset.kind}")
    refused = [flag for flag, on in (("--unrolled-steps", config.unrolled_steps), ("--dp", config.dp),
                                     ("--spectral-norm", config.spectral_norm),
                                     ("--minibatch-std", config.minibatch_std),
                                     ("--d-norm", config.d_norm not in (None, "none"))) if on]
    if refused:
        raise ValueError(f"--model wavegan: {', '.join(refused)} not supported (WaveGAN's critic has no "
                         "normalisation, and its step is the basic WGAN-GP game)")
    channels, length = dataset.shape
    G = WaveGANGenerator(config.nz, length, channels, config.width)
    D = WaveGANDiscriminator(length, channels, config.width, config.phase_shuffle,
                             score_bias=config.loss not in ("wgan", "wgan-gp"))
    return G, D


def wavegan_metrics(G, dataset, config) -> dict[str, Any]:
    """metrics.json of a WaveGAN run: ``minigan.metrics.waves.wave_metrics`` of ``config.eval_samples``
    samples against the test clips (waveform kinds, dominant-frequency histogram TV and W₁)."""
    from ...data import load_dataset
    from ...metrics.waves import wave_metrics

    samples = generate_samples(G, config.eval_samples, np.random.default_rng([config.seed, 4]))
    return wave_metrics(samples, load_dataset(dataset.name, split="test").data)
