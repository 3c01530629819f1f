"""Module, Parameter, Sequential, ModuleList: registration, state_dict, modes, devices, repr."""

import copy

import numpy as np
import pytest
from conftest import to_np

import minigan as mg
import minigan.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4))
        self.register_buffer("count", np.zeros((), dtype=np.int64))
        self.main = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2), nn.BatchNorm1d(2))

    def forward(self, x):
        return self.main(self.fc(x) * self.scale)


def test_parameter_defaults():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32 and isinstance(p, mg.Tensor)
    assert nn.Parameter(np.zeros(3)).dtype == np.float32  # float64 data becomes float32
    t = mg.tensor([1.0], dtype="float64")
    assert nn.Parameter(t).dtype == np.float64 and nn.Parameter(t).data is t.data  # a Tensor keeps its array
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert "Parameter containing" in repr(p)


def test_registration_and_names():
    m = Block()
    assert [name for name, _ in m.named_children()] == ["fc", "main"]
    assert [name for name, _ in m.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias",
        "main.3.weight", "main.3.bias"]
    assert [name for name, _ in m.named_buffers()] == [
        "count", "main.3.running_mean", "main.3.running_var", "main.3.num_batches_tracked"]
    assert all(not b.requires_grad for b in m.buffers())
    assert [type(x).__name__ for x in m.modules()] == [
        "Block", "Linear", "Sequential", "Linear", "ReLU", "Linear", "BatchNorm1d"]
    assert len(list(m.parameters(recurse=False))) == 1
    assert m.fc.weight is m._modules["fc"]._parameters["weight"]


def test_state_dict_keys_order_and_copies():
    m = Block()
    sd = m.state_dict()
    assert list(sd) == ["scale", "count", "fc.weight", "fc.bias", "main.0.weight", "main.0.bias",
                        "main.2.weight", "main.2.bias", "main.3.weight", "main.3.bias", "main.3.running_mean",
                        "main.3.running_var", "main.3.num_batches_tracked"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    assert sd["main.3.num_batches_tracked"].dtype == np.int64 and sd["main.3.num_batches_tracked"].shape == ()
    sd["fc.weight"][...] = 7  # a copy: the model is unchanged
    assert not np.any(to_np(m.fc.weight.data) == 7)


def test_load_state_dict_round_trip_keeps_identity():
    mg.manual_seed(0)
    a, b = Block(), Block()
    weight = b.fc.weight
    b.load_state_dict(a.state_dict())
    assert b.fc.weight is weight
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and np.array_equal(va, vb)


def test_load_state_dict_lists_every_problem_at_once():
    m = Block()
    sd = m.state_dict()
    del sd["fc.bias"], sd["main.3.running_var"]
    sd["extra.weight"] = np.zeros(2)
    sd["main.0.weight"] = np.zeros((5, 4))
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    for text in ("missing key(s): fc.bias, main.3.running_var", "unexpected key(s): extra.weight",
                 "main.0.weight: checkpoint has shape (5, 4), the model has (4, 4)", "Block"):
        assert text in msg
    before = to_np(m.scale.data).copy()
    sd["scale"] = np.full(4, 3.0)
    with pytest.raises(RuntimeError, match="shape mismatch"):  # wrong shapes are errors even when not strict
        m.load_state_dict(sd, strict=False)
    assert np.array_equal(to_np(m.scale.data), before)  # nothing was copied
    sd["main.0.weight"] = np.zeros((4, 4))
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias", "main.3.running_var"] and result.unexpected_keys == ["extra.weight"]
    assert np.array_equal(to_np(m.scale.data), np.full(4, 3.0, np.float32)) and m.scale.dtype == np.float32


def test_train_eval_propagate():
    m = Block()
    assert m.training and m.main[3].training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_apply_and_requires_grad():
    m = Block()
    m(mg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    assert m.apply(lambda x: seen.append(type(x).__name__)) is m
    assert seen[-1] == "Block" and seen[0] == "Linear"  # children before parents
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_keeps_parameter_identity():
    m = Block()
    params = list(m.parameters())
    assert m.double() is m
    assert all(a is b for a, b in zip(m.parameters(), params))
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.main[3].running_mean.dtype == np.float64
    assert m.main[3].num_batches_tracked.dtype == np.int64  # integer buffers keep their type
    m.to("float32")
    assert all(p.dtype == np.float32 for p in m.parameters())
    m.to(dtype="float64").to("cpu")
    assert m.fc.weight.device == "cpu" and m.fc.weight.dtype == np.float64


@pytest.mark.gpu
def test_to_cuda_moves_in_place():
    m = Block()
    params = list(m.parameters())
    m.to("cuda")
    assert all(a is b for a, b in zip(m.parameters(), params))
    assert all(t.device == "cuda" for t in list(m.parameters()) + list(m.buffers()))
    y = m(mg.randn(4, 3).to("cuda"))
    assert y.device == "cuda"
    m.cpu()
    assert all(t.device == "cpu" for t in m.parameters())


def test_shared_parameters_listed_once_but_saved_under_each_name():
    shared = nn.Linear(2, 2)
    m = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # as PyTorch


def test_setattr_rules():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = mg.tensor(np.zeros((2, 2)))
    lin.weight = nn.Parameter(np.zeros((2, 2)))
    assert "weight" in dict(lin.named_parameters())
    m = nn.Module()
    m.register_buffer("b", np.arange(3))
    m.b = np.ones(3)  # assigning to a buffer name keeps it a buffer
    assert [k for k, _ in m.named_buffers()] == ["b"] and isinstance(m.b, mg.Tensor)
    del m.b
    assert list(m.buffers()) == []
    m.child = nn.ReLU()
    m.child = nn.Tanh()  # replacing a child
    assert [type(c).__name__ for c in m.children()] == ["Tanh"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = m.nothing
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        nn.Module()(1)


def test_deepcopy_is_independent():
    m = Block()
    c = copy.deepcopy(m)
    assert c.fc.weight is not m.fc.weight
    c.fc.weight.data[...] = 0
    assert not np.all(to_np(m.fc.weight.data) == 0)
    assert [k for k, _ in c.named_parameters()] == [k for k, _ in m.named_parameters()]


def test_forward_pre_hook():
    m = nn.Identity()
    calls = []
    handle = m.register_forward_pre_hook(lambda mod, args: calls.append(args) or (args[0] * 2,))
    assert to_np(m(mg.tensor([1.0]))).tolist() == [2.0]
    handle.remove()
    assert to_np(m(mg.tensor([1.0]))).tolist() == [1.0] and len(calls) == 1


def test_sequential_indexing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and s[0] is layers[0] and s[-1] is layers[2] and list(s) == layers
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[0] is layers[1]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # slicing keeps the names, as in PyTorch
    with pytest.raises(IndexError, match="out of range"):
        s[3]
    s.append(nn.Sigmoid())
    assert list(s._modules) == ["0", "1", "2", "3"]
    x = mg.randn(4, 2)
    y = s(x)
    expected = layers[2](layers[1](layers[0](x))).sigmoid()
    np.testing.assert_allclose(to_np(y), to_np(expected), rtol=1e-6)
    named = nn.Sequential({"fc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and len(list(blocks.parameters())) == 6
    assert list(blocks.state_dict())[:2] == ["0.weight", "0.bias"]
    blocks.append(nn.ReLU())
    blocks[0] = nn.Tanh()
    assert isinstance(blocks[0], nn.Tanh) and isinstance(blocks[-1], nn.ReLU)
    assert len(blocks[1:]) == 3


def test_repr_like_pytorch():
    m = nn.Sequential(nn.Conv2d(1, 8, 4, stride=2, padding=1, bias=False), nn.LeakyReLU(0.2),
                      nn.Sequential(nn.Flatten(), nn.Linear(8, 1)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 8, kernel_size=4, stride=2, padding=1, bias=False)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=8, out_features=1, bias=True)\n"
        "  )\n"
        ")")
