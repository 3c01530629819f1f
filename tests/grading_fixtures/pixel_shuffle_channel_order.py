"""Planted bug: pixel shuffle reading the channels as (i·r + j)·C + c (TensorFlow's depth_to_space)."""


def pixel_shuffle_forward(x, upscale_factor):
    n, c, h, w = x.shape
    r = upscale_factor
    k = c // (r * r)
    return x.reshape(n, r, r, k, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, k, h * r, w * r)  # BUG: (n, k, r, r, ...)


def pixel_shuffle_backward(dout, x, upscale_factor):
    n, c, h, w = x.shape
    r = upscale_factor
    k = c // (r * r)
    return dout.reshape(n, k, h, r, w, r).transpose(0, 3, 5, 1, 2, 4).reshape(x.shape)  # the same BUG, undone
