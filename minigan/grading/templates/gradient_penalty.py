"""Assignment: a critic activation whose gradient can be differentiated again (WGAN-GP).

The gradient penalty of WGAN-GP, λ E[(‖∇ₓ D(x)‖ − 1)²], is minimised by gradient descent, so
its gradient differentiates ∇ₓ D itself: every op of the critic needs a backward that is built
from differentiable operations. Write softplus(z) = log(1 + exp(z)) as a minigan.Function:

    forward(z)     works on a NumPy array, returns a NumPy array; keep it stable for large |z|
                   (np.logaddexp(0, z) is log(1 + exp(z)) without overflow)
    backward(g)    dL/dz = g · σ(z), built from minigan operations on Tensors (self.inputs, g,
                   mg.sigmoid, *, +, ...), not from NumPy, so that it can be differentiated again

Check your work with:
    minigan check gradient_penalty gradient_penalty.py

The checker runs gradcheck and gradgradcheck on your Softplus, then the penalty
P = mean_n (‖∇ₓ f(xₙ)‖ − 1)² of the critic f(x) = Softplus(x W) · v, and its gradient with
respect to W, both through your Function. minigan's own softplus is not allowed here.
"""

import numpy as np  # noqa: F401  (for forward)

import minigan as mg


class Softplus(mg.Function):
    """y = log(1 + eᶻ);  dz = g · σ(z)."""

    def forward(self, z):
        # TODO: z is a NumPy array; return log(1 + exp(z)), computed stably
        raise NotImplementedError("TODO: Softplus.forward")

    def backward(self, g):
        (z,) = self.inputs  # the input as a Tensor
        # TODO: return g * σ(z), a Tensor built from minigan ops
        raise NotImplementedError("TODO: Softplus.backward")
