"""Expected answers, computed by minigan itself.

This module is the checker's only door into minigan: each function runs minigan's forward in
float64 on the CPU and asks autograd for the gradients,

    out = layer(x, w, ...);   dx, dw, ... = mg.grad(out, [x, w, ...], grad_outputs=dout)

and returns plain NumPy arrays ``(out, dx, dw, ...)``. For a loss ``dout`` is None: the gradient
of the scalar itself. A lock makes the module safe to use from several threads (minigan's
grad mode is one switch for the whole process).
"""

from __future__ import annotations

import threading

import numpy as np

_LOCK = threading.Lock()


def _forward_and_grads(layer, arrays, dout) -> tuple[np.ndarray, ...]:
    with _LOCK:
        return _unlocked_forward_and_grads(layer, arrays, dout)


def _unlocked_forward_and_grads(layer, arrays, dout) -> tuple[np.ndarray, ...]:
    import minigan as mg

    inputs = [mg.tensor(np.asarray(a, dtype=np.float64), dtype="float64", requires_grad=True) for a in arrays]
    out = layer(*inputs)
    grad_out = None if dout is None else mg.tensor(np.asarray(dout, dtype=np.float64), dtype="float64")
    grads = mg.grad(out, inputs, grad_outputs=grad_out)
    return tuple(mg.backend.to_numpy(t.data).astype(np.float64) for t in (out, *grads))


def from_minigan(layer, n_inputs: int):
    """A Pair's reference from a function of minigan Tensors: ``layer(*inputs, *params) -> Tensor``.

    The returned ``reference(*inputs, *params, dout)`` gives (output, *gradients of the inputs), as
    minigan's forward and ``mg.grad`` compute them in float64 (``dout`` None for a scalar loss).
    """
    def reference(*args):
        *values, dout = args
        inputs, params = values[:n_inputs], values[n_inputs:]
        return _forward_and_grads(lambda *tensors: layer(*tensors, *params), inputs, dout)
    return reference


def _functional():
    import minigan.nn.functional as F

    return F


def leaky_relu(x, negative_slope, dout=None):
    return _forward_and_grads(lambda x: _functional().leaky_relu(x, negative_slope), [x], dout)


def linear(x, w, b, dout=None):
    return _forward_and_grads(_functional().linear, [x, w, b], dout)


def conv2d(x, w, b, stride, padding, dout=None):
    def layer(x, w, b):
        return _functional().conv2d(x, w, b, stride=int(stride), padding=int(padding))
    return _forward_and_grads(layer, [x, w, b], dout)


def conv_transpose2d(x, w, b, stride, padding, dout=None):
    def layer(x, w, b):
        return _functional().conv_transpose2d(x, w, b, stride=int(stride), padding=int(padding))
    return _forward_and_grads(layer, [x, w, b], dout)


def batchnorm(x, gamma, beta, eps, dout=None):
    def layer(x, gamma, beta):
        return _functional().batch_norm(x, None, None, gamma, beta, training=True, eps=float(eps))
    return _forward_and_grads(layer, [x, gamma, beta], dout)


def _bce(logits, target: float):
    return _functional().binary_cross_entropy_with_logits(logits, np.full(logits.shape, target))


def discriminator_loss(real_logits, fake_logits, dout=None):
    """−mean log σ(real) − mean log(1 − σ(fake))."""
    return _forward_and_grads(lambda r, f: _bce(r, 1.0) + _bce(f, 0.0), [real_logits, fake_logits], dout)


def generator_loss(fake_logits, dout=None):
    """Non-saturating: −mean log σ(fake)."""
    return _forward_and_grads(lambda f: _bce(f, 1.0), [fake_logits], dout)
