"""Spectral normalisation: σ(W_sn) = 1, the persistent u, gradients, state_dict keys, PyTorch parity."""

import numpy as np
import pytest
from conftest import t64, to_np

import minigan as mg
import minigan.nn as nn
from minigan import optim
from minigan.nn.utils import remove_spectral_norm, spectral_norm

LAYERS = {
    "Linear": (lambda m: m.Linear(5, 4), (3, 5)),
    "Conv2d": (lambda m: m.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 5, 5)),
    "ConvTranspose2d": (lambda m: m.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 3, 3)),
}


def weight_matrix(layer, attr="weight"):
    """W reshaped as PyTorch does: (out, -1), the out axis being 1 for ConvTranspose2d."""
    w = to_np(getattr(layer, attr).data)
    if isinstance(layer, nn.ConvTranspose2d):
        w = w.transpose(1, 0, 2, 3)
    return w.reshape(w.shape[0], -1)


@pytest.mark.parametrize("name", list(LAYERS))
def test_largest_singular_value_is_one(name):
    mg.manual_seed(0)
    make, shape = LAYERS[name]
    layer = spectral_norm(make(nn).double(), n_power_iterations=50)
    layer(mg.randn(*shape, dtype="float64"))
    sigma = np.linalg.svd(weight_matrix(layer), compute_uv=False)[0]
    assert abs(sigma - 1) < 1e-3
    original = np.linalg.svd(weight_matrix(layer, "weight_orig"), compute_uv=False)[0]
    np.testing.assert_allclose(to_np(layer.weight.data) * original, to_np(layer.weight_orig.data), rtol=1e-6)


def test_one_iteration_per_step_converges_and_u_persists():
    mg.manual_seed(0)
    layer = spectral_norm(nn.Linear(6, 5).double())
    u = layer.weight_u
    before = to_np(u.data).copy()
    x = mg.randn(2, 6, dtype="float64")
    for _ in range(50):
        layer(x)
    assert layer.weight_u is u and not np.allclose(to_np(u.data), before)  # updated in place
    assert abs(np.linalg.svd(weight_matrix(layer), compute_uv=False)[0] - 1) < 1e-3
    layer.eval()
    frozen = to_np(u.data).copy()
    layer(x)
    np.testing.assert_array_equal(to_np(u.data), frozen)  # eval: no power iteration


def test_registration_and_state_dict_keys():
    layer = spectral_norm(nn.Conv2d(2, 3, 3))
    assert [k for k, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert layer.weight_u.shape == (3,) and layer.weight_v.shape == (18,)
    assert not layer.weight_u.requires_grad
    ct = spectral_norm(nn.ConvTranspose2d(2, 3, 4))
    assert ct.weight_u.shape == (3,) and ct.weight_v.shape == (32,)  # dim=1: out_channels rows
    with pytest.raises(RuntimeError, match="already applied"):
        spectral_norm(layer)
    with pytest.raises(ValueError, match="no parameter named 'kernel'"):
        spectral_norm(nn.Linear(2, 2), name="kernel")
    fresh = spectral_norm(nn.Conv2d(2, 3, 3))
    fresh.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(to_np(fresh.weight_u.data), to_np(layer.weight_u.data))


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck_in_eval_mode(name):
    make, shape = LAYERS[name]
    layer = spectral_norm(make(nn)).double()
    layer.train()
    layer(mg.randn(*shape, dtype="float64"))  # one power iteration, then freeze u and v
    layer.eval()
    x = t64(np.random.default_rng(0).standard_normal((1,) + shape[1:]))
    assert mg.gradcheck(lambda x, w, b: layer(x), (x, layer.weight_orig, layer.bias))


def test_remove_spectral_norm():
    layer = spectral_norm(nn.Linear(4, 3))
    layer(mg.randn(2, 4))
    weight = to_np(layer.weight.data).copy()
    original = layer.weight_orig
    remove_spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"] and layer.weight is original
    np.testing.assert_allclose(to_np(layer.weight.data), weight, rtol=1e-6)
    with pytest.raises(ValueError, match="not found"):
        remove_spectral_norm(layer)


@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, shape = LAYERS[name]
    ours = spectral_norm(make(nn).double())
    theirs = torch.nn.utils.spectral_norm(make(torch.nn).double())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(shape) for _ in range(3)]
    # three forwards (three power iterations) before one backward, as when D sees real then fake data
    outs_o = [ours(t64(x, requires_grad=False)) for x in xs]
    outs_t = [theirs(torch.from_numpy(x)) for x in xs]
    for o, t in zip(outs_o, outs_t):
        np.testing.assert_allclose(to_np(o), t.detach().numpy(), rtol=1e-8, atol=1e-10)
    sum(((o * o).sum() for o in outs_o[1:]), (outs_o[0] * outs_o[0]).sum()).backward()
    sum((t * t).sum() for t in outs_t).backward()
    torch_params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(to_np(p.grad.data), torch_params[key].grad.numpy(), rtol=1e-8, atol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-8, atol=1e-12)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(to_np(ours(t64(xs[0]))), theirs(torch.from_numpy(xs[0])).detach().numpy(),
                               rtol=1e-8, atol=1e-10)


def test_spectral_norm_discriminator_trains():
    mg.manual_seed(0)
    D = nn.Sequential(spectral_norm(nn.Conv2d(1, 4, 4, 2, 1)), nn.LeakyReLU(0.2), nn.Flatten(),
                      spectral_norm(nn.Linear(4 * 4 * 4, 1)))
    opt = optim.Adam(D.parameters(), lr=1e-2)
    x = mg.randn(8, 1, 8, 8)
    first = None
    for _ in range(20):
        loss = (D(x) ** 2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first
    for layer in (D[0], D[3]):
        assert abs(np.linalg.svd(weight_matrix(layer), compute_uv=False)[0] - 1) < 0.05
