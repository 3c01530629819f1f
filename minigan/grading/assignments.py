"""The assignments: the functions a student writes, and the cases they are checked on.

Every assignment is one or more *pairs*, a forward function and its backward, in plain NumPy:

    forward(*inputs, *params) -> output
    backward(dout, *inputs, *params) -> gradients      (a layer: dout is dL/d output)
    backward(*inputs) -> gradients                     (a loss: the gradient of the scalar itself)

Cases are drawn from a seeded generator, so ``--seed`` reproduces them exactly. They include the
awkward ones: a batch of 1, non-square images, stride 2 with padding, odd sizes, negative inputs,
large logits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ops.conv import conv_output_size, conv_transpose_output_size
from . import reference


@dataclass(frozen=True)
class Pair:
    """A forward function, its backward, and minigan's reference for both.

    ``reference(*inputs, *params, dout)`` returns ``(output, *grads)``.
    """

    forward: str
    backward: str
    inputs: tuple[str, ...]
    params: tuple[str, ...]
    output: str
    grads: tuple[str, ...]
    reference: Callable
    takes_dout: bool = True


VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")

# Autodiff libraries: a submission that imports one has not written its own gradients.
AUTODIFF_LIBRARIES = ("torch", "jax", "jaxlib", "tensorflow", "keras", "autograd", "mygrad", "tinygrad",
                      "chainer", "mxnet", "paddle", "theano", "micrograd")
# The NumPy assignments also forbid minigan itself, whose layers are the reference answers.
DEFAULT_FORBIDDEN = ("minigan",) + AUTODIFF_LIBRARIES


@dataclass
class Case:
    """One set of inputs: arrays (with ``dout`` for layers) and scalar parameters.

    ``weight`` is the case's share of each check's points (relative to the other cases);
    ``visibility`` is Gradescope's: a check's hidden cases are reported as a test of their own.
    """

    name: str
    arrays: dict[str, np.ndarray]
    params: dict[str, float]
    weight: float = 1.0
    visibility: str = "visible"

    def __post_init__(self):
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"Case {self.name!r}: visibility must be one of {', '.join(VISIBILITIES)}, "
                             f"got {self.visibility!r}")
        if not self.weight > 0:
            raise ValueError(f"Case {self.name!r}: weight must be positive, got {self.weight!r}")

    def describe(self) -> str:
        shapes = [f"{key} {tuple(a.shape)}" for key, a in self.arrays.items() if key != "dout"]
        return ", ".join(shapes + [f"{key} {value:g}" for key, value in self.params.items()])


@dataclass(frozen=True)
class Assignment:
    """An assignment: what the student writes, the cases, and how it is scored.

    ``forbidden_imports``: modules (and their submodules) the submission may not import.
    ``check_weights``: points of a check by its name (default 1 each). ``file``: the file name
    students submit (for Gradescope; default NAME.py). ``hints``: show the mistake catalogue.
    """

    name: str
    summary: str
    pairs: tuple[Pair, ...]
    make_cases: Callable[[np.random.Generator], list[Case]]
    tolerance: float = 1e-7  # largest relative error that passes (float64, against the reference)
    forbidden_imports: tuple[str, ...] = DEFAULT_FORBIDDEN
    check_weights: dict[str, float] | None = None
    file: str | None = None
    hints: bool = True
    writes: str | None = None  # what the student writes, when it is not forward/backward functions

    @property
    def submission_file(self) -> str:
        return self.file or f"{self.name}.py"

    def weight(self, check: str) -> float:
        return float((self.check_weights or {}).get(check, 1.0))

    @property
    def functions(self) -> list[str]:
        return [name for pair in self.pairs for name in (pair.forward, pair.backward)]


# ----------------------------------------------------------------------------- output shapes


def conv_out_shape(x_shape, w_shape, stride: int, padding: int, transposed: bool = False) -> tuple[int, ...]:
    channels = w_shape[1] if transposed else w_shape[0]
    size = conv_transpose_output_size if transposed else conv_output_size
    h, w = (size(n, k, stride, padding) for n, k in zip(x_shape[2:], w_shape[2:]))
    return (x_shape[0], channels, h, w)


# ----------------------------------------------------------------------------- cases


def _signed(rng: np.random.Generator, shape, low: float = 0.05, high: float = 2.0) -> np.ndarray:
    """Random values of either sign, kept away from 0 (LeakyReLU's kink)."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def _leaky_relu_cases(rng):
    specs = [("basic", (4, 5), 0.01), ("batch of 1", (1, 7), 0.2),
             ("image-shaped input (N, C, H, W)", (2, 3, 4, 5), 0.2), ("all inputs negative", (3, 4), 0.1)]
    cases = []
    for name, shape, slope in specs:
        x = _signed(rng, shape)
        if name == "all inputs negative":
            x = -np.abs(x)
        cases.append(Case(name, {"x": x, "dout": rng.standard_normal(shape)}, {"negative_slope": slope}))
    return cases


def _linear_cases(rng):
    specs = [("basic", 4, 5, 3), ("batch of 1", 1, 6, 4), ("one output unit", 5, 3, 1),
             ("odd sizes, large inputs", 3, 7, 5)]
    cases = []
    for name, n, fan_in, fan_out in specs:
        scale = 10.0 if "large" in name else 1.0
        arrays = {"x": scale * rng.standard_normal((n, fan_in)), "w": rng.standard_normal((fan_out, fan_in)),
                  "b": rng.standard_normal(fan_out), "dout": rng.standard_normal((n, fan_out))}
        cases.append(Case(name, arrays, {}))
    return cases


def _conv_cases(specs, transposed: bool):
    def make(rng):
        cases = []
        for name, x_shape, w_shape, stride, padding in specs:
            out_shape = conv_out_shape(x_shape, w_shape, stride, padding, transposed)
            arrays = {"x": rng.standard_normal(x_shape), "w": rng.standard_normal(w_shape),
                      "b": rng.standard_normal(out_shape[1]), "dout": rng.standard_normal(out_shape)}
            cases.append(Case(name, arrays, {"stride": stride, "padding": padding}))
        return cases
    return make


_CONV2D_SPECS = [
    ("basic", (2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ("batch of 1, padding 1", (1, 2, 4, 4), (3, 2, 3, 3), 1, 1),
    ("non-square image and kernel", (2, 3, 6, 4), (2, 3, 3, 2), 1, 0),
    ("stride 2 with padding 1", (2, 2, 8, 6), (3, 2, 3, 3), 2, 1),
    ("odd sizes, stride 3, padding 2", (3, 1, 9, 7), (2, 1, 4, 3), 3, 2),
    ("1x1 kernel", (2, 4, 3, 5), (3, 4, 1, 1), 1, 0),
]

_CONV_TRANSPOSE2D_SPECS = [
    ("basic", (2, 3, 3, 3), (3, 2, 3, 3), 1, 0),
    ("batch of 1, padding 1", (1, 2, 4, 4), (2, 3, 3, 3), 1, 1),
    ("DCGAN upsampling: kernel 4, stride 2, padding 1", (2, 3, 3, 4), (3, 2, 4, 4), 2, 1),
    ("non-square kernel, stride 2", (1, 2, 3, 2), (2, 3, 3, 2), 2, 0),
    ("odd sizes, stride 3, padding 1", (2, 1, 3, 5), (1, 2, 3, 5), 3, 1),
]


def _batchnorm_cases(rng):
    specs = [("basic", (8, 5), 1e-5, 0.0, 1.0), ("batch of 2", (2, 3), 1e-5, 0.0, 1.0),
             ("shifted and scaled features, eps 1e-3", (6, 4), 1e-3, 3.0, 5.0), ("odd sizes", (5, 7), 1e-5, 0.0, 1.0)]
    cases = []
    for name, (n, d), eps, shift, scale in specs:
        arrays = {"x": shift + scale * rng.standard_normal((n, d)), "gamma": rng.uniform(0.5, 2.0, d),
                  "beta": rng.standard_normal(d), "dout": rng.standard_normal((n, d))}
        cases.append(Case(name, arrays, {"eps": eps}))
    return cases


def _gan_loss_cases(rng):
    def large(shape):
        return _signed(rng, shape, 30.0, 100.0)

    specs = [("basic", (8,), lambda s: 2 * rng.standard_normal(s), lambda s: 2 * rng.standard_normal(s)),
             ("batch of 1", (1,), rng.standard_normal, rng.standard_normal),
             ("column-shaped logits (N, 1)", (5, 1), rng.standard_normal, rng.standard_normal),
             ("large logits (|z| from 30 to 100)", (8,), large, large),
             ("confident discriminator", (6,), lambda s: rng.uniform(3, 8, s), lambda s: -rng.uniform(3, 8, s))]
    return [Case(name, {"real_logits": real(shape), "fake_logits": fake(shape)}, {})
            for name, shape, real, fake in specs]


def _no_cases(rng):
    return []


def _penalty_cases(rng: np.random.Generator) -> list[Case]:
    """The gradient-penalty assignment's inputs: points x, the critic's weights w and output weights v."""
    specs = [("basic", 4, 3, 5), ("batch of 1", 1, 2, 3), ("one input feature", 5, 1, 4),
             ("wide critic, large inputs", 6, 4, 8)]
    cases = []
    for name, n, d, h in specs:
        scale = 3.0 if "large" in name else 1.0
        cases.append(Case(name, {"x": scale * rng.standard_normal((n, d)), "w": rng.standard_normal((d, h)),
                                 "v": rng.standard_normal(h)}, {}))
    return cases


ASSIGNMENTS: dict[str, Assignment] = {a.name: a for a in [
    Assignment("leaky_relu", "LeakyReLU: forward and backward",
               (Pair("leaky_relu_forward", "leaky_relu_backward", ("x",), ("negative_slope",), "out", ("dx",),
                     reference.leaky_relu),),
               _leaky_relu_cases),
    Assignment("linear", "fully connected layer y = x Wᵀ + b: forward and backward",
               (Pair("linear_forward", "linear_backward", ("x", "w", "b"), (), "out", ("dx", "dw", "db"),
                     reference.linear),),
               _linear_cases),
    Assignment("conv2d", "2-D convolution (cross-correlation) with stride and padding: forward and backward",
               (Pair("conv2d_forward", "conv2d_backward", ("x", "w", "b"), ("stride", "padding"), "out",
                     ("dx", "dw", "db"), reference.conv2d),),
               _conv_cases(_CONV2D_SPECS, transposed=False)),
    Assignment("conv_transpose2d", "2-D transposed convolution with stride and padding: forward and backward",
               (Pair("conv_transpose2d_forward", "conv_transpose2d_backward", ("x", "w", "b"), ("stride", "padding"),
                     "out", ("dx", "dw", "db"), reference.conv_transpose2d),),
               _conv_cases(_CONV_TRANSPOSE2D_SPECS, transposed=True)),
    Assignment("batchnorm", "batch normalisation of (N, D) input in training mode: forward and backward",
               (Pair("batchnorm_forward", "batchnorm_backward", ("x", "gamma", "beta"), ("eps",), "out",
                     ("dx", "dgamma", "dbeta"), reference.batchnorm),),
               _batchnorm_cases),
    Assignment("gan_losses", "minimax discriminator loss and non-saturating generator loss, with gradients",
               (Pair("discriminator_loss", "discriminator_loss_grad", ("real_logits", "fake_logits"), (), "loss",
                     ("d_real", "d_fake"), reference.discriminator_loss, takes_dout=False),
                Pair("generator_loss", "generator_loss_grad", ("fake_logits",), (), "loss", ("d_fake",),
                     reference.generator_loss, takes_dout=False)),
               _gan_loss_cases),
    Assignment("function", "your own minigan.Function subclass, checked with gradcheck and gradgradcheck",
               (), _no_cases, forbidden_imports=AUTODIFF_LIBRARIES,
               writes='a minigan.Function subclass: FILE.py:ClassName --inputs "(3,4)"'),
    Assignment("gradient_penalty", "WGAN-GP through your Softplus Function: its backward differentiated again "
               "(gradgradcheck, and the penalty's gradient with respect to the critic's weights)",
               (), _penalty_cases, forbidden_imports=AUTODIFF_LIBRARIES + ("minigan.gan", "minigan.ops", "minigan.nn"),
               writes="class Softplus(minigan.Function), its backward built from minigan ops"),
]}
