"""Layers and nn.init: shapes, gradcheck (float64), error messages, default init, PyTorch parity."""

import math

import numpy as np
import pytest
from conftest import on_device, t64, to_np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigan as mg
import minigan.nn as nn
from minigan.nn import init


def rand64(*shape, seed=0):
    return t64(np.random.default_rng(seed).standard_normal(shape))


def gradcheck_layer(layer, x, seed_each_call=False):
    """gradcheck a float64 copy of ``layer`` w.r.t. its input and all of its parameters."""
    layer.double()
    params = list(layer.parameters())

    def fn(x, *params):
        if seed_each_call:
            mg.manual_seed(0)
        return layer(x)

    return mg.gradcheck(fn, (x, *params))


# ----------------------------------------------------------------------------- shapes and gradients


@settings(max_examples=6)
@given(n=st.integers(1, 3), fin=st.integers(1, 4), fout=st.integers(1, 3), bias=st.booleans())
def test_linear(n, fin, fout, bias):
    layer = nn.Linear(fin, fout, bias=bias)
    assert layer(mg.randn(n, fin)).shape == (n, fout)
    assert layer(mg.randn(2, n, fin)).shape == (2, n, fout)
    assert gradcheck_layer(layer, rand64(n, fin))


@settings(max_examples=6)
@given(n=st.integers(1, 2), cin=st.integers(1, 2), cout=st.integers(1, 2), k=st.integers(1, 3),
       stride=st.integers(1, 2), padding=st.integers(0, 1), h=st.integers(3, 5), w=st.integers(3, 5),
       bias=st.booleans())
def test_conv2d(n, cin, cout, k, stride, padding, h, w, bias):
    layer = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=bias)
    out = layer(mg.randn(n, cin, h, w))
    assert out.shape == (n, cout, (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1)
    assert layer.weight.shape == (cout, cin, k, k)
    assert gradcheck_layer(layer, rand64(n, cin, h, w))


@settings(max_examples=6)
@given(n=st.integers(1, 2), cin=st.integers(1, 2), cout=st.integers(1, 2), k=st.integers(2, 3),
       stride=st.integers(1, 2), padding=st.integers(0, 1), h=st.integers(1, 3), w=st.integers(1, 3),
       data=st.data())
def test_conv_transpose2d(n, cin, cout, k, stride, padding, h, w, data):
    output_padding = data.draw(st.integers(0, stride - 1))
    size = lambda s: (s - 1) * stride - 2 * padding + k + output_padding  # noqa: E731
    assume(min(size(h), size(w)) >= 1)
    layer = nn.ConvTranspose2d(cin, cout, k, stride, padding, output_padding)
    out = layer(mg.randn(n, cin, h, w))
    assert out.shape == (n, cout, size(h), size(w))
    assert layer.weight.shape == (cin, cout, k, k)
    assert gradcheck_layer(layer, rand64(n, cin, h, w))


@settings(max_examples=6)
@given(shape=st.sampled_from([(3, 2), (2, 3), (2, 2, 3), (3, 1, 2)]), training=st.booleans(),
       affine=st.booleans())
def test_batch_norm1d(shape, training, affine):
    layer = nn.BatchNorm1d(shape[1], affine=affine).train(training)
    assert layer(mg.randn(*shape)).shape == shape
    assert gradcheck_layer(layer, rand64(*shape))


@settings(max_examples=6)
@given(shape=st.sampled_from([(2, 2, 2, 2), (1, 3, 2, 1), (3, 1, 1, 2)]), training=st.booleans())
def test_batch_norm2d(shape, training):
    layer = nn.BatchNorm2d(shape[1]).train(training)
    layer.weight.data[...] = on_device(np.arange(1, shape[1] + 1), layer.weight)  # not 1: tests the weight gradient
    assert layer(mg.randn(*shape)).shape == shape
    assert gradcheck_layer(layer, rand64(*shape))


@pytest.mark.parametrize("shape, normalized", [((3, 4), 4), ((2, 2, 3), (2, 3)), ((2, 3), [3])])
def test_layer_norm(shape, normalized):
    layer = nn.LayerNorm(normalized)
    layer.weight.data[...] = on_device(np.random.default_rng(1).standard_normal(layer.weight.shape), layer.weight)
    assert layer(mg.randn(*shape)).shape == shape
    assert gradcheck_layer(layer, rand64(*shape))


@settings(max_examples=5)
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1, 2, 2)]),
       layer=st.sampled_from(["LeakyReLU", "LeakyReLU0.2", "ReLU", "Tanh", "Sigmoid", "Identity"]))
def test_activations(shape, layer):
    module = nn.LeakyReLU(0.2) if layer == "LeakyReLU0.2" else getattr(nn, layer)()
    assert module(mg.randn(*shape)).shape == shape
    assert gradcheck_layer(module, rand64(*shape))


def test_flatten_unflatten_upsample_identity():
    x = rand64(2, 3, 2, 2)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Flatten(1, 2)(x).shape == (2, 6, 2)
    assert nn.Unflatten(1, (3, 4))(rand64(2, 12)).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, 2))(rand64(2, 3, 4)).shape == (2, 3, 2, 2)
    assert nn.Upsample(scale_factor=2)(x).shape == (2, 3, 4, 4)
    assert nn.Identity()(x) is x
    assert gradcheck_layer(nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 6))), rand64(2, 3, 2, 2))
    assert gradcheck_layer(nn.Upsample(scale_factor=2), rand64(1, 2, 2, 2))


def test_embedding():
    emb = nn.Embedding(5, 3)
    out = emb(np.array([[0, 4], [4, 1]]))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(to_np(out)[0, 1], to_np(emb.weight.data)[4])
    emb.double()
    idx = mg.tensor(np.array([1, 1, 3]))
    assert mg.gradcheck(lambda w: emb(idx), (emb.weight,))
    emb(idx).sum().backward()
    np.testing.assert_array_equal(to_np(emb.weight.grad.data)[:, 0], [0, 2, 0, 1, 0])  # repeats add up


def test_dropout():
    mg.manual_seed(0)
    x = mg.ones(1000, dtype="float64")
    drop = nn.Dropout(0.25)
    y = to_np(drop(x))
    assert set(np.unique(y)) <= {0.0, 1 / 0.75} and 0.2 < np.mean(y == 0) < 0.3
    assert drop.eval()(x) is x
    drop.train()
    assert gradcheck_layer(drop, rand64(2, 5), seed_each_call=True)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.0)


# ----------------------------------------------------------------------------- error messages


def test_error_messages_name_the_layer():
    conv = nn.Conv2d(3, 64, kernel_size=4)
    with pytest.raises(ValueError) as err:
        conv(mg.randn(16, 1, 28, 28))
    assert str(err.value) == "Conv2d(3, 64, kernel_size=4) expects input of shape (N, 3, H, W), got (16, 1, 28, 28)"
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 3, H, W\), got \(3, 28, 28\)"):
        conv(mg.randn(3, 28, 28))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(8, 4, kernel_size=4, stride=2, padding=1\) expects "
                                         r"input of shape \(N, 8, H, W\), got \(2, 8\)"):
        nn.ConvTranspose2d(8, 4, 4, 2, 1)(mg.randn(2, 8))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4.*expects input of shape \(N, 4, H, W\), got \(2, 4\)"):
        nn.BatchNorm2d(4)(mg.randn(2, 4))
    with pytest.raises(ValueError, match=r"Upsample.*expects input of shape \(N, C, H, W\)"):
        nn.Upsample(scale_factor=2)(mg.randn(2, 4))
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*expects input of shape \(\.\.\., 3\), got \(2, 4\)"):
        nn.Linear(3, 2)(mg.randn(2, 4))
    with pytest.raises(ValueError, match=r"Unflatten.*needs dim 1 of size 12"):
        nn.Unflatten(1, (3, 4))(mg.randn(2, 10))
    with pytest.raises(ValueError, match=r"LayerNorm.*expects input of shape \(\*, 5\)"):
        nn.LayerNorm(5)(mg.randn(2, 4))
    with pytest.raises(ValueError, match="Upsample: give exactly one of size and scale_factor"):
        nn.Upsample()
    with pytest.raises(ValueError, match="padding must be an int or a pair of ints, got 'same'"):
        nn.Conv2d(1, 1, 3, padding="same")


def test_batch_norm_needs_more_than_one_value_per_channel_in_training():
    bn = nn.BatchNorm1d(10)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(10.*more than 1 value per channel.*\(1, 10\)"):
        bn(mg.randn(1, 10))
    assert bn.eval()(mg.randn(1, 10)).shape == (1, 10)  # fine in eval mode
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(3)(mg.randn(1, 3, 1, 1))


# ----------------------------------------------------------------------------- initialisation


def _bound_and_std(values):
    values = to_np(values.data)
    return np.abs(values).max(), values.std()


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(64, 32), 64),
    (lambda: nn.Conv2d(16, 32, 4), 16 * 16),
    (lambda: nn.ConvTranspose2d(32, 16, 4), 16 * 16),  # PyTorch's fan_in: weight.shape[1]·kh·kw
])
def test_default_init_bounds(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        top, std = _bound_and_std(p)
        assert p.dtype == np.float32 and top <= bound
    top, std = _bound_and_std(layer.weight)
    assert top > 0.95 * bound and abs(std - bound / math.sqrt(3)) < 0.05 * bound


def test_default_init_other_layers():
    bn = nn.BatchNorm2d(3)
    assert to_np(bn.weight.data).tolist() == [1, 1, 1] and to_np(bn.bias.data).tolist() == [0, 0, 0]
    assert to_np(bn.running_var.data).tolist() == [1, 1, 1] and int(to_np(bn.num_batches_tracked.data)) == 0
    ln = nn.LayerNorm((2, 3))
    assert np.all(to_np(ln.weight.data) == 1) and np.all(to_np(ln.bias.data) == 0)
    emb = to_np(nn.Embedding(100, 50).weight.data)
    assert abs(emb.mean()) < 0.05 and abs(emb.std() - 1) < 0.05


def test_init_is_seeded():
    def build():
        return nn.Sequential(nn.Linear(3, 4), nn.Conv2d(1, 2, 3), nn.Embedding(3, 2)).state_dict()

    mg.manual_seed(5)
    a = build()
    mg.manual_seed(5)
    b = build()
    mg.manual_seed(6)
    c = build()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], c["0.weight"])


def test_init_functions():
    mg.manual_seed(0)
    w = nn.Parameter(np.zeros((200, 100)))
    fan_in, fan_out = 100, 200
    assert init.uniform_(w, -2, 3) is w and to_np(w.data).min() >= -2 and to_np(w.data).max() < 3
    init.normal_(w, 1.0, 0.5)
    assert abs(to_np(w.data).mean() - 1) < 0.01 and abs(to_np(w.data).std() - 0.5) < 0.01
    init.constant_(w, 0.3)
    assert np.all(to_np(w.data) == np.float32(0.3)) and w.dtype == np.float32
    init.zeros_(w)
    assert np.all(to_np(w.data) == 0)
    init.ones_(w)
    assert np.all(to_np(w.data) == 1)
    init.xavier_uniform_(w, gain=2.0)
    a = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(to_np(w.data)).max() <= a and abs(to_np(w.data).std() - a / math.sqrt(3)) < 0.02 * a
    init.xavier_normal_(w)
    assert abs(to_np(w.data).std() - math.sqrt(2 / (fan_in + fan_out))) < 0.002
    init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(to_np(w.data).std() - math.sqrt(2 / fan_in)) < 0.003
    init.kaiming_uniform_(w, a=0.2, mode="fan_out")
    bound = math.sqrt(3) * math.sqrt(2 / (1 + 0.04)) / math.sqrt(fan_out)
    assert bound * 0.99 < np.abs(to_np(w.data)).max() <= bound
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(np.zeros(3)))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(w, mode="fan")


def test_dcgan_init():
    mg.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(64, 32, 4), nn.BatchNorm2d(32), nn.Conv2d(32, 64, 4),
                          nn.Linear(100, 200), nn.utils.spectral_norm(nn.Conv2d(32, 32, 4)), nn.BatchNorm1d(1000))
    assert init.dcgan_init(model) is model
    for i in (0, 2, 3):
        w = to_np(model[i].weight.data)
        assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
        assert np.all(to_np(model[i].bias.data) == 0)
    assert abs(to_np(model[4].weight_orig.data).std() - 0.02) < 0.002
    gamma = to_np(model[5].weight.data)
    assert abs(gamma.mean() - 1) < 0.005 and abs(gamma.std() - 0.02) < 0.005
    assert np.all(to_np(model[5].bias.data) == 0)


# ----------------------------------------------------------------------------- PyTorch parity

TORCH_CASES = {
    "Linear": (lambda m: m.Linear(4, 3), (5, 4)),
    "Linear-nobias": (lambda m: m.Linear(4, 3, bias=False), (2, 3, 4)),
    "Conv2d": (lambda m: m.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 6)),
    "Conv2d-k4": (lambda m: m.Conv2d(3, 2, 4, 2, 1, bias=False), (2, 3, 8, 8)),
    "ConvTranspose2d": (lambda m: m.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 3, 4)),
    "ConvTranspose2d-op": (lambda m: m.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
                           (1, 2, 3, 3)),
    "BatchNorm1d": (lambda m: m.BatchNorm1d(3), (4, 3)),
    "BatchNorm1d-3d": (lambda m: m.BatchNorm1d(3, momentum=None), (4, 3, 2)),
    "BatchNorm2d": (lambda m: m.BatchNorm2d(3, eps=1e-3, momentum=0.3), (2, 3, 2, 3)),
    "BatchNorm2d-noaffine": (lambda m: m.BatchNorm2d(2, affine=False), (3, 2, 2, 2)),
    "BatchNorm2d-nostats": (lambda m: m.BatchNorm2d(2, track_running_stats=False), (3, 2, 2, 2)),
    "LayerNorm": (lambda m: m.LayerNorm((2, 3)), (4, 2, 3)),
    "LeakyReLU": (lambda m: m.LeakyReLU(0.2), (3, 4)),
    "ReLU": (lambda m: m.ReLU(), (3, 4)),
    "Tanh": (lambda m: m.Tanh(), (3, 4)),
    "Sigmoid": (lambda m: m.Sigmoid(), (3, 4)),
    "Flatten": (lambda m: m.Flatten(), (2, 3, 2)),
    "Unflatten": (lambda m: m.Unflatten(1, (2, 3)), (2, 6)),
    "Upsample": (lambda m: m.Upsample(scale_factor=2), (1, 2, 2, 3)),
}


def _to_torch(torch, state):
    return {k: torch.from_numpy(np.array(v)) for k, v in state.items()}


def _perturb(layer, rng):
    """Random parameters and running statistics, so that parity does not rest on the defaults."""
    for name, t in list(layer.named_parameters()) + list(layer.named_buffers()):
        if t.dtype.kind == "f":
            t.data[...] = on_device(rng.standard_normal(t.shape) * 0.5 + (1.0 if "var" in name else 0.0), t)
            if "var" in name:
                t.data[...] = on_device(np.abs(to_np(t.data)) + 0.1, t)


@pytest.mark.parametrize("case", list(TORCH_CASES))
@pytest.mark.parametrize("training", [True, False])
def test_matches_torch(case, training):
    torch = pytest.importorskip("torch")
    make, shape = TORCH_CASES[case]
    rng = np.random.default_rng(1)
    ours = make(nn).double().train(training)
    _perturb(ours, rng)
    theirs = make(torch.nn).double().train(training)
    theirs.load_state_dict(_to_torch(torch, ours.state_dict()))
    x = rng.standard_normal(shape)
    for _ in range(2):  # twice: running statistics are updated by the first call
        xo, xt = t64(x), torch.from_numpy(x.copy()).requires_grad_(True)
        yo, yt = ours(xo), theirs(xt)
        v = np.random.default_rng(2).standard_normal(yt.shape)
        np.testing.assert_allclose(to_np(yo), yt.detach().numpy(), rtol=1e-8, atol=1e-10)
        (yo * t64(v, requires_grad=False)).sum().backward()
        (yt * torch.from_numpy(v)).sum().backward()
        np.testing.assert_allclose(to_np(xo.grad.data), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        torch_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(to_np(p.grad.data), torch_params[name].grad.numpy(), rtol=1e-8, atol=1e-10)
        ours.zero_grad()
        theirs.zero_grad()
    theirs_state = theirs.state_dict()
    for key, value in ours.state_dict().items():  # running statistics and num_batches_tracked
        np.testing.assert_allclose(value, theirs_state[key].numpy(), rtol=1e-10, atol=1e-12)


def test_default_init_matches_torch_distribution():
    torch = pytest.importorskip("torch")
    for name, args in [("Linear", (64, 32)), ("Conv2d", (16, 32, 4)), ("ConvTranspose2d", (32, 16, 4))]:
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
        bound = 1 / math.sqrt(fan_in)
        for p_name in ("weight", "bias"):
            a, b = to_np(getattr(ours, p_name).data), getattr(theirs, p_name).detach().numpy()
            assert a.shape == b.shape and a.dtype == b.dtype
            assert np.abs(a).max() <= bound and np.abs(b).max() <= bound  # both U(-bound, bound)
            if a.size > 1000:
                assert np.abs(a).max() > 0.95 * bound and np.abs(b).max() > 0.95 * bound
                assert abs(a.std() - b.std()) < 0.05 * b.std()


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", None),
                        ("leaky_relu", 0.2), ("sigmoid", None), ("conv2d", None), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def make_generator(nn, nz=6, ngf=4):
    """A small DCGAN generator: written once, built with minigan.nn or torch.nn."""
    return nn.Sequential(
        nn.Linear(nz, 2 * ngf * 4 * 4), nn.BatchNorm1d(2 * ngf * 4 * 4), nn.ReLU(),
        nn.Unflatten(1, (2 * ngf, 4, 4)),
        nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())


def make_discriminator(nn, ndf=4):
    """The PyTorch DCGAN tutorial's discriminator, shrunk to 16×16 inputs (its code runs unchanged)."""
    return nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid(), nn.Flatten(0))


def test_dcgan_generator_state_dict_loads_into_torch():
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    G = make_generator(nn)
    rng = np.random.default_rng(0)
    for _ in range(3):  # move the running statistics away from their defaults
        G(mg.tensor(rng.standard_normal((8, 6))))
    T = make_generator(torch.nn)
    T.load_state_dict({k: torch.from_numpy(v) for k, v in G.state_dict().items()})
    z = rng.standard_normal((5, 6)).astype(np.float32)
    for mode in ("eval", "train"):
        getattr(G, mode)(), getattr(T, mode)()
        ours, theirs = to_np(G(mg.tensor(z))), T(torch.from_numpy(z)).detach().numpy()
        assert ours.shape == (5, 1, 16, 16)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for key, value in T.state_dict().items():  # the train-mode call updated both sets of statistics alike
        np.testing.assert_allclose(G.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-6)
    D, TD = make_discriminator(nn), make_discriminator(torch.nn)
    TD.load_state_dict({k: torch.from_numpy(v) for k, v in D.state_dict().items()})
    x = np.tanh(rng.standard_normal((3, 1, 16, 16))).astype(np.float32)
    np.testing.assert_allclose(to_np(D(mg.tensor(x))), TD(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-6)
    G2 = make_generator(nn).eval()  # and back: torch → minigan
    G2.load_state_dict(T.state_dict())
    np.testing.assert_allclose(to_np(G2(mg.tensor(z))), T.eval()(torch.from_numpy(z)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
