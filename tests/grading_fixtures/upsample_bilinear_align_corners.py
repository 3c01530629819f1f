"""Planted bug: bilinear upsampling that ignores align_corners (always the pixel-centre rule)."""

from upsample_ok import upsample_bilinear_backward as _backward
from upsample_ok import upsample_bilinear_forward as _forward
from upsample_ok import upsample_nearest_backward, upsample_nearest_forward  # noqa: F401


def upsample_bilinear_forward(x, scale_factor, align_corners):
    return _forward(x, scale_factor, False)  # BUG: align_corners ignored


def upsample_bilinear_backward(dout, x, scale_factor, align_corners):
    return _backward(dout, x, scale_factor, False)  # BUG: align_corners ignored
