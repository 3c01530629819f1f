"""A correct pixel shuffle, (N, C·r², H, W) to (N, C, H·r, W·r)."""


def pixel_shuffle_forward(x, upscale_factor):
    n, c, h, w = x.shape
    r = upscale_factor
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)


def pixel_shuffle_backward(dout, x, upscale_factor):
    n, c, h, w = x.shape
    r = upscale_factor
    return dout.reshape(n, c // (r * r), h, r, w, r).transpose(0, 1, 3, 5, 2, 4).reshape(x.shape)
