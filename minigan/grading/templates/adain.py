"""Assignment: adaptive instance normalisation (AdaIN), forward and backward, in plain NumPy.

AdaIN (Huang & Belongie, 2017) is how StyleGAN feeds its style into the generator: instance
norm, whose scale and bias are not parameters but one value per SAMPLE and channel, computed
from that sample's style vector w. For x (N, C, H, W) and a style (N, C):

    μ[n, c] = mean_{h, w} x[n, c]            σ²[n, c] = mean_{h, w} (x[n, c] − μ[n, c])²   (biased)
    x̂ = (x − μ) / √(σ² + eps)
    out[n, c] = style_scale[n, c] · x̂[n, c] + style_bias[n, c]      out (N, C, H, W)

style_scale[:, :, None, None] broadcasts the style against x.

Check your work with:  minigan check adain adain.py
"""

import numpy as np  # noqa: F401  (you will need it)


def adain_forward(x, style_scale, style_bias, eps):
    """Returns out (N, C, H, W)."""
    # TODO
    raise NotImplementedError("TODO: adain_forward")


def adain_backward(dout, x, style_scale, style_bias, eps):
    """dout = dL/d out, shape (N, C, H, W). Returns (dx, dstyle_scale, dstyle_bias), shaped like x,
    style_scale, style_bias.

    dstyle_bias[n, c] = Σ_{h, w} dout[n, c]      dstyle_scale[n, c] = Σ_{h, w} dout[n, c] · x̂[n, c]
    (one value per sample: nothing is summed over the batch). With ĝ = style_scale · dout, dx is
    instance norm's: a term through x̂ directly, one through μ and one through σ².
    """
    # TODO
    raise NotImplementedError("TODO: adain_backward")
