"""A catalogue of common mistakes, each recognised by its signature.

When a result fails, the checker asks whether it is exactly what a known mistake produces from
the same inputs: conv2d's dx with an unflipped kernel, batchnorm's dx without its mean terms, the
saturating generator loss... (computed here, the correct parts by minigan through reference.py),
or whether the shape or a simple ratio gives the mistake away: −1 is a flipped sign, N is a sum
where a mean belongs, a bias gradient shaped like dout was never summed.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import reference
from .assignments import Case, conv_out_shape
from .compare import matches

CATALOGUE: dict[str, str] = {
    "wrong_sign":
        "Your result is exactly the negative of the correct one: a sign is flipped. Check the sign of each "
        "term, e.g. d/dz [−log σ(z)] = σ(z) − 1, not 1 − σ(z).",
    "bias_not_summed":
        "A bias is shared by every sample (and, in a convolution, every position), so its gradient is the SUM "
        "of dout over all those axes: db = dout.sum(axis=0) for a linear layer, db = dout.sum(axis=(0, 2, 3)) "
        "for a (transposed) convolution.",
    "mean_not_sum":
        "Your result is the MEAN over the batch where the SUM is needed (it is N times too small). The 1/N of "
        "a mean loss is already inside dout; a shared parameter adds up the contributions of every sample.",
    "sum_not_mean":
        "Your value is N times the expected one: the loss is the MEAN over the batch, not the sum, and each "
        "element of its gradient carries a factor 1/N.",
    "scaled":
        "Your result is the expected one times a constant: a factor (1/N, 2, γ, the slope...) is missing or "
        "extra.",
    "no_kernel_flip":
        "This dx is what you get WITHOUT flipping the kernel. Written as a sliding window, dx is a full "
        "convolution of dout with the kernel rotated by 180° (w[:, :, ::-1, ::-1]) and its channel axes "
        "swapped (w.transpose(1, 0, 2, 3)); in im2col form it is W_colᵀ @ dout_col followed by col2im. The "
        "scatter form, dx_pad[n, :, i*s:i*s+HH, j*s:j*s+WW] += w[f] * dout[n, f, i, j], needs no flip.",
    "transpose_dx_flipped":
        "This dx is a convolution of dout with the kernel rotated by 180°. The backward of a transposed "
        "convolution is the ordinary forward conv2d of dout with the SAME, unflipped weights: "
        "dx = conv2d(dout, w, stride, padding), the (C_in, C_out, HH, WW) weight playing conv2d's (F, C, HH, WW).",
    "true_convolution":
        "Your output is a textbook convolution (kernel rotated by 180°). In deep learning a 'convolution' is a "
        "cross-correlation: out[n, f, i, j] = Σ x_pad[n, :, i*s:i*s+HH, j*s:j*s+WW] · w[f] + b[f], no flip.",
    "stride_ignored":
        "Your output has the shape it would have with stride 1: the stride is ignored. Output position (i, j) "
        "belongs to the window starting at (i·stride, j·stride) of the padded input (for a transposed "
        "convolution: input (i, j) is spread onto the output from (i·stride, j·stride)).",
    "off_by_one":
        "Your output size is off by one. conv2d: H_out = (H + 2·padding − HH) // stride + 1, the + 1 counting "
        "the first window; conv_transpose2d: H_out = (H − 1)·stride − 2·padding + HH.",
    "bn_missing_mean":
        "This is batchnorm's dx without the terms that flow through the batch mean μ. Every x[n] moves μ (and "
        "σ²), so dx = γ/σ · (dout − mean(dout) − x̂ · mean(dout · x̂)) with means over the batch; your dx "
        "lacks the − mean(dout) term.",
    "bn_missing_var":
        "This is batchnorm's dx without the terms that flow through the batch variance σ². Every x[n] moves σ² "
        "(and μ), so dx = γ/σ · (dout − mean(dout) − x̂ · mean(dout · x̂)); your dx lacks − x̂ · mean(dout · x̂).",
    "bn_missing_both":
        "This is γ · dout / σ: it treats the batch mean and variance as constants. They depend on every x[n]: "
        "dx = γ/σ · (dout − mean(dout) − x̂ · mean(dout · x̂)), with means over the batch.",
    "bn_unbiased_var":
        "Your output uses the unbiased variance (dividing by N − 1). Batch normalisation in training divides "
        "by N: σ² = mean((x − μ)²).",
    "bn_dgamma_x":
        "dgamma must use the NORMALISED input: dgamma = Σ_n dout · x̂, with x̂ = (x − μ)/√(σ² + eps), not x.",
    "saturating":
        "This is the SATURATING generator loss, mean log(1 − σ(fake)) from the original minimax game, whose "
        "gradient vanishes while the discriminator rejects the fakes. The assignment asks for the "
        "non-saturating loss −mean log σ(fake_logits), whose gradient is (σ(fake) − 1)/N.",
    "unstable":
        "Not finite on large logits: log(σ(z)) or log(1 − σ(z)) hits log(0), or exp(z) overflows, when |z| "
        "is large. Use the stable forms −log σ(z) = softplus(−z) and −log(1 − σ(z)) = softplus(z), with "
        "softplus(z) = max(z, 0) + log1p(exp(−|z|)), and σ(z) = exp(−softplus(−z)).",
    "not_finite":
        "NaN or infinity: look for a division by zero, the log or square root of a number ≤ 0, or exp of a "
        "large number.",
    "transposed":
        "Your result is the transpose of the expected one: w has shape (out, in), so dw = doutᵀ @ x has shape "
        "(out, in) too.",
    "extra_axes":
        "Right numbers, wrong shape: remove the extra axes of size 1 (keepdims=False, or reshape).",
    "all_zero":
        "Your result is all zeros. Is the function still a placeholder (return np.zeros_like(...)), or does "
        "it fill an array it never returns (writing into a copy, or returning the freshly made array before "
        "the loop adds to it)?",
    "integer_dtype":
        "Your result is an array of integers, so every value was rounded towards 0: it was made with an "
        "integer dtype, e.g. np.zeros(shape, dtype=int) or np.zeros_like of an integer array. Make it a "
        "float array: np.zeros(shape) or np.zeros_like(x, dtype=float).",
    "float32":
        "Your result is in single precision; the checks are in float64 and need its accuracy. Keep the inputs' "
        "dtype (no np.float32, no astype).",
}


def _flip(w: np.ndarray) -> np.ndarray:
    return w[:, :, ::-1, ::-1]


def _batch_size(assignment: str, case: Case) -> int:
    if assignment == "gan_losses":
        return case.arrays["fake_logits"].size
    return next(iter(case.arrays.values())).shape[0]


def _shape_hint(assignment, function, output, case, expected, got) -> str | None:
    if got.size == expected.size and np.squeeze(got).shape == np.squeeze(expected).shape:
        return "extra_axes"
    if got.ndim == 2 and got.shape == expected.shape[::-1]:
        return "transposed"
    if output in ("db", "dbeta"):
        dout = case.arrays["dout"]
        for size in range(dout.ndim):
            for axes in itertools.combinations(range(dout.ndim), size):
                if dout.sum(axis=axes).shape == got.shape:
                    return "bias_not_summed"
    if assignment.startswith("conv") and function.endswith("_forward") and got.ndim == 4:
        a, p = case.arrays, case.params
        transposed = assignment == "conv_transpose2d"
        if p["stride"] > 1 and got.shape == conv_out_shape(a["x"].shape, a["w"].shape, 1, p["padding"], transposed):
            return "stride_ignored"
        if got.shape[:2] == expected.shape[:2] and all(abs(g - e) <= 1 for g, e in zip(got.shape, expected.shape)):
            return "off_by_one"
    return None


def _variants(assignment: str, function: str, output: str, case: Case):
    """(hint, what that mistake produces) for this result and case."""
    a, p = case.arrays, case.params
    if assignment in ("conv2d", "conv_transpose2d"):
        ref = reference.conv2d if assignment == "conv2d" else reference.conv_transpose2d
        if output == "out":
            yield "true_convolution", ref(a["x"], _flip(a["w"]), a["b"], p["stride"], p["padding"], a["dout"])[0]
        if output == "dx":
            flipped = ref(a["x"], _flip(a["w"]), a["b"], p["stride"], p["padding"], a["dout"])[1]
            yield ("no_kernel_flip" if assignment == "conv2d" else "transpose_dx_flipped"), flipped
    if assignment == "batchnorm":
        x, gamma, beta, dout, eps = a["x"], a["gamma"], a["beta"], a["dout"], p["eps"]
        mu, var = x.mean(axis=0), x.var(axis=0)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        if output == "out" and x.shape[0] > 1:
            yield "bn_unbiased_var", gamma * (x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta
        if output == "dx":
            mean_term, var_term = dout.mean(axis=0), x_hat * (dout * x_hat).mean(axis=0)
            yield "bn_missing_mean", gamma * inv_std * (dout - var_term)
            yield "bn_missing_var", gamma * inv_std * (dout - mean_term)
            yield "bn_missing_both", gamma * inv_std * dout
        if output == "dgamma":
            yield "bn_dgamma_x", (dout * x).sum(axis=0)
    if assignment == "gan_losses" and function.startswith("generator_loss"):
        fake = a["fake_logits"]
        if output == "loss":  # mean log(1 − σ(z)) = −mean softplus(z)
            yield "saturating", np.mean(-np.logaddexp(0, fake))
        if output == "d_fake":  # −σ(z) / N
            yield "saturating", -np.exp(-np.logaddexp(0, -fake)) / fake.size


def ratio_hint(expected: np.ndarray, got: np.ndarray, n: int = 1) -> str | None:
    """Recognise got = c · expected for a telling c: −1, the batch size n or 1/n, or any constant."""
    norm = float(np.sum(expected * expected))
    if norm == 0 or got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    if not np.any(got):
        return "all_zero"
    c = float(np.sum(got * expected)) / norm
    named = [(-1.0, "wrong_sign")]
    if n > 1:
        named += [(float(n), "sum_not_mean"), (1.0 / n, "mean_not_sum")]
    for value, hint in named:
        if abs(c - value) <= 1e-6 * abs(value) and matches(got, value * expected):
            return hint
    if got.size > 1 and matches(got, c * expected) and abs(c - 1) > 1e-3:
        return "scaled"
    return None


def recognise(assignment: str, function: str, output: str, case: Case, expected: np.ndarray,
              got: np.ndarray, dtype: str = "float64") -> str | None:
    """The name of the catalogue entry that explains this failing result, or None."""
    if got.shape != expected.shape and not (expected.ndim == 0 and got.size == 1):
        return _shape_hint(assignment, function, output, case, expected, got)
    got = got.reshape(expected.shape)
    if not np.all(np.isfinite(got)):
        large_logits = assignment == "gan_losses" and any(np.abs(v).max() > 20 for v in case.arrays.values())
        return "unstable" if large_logits else "not_finite"
    if dtype.startswith(("int", "uint", "bool")) and not matches(got, expected):
        return "integer_dtype"
    for hint, variant in _variants(assignment, function, output, case):
        if matches(got, variant) and not matches(expected, variant):
            return hint
    hint = ratio_hint(expected, got, _batch_size(assignment, case))
    if hint is None and dtype in ("float32", "float16") and matches(got, expected, 1e-3):
        hint = "float32"
    return hint
