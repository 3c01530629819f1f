"""The mistakes of the normalisation and resampling assignments, each recognised by its signature.

Group norm, instance norm and AdaIN share one computation: x (N, C, H, W) seen as (N, G, M), each
row of M values standardised on its own (G = num_groups, or G = C), then scaled and shifted:

    x̂ = (x − μ) / √(σ² + ε),   out = γ · x̂ + β,   dx = (1/√(σ² + ε)) · (ĝ − mean ĝ − x̂ · mean(ĝ x̂)),  ĝ = γ · dout

(means over the M values of a row). A mistake there is another choice of rows (the wrong axes), of
σ² (N − 1), of where ε goes, or a dropped term of dx. Upsampling and pixel shuffle are linear maps
of x: each mistake is another map (tile for repeat, a block mean for a block sum, the other corner
rule, another channel order), and its backward is the adjoint of that map.
"""

from __future__ import annotations

import numpy as np

from .assignments import Case

CATALOGUE: dict[str, str] = {
    "norm_wrong_axes":
        "Your output is normalised over the wrong axes. Group norm takes μ and σ² of each SAMPLE and GROUP: "
        "x.reshape(N, G, -1), the group's C/G channels and all H·W positions; instance norm and AdaIN of each "
        "sample and channel, over its H·W positions only: axis=(2, 3), keepdims=True. Neither averages over "
        "the batch (that is batch norm).",
    "gn_interleaved_groups":
        "Your groups interleave the channels (channel c in group c % G): that is x.reshape(N, C // G, G, H, W). "
        "A group is C/G CONSECUTIVE channels, 0 .. C/G − 1 first: x.reshape(N, G, C // G, H, W), or "
        "x.reshape(N, G, -1).",
    "norm_unbiased_var":
        "Your output uses the unbiased variance (dividing by M − 1). Group norm, instance norm and AdaIN "
        "divide by the number M of values they average: σ² = mean((x − μ)²), np.var's default (ddof=0).",
    "norm_eps_outside_sqrt":
        "Your ε is outside the square root: x̂ = (x − μ) / (σ + ε). It belongs inside: "
        "x̂ = (x − μ) / √(σ² + ε).",
    "norm_missing_mean":
        "This dx lacks the term through the mean μ. Every value of a group (or instance) moves its μ and σ², "
        "so dx = 1/√(σ² + ε) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), with ĝ = γ · dout and means over the values "
        "that share μ and σ²; your dx has no − mean(ĝ).",
    "norm_missing_var":
        "This dx lacks the term through the variance σ². Every value of a group (or instance) moves its μ and "
        "σ², so dx = 1/√(σ² + ε) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), with ĝ = γ · dout and means over the "
        "values that share μ and σ²; your dx has no − x̂ · mean(ĝ · x̂).",
    "norm_missing_both":
        "This is γ · dout / √(σ² + ε): it treats μ and σ² as constants. They depend on every value they "
        "average: dx = 1/√(σ² + ε) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), with ĝ = γ · dout.",
    "norm_dx_without_scale":
        "This dx is the right formula for γ = 1: the scale is missing. out = γ · x̂ + β, so the gradient that "
        "reaches x̂ is ĝ = γ · dout (per channel for group and instance norm, per sample and channel for "
        "AdaIN), and dx = 1/√(σ² + ε) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)).",
    "norm_dscale_x":
        "The scale's gradient must use the NORMALISED input: Σ dout · x̂ with x̂ = (x − μ)/√(σ² + ε), not "
        "Σ dout · x.",
    "affine_not_summed_over_batch":
        "γ and β are shared by every sample and position, so their gradients add up dout over the batch too: "
        "dgamma = (dout · x̂).sum(axis=(0, 2, 3)), dbeta = dout.sum(axis=(0, 2, 3)), shape (C,).",
    "style_summed_over_batch":
        "AdaIN's style_scale and style_bias are one value per SAMPLE and channel, (N, C): sum dout over the "
        "positions only, dout.sum(axis=(2, 3)), not over the batch.",
    "style_not_summed":
        "AdaIN's style_scale[n, c] and style_bias[n, c] act on every position of channel c of sample n, so "
        "their gradients are sums over H and W: (dout · x̂).sum(axis=(2, 3)) and dout.sum(axis=(2, 3)), shape "
        "(N, C).",
    "nearest_tiled":
        "Your output repeats the whole image (np.tile), not each pixel. Nearest upsampling makes every pixel "
        "an s×s block: out[n, c, i, j] = x[n, c, i // s, j // s], i.e. x.repeat(s, axis=2).repeat(s, axis=3).",
    "nearest_block_mean":
        "Your dx is s² times too small: the MEAN of dout over each s×s block. Each input pixel is copied to "
        "all s² pixels of its block, so its gradient is their SUM: "
        "dout.reshape(N, C, H, s, W, s).sum(axis=(3, 5)).",
    "nearest_subsampled":
        "Your dx takes one element of each s×s block of dout (dout[:, :, ::s, ::s]). Each input pixel is "
        "copied to all s² pixels of its block, so its gradient is the SUM over the block: "
        "dout.reshape(N, C, H, s, W, s).sum(axis=(3, 5)).",
    "bilinear_align_corners":
        "This is bilinear upsampling with the OTHER align_corners. align_corners=True puts the corner pixels' "
        "centres on each other: src = d · (n − 1)/(m − 1); align_corners=False (PyTorch's default) matches "
        "pixel areas: src = max((d + ½)/s − ½, 0), for output index d, input size n, output size m = s·n. "
        "The backward uses the same source positions, transposed.",
    "bilinear_no_half_pixel":
        "Your source positions are src = d / s (the pixels' corners, not their centres). With "
        "align_corners=False the centre of output pixel d sits at input position (d + ½)/s − ½, clamped at 0: "
        "src = max((d + ½)/s − ½, 0). The backward uses the same source positions, transposed.",
    "pixel_shuffle_channel_order":
        "Your channel order is (i·r + j)·C + c (TensorFlow's depth_to_space). PyTorch's pixel shuffle reads "
        "out[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]: x.reshape(N, C, r, r, H, W), then "
        "transpose(0, 1, 4, 2, 5, 3); the backward undoes exactly that.",
    "pixel_shuffle_ij_swapped":
        "Your row and column offsets are swapped: out[n, c, h·r + j, w·r + i]. The channel c·r² + i·r + j "
        "goes to row offset i and column offset j: x.reshape(N, C, r, r, H, W).transpose(0, 1, 4, 2, 5, 3); "
        "the backward undoes exactly that.",
    "pixel_shuffle_no_transpose":
        "A reshape alone does not shuffle: it lays each channel's H×W image out as rows of the output. "
        "Reshape to (N, C, r, r, H, W), transpose to (N, C, H, r, W, r) (axes 0, 1, 4, 2, 5, 3), then reshape "
        "to (N, C, H·r, W·r); the backward is the inverse transpose.",
}

NORMS = ("group_norm", "instance_norm", "adain")


# ----------------------------------------------------------------------------- normalisation


def _rows(x: np.ndarray, groups: int) -> np.ndarray:
    """x (N, C, H, W) as (N, G, M): the rows that share a mean and a variance."""
    return x.reshape(x.shape[0], groups, -1)


def _standardise(rows: np.ndarray, eps: float, ddof: int = 0, eps_outside: bool = False):
    """(x̂, 1/√(σ² + ε)) over the last axis of ``rows``."""
    centred = rows - rows.mean(axis=-1, keepdims=True)
    var = rows.var(axis=-1, ddof=ddof, keepdims=True)
    inv_std = 1 / (np.sqrt(var) + eps) if eps_outside else 1 / np.sqrt(var + eps)
    return centred * inv_std, inv_std


def _norm_parts(assignment: str, case: Case):
    """x, dout, the scale and shift broadcast to x, the number of groups, the scale's reduction axes."""
    a, p = case.arrays, case.params
    x, dout = a["x"], a["dout"]
    if assignment == "adain":
        scale, shift = a["style_scale"][:, :, None, None], a["style_bias"][:, :, None, None]
        return x, dout, scale, shift, x.shape[1], (2, 3)
    groups = int(p["num_groups"]) if assignment == "group_norm" else x.shape[1]
    return x, dout, a["gamma"][:, None, None], a["beta"][:, None, None], groups, (0, 2, 3)


def _wrong_axes(x: np.ndarray, groups: int, eps: float):
    """x̂ of the usual wrong choices of axes: per sample, per channel, over the batch."""
    n, c = x.shape[:2]
    for rows in (1, c):
        yield "norm_wrong_axes", _standardise(_rows(x, rows), eps)[0].reshape(x.shape)
    over_batch = x.transpose(1, 0, 2, 3).reshape(1, c, -1)
    yield "norm_wrong_axes", _standardise(over_batch, eps)[0].reshape(c, n, *x.shape[2:]).transpose(1, 0, 2, 3)
    if 1 < groups < c:
        interleaved = x.reshape(n, c // groups, groups, -1).transpose(0, 2, 1, 3).reshape(n, groups, -1)
        x_hat = _standardise(interleaved, eps)[0].reshape(n, groups, c // groups, -1).transpose(0, 2, 1, 3)
        yield "gn_interleaved_groups", x_hat.reshape(x.shape)


def _norm_variants(assignment: str, output: str, case: Case):
    x, dout, scale, shift, groups, axes = _norm_parts(assignment, case)
    eps = float(case.params["eps"])
    rows = _rows(x, groups)
    x_hat, inv_std = _standardise(rows, eps)
    if output == "out":
        if rows.shape[-1] > 1:
            yield "norm_unbiased_var", scale * _standardise(rows, eps, ddof=1)[0].reshape(x.shape) + shift
        yield "norm_eps_outside_sqrt", scale * _standardise(rows, eps, eps_outside=True)[0].reshape(x.shape) + shift
        for hint, wrong in _wrong_axes(x, groups, eps):
            yield hint, scale * wrong + shift
    if output == "dx":
        g = _rows(dout * scale, groups)
        mean_term, var_term = g.mean(axis=-1, keepdims=True), x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
        yield "norm_missing_mean", (inv_std * (g - var_term)).reshape(x.shape)
        yield "norm_missing_var", (inv_std * (g - mean_term)).reshape(x.shape)
        yield "norm_missing_both", (inv_std * g).reshape(x.shape)
        plain = _rows(dout, groups)
        dx = inv_std * (plain - plain.mean(axis=-1, keepdims=True)
                        - x_hat * (plain * x_hat).mean(axis=-1, keepdims=True))
        yield "norm_dx_without_scale", dx.reshape(x.shape)
    if output in ("dgamma", "dstyle_scale"):
        yield "norm_dscale_x", (dout * x).sum(axis=axes)


# ----------------------------------------------------------------------------- resampling


def _linear_matrix(src: np.ndarray, size: int) -> np.ndarray:
    """The (len(src), size) matrix of linear interpolation at the source positions ``src``."""
    rows = np.arange(len(src))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    i1 = np.minimum(i0 + 1, size - 1)
    lam = src - i0
    a = np.zeros((len(src), size))
    np.add.at(a, (rows, i0), 1 - lam)
    np.add.at(a, (rows, i1), lam)
    return a


def _source(size: int, factor: int, rule: str) -> np.ndarray:
    d = np.arange(size * factor, dtype=np.float64)
    if rule == "corners":  # align_corners=True
        return d * (size - 1) / (size * factor - 1) if size * factor > 1 else np.zeros(1)
    if rule == "centres":  # align_corners=False
        return np.maximum((d + 0.5) / factor - 0.5, 0.0)
    return d / factor  # no half-pixel offset


def _bilinear(x: np.ndarray, dout: np.ndarray, factor: int, rule: str, output: str) -> np.ndarray:
    """The forward (output "out") or backward (dx) of bilinear upsampling with the given source rule."""
    a_h, a_w = (_linear_matrix(_source(n, factor, rule), n) for n in x.shape[2:])
    if output == "out":
        return np.einsum("ph,nchw,qw->ncpq", a_h, x, a_w)
    return np.einsum("ph,ncpq,qw->nchw", a_h, dout, a_w)


def _upsample_variants(function: str, output: str, case: Case):
    x, dout, s = case.arrays["x"], case.arrays["dout"], int(case.params["scale_factor"])
    n, c, h, w = x.shape
    if function.startswith("upsample_nearest"):
        if output == "out":
            yield "nearest_tiled", np.tile(x, (1, 1, s, s))
        if output == "dx":
            yield "nearest_block_mean", dout.reshape(n, c, h, s, w, s).mean(axis=(3, 5))
            yield "nearest_subsampled", dout[:, :, ::s, ::s]
        return
    rule = "corners" if case.params["align_corners"] else "centres"
    yield "bilinear_align_corners", _bilinear(x, dout, s, "centres" if rule == "corners" else "corners", output)
    if rule == "centres":
        yield "bilinear_no_half_pixel", _bilinear(x, dout, s, "asymmetric", output)


def _pixel_shuffle_variants(output: str, case: Case):
    """Each wrong layout as (the order the channel axis is read in, the permutation after it)."""
    x, dout, r = case.arrays["x"], case.arrays["dout"], int(case.params["upscale_factor"])
    n, c, h, w = x.shape
    k = c // (r * r)
    layouts = {"pixel_shuffle_channel_order": ((n, r, r, k, h, w), (0, 3, 4, 1, 5, 2)),
               "pixel_shuffle_ij_swapped": ((n, k, r, r, h, w), (0, 1, 4, 3, 5, 2)),
               "pixel_shuffle_no_transpose": ((n, k, r, r, h, w), (0, 1, 2, 3, 4, 5))}
    for hint, (split, order) in layouts.items():
        if output == "out":
            yield hint, x.reshape(split).transpose(order).reshape(n, k, h * r, w * r)
        else:
            shuffled = tuple(split[i] for i in order)
            yield hint, dout.reshape(shuffled).transpose(np.argsort(order)).reshape(x.shape)


def variants(assignment: str, function: str, output: str, case: Case):
    """(hint, what that mistake produces) for this result and case."""
    if assignment in NORMS:
        yield from _norm_variants(assignment, output, case)
    elif assignment == "upsample":
        yield from _upsample_variants(function, output, case)
    elif assignment == "pixel_shuffle":
        yield from _pixel_shuffle_variants(output, case)


def shape_hint(assignment: str, output: str, case: Case, got: np.ndarray) -> str | None:
    """A hint from the shape alone of a scale's or shift's gradient, or None."""
    x = case.arrays.get("x")
    if assignment not in NORMS or x is None:
        return None
    n, c = x.shape[:2]
    if assignment == "adain" and output in ("dstyle_scale", "dstyle_bias"):
        if got.shape == (c,):
            return "style_summed_over_batch"
        if got.shape == x.shape or got.shape == (n, c, x.shape[2]) or got.shape == (n, c, x.shape[3]):
            return "style_not_summed"
    if assignment != "adain" and output in ("dgamma", "dbeta") and got.shape in ((n, c), (n, c, 1, 1)):
        return "affine_not_summed_over_batch"
    return None
