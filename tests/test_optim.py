"""Optimizers: convergence, PyTorch trajectories, dtypes, untouched gradients, bit-identical resume."""

import numpy as np
import pytest
from conftest import to_np
from tiers import kernel_tier  # noqa: F401  (runs this module on both kernel tiers)

import minigan as mg
import minigan.nn as nn
from minigan import optim
from minigan.io import load, save

pytestmark = pytest.mark.usefixtures("kernel_tier")

A = np.array([1.0, 4.0, 0.5])
C = np.array([3.0, -2.0, 0.5])


def quadratic(p):
    """f(p) = ½ Σ aᵢ (pᵢ − cᵢ)², minimum at c."""
    return ((p - C) ** 2 * A).sum() * 0.5


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.999), weight_decay=0.1, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.01)),
]


def config_id(config):
    return config[0] + "-" + "-".join(f"{k}={v}" for k, v in config[1].items())


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_converges_to_the_minimum(config):
    name, kwargs = config
    kwargs = {k: v for k, v in kwargs.items() if k != "weight_decay"}
    p = nn.Parameter(np.zeros(3))
    opt = getattr(optim, name)([p], **kwargs)
    for _ in range(800 if name == "RMSprop" else 400):
        opt.zero_grad()
        quadratic(p).backward()
        opt.step()
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))
    np.testing.assert_allclose(to_np(p.data), C, atol=2e-2)


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_trajectory_matches_torch(config):
    torch = pytest.importorskip("torch")
    name, kwargs = config
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal(3), rng.standard_normal((2, 2))
    ours = [nn.Parameter(mg.tensor(x0, dtype="float64")), nn.Parameter(mg.tensor(y0, dtype="float64"))]
    theirs = [torch.tensor(x0, requires_grad=True), torch.tensor(y0, requires_grad=True)]
    # two groups: the second with its own learning rate
    opt_o = getattr(optim, name)([{"params": [ours[0]]}, {"params": [ours[1]], "lr": kwargs["lr"] / 2}], **kwargs)
    opt_t = getattr(torch.optim, name)([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": kwargs["lr"] / 2}],
                                       **kwargs)
    target = torch.from_numpy(C)
    for _ in range(50):
        opt_o.zero_grad()
        opt_t.zero_grad()
        (quadratic(ours[0]) + (ours[1] ** 4).sum()).backward()
        (((theirs[0] - target) ** 2 * torch.from_numpy(A)).sum() * 0.5 + (theirs[1] ** 4).sum()).backward()
        opt_o.step()
        opt_t.step()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(to_np(o.data), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_with_numpy_hyperparameters():
    p = nn.Parameter(np.ones(4))
    opt = optim.Adam([p], lr=np.float64(1e-2), betas=(np.float64(0.5), np.float64(0.999)), eps=np.float64(1e-8))
    assert type(opt.param_groups[0]["lr"]) is float and type(opt.param_groups[0]["betas"][0]) is float
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: optim.Adam(ps, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True, weight_decay=0.1),
])
def test_gradients_are_never_modified(make):
    def run(share):
        a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.full(3, 2.0))
        g = mg.tensor([0.5, -1.0, 2.0])
        a.grad, b.grad = (g, g) if share else (mg.tensor(g), mg.tensor(g))  # backward may share gradients
        opt = make([a, b])
        for _ in range(3):
            opt.step()
        np.testing.assert_array_equal(to_np(g.data), np.array([0.5, -1.0, 2.0], np.float32))
        return to_np(a.data), to_np(b.data)

    for x, y in zip(run(share=True), run(share=False)):
        np.testing.assert_array_equal(x, y)


def test_zero_grad_groups_and_skipping():
    a, b = nn.Parameter([1.0]), nn.Parameter([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a * 2 + b * 2).sum().backward()
    opt.step()
    assert to_np(a.data).tolist() == pytest.approx([0.8]) and to_np(b.data).tolist() == pytest.approx([-1.0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # no gradients: nothing moves
    assert to_np(a.data).tolist() == pytest.approx([0.8])
    (a * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert to_np(a.grad.data).tolist() == [0.0] and b.grad is None
    assert "Parameter Group 1" in repr(opt) and "lr: 1.0" in repr(opt)


def test_argument_errors():
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="invalid lr"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta1"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([p, p])
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.Adam([mg.tensor([1.0])])


def _model():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1))


def _train(model, opt, steps, start):
    rng = np.random.default_rng(start)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((6, 3)))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 1e-3}], lr=1e-2, betas=(0.5, 0.999)),
    lambda ps: optim.RMSprop(ps, lr=1e-3, momentum=0.5, centered=True),
])
def test_resume_is_bit_identical(make, tmp_path):
    straight = _model()
    opt = make(list(straight.parameters()))
    _train(straight, opt, 10, start=1)
    _train(straight, opt, 10, start=2)

    first = _model()
    opt = make(list(first.parameters()))
    _train(first, opt, 10, start=1)
    save({"model": first.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.npz")
    ckpt = load(tmp_path / "ckpt.npz")

    resumed = _model()
    resumed[0].weight.data[...] = 0  # nothing of the fresh model survives the load
    resumed.load_state_dict(ckpt["model"])
    opt = make(list(resumed.parameters()))
    opt.load_state_dict(ckpt["opt"])
    _train(resumed, opt, 10, start=2)
    for (key, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert np.array_equal(a, b), key


def test_state_dict_format_and_load_errors():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = optim.Adam([a, b], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][0]["lr"] == 0.1
    assert sd["state"][0]["step"] == 1 and isinstance(sd["state"][1]["exp_avg_sq"], np.ndarray)
    sd["state"][0]["exp_avg"][...] = 99  # a copy
    assert not np.any(opt.state[a]["exp_avg"] == 99)
    with pytest.raises(ValueError, match="parameter group"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="sizes"):
        optim.Adam([a]).load_state_dict(sd)
    with pytest.raises(ValueError, match="does not fit"):
        optim.Adam([b, a]).load_state_dict(sd)
    fresh = optim.Adam([a, b])
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.state[a]["step"] == 1


def test_module_to_after_optimizer_creation_keeps_working():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model.double()  # parameters keep their identity, so the optimizer still updates them
    before = to_np(model.weight.data).copy()
    model(mg.tensor(np.ones((1, 2)), dtype="float64")).sum().backward()
    opt.step()
    assert model.weight.dtype == np.float64 and not np.allclose(to_np(model.weight.data), before)
