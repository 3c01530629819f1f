"""Assignment: your own differentiable operation, as a minigan.Function subclass.

forward works on NumPy arrays; backward receives dL/d output as a Tensor and returns one
gradient Tensor per input. Build the gradients from minigan operations on Tensors
(self.inputs, self.output()), so that they can be differentiated again (gradgradcheck).

Check your work with (one shape per input):
    minigan check function my_op.py:Square --inputs "(3,4)"
Add --positive for an op defined only for positive inputs (log, sqrt), --first-order to skip
the second derivatives.
"""

import minigan as mg


class Square(mg.Function):
    """y = x²;  dx = 2 x · g."""

    def forward(self, x):
        # TODO: x is a NumPy array; return a NumPy array
        raise NotImplementedError("TODO: Square.forward")

    def backward(self, g):
        (x,) = self.inputs  # the input as a Tensor
        # TODO: return the gradient of the input, a Tensor built from minigan ops (x, g)
        raise NotImplementedError("TODO: Square.backward")


# Use it like any minigan op:  y = Square.apply(mg.tensor([1.0, 2.0], requires_grad=True))
