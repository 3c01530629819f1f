"""GAN models: output shapes for every image size, parameter counts, options, state_dict round trips."""

import numpy as np
import pytest
from conftest import t64, to_np

import minigan as mg
import minigan.nn as nn
from minigan.data import load_dataset
from minigan.gan import models
from minigan.gan.models import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    MinibatchStdDev,
    MLPDiscriminator,
    MLPGenerator,
    build_models,
)

SIZES = [8, 16, 28, 32, 64]


def count(module):
    return sum(p.size for p in module.parameters())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_for_every_size(size, channels):
    mg.manual_seed(0)
    G = DCGANGenerator(nz=16, image_size=size, channels=channels, width=8)
    D = DCGANDiscriminator(image_size=size, channels=channels, width=8)
    x = G(mg.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert np.all(np.abs(to_np(x)) <= 1)  # tanh output
    assert D(x).shape == (3,)
    # the first layer starts at 4×4 (7×7 for 28 pixels), then each layer doubles
    start = 7 if size == 28 else 4
    assert G.main[0].kernel_size == (start, start) and D.main[-1].kernel_size == (start, start)


@pytest.mark.parametrize("size", [0, 4, 12, 20, 48])
def test_dcgan_rejects_sizes_it_cannot_build(size):
    with pytest.raises(ValueError, match="4·2ⁿ or 7·2ⁿ"):
        DCGANGenerator(image_size=size)


def test_dcgan_parameter_counts_match_the_reference_architecture():
    # DCGAN's reference generator / discriminator for 64×64 RGB images, nz = 100, ngf = ndf = 64:
    g = 100 * 512 * 16 + 512 * 256 * 16 + 256 * 128 * 16 + 128 * 64 * 16 + 64 * 3 * 16 + 2 * (512 + 256 + 128 + 64)
    d = 3 * 64 * 16 + 64 * 128 * 16 + 128 * 256 * 16 + 256 * 512 * 16 + 512 * 16 + 2 * (128 + 256 + 512)
    assert count(DCGANGenerator(100, 64, 3, 64)) == g == 3_576_704
    assert count(DCGANDiscriminator(64, 3, 64)) == d == 2_765_568
    # width scales the channels: half the width, about a quarter of the weights
    assert 0.24 < count(DCGANDiscriminator(64, 3, 32)) / d < 0.26


def test_dcgan_layers_follow_the_paper():
    G, D = DCGANGenerator(100, 32, 1, 8), DCGANDiscriminator(32, 1, 8)
    g_types = [type(m).__name__ for m in G.main]
    d_types = [type(m).__name__ for m in D.main]
    assert g_types[-2:] == ["ConvTranspose2d", "Tanh"] and "MaxPool2d" not in g_types
    assert g_types.count("BatchNorm2d") == 3 and g_types.count("ReLU") == 3
    assert d_types[:2] == ["Conv2d", "LeakyReLU"]  # no batch norm on D's input layer
    assert d_types.count("BatchNorm2d") == 2 and d_types[-1] == "Conv2d"
    assert all(m.negative_slope == 0.2 for m in D.main if isinstance(m, nn.LeakyReLU))
    assert all(m.stride == (2, 2) for m in D.main[:-1] if isinstance(m, nn.Conv2d))


def test_dcgan_state_dict_loads_into_the_pytorch_reference():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    nz, ngf, ndf, nc = 16, 8, 8, 3
    ref_G = tnn.Sequential(
        tnn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), tnn.BatchNorm2d(ngf * 4), tnn.ReLU(True),
        tnn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), tnn.BatchNorm2d(ngf * 2), tnn.ReLU(True),
        tnn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), tnn.BatchNorm2d(ngf), tnn.ReLU(True),
        tnn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), tnn.Tanh())
    ref_D = tnn.Sequential(
        tnn.Conv2d(nc, ndf, 4, 2, 1, bias=False), tnn.LeakyReLU(0.2, inplace=True),
        tnn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), tnn.BatchNorm2d(ndf * 2), tnn.LeakyReLU(0.2, inplace=True),
        tnn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), tnn.BatchNorm2d(ndf * 4),
        tnn.LeakyReLU(0.2, inplace=True), tnn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False))
    mg.manual_seed(0)
    G, D = nn.init.dcgan_init(DCGANGenerator(nz, 32, nc, ngf)), nn.init.dcgan_init(DCGANDiscriminator(32, nc, ndf))
    for ours, ref in ((G, ref_G), (D, ref_D)):
        state = {k[len("main."):]: torch.from_numpy(v) for k, v in ours.state_dict().items()}
        ref.load_state_dict(state)
        ours.eval(), ref.eval()
    z = np.random.default_rng(0).standard_normal((2, nz)).astype(np.float32)
    x = G(mg.tensor(z))
    with torch.no_grad():
        x_ref = ref_G(torch.from_numpy(z).reshape(2, nz, 1, 1))
        np.testing.assert_allclose(to_np(x), x_ref.numpy(), atol=1e-5)
        np.testing.assert_allclose(to_np(D(x)), ref_D(x_ref).reshape(-1).numpy(), atol=1e-4)


def test_dcgan_init_is_applied_by_the_factory():
    mg.manual_seed(0)
    G, D = build_models("dcgan", "digits16", width=16)
    w = to_np(D.main[2].weight)
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    bn = to_np(G.main[1].weight)
    assert abs(bn.mean() - 1) < 0.01 and bn.std() < 0.05


# ----------------------------------------------------------------------------- discriminator options


def test_wgan_gp_critic_has_no_batch_norm():
    _, D = build_models("dcgan", "digits16", "wgan-gp", width=8)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert any(isinstance(m, nn.LayerNorm) for m in D.modules())
    _, D = build_models("mlp", "ring8", "wgan-gp")
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)) for m in D.modules())
    with pytest.raises(ValueError, match="batch norm"):
        build_models("dcgan", "digits16", "wgan-gp", norm="batch")


def test_spectral_norm_option_normalises_every_weight():
    mg.manual_seed(0)
    _, D = build_models("dcgan", "digits16", spectral_norm=True, width=8)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all("weight_orig" in m._parameters for m in layers)
    x = mg.randn(4, 1, 16, 16)
    for _ in range(30):  # power iteration converges over forward passes
        D(x)
    for m in layers:
        sigma = np.linalg.svd(to_np(m.weight).reshape(m.weight.shape[0], -1), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, rel=0.02)


def test_minibatch_stddev_value_and_gradient(rng):
    x = rng.normal(size=(5, 3, 2, 2))
    y = MinibatchStdDev()(t64(x))
    assert y.shape == (5, 4, 2, 2)
    np.testing.assert_allclose(to_np(y)[:, :3], x)
    np.testing.assert_allclose(to_np(y)[:, 3], np.sqrt(x.var(axis=0) + 1e-8).mean())
    assert mg.gradcheck(lambda a: MinibatchStdDev()(a), [t64(rng.normal(size=(4, 3)))])
    # a collapsed batch (every sample the same) gets a feature near 0
    same = MinibatchStdDev()(t64(np.ones((4, 3)), False))
    assert np.all(to_np(same)[:, 3] < 1e-3)
    with pytest.raises(ValueError, match="at least 2"):
        MinibatchStdDev()(t64(np.ones((1, 3)), False))


@pytest.mark.parametrize("model,data", [("dcgan", "digits16"), ("mlp", "ring8")])
def test_minibatch_std_option(model, data):
    G, D = build_models(model, data, minibatch_std=True, width=8)
    assert any(isinstance(m, MinibatchStdDev) for m in D.modules())
    assert D(G(mg.randn(4, G.nz))).shape == (4,)


# ----------------------------------------------------------------------------- MLPs and conditional models


@pytest.mark.parametrize("data,dim", [("gauss1d", 1), ("ring8", 2), ("grid25", 2)])
def test_mlp_shapes(data, dim):
    G, D = build_models("mlp", data, width=16, depth=2)
    assert isinstance(G, MLPGenerator) and isinstance(D, MLPDiscriminator)
    x = G(mg.randn(7, G.nz))
    assert x.shape == (7, dim) and D(x).shape == (7,)
    # hidden layers: nz→16→16→dim for G, dim→16→16→1 for D
    assert count(G) == (G.nz * 16 + 16) + (16 * 16 + 16) + (16 * dim + dim)
    assert count(D) == (dim * 16 + 16) + (16 * 16 + 16) + (16 + 1)


def test_mlp_on_images_flattens_and_uses_tanh():
    G, D = build_models("mlp", "digits", width=16)
    x = G(mg.randn(3, G.nz))
    assert x.shape == (3, 1, 8, 8) and np.all(np.abs(to_np(x)) <= 1)
    assert D(x).shape == (3,)


@pytest.mark.parametrize("data", ["digits", "digits16", "digits28"])
def test_conditional_dcgan(data):
    mg.manual_seed(0)
    G, D = build_models("cgan", data, width=8)
    size = load_dataset(data).image_size
    assert isinstance(G, ConditionalGenerator) and isinstance(D, ConditionalDiscriminator)
    labels = np.array([0, 3, 9, 3])
    z = mg.randn(4, G.nz)
    x = G(z, labels)
    assert x.shape == (4, 1, size, size) and D(x, labels).shape == (4,)
    # the label changes the sample: same z, different class, different image
    G.eval()
    a, b = to_np(G(z, [1, 1, 1, 1])), to_np(G(z, [2, 2, 2, 2]))
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="indices"):
        G(z, [0, 1, 2, 10])


def test_conditional_mlp_on_labelled_vectors():
    G = ConditionalGenerator(MLPGenerator(8 + 10, (2,), 16), num_classes=3)
    D = ConditionalDiscriminator(MLPDiscriminator((2 + 10,), 16), num_classes=3, sample_shape=(2,))
    x = G(mg.randn(5, 8), [0, 1, 2, 0, 1])
    assert x.shape == (5, 2) and D(x, [0, 1, 2, 0, 1]).shape == (5,) and G.nz == 8


# ----------------------------------------------------------------------------- state and the factory


@pytest.mark.parametrize("model,data,options", [
    ("dcgan", "digits16", {}),
    ("dcgan", "digits28", {"spectral_norm": True}),
    ("cgan", "digits16", {"minibatch_std": True}),
    ("mlp", "ring8", {}),
])
def test_state_dict_round_trip(tmp_path, model, data, options):
    mg.manual_seed(0)
    G, D = build_models(model, data, width=8, **options)
    for _ in range(2):  # move batch-norm statistics and spectral-norm vectors away from their initial values
        z = mg.randn(4, G.nz)
        x = G(z, [1, 2, 3, 4]) if model == "cgan" else G(z)
        D(x, [1, 2, 3, 4]) if model == "cgan" else D(x)
    mg.save({"G": G.state_dict(), "D": D.state_dict()}, tmp_path / "models.npz")
    mg.manual_seed(1)
    G2, D2 = build_models(model, data, width=8, **options)
    state = mg.io.load(tmp_path / "models.npz")
    G2.load_state_dict(state["G"])
    D2.load_state_dict(state["D"])
    for a, b in ((G, G2), (D, D2)):
        assert a.state_dict().keys() == b.state_dict().keys()
        for key, value in a.state_dict().items():
            np.testing.assert_array_equal(value, b.state_dict()[key], err_msg=key)
        a.eval(), b.eval()
    z = mg.randn(3, G.nz)
    args = ([0, 1, 2],) if model == "cgan" else ()
    np.testing.assert_array_equal(to_np(G(z, *args)), to_np(G2(z, *args)))
    x = G(z, *args)
    np.testing.assert_array_equal(to_np(D(x, *args)), to_np(D2(x, *args)))


def test_build_models_errors_name_the_choices():
    with pytest.raises(ValueError, match="mlp, dcgan, cgan"):
        build_models("resnet", "digits16")
    with pytest.raises(ValueError, match="image data"):
        build_models("dcgan", "ring8")
    with pytest.raises(ValueError, match="labelled"):
        build_models("cgan", "ring8")
    with pytest.raises(ValueError, match="batch, layer, none"):
        build_models("dcgan", "digits16", norm="group")


def test_defaults_of_the_factory():
    G, D = build_models()
    assert isinstance(G, DCGANGenerator) and G.nz == 100 and G.image_size == 16
    assert any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert models.dcgan_plan(28) == (7, 2) and models.dcgan_plan(64) == (4, 4)
