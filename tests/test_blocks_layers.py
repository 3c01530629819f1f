"""The modules of the later GANs: shapes and errors, gradcheck (float64), PyTorch's state_dict keys and shapes,
small models loading into their PyTorch equivalents with the same output, and the double backward of
WGAN-GP and R1 through the new layers.

The layers of minigan/nn/normalization.py (GroupNorm, InstanceNorm1d / InstanceNorm2d, PixelNorm,
AdaptiveInstanceNorm2d) are gradient-checked here, twice differentiated included, beside PyTorch's."""

import math

import numpy as np
import pytest
from conftest import t64, to_np
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F
from minigan.gan import losses


def rand64(*shape, seed=0):
    return t64(np.random.default_rng(seed).standard_normal(shape))


def gradcheck_layer(layer, x, second=True, extra=()):
    layer.double()
    params = list(layer.parameters())
    n_extra = len(extra)

    def fn(x, *rest):
        return layer(x, *rest[:n_extra])

    inputs = (x, *extra, *params)
    assert mg.gradcheck(fn, inputs)
    if second:
        assert mg.gradgradcheck(fn, inputs)
    return True


# ----------------------------------------------------------------------------- gradients of every module


@settings(max_examples=6)
@given(n=st.integers(1, 2), groups=st.integers(1, 2), h=st.integers(1, 3), w=st.integers(2, 3), affine=st.booleans())
def test_group_norm_layer(n, groups, h, w, affine):
    layer = nn.GroupNorm(groups, 2 * groups, affine=affine)
    assert gradcheck_layer(layer, rand64(n, 2 * groups, h, w, seed=h))


@settings(max_examples=6)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(2, 3), affine=st.booleans(), two_d=st.booleans())
def test_instance_norm_layers(n, c, h, affine, two_d):
    layer = nn.InstanceNorm2d(c, affine=affine) if two_d else nn.InstanceNorm1d(c, affine=affine)
    x = rand64(n, c, h, h + 1) if two_d else rand64(n, c, h + 1)
    assert gradcheck_layer(layer, x)


@settings(max_examples=5)
@given(n=st.integers(1, 2), c=st.integers(1, 3), w_dim=st.integers(1, 3))
def test_adaptive_instance_norm_layer(n, c, w_dim):
    layer = nn.AdaptiveInstanceNorm2d(c, w_dim)
    assert gradcheck_layer(layer, rand64(n, c, 2, 3), extra=(rand64(n, w_dim, seed=1),))


def test_fresh_adain_is_instance_norm(rng):
    layer = nn.AdaptiveInstanceNorm2d(3, 4)
    layer.style.weight.data[...] = 0
    x = mg.tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
    np.testing.assert_allclose(to_np(layer(x, mg.randn(2, 4))), to_np(F.instance_norm(x)), atol=1e-6)


@settings(max_examples=5)
@given(n=st.integers(1, 3), c=st.integers(1, 3), per_channel=st.booleans())
def test_prelu_layer(n, c, per_channel):
    x = np.random.default_rng(c).standard_normal((n, c, 3))
    x[np.abs(x) < 1e-3] = 0.5
    assert gradcheck_layer(nn.PReLU(c if per_channel else 1), t64(x))


@settings(max_examples=6)
@given(n=st.integers(1, 2), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 1), length=st.integers(4, 8),
       bias=st.booleans())
def test_conv1d_layers(n, k, s, p, length, bias):
    conv = nn.Conv1d(2, 3, k, s, p, bias=bias)
    y = conv(mg.randn(n, 2, length))
    assert y.shape == (n, 3, (length + 2 * p - k) // s + 1)
    assert gradcheck_layer(conv, rand64(n, 2, length))
    up = nn.ConvTranspose1d(2, 3, k, s, p, bias=bias)
    assert up(mg.randn(n, 2, length)).shape == (n, 3, (length - 1) * s - 2 * p + k)
    assert gradcheck_layer(up, rand64(n, 2, length))


@settings(max_examples=6)
@given(n=st.integers(1, 2), h=st.integers(2, 4), w=st.integers(2, 5),
       name=st.sampled_from(["up2", "upbil", "pool", "shuffle", "unshuffle", "reflect", "replicate", "zero"]))
def test_resample_layers(n, h, w, name):
    layer, c = {
        "up2": (nn.Upsample(scale_factor=2), 1),
        "upbil": (nn.Upsample(size=(h + 3, w + 1), mode="bilinear"), 1),
        "pool": (nn.AvgPool2d(2, 1), 1),
        "shuffle": (nn.PixelShuffle(2), 4),
        "unshuffle": (nn.PixelUnshuffle(2), 1),
        "reflect": (nn.ReflectionPad2d((1, 0, 1, 1)), 1),
        "replicate": (nn.ReplicationPad2d(2), 1),
        "zero": (nn.ZeroPad2d((0, 1, 2, 0)), 1),
    }[name]
    if name == "unshuffle":
        h, w = 2 * h, 2 * w
    assert gradcheck_layer(layer, rand64(n, c, h, w, seed=h * w))


@settings(max_examples=5)
@given(n=st.integers(1, 2), c=st.integers(1, 9), h=st.integers(1, 3), w=st.integers(1, 3))
def test_self_attention_layer(n, c, h, w):
    layer = nn.SelfAttention2d(c)
    x = rand64(n, c, h, w, seed=c)
    layer.double()
    np.testing.assert_array_equal(to_np(layer(x)), to_np(x))  # γ = 0: the identity
    layer.gamma.data[...] = 0.7
    assert gradcheck_layer(layer, x)


def test_self_attention_matches_numpy(rng):
    layer = nn.SelfAttention2d(16).double()
    layer.gamma.data[...] = 0.5
    x = rng.standard_normal((2, 16, 3, 4))
    y = to_np(layer(t64(x)))
    s = {k: np.asarray(v) for k, v in layer.state_dict().items()}
    flat = x.reshape(2, 16, 12)

    def proj(name):
        return np.einsum("oc,ncp->nop", s[name + ".weight"][:, :, 0, 0], flat) + s[name + ".bias"][None, :, None]

    q, k, v = proj("query"), proj("key"), proj("value")
    e = np.einsum("nci,ncj->nij", q, k)
    a = np.exp(e - e.max(axis=2, keepdims=True))
    a /= a.sum(axis=2, keepdims=True)
    o = np.einsum("ncj,nij->nci", v, a)
    np.testing.assert_allclose(y, 0.5 * o.reshape(x.shape) + x, rtol=1e-10, atol=1e-12)
    assert layer.inner == 2
    np.testing.assert_allclose(to_np(layer.attention(t64(x))).sum(axis=2), 1.0, atol=1e-12)


def test_pixel_norm_layer(rng):
    x = rng.standard_normal((2, 5, 3, 3))
    y = to_np(nn.PixelNorm()(t64(x)))
    np.testing.assert_allclose((y ** 2).mean(axis=1), 1.0, atol=1e-6)
    assert gradcheck_layer(nn.PixelNorm(), t64(x))


# ----------------------------------------------------------------------------- equalized learning rate


def test_equalized_lr_scales_at_run_time():
    mg.manual_seed(0)
    layer = nn.equalized_lr(nn.Conv2d(4, 3, 3, padding=1))
    assert sorted(layer.state_dict()) == ["bias", "weight_orig"]
    w = to_np(layer.weight_orig)
    assert abs(w.std() - 1) < 0.2 and not to_np(layer.bias).any()
    c = math.sqrt(2) / math.sqrt(4 * 3 * 3)
    x = mg.randn(2, 4, 5, 5)
    np.testing.assert_allclose(to_np(layer(x)), to_np(F.conv2d(x, mg.tensor(w * c), layer.bias, padding=1)),
                               rtol=1e-5, atol=1e-6)
    layer.double()
    assert mg.gradcheck(lambda a, wo, b: layer(a), (rand64(1, 4, 3, 3), layer.weight_orig, layer.bias))
    nn.remove_equalized_lr(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(to_np(layer.weight), w * c, rtol=1e-6)


def test_equalized_lr_multiplier_and_errors():
    layer = nn.equalized_lr(nn.Linear(100, 10), lr_multiplier=0.01)
    assert abs(to_np(layer.weight_orig).std() - 100) < 10  # N(0, 1/lr_mul²): the run-time weight is N(0, 2/fan_in)
    assert abs(to_np(layer.weight).std() - math.sqrt(2 / 100)) < 0.03
    with pytest.raises(RuntimeError, match="already applied"):
        nn.equalized_lr(layer)
    with pytest.raises(ValueError, match="PixelNorm has no parameter named 'weight'"):
        nn.equalized_lr(nn.PixelNorm())


# ----------------------------------------------------------------------------- errors name the layer


def test_layer_errors():
    cases = [
        (lambda: nn.GroupNorm(2, 4)(mg.randn(2, 3, 4, 4)), r"GroupNorm\(2, 4.*expects input of shape \(N, 4, \*\), "
                                                          r"got \(2, 3, 4, 4\)"),
        (lambda: nn.GroupNorm(3, 4), "num_channels 4 must be divisible by num_groups 3"),
        (lambda: nn.InstanceNorm2d(3)(mg.randn(2, 3, 4)), r"InstanceNorm2d\(3.*expects input of shape \(N, 3, H, W\), "
                                                         r"got \(2, 3, 4\)"),
        (lambda: nn.InstanceNorm1d(3)(mg.randn(2, 2, 4)), r"InstanceNorm1d\(3.*\(N, 3, L\), got \(2, 2, 4\)"),
        (lambda: nn.Conv1d(2, 3, 3)(mg.randn(2, 3, 8)), r"Conv1d\(2, 3, kernel_size=\(3,\).*expects input of shape "
                                                       r"\(N, 2, L\), got \(2, 3, 8\)"),
        (lambda: nn.ConvTranspose1d(2, 3, 3)(mg.randn(2, 2, 8, 1)), r"ConvTranspose1d\(2, 3.*\(N, 2, L\)"),
        (lambda: nn.PReLU(3)(mg.randn(2, 4, 5)), r"PReLU\(num_parameters=3\) expects input of shape \(N, 3, \*\), "
                                                r"got \(2, 4, 5\)"),
        (lambda: nn.SelfAttention2d(8)(mg.randn(2, 4, 3, 3)), r"SelfAttention2d\(8, inner=1\) expects input of shape "
                                                             r"\(N, 8, H, W\), got \(2, 4, 3, 3\)"),
        (lambda: nn.AdaptiveInstanceNorm2d(3, 5)(mg.randn(2, 3, 4, 4), mg.randn(2, 4)),
         r"AdaptiveInstanceNorm2d\(3, w_dim=5.*expects a style of shape \(2, 5\), got \(2, 4\)"),
        (lambda: nn.Upsample(scale_factor=2)(mg.randn(2, 4)), r"Upsample.*expects input of shape \(N, C, H, W\) or "
                                                              r"\(N, C, L\), got \(2, 4\)"),
        (lambda: nn.AvgPool2d(2)(mg.randn(2, 4)), r"AvgPool2d.*expects input of shape \(N, C, H, W\), got \(2, 4\)"),
        (lambda: nn.PixelShuffle(2)(mg.randn(1, 3, 2, 2)), r"pixel_shuffle expects input of shape \(N, C·4, H, W\)"),
        (lambda: nn.ReflectionPad2d(3)(mg.randn(1, 1, 3, 3)), r"reflect padding \(3, 3\) must be smaller"),
        (lambda: nn.ReflectionPad2d((1, 2)), r"ReflectionPad2d: padding must be an int or 4 ints"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()


# ----------------------------------------------------------------------------- PyTorch parity


def torch_attention(torch):
    """The same SAGAN block written in PyTorch (it has none built in)."""

    class SelfAttention2d(torch.nn.Module):
        def __init__(self, channels):
            super().__init__()
            inner = max(1, channels // 8)
            self.query = torch.nn.Conv2d(channels, inner, 1)
            self.key = torch.nn.Conv2d(channels, inner, 1)
            self.value = torch.nn.Conv2d(channels, channels, 1)
            self.gamma = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            n, c, h, w = x.shape
            q, k = self.query(x).flatten(2), self.key(x).flatten(2)
            a = torch.softmax(q.transpose(1, 2) @ k, dim=-1)
            o = self.value(x).flatten(2) @ a.transpose(1, 2)
            return self.gamma * o.reshape(n, c, h, w) + x

    return SelfAttention2d


def make_critic(ns, attention):
    """A small critic using the new layers, written once for minigan.nn and torch.nn."""
    return ns.Sequential(
        ns.ReflectionPad2d(1), ns.Conv2d(1, 8, 3), ns.GroupNorm(2, 8), ns.PReLU(8),
        attention(8),
        ns.Upsample(scale_factor=2, mode="bilinear"), ns.ReplicationPad2d((1, 0, 0, 1)), ns.Conv2d(8, 4, 2),
        ns.InstanceNorm2d(4, affine=True), ns.LeakyReLU(0.2), ns.PixelUnshuffle(2), ns.Conv2d(16, 4, 1),
        ns.PixelShuffle(2), ns.AvgPool2d(3, 2, 1), ns.ZeroPad2d(1), ns.Flatten(), ns.Linear(7 * 7, 1),
    )


def make_wave(ns):
    return ns.Sequential(ns.ConvTranspose1d(3, 4, 5, 2, 2, 1), ns.InstanceNorm1d(4, affine=True,
                         track_running_stats=True), ns.PReLU(), ns.Conv1d(4, 2, 5, 2, 2), ns.Upsample(size=11))


def _to_torch(torch, state):
    return {k: torch.from_numpy(np.array(v)) for k, v in state.items()}


def test_state_dicts_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.GroupNorm(2, 6), torch.nn.GroupNorm(2, 6)),
        (nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)),
        (nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
         torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True)),
        (nn.InstanceNorm1d(2, affine=True), torch.nn.InstanceNorm1d(2, affine=True)),
        (nn.PReLU(), torch.nn.PReLU()), (nn.PReLU(5, 0.1), torch.nn.PReLU(5, 0.1)),
        (nn.Conv1d(3, 4, 5, 2, 1), torch.nn.Conv1d(3, 4, 5, 2, 1)),
        (nn.Conv1d(3, 4, 5, bias=False), torch.nn.Conv1d(3, 4, 5, bias=False)),
        (nn.ConvTranspose1d(3, 4, 5, 2), torch.nn.ConvTranspose1d(3, 4, 5, 2)),
        (nn.SelfAttention2d(16), torch_attention(torch)(16)),
        (make_critic(nn, nn.SelfAttention2d), make_critic(torch.nn, torch_attention(torch))),
        (make_wave(nn), make_wave(torch.nn)),
    ]
    for ours, theirs in pairs:
        mine = {k: np.asarray(v).shape for k, v in ours.state_dict().items()}
        assert mine == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}, type(ours).__name__
        for k, v in ours.state_dict().items():  # the same initial values where they are not random
            if "running" in k or k.endswith(("gamma", "num_batches_tracked")) or type(ours).__name__ in (
                    "GroupNorm", "InstanceNorm2d", "InstanceNorm1d", "PReLU"):
                np.testing.assert_array_equal(np.asarray(v), theirs.state_dict()[k].numpy(), err_msg=k)


@pytest.mark.parametrize("training", [True, False])
def test_critic_loads_into_torch_with_the_same_output_and_gradients(training):
    torch = pytest.importorskip("torch")
    mg.manual_seed(1)
    ours = make_critic(nn, nn.SelfAttention2d).double().train(training)
    ours[4].gamma.data[...] = 0.3  # attention switched on
    theirs = make_critic(torch.nn, torch_attention(torch)).double().train(training)
    theirs.load_state_dict(_to_torch(torch, ours.state_dict()))
    x = np.random.default_rng(2).standard_normal((3, 1, 5, 5))
    xo, xt = t64(x), torch.from_numpy(x.copy()).requires_grad_(True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(to_np(yo), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(to_np(xo.grad), xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(to_np(p.grad), q.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


def test_wave_model_loads_into_torch_train_then_eval():
    torch = pytest.importorskip("torch")
    ours, theirs = make_wave(nn).double(), make_wave(torch.nn).double()
    theirs.load_state_dict(_to_torch(torch, ours.state_dict()))
    rng = np.random.default_rng(3)
    for _ in range(2):  # training updates the instance norm's running statistics
        x = rng.standard_normal((2, 3, 6))
        np.testing.assert_allclose(to_np(ours(t64(x))), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-10)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours.state_dict()[k]), v.numpy(), atol=1e-12, err_msg=k)
    ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 3, 6))
    np.testing.assert_allclose(to_np(ours(t64(x))), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-10)


# ----------------------------------------------------------------------------- penalties through the new layers


@pytest.mark.parametrize("penalty", ["gp", "r1"])
def test_penalties_through_the_new_layers_match_torch(penalty):
    """WGAN-GP and R1 need ∂/∂θ of ‖∂D/∂x‖: a double backward through every new layer."""
    torch = pytest.importorskip("torch")
    mg.manual_seed(4)
    ours = make_critic(nn, nn.SelfAttention2d).double()
    ours[4].gamma.data[...] = 0.5
    theirs = make_critic(torch.nn, torch_attention(torch)).double()
    theirs.load_state_dict(_to_torch(torch, ours.state_dict()))
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((2, 1, 5, 5)), rng.standard_normal((2, 1, 5, 5))
    if penalty == "gp":
        mg.manual_seed(6)
        eps = to_np(mg.rand(2, 1, 1, 1, dtype="float64"))
        mg.manual_seed(6)
        loss = losses.gradient_penalty(ours, t64(real, False), t64(fake, False), 10.0)
        point = torch.from_numpy(eps * real + (1 - eps) * fake).requires_grad_(True)
    else:
        loss = losses.r1_penalty(ours, t64(real, False), 10.0)
        point = torch.from_numpy(real).requires_grad_(True)
    (g,) = torch.autograd.grad(theirs(point).sum(), point, create_graph=True)
    norms = g.flatten(1).norm(dim=1)
    t_loss = 10.0 * ((norms - 1) ** 2).mean() if penalty == "gp" else 5.0 * (norms ** 2).mean()
    np.testing.assert_allclose(float(to_np(loss)), t_loss.item(), rtol=1e-8)
    loss.backward()
    t_loss.backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        # a bias that only shifts D's output has no path into ∇ₓD: None here, zeros or None in PyTorch
        mine = np.zeros(p.shape) if p.grad is None else to_np(p.grad)
        other = np.zeros(p.shape) if q.grad is None else q.grad.numpy()
        np.testing.assert_allclose(mine, other, rtol=1e-6, atol=1e-10, err_msg=name)
    assert sum(p.grad is not None and np.abs(to_np(p.grad)).max() > 1e-6 for p in ours.parameters()) >= 12
