"""Every public Tensor method and every functional op against PyTorch, through the one-line helper
tests/parity.py (values and gradients). Names that PyTorch lacks, or uses differently, are listed in
DEPARTURES with the test that covers them instead. Skips without PyTorch."""

import numpy as np
import pytest
from conftest import on_device
from parity import parity

import minigan as mg
import minigan.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

CONSTANT = np.random.default_rng(5).standard_normal((3, 4))  # an array (on the tensor's device) on the left of @

# name → list of parity calls (shapes, fn[, torch_fn][, options])
METHODS = {
    "T": [([(3, 4)], lambda x: x.T)],
    "abs": [([(3, 4)], lambda x: x.abs())],
    "amax": [([(3, 4, 2)], lambda x: x.amax()), ([(3, 4, 2)], lambda x: x.amax(1, keepdim=True)),
             ([(3, 4, 2)], lambda x: x.amax((0, 2)))],
    "amin": [([(3, 4)], lambda x: x.amin()), ([(3, 4)], lambda x: x.amin(dim=0))],
    "astype": [([(3,)], lambda x: x.astype("float32"), lambda x: x.float(), dict(rtol=1e-6))],
    "backward": [([(3,)], lambda x: x * x)],
    "broadcast_to": [([(3, 1)], lambda x: x.broadcast_to((2, 3, 4)))],
    "clamp": [([(4, 5)], lambda x: x.clamp(-0.5, 0.5)), ([(4, 5)], lambda x: x.clamp(min=0.2))],
    "clip": [([(4, 5)], lambda x: x.clip(-0.5, 0.5)), ([(4, 5)], lambda x: x.clip(max=0.2))],
    "cpu": [([(2, 3)], lambda x: x.cpu() * 2)],
    "detach": [([(2, 3)], lambda x: x.detach() * x)],
    "double": [([(2, 3)], lambda x: x.float().double(), None, dict(rtol=1e-6))],
    "exp": [([(3, 4)], lambda x: x.exp())],
    "expand": [([(3, 1)], lambda x: x.expand(2, 3, 4)), ([(3, 1)], lambda x: x.expand(-1, 5))],
    "flatten": [([(2, 3, 4, 5)], lambda x: x.flatten()), ([(2, 3, 4, 5)], lambda x: x.flatten(1)),
                ([(2, 3, 4, 5)], lambda x: x.flatten(1, 2)), ([(2, 3, 4, 5)], lambda x: x.flatten(start_dim=2))],
    "float": [([(2, 3)], lambda x: x.float(), None, dict(rtol=1e-6))],
    "log": [([(3, 4)], lambda x: x.log(), None, dict(low=0.1))],
    "log1p": [([(3, 4)], lambda x: x.log1p(), None, dict(low=-0.5))],
    "max": [([(3, 4)], lambda x: x.max()), ([(3, 4)], lambda x: x.max(1)), ([(3, 4)], lambda x: x.max(0, True)),
            ([(3, 4)], lambda x: x.max(dim=-1, keepdim=True))],
    "mean": [([(2, 3, 4)], lambda x: x.mean()), ([(2, 3, 4)], lambda x: x.mean(1)),
             ([(2, 3, 4)], lambda x: x.mean((0, 2), keepdim=True)), ([(2, 3, 4)], lambda x: x.mean(dim=-1))],
    "min": [([(3, 4)], lambda x: x.min()), ([(3, 4)], lambda x: x.min(1)), ([(3, 4)], lambda x: x.min(0, True))],
    "permute": [([(2, 3, 4)], lambda x: x.permute(2, 0, 1)), ([(2, 3, 4)], lambda x: x.permute((1, 0, 2)))],
    "relu": [([(3, 4)], lambda x: x.relu())],
    "reshape": [([(3, 4)], lambda x: x.reshape(2, -1)), ([(3, 4)], lambda x: x.reshape((4, 3)))],
    "sigmoid": [([(3, 4)], lambda x: x.sigmoid())],
    "sign": [([(3, 4)], lambda x: x.sign() * x)],
    "sqrt": [([(3, 4)], lambda x: x.sqrt(), None, dict(low=0.1))],
    "squeeze": [([(3, 1, 4)], lambda x: x.squeeze()), ([(3, 1, 4)], lambda x: x.squeeze(1)),
                ([(3, 1, 4)], lambda x: x.squeeze(0))],
    "std": [([(3, 4)], lambda x: x.std()), ([(3, 4)], lambda x: x.std(1)),
            ([(3, 4)], lambda x: x.std(1, correction=0)), ([(3, 4)], lambda x: x.std(0, keepdim=True))],
    "sum": [([(2, 3, 4)], lambda x: x.sum()), ([(2, 3, 4)], lambda x: x.sum(1)),
            ([(2, 3, 4)], lambda x: x.sum((0, 1), keepdim=True)), ([(2, 3, 4)], lambda x: x.sum(dim=-1))],
    "tanh": [([(3, 4)], lambda x: x.tanh())],
    "to": [([(2, 3)], lambda x: x.to("cpu") * 2), ([(2, 3)], lambda x: x.to("float32"),
                                                    lambda x: x.to(torch.float32), dict(rtol=1e-6))],
    "transpose": [([(3, 4)], lambda x: x.transpose(0, 1)), ([(2, 3, 4)], lambda x: x.transpose(1, 2)),
                  ([(2, 3, 4)], lambda x: x.transpose(-1, 0))],
    "unsqueeze": [([(3, 4)], lambda x: x.unsqueeze(0)), ([(3, 4)], lambda x: x.unsqueeze(-1))],
    "var": [([(3, 4)], lambda x: x.var()), ([(3, 4)], lambda x: x.var(1)),
            ([(3, 4)], lambda x: x.var(1, correction=0)), ([(3, 4)], lambda x: x.var(0, keepdim=True))],
    "view": [([(3, 4)], lambda x: x.view(2, -1)), ([(3, 4)], lambda x: x.view(12))],
    # operators
    "__abs__": [([(3, 4)], lambda x: abs(x))],
    "__add__": [([(3, 4), (4,)], lambda x, y: x + y), ([(3, 4)], lambda x: x + 2)],
    "__radd__": [([(3, 4)], lambda x: 2 + x)],
    "__sub__": [([(3, 4), (3, 1)], lambda x, y: x - y)],
    "__rsub__": [([(3, 4)], lambda x: 2 - x)],
    "__mul__": [([(3, 4), (1, 4)], lambda x, y: x * y)],
    "__rmul__": [([(3, 4)], lambda x: 3 * x)],
    "__truediv__": [([(3, 4), (4,)], lambda x, y: x / y, None, dict(low=0.5))],
    "__rtruediv__": [([(3, 4)], lambda x: 2 / x, None, dict(low=0.5))],
    "__neg__": [([(3, 4)], lambda x: -x)],
    "__pos__": [([(3, 4)], lambda x: +x)],
    "__pow__": [([(3, 4)], lambda x: x ** 3), ([(3, 4)], lambda x: x ** 2), ([(3, 4)], lambda x: x ** 0.5, None,
                                                                                dict(low=0.1))],
    "__rpow__": [([(3, 4)], lambda x: 2 ** x)],
    "__matmul__": [([(3, 4), (4, 2)], lambda x, y: x @ y), ([(2, 3, 4), (4,)], lambda x, y: x @ y),
                   ([(4,), (4, 5)], lambda x, y: x @ y), ([(3, 1), (1, 4)], lambda x, y: x @ y)],
    "__rmatmul__": [([(4, 2)], lambda x: on_device(CONSTANT, x) @ x, lambda x: torch.tensor(CONSTANT) @ x)],
    "__getitem__": [([(4, 5)], lambda x: x[1:, ::2]), ([(4, 5)], lambda x: x[[0, 2, 2]]),
                    ([(4, 5)], lambda x: x[..., 1]), ([(4, 5)], lambda x: x[None, 2])],
}
COMPARISONS = {
    "__eq__": lambda x, y: x == y, "__ne__": lambda x, y: x != y, "__lt__": lambda x, y: x < y,
    "__le__": lambda x, y: x <= y, "__gt__": lambda x, y: x > y, "__ge__": lambda x, y: x >= y,
}
ATTRIBUTES = ["device", "dtype", "is_leaf", "item", "ndim", "numel", "numpy", "requires_grad_", "shape", "tolist"]
DEPARTURES = {
    "size": "NumPy's meaning (the number of elements, a number), not PyTorch's size(): test_size_is_numpys",
    "zero_grad": "not a PyTorch Tensor method (Module and Optimizer call it): test_zero_grad",
    "cuda": "needs a GPU: tests/test_backend.py",
    "data": "the raw NumPy/CuPy array (PyTorch's .data is a detached tensor); writing it bumps the version "
            "counter: tests/test_hardening_engine.py",
}


def _run(case):
    shapes, fn, *rest = case
    torch_fn = rest[0] if rest else None
    options = rest[1] if len(rest) > 1 else {}
    parity(shapes, fn, torch_fn, **options)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_tensor_method_matches_pytorch(name):
    for case in METHODS[name]:
        _run(case)


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparison_matches_pytorch(name):
    same = np.array([[0.5, -1.0], [2.0, 0.5]])
    parity(None, COMPARISONS[name], arrays=[same, same.T], grad=False)
    parity(None, lambda x: COMPARISONS[name](x, 0.5), arrays=[same], grad=False)


def test_attributes_match_pytorch():
    a = np.random.default_rng(0).standard_normal((2, 3))
    x, t = mg.tensor(a, dtype="float64", device="cpu"), torch.tensor(a)
    assert x.device == str(t.device) and str(x.dtype) == str(t.dtype).replace("torch.", "")
    assert x.ndim == t.ndim and x.shape == tuple(t.shape) and x.numel() == t.numel()
    assert x.is_leaf and (x * 2).is_leaf == (t * 2).is_leaf
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert x.tolist() == t.tolist() and x[0, 1].item() == t[0, 1].item()
    y, u = x.requires_grad_(), t.requires_grad_()
    assert y is x and u is t and x.requires_grad == t.requires_grad and (x * 2).is_leaf == (t * 2).is_leaf


def test_every_public_tensor_method_is_covered():
    public = {n for n in dir(mg.Tensor) if not n.startswith("_")}
    operators = {n for n in vars(mg.ops.methods.TensorMethods) if n.startswith("__") and callable(getattr(
        mg.Tensor, n)) and n not in ("__init__", "__repr__", "__hash__")}
    covered = set(METHODS) | set(COMPARISONS) | set(ATTRIBUTES) | set(DEPARTURES)
    missing = sorted((public | operators) - covered)
    assert not missing, f"Tensor methods without a parity test in tests/test_parity.py: {missing}"


def test_size_is_numpys():
    x = mg.zeros(2, 3)
    assert x.size == 6 == x.numel() == torch.zeros(2, 3).numel()


def test_zero_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.zero_grad()
    assert x.grad is None


# ----------------------------------------------------------------------------- functional ops


def _bn(F_, x, w, b, training):
    rm, rv = np.zeros(3), np.ones(3)
    if F_ is TF:
        rm, rv = torch.tensor(rm), torch.tensor(rv)
    else:
        rm, rv = on_device(rm, x), on_device(rv, x)
    return F_.batch_norm(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5)


LABELS = np.array([0, 2, 1, 2])
FUNCTIONAL = {
    "batch_norm": [([(4, 3, 2, 2), (3,), (3,)], lambda x, w, b: _bn(F, x, w, b, True),
                    lambda x, w, b: _bn(TF, x, w, b, True)),
                   ([(5, 3), (3,), (3,)], lambda x, w, b: _bn(F, x, w, b, False),
                    lambda x, w, b: _bn(TF, x, w, b, False))],
    "binary_cross_entropy_with_logits": [([(4, 3), (4, 3)], lambda x, t: F.binary_cross_entropy_with_logits(x, t),
                                          lambda x, t: TF.binary_cross_entropy_with_logits(x, t), dict(low=0.0)),
                                         ([(4, 3), (4, 3)],
                                          lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="sum"),
                                          lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="sum"),
                                          dict(low=0.0))],
    "conv2d": [([(2, 3, 7, 6), (4, 3, 3, 2), (4,)], lambda x, w, b: F.conv2d(x, w, b, 2, 1),
                lambda x, w, b: TF.conv2d(x, w, b, 2, 1))],
    "conv_transpose2d": [([(2, 3, 4, 5), (3, 2, 4, 3), (2,)], lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
                          lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1))],
    "cross_entropy": [([(4, 3)], lambda x: F.cross_entropy(x, LABELS % 3),
                       lambda x: TF.cross_entropy(x, torch.tensor(LABELS % 3)))],
    "dropout": [([(4, 5)], lambda x: F.dropout(x, 0.5, training=False), lambda x: TF.dropout(x, 0.5, training=False)),
                ([(4, 5)], lambda x: F.dropout(x, 0.0), lambda x: TF.dropout(x, 0.0))],
    "embedding": [([(5, 3)], lambda w: F.embedding(mg.tensor(LABELS), w),
                   lambda w: TF.embedding(torch.tensor(LABELS), w))],
    "interpolate": [([(2, 3, 4, 5)], lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
                     lambda x: TF.interpolate(x, scale_factor=2, mode="nearest"))],
    "layer_norm": [([(4, 3, 5), (3, 5), (3, 5)], lambda x, w, b: F.layer_norm(x, (3, 5), w, b),
                    lambda x, w, b: TF.layer_norm(x, (3, 5), w, b))],
    "leaky_relu": [([(4, 5)], lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
                   ([(4, 5)], lambda x: F.leaky_relu(x), lambda x: TF.leaky_relu(x))],
    "linear": [([(4, 3), (5, 3), (5,)], lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b))],
    "log_softmax": [([(4, 5)], lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
                    ([(2, 4, 5)], lambda x: F.log_softmax(x, dim=0), lambda x: TF.log_softmax(x, dim=0))],
    "logsigmoid": [([(4, 5)], lambda x: F.logsigmoid(x * 50), lambda x: TF.logsigmoid(x * 50))],
    "mse_loss": [([(4, 5), (4, 5)], lambda x, y: F.mse_loss(x, y), lambda x, y: TF.mse_loss(x, y)),
                 ([(4, 5), (4, 5)], lambda x, y: F.mse_loss(x, y, reduction="none"),
                  lambda x, y: TF.mse_loss(x, y, reduction="none"))],
    "relu": [([(4, 5)], lambda x: F.relu(x), lambda x: TF.relu(x))],
    "sigmoid": [([(4, 5)], lambda x: F.sigmoid(x), lambda x: TF.sigmoid(x))],
    "softmax": [([(4, 5)], lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
                ([(2, 4, 5)], lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1))],
    "softplus": [([(4, 5)], lambda x: F.softplus(x * 30), lambda x: TF.softplus(x * 30))],
    "tanh": [([(4, 5)], lambda x: F.tanh(x), lambda x: TF.tanh(x))],
    "adaptive_instance_norm": [([(2, 3, 4, 5), (2, 3), (2, 3)], lambda x, s, b: F.adaptive_instance_norm(x, s, b),
                                lambda x, s, b: TF.instance_norm(x) * s[:, :, None, None] + b[:, :, None, None])],
    "avg_pool2d": [([(2, 3, 7, 6)], lambda x: F.avg_pool2d(x, 3, 2, 1), lambda x: TF.avg_pool2d(x, 3, 2, 1)),
                   ([(2, 3, 6, 6)], lambda x: F.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2))],
    "conv1d": [([(2, 3, 9), (4, 3, 3), (4,)], lambda x, w, b: F.conv1d(x, w, b, 2, 1),
                lambda x, w, b: TF.conv1d(x, w, b, 2, 1))],
    "conv_transpose1d": [([(2, 3, 5), (3, 2, 4), (2,)], lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1),
                          lambda x, w, b: TF.conv_transpose1d(x, w, b, 2, 1))],
    "group_norm": [([(2, 6, 3, 4), (6,), (6,)], lambda x, w, b: F.group_norm(x, 3, w, b),
                    lambda x, w, b: TF.group_norm(x, 3, w, b))],
    "instance_norm": [([(2, 3, 4, 5), (3,), (3,)], lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                       lambda x, w, b: TF.instance_norm(x, weight=w, bias=b))],
    "pad": [([(2, 3, 4, 5)], lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"),
             lambda x: TF.pad(x, (1, 2, 2, 1), mode="reflect")),
            ([(2, 3, 4, 5)], lambda x: F.pad(x, (1, 0, 2, 1), mode="replicate"),
             lambda x: TF.pad(x, (1, 0, 2, 1), mode="replicate")),
            ([(2, 3, 4, 5)], lambda x: F.pad(x, (1, 1, 0, 2), value=0.5),
             lambda x: TF.pad(x, (1, 1, 0, 2), value=0.5))],
    "pixel_norm": [([(2, 3, 4, 5)], lambda x: F.pixel_norm(x),
                    lambda x: x / (x.pow(2).mean(1, keepdim=True) + 1e-8).sqrt())],
    "pixel_shuffle": [([(2, 8, 3, 4)], lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2))],
    "pixel_unshuffle": [([(2, 2, 6, 4)], lambda x: F.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2))],
    "prelu": [([(2, 3, 4), (3,)], lambda x, w: F.prelu(x, w), lambda x, w: TF.prelu(x, w)),
              ([(2, 3, 4), (1,)], lambda x, w: F.prelu(x, w), lambda x, w: TF.prelu(x, w))],
}
FUNCTIONAL["interpolate"] += [
    ([(2, 3, 4, 5)], lambda x: F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False),
     lambda x: TF.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False)),
    ([(2, 3, 4, 5)], lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True),
     lambda x: TF.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True))]

# the ops at the top level, mg.<name> against torch.<name> (or torch.nn.functional.<name>)
TOP_LEVEL = {
    "abs": [([(3, 4)], lambda x: mg.abs(x), lambda x: torch.abs(x))],
    "amax": [([(3, 4)], lambda x: mg.amax(x, 1), lambda x: torch.amax(x, 1))],
    "amin": [([(3, 4)], lambda x: mg.amin(x, 0, True), lambda x: torch.amin(x, 0, True))],
    "cat": [([(2, 3), (4, 3)], lambda x, y: mg.cat([x, y]), lambda x, y: torch.cat([x, y])),
            ([(2, 3), (2, 1)], lambda x, y: mg.cat([x, y], dim=1), lambda x, y: torch.cat([x, y], dim=1))],
    "clamp": [([(3, 4)], lambda x: mg.clamp(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5))],
    "clip": [([(3, 4)], lambda x: mg.clip(x, max=0.5), lambda x: torch.clip(x, max=0.5))],
    "concat": [([(2, 3), (2, 1)], lambda x, y: mg.concat([x, y], 1), lambda x, y: torch.concat([x, y], 1))],
    "exp": [([(3, 4)], lambda x: mg.exp(x), lambda x: torch.exp(x))],
    "leaky_relu": [([(3, 4)], lambda x: mg.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1))],
    "log": [([(3, 4)], lambda x: mg.log(x), lambda x: torch.log(x), dict(low=0.1))],
    "log1p": [([(3, 4)], lambda x: mg.log1p(x), lambda x: torch.log1p(x), dict(low=-0.5))],
    "logsigmoid": [([(3, 4)], lambda x: mg.logsigmoid(x), lambda x: TF.logsigmoid(x))],
    "matmul": [([(2, 3, 4), (4, 2)], lambda x, y: mg.matmul(x, y), lambda x, y: torch.matmul(x, y))],
    "mean": [([(3, 4)], lambda x: mg.mean(x, 1), lambda x: torch.mean(x, 1))],
    "permute": [([(2, 3, 4)], lambda x: mg.permute(x, (2, 0, 1)), lambda x: torch.permute(x, (2, 0, 1)))],
    "relu": [([(3, 4)], lambda x: mg.relu(x), lambda x: torch.relu(x))],
    "sigmoid": [([(3, 4)], lambda x: mg.sigmoid(x), lambda x: torch.sigmoid(x))],
    "softplus": [([(3, 4)], lambda x: mg.softplus(x), lambda x: TF.softplus(x))],
    "sqrt": [([(3, 4)], lambda x: mg.sqrt(x), lambda x: torch.sqrt(x), dict(low=0.1))],
    "stack": [([(2, 3), (2, 3)], lambda x, y: mg.stack([x, y], 1), lambda x, y: torch.stack([x, y], 1))],
    "std": [([(3, 4)], lambda x: mg.std(x, 0), lambda x: torch.std(x, 0))],
    "sum": [([(3, 4)], lambda x: mg.sum(x, 1, keepdim=True), lambda x: torch.sum(x, 1, keepdim=True))],
    "tanh": [([(3, 4)], lambda x: mg.tanh(x), lambda x: torch.tanh(x))],
    "transpose": [([(3, 4)], lambda x: mg.transpose(x, 0, 1), lambda x: torch.transpose(x, 0, 1))],
    "var": [([(3, 4)], lambda x: mg.var(x, 1), lambda x: torch.var(x, 1))],
    "where": [([(3, 4), (3, 4)], lambda x, y: mg.where(x > 0, x, y), lambda x, y: torch.where(x > 0, x, y))],
}
TOP_LEVEL_DEPARTURES = {"pad": "NumPy's pad_width, not torch.nn.functional.pad's reversed pairs: test_pad_is_numpys"}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_op_matches_pytorch(name):
    for case in FUNCTIONAL[name]:
        _run(case)


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_top_level_op_matches_pytorch(name):
    for case in TOP_LEVEL[name]:
        _run(case)


def test_every_functional_op_is_covered():
    missing = sorted(set(F.__all__) - set(FUNCTIONAL))
    assert not missing, f"functional ops without a parity test in tests/test_parity.py: {missing}"
    ops = set(mg.ops.__all__) & set(mg.__all__)
    missing = sorted(ops - set(TOP_LEVEL) - set(TOP_LEVEL_DEPARTURES))
    assert not missing, f"mg.<op> without a parity test in tests/test_parity.py: {missing}"


def test_pad_is_numpys():
    a = np.arange(6.0).reshape(2, 3)
    x = mg.tensor(a, dtype="float64", requires_grad=True)
    y = mg.pad(x, ((1, 0), (2, 1)))
    np.testing.assert_array_equal(y.numpy(), np.pad(a, ((1, 0), (2, 1))))
    np.testing.assert_array_equal(y.numpy(), TF.pad(torch.tensor(a), (2, 1, 1, 0)).numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
