"""The engine's clear errors: changed saved data, a freed graph, non-numeric tensors, empty means, layer
dtype mismatches, mg.grad on a non-Tensor, gradcheck at NaN. Each says what happened and what to do."""

from __future__ import annotations

import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn

# ----------------------------------------------------------------------------- the version counter


@pytest.mark.parametrize("write", ["assign", "augmented"])
def test_backward_refuses_an_input_written_after_the_forward(write):
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x * x).sum()
    if write == "assign":
        x.data = np.array([5.0, 6.0])
    else:
        x.data += 1
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "input 0 of Mul" in message and "shape (2,)" in message and "version 1" in message
    assert "version 0" in message and x.grad is None


def test_the_version_counter_matches_what_pytorch_reports():
    torch = pytest.importorskip("torch")
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.data += 1
    with pytest.raises(RuntimeError, match="modified after it was used"):
        z.sum().backward()


def test_writes_before_the_forward_or_after_backward_are_fine():
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    x.data = x.data * 2  # before: the graph sees the new values
    y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    x.data -= 0.1 * x.grad.data  # an optimizer step after backward
    assert x._version == 2


def test_an_optimizer_step_between_two_backwards_of_one_graph_is_caught():
    layer = nn.Linear(2, 1)
    loss = layer(mg.randn(4, 2)).sum()
    loss.backward(retain_graph=True)
    mg.optim.SGD(layer.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified after it was used"):
        loss.backward()


# ----------------------------------------------------------------------------- freed graph, mg.grad


def test_reading_a_freed_graph_says_it_was_freed():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    assert y.creator.inputs[0].shape == (2,)  # before backward: walk it by hand
    y.backward()
    with pytest.raises(AttributeError, match="backward\\(\\) freed this graph.*retain_graph=True"):
        _ = y.creator.inputs
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = y.creator.nothing


def test_grad_names_a_non_tensor():
    y = (mg.tensor([1.0], requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match="input 0 of mg.grad is not a Tensor \\(got numpy.ndarray\\)"):
        mg.grad(y, np.zeros(1))
    with pytest.raises(TypeError, match="output 0 of mg.grad is not a Tensor"):
        mg.grad(3.0, mg.tensor([1.0], requires_grad=True))


# ----------------------------------------------------------------------------- mg.tensor and means


@pytest.mark.parametrize("data,what", [
    (np.array(["a", "b"]), "strings"), (np.array([1 + 2j]), "complex"), (np.array([object()]), "objects"),
    ("text", "strings"), ([1.0, "x"], "strings"),
])
def test_tensor_refuses_non_numeric_data(data, what):
    with pytest.raises(TypeError, match=what):
        mg.tensor(data)


def test_tensor_refuses_a_list_of_tensors_and_says_what_to_use():
    parts = [mg.tensor([1.0]), mg.tensor([2.0])]
    with pytest.raises(TypeError, match="mg.stack"):
        mg.tensor(parts)
    with pytest.raises(TypeError, match="mg.stack"):
        mg.tensor([[parts[0]]])
    assert mg.stack(parts).shape == (2, 1)


def test_numeric_data_is_still_accepted():
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor(np.arange(3, dtype=np.uint8)).dtype == np.uint8
    assert mg.tensor([[1, 2]]).dtype.kind == "i" and mg.tensor(2.5).dtype == np.float32


def test_the_mean_of_nothing_is_nan_as_in_numpy_and_pytorch():
    with np.errstate(invalid="ignore"):
        assert np.isnan(mg.tensor(np.zeros(0)).mean().item())
        rows = mg.tensor(np.zeros((3, 0)), requires_grad=True)
        m = rows.mean(axis=1)
        assert m.shape == (3,) and np.isnan(m.numpy()).all()
        m.sum().backward()
    assert rows.grad.shape == (3, 0)
    torch = pytest.importorskip("torch")
    assert torch.tensor([]).mean().isnan()


# ----------------------------------------------------------------------------- layer dtypes


LAYERS = [
    (lambda: nn.Linear(3, 2), (1, 3), "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: nn.Conv2d(1, 2, 3), (1, 1, 5, 5), "Input type (double) and weight type (float) should be the same"),
    (lambda: nn.ConvTranspose2d(1, 2, 3), (1, 1, 5, 5),
     "Input type (double) and weight type (float) should be the same"),
    (lambda: nn.BatchNorm2d(1), (2, 1, 5, 5), "mixed dtype (CPU): all inputs must share same datatype"),
]


@pytest.mark.parametrize("make,shape,message", LAYERS)
def test_layers_refuse_a_dtype_mismatch_with_pytorchs_message(make, shape, message):
    layer = make()
    x = mg.tensor(np.zeros(shape), dtype="float64")
    with pytest.raises(TypeError) as info:
        layer(x)
    text = str(info.value)
    assert text.startswith(repr(layer)) and message in text and "float64" in text and "float32" in text
    assert layer.double()(x).dtype == np.float64  # converting the layer is the fix


@pytest.mark.parametrize("make,shape,message", LAYERS[:2])
def test_the_message_is_the_one_pytorch_gives(make, shape, message):
    torch = pytest.importorskip("torch")
    layer = {2: torch.nn.Linear(3, 2), 4: torch.nn.Conv2d(1, 2, 3, bias=False)}[len(shape)]
    with pytest.raises(RuntimeError) as info:
        layer(torch.zeros(shape, dtype=torch.float64))
    expected = "mat1 and mat2 must have the same dtype" if len(shape) == 2 else "expected scalar type Double"
    assert expected in str(info.value) and (expected in message or "Input type (double)" in message)


# ----------------------------------------------------------------------------- gradcheck at NaN


def test_gradcheck_says_when_values_are_nan():
    x = mg.tensor([-1.0, -2.0], dtype="float64", requires_grad=True)
    with np.errstate(invalid="ignore"), pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: t.log(), (x,))
    text = str(info.value)
    assert "2 of 2 elements are outside" in text
    assert "2 numerical and 0 analytical value(s) are NaN or Inf" in text and "not defined" in text


def test_gradcheck_on_a_non_contiguous_input_still_passes():
    base = mg.tensor(np.random.default_rng(0).standard_normal((3, 4)), dtype="float64")
    x = mg.Tensor(base.data.T, requires_grad=True)  # a transposed view
    assert mg.gradcheck(lambda t: (t * t).sum(), (x,))
