"""Assignment: LeakyReLU, forward and backward, in plain NumPy.

    LeakyReLU(x) = x        where x > 0
                 = s · x    elsewhere (s = negative_slope, e.g. 0.2 in a DCGAN discriminator)

Check your work with:  minigan check leaky_relu leaky_relu.py
"""

import numpy as np  # noqa: F401  (you will need it)


def leaky_relu_forward(x, negative_slope):
    """x: array of any shape; negative_slope: float. Returns out, the same shape as x."""
    # TODO: one np.where
    raise NotImplementedError("TODO: leaky_relu_forward")


def leaky_relu_backward(dout, x, negative_slope):
    """dout = dL/d out, the same shape as x. Returns dx = dL/dx, the same shape as x.

    dx = dout · (1 where x > 0, negative_slope elsewhere)
    """
    # TODO
    raise NotImplementedError("TODO: leaky_relu_backward")
