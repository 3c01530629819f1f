"""The high-fidelity families: SAGAN, BigGAN and ProGAN — their mechanisms, one test each, and training."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import assert_same_state, on_device

import minigan as mg
from minigan import nn
from minigan.autograd import Tensor, no_grad
from minigan.gan import Trainer, default_config
from minigan.gan.models.biggan import (
    BigGANDiscriminator,
    BigGANGenerator,
    ConditionalBatchNorm2d,
    orthogonal_regularization,
    sample_biggan,
    standing_statistics,
    truncated_normal,
)
from minigan.gan.models.progan import ProGANDiscriminator, ProGANGenerator, fade_real, progan_phase
from minigan.gan.models.sagan import SAGANDiscriminator, SAGANGenerator
from minigan.nn.spectral_norm import SpectralNorm
from minigan.ops.pool import avg_pool2d, interpolate


def _z(n: int, nz: int, seed: int = 0) -> Tensor:
    return mg.tensor(np.random.default_rng(seed).standard_normal((n, nz)).astype(np.float32))


# ----------------------------------------------------------------------------- SAGAN


def test_sagan_shapes_and_attention_at_zero_gamma_is_the_identity():
    mg.manual_seed(0)
    G, D = SAGANGenerator(nz=16, width=8), SAGANDiscriminator(width=8)
    z = _z(4, 16)
    x = G(z)
    assert x.shape == (4, 1, 32, 32) and D(x).shape == (4,)
    assert float(G.attention.gamma.data[0]) == 0.0 and float(D.attention.gamma.data[0]) == 0.0
    h = mg.tensor(np.random.default_rng(1).standard_normal((4, 16, 8, 8)).astype(np.float32))
    assert np.array_equal(G.attention(h).numpy(), h.numpy())  # y = 0·o + x, exactly
    G.eval()
    with no_grad():
        with_attention = G(z).numpy()
        G.attention = nn.Identity()
        without = G(z).numpy()
    assert np.array_equal(with_attention, without)
    with pytest.raises(ValueError, match="SAGANGenerator expects noise of shape"):
        G(_z(2, 15))


def _spectral_layers(module):
    return [m for m in module.modules() if any(isinstance(h, SpectralNorm) for h in m._forward_pre_hooks.values())]


def test_sagan_spectral_norm_on_every_layer_with_one_power_iteration_per_training_forward():
    mg.manual_seed(0)
    G, D = SAGANGenerator(nz=16, width=8), SAGANDiscriminator(width=8, minibatch_std=True)
    for net in (G, D):  # every convolution, the attention's 1×1 query, key and value included
        convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        assert _spectral_layers(net) == convs and len(convs) == 7
    layer = D.attention.query
    u0 = layer.weight_u.numpy().copy()
    D(G(_z(4, 16)))
    u1 = layer.weight_u.numpy().copy()
    assert not np.allclose(u0, u1)  # the power iteration ran in training mode and u persists in the buffer
    w = layer.weight_orig.numpy().reshape(layer.weight_orig.shape[0], -1)
    v = w.T @ u1 / np.linalg.norm(w.T @ u1)
    expected = w @ v / np.linalg.norm(w @ v)
    D(G(_z(4, 16)))
    assert np.allclose(layer.weight_u.numpy(), expected, atol=1e-5)  # exactly one more iteration, from u1
    D.eval()
    D(G(_z(4, 16)))
    assert np.array_equal(layer.weight_u.numpy(), expected)  # no iteration in eval mode


# ----------------------------------------------------------------------------- BigGAN


class _TwoWeights(nn.Module):
    def __init__(self, a: np.ndarray, b: np.ndarray):
        super().__init__()
        self.tall = nn.Linear(a.shape[1], a.shape[0])
        self.wide = nn.Linear(b.shape[1], b.shape[0])
        self.tall.weight.data[...] = on_device(a, self.tall.weight)
        self.wide.weight.data[...] = on_device(b, self.wide.weight)


def test_orthogonal_regularization_against_a_hand_computation():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]], dtype=np.float32)
    # W Wᵀ = [[5, 11, 2], [11, 25, 4], [2, 4, 1]]: off-diagonal squares 2·(11² + 2² + 4²) = 282
    # Wᵀ (as the second weight, 2×3): Wᵀ W = [[10, 14], [14, 21]]: 2·14² = 392; the biases do not count
    net = _TwoWeights(W, W.T.copy())
    beta = 1e-4
    r = orthogonal_regularization(net, beta, skip=())
    assert float(r.data) == pytest.approx(beta * (282 + 392), rel=1e-6)
    r.backward()
    for w, p in ((W, net.tall.weight), (W.T, net.wide.weight)):  # ∂/∂W β‖WWᵀ ⊙ (1 − I)‖² = 4β (WWᵀ ⊙ (1 − I)) W
        off = w @ w.T - np.diag(np.diag(w @ w.T))
        np.testing.assert_allclose(p.grad.numpy(), 4 * beta * off @ w, rtol=1e-5)
    assert net.tall.bias.grad is None


def test_mode_seeking_loss_against_a_hand_computation_and_its_gradient():
    from minigan.gan.losses import mode_seeking_loss
    from minigan.gradcheck import gradcheck

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 1, 3, 3)), rng.standard_normal((4, 1, 3, 3))
    z_a, z_b = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    ratio = np.abs(a - b).mean() / np.abs(z_a - z_b).mean()
    got = mode_seeking_loss(mg.tensor(a, dtype="float64"), mg.tensor(b, dtype="float64"), on_device(z_a),
                            on_device(z_b))
    assert math.isclose(float(got.numpy()), 1 / (ratio + 1e-5), rel_tol=1e-12)
    same = mg.tensor(a, dtype="float64")
    collapsed = mode_seeking_loss(same, same, on_device(z_a), on_device(z_b))
    assert math.isclose(float(collapsed.numpy()), 1e5)  # a G that ignores z pays 1/ε
    fa, fb = (mg.tensor(v, dtype="float64", requires_grad=True) for v in (a, b))
    assert gradcheck(lambda x, y: mode_seeking_loss(x, y, on_device(z_a), on_device(z_b)), (fa, fb))


def test_biggan_mode_seeking_runs_g_twice_and_resumes_exactly(tmp_path):
    trainer = Trainer.from_config(_small("biggan", mode_seeking=0.02, steps=1), progress=False)
    calls = []
    forward = trainer.G.forward
    trainer.G.forward = lambda *a: calls.append(1) or forward(*a)
    trainer.fit()
    assert len(calls) == 2  # the critic step's sample, then the second sample of the same classes
    straight = Trainer.from_config(_small("biggan", mode_seeking=0.02, steps=4), progress=False)
    straight.fit()
    first = Trainer.from_config(_small("biggan", mode_seeking=0.02, steps=2), out_dir=str(tmp_path), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path), progress=False, steps=4)
    resumed.fit()
    assert_same_state(straight, resumed)
    with pytest.raises(ValueError, match="--mode-seeking 0.1: --model sagan has no mode-seeking term"):
        Trainer.from_config(_small("sagan", mode_seeking=0.1), progress=False)


def test_biggan_shapes_projection_and_conditional_batch_norm():
    mg.manual_seed(0)
    G, D = BigGANGenerator(nz=16, width=8, embed_dim=8), BigGANDiscriminator(width=8)
    z, y = _z(6, 16), np.array([0, 1, 2, 3, 4, 5])
    x = G(z, y)
    assert x.shape == (6, 1, 32, 32) and D(x, y).shape == (6,)
    D.eval()  # no power iteration: the same normalised weights in every call
    with no_grad():  # D(x, y) − D(x, y') = (V[y] − V[y'])·φ(x): the class enters only through the projection
        phi = D.features(x).numpy()
        V = D.embed.weight.numpy()
        diff = D(x, y).numpy() - D(x, (y + 1) % 10).numpy()
    np.testing.assert_allclose(diff, ((V[y] - V[(y + 1) % 10]) * phi).sum(axis=1), rtol=1e-4, atol=1e-5)
    cbn = ConditionalBatchNorm2d(3, 4)  # zero maps: a plain batch norm; then the class changes gain and bias
    h = mg.tensor(np.random.default_rng(2).standard_normal((5, 3, 2, 2)).astype(np.float32))
    e = mg.tensor(np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32))
    plain = nn.BatchNorm2d(3, affine=False)(h).numpy()
    np.testing.assert_allclose(cbn(h, e).numpy(), plain, atol=1e-6)
    cbn.gain.weight.data[...] = 0.5
    gain = 1 + e.numpy() @ cbn.gain.weight.numpy().T
    np.testing.assert_allclose(cbn(h, e).numpy(), gain[:, :, None, None] * plain, rtol=1e-5, atol=1e-6)


def test_biggan_hierarchical_latent_feeds_every_chunk_of_z_to_its_own_layer():
    mg.manual_seed(0)
    G = BigGANGenerator(nz=16, width=8, embed_dim=8)
    assert G.linear.in_features == 4 and G.bn1.gain.in_features == 8 + 4  # z₀ → linear; [e, z_k] → bn k
    seen = {}
    for name in ("bn1", "bn2", "bn3"):
        module = getattr(G, name)
        forward = module.forward

        def recording(h, cond, forward=forward, name=name):
            seen[name] = cond.numpy().copy()
            return forward(h, cond)

        module.forward = recording
    z, y = _z(5, 16), np.array([0, 1, 2, 3, 4])
    x = G(z, y)
    e = G.embed.weight.numpy()[y]
    for k, name in enumerate(("bn1", "bn2", "bn3"), start=1):  # bn k sees the class embedding and chunk k
        np.testing.assert_array_equal(seen[name], np.concatenate([e, z.numpy()[:, 4 * k:4 * (k + 1)]], axis=1))
    G.eval()
    with no_grad():
        base = G(z, y).numpy()
        for k in range(4):  # every chunk, the first linear layer's included, changes the image
            moved = z.numpy().copy()
            moved[:, 4 * k:4 * (k + 1)] += 1.0
            assert not np.allclose(G(mg.tensor(moved), y).numpy(), base, atol=1e-4), f"chunk {k} is ignored"
    assert x.shape == (5, 1, 32, 32)
    with pytest.raises(ValueError, match="multiple of 4"):
        BigGANGenerator(nz=10)


def test_conditional_batch_norm_with_spectral_norm_normalises_its_gain_and_bias_maps():
    mg.manual_seed(1)
    cbn = ConditionalBatchNorm2d(6, 5, spectral_norm=True)
    h = mg.tensor(np.random.default_rng(2).standard_normal((4, 6, 3, 3)).astype(np.float32))
    e = mg.tensor(np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32))
    cbn.eval()  # no power iteration: one fixed u, v; converge them first so σ is the true spectral norm
    for linear in (cbn.gain, cbn.bias):
        w = linear.weight_orig.numpy()
        for _ in range(200):
            linear.weight_v.data[...] = on_device(w.T @ linear.weight_u.numpy(), linear.weight_v)
            linear.weight_v.data /= np.linalg.norm(linear.weight_v.numpy())
            linear.weight_u.data[...] = on_device(w @ linear.weight_v.numpy(), linear.weight_u)
            linear.weight_u.data /= np.linalg.norm(linear.weight_u.numpy())
    with no_grad():
        out = cbn(h, e).numpy()
    plain = nn.BatchNorm2d(6, affine=False)(h).numpy()
    plain_eval = h.numpy() / np.sqrt(1.0 + 1e-5)  # eval mode: the fresh running statistics (0, 1)
    gain_w, bias_w = (lin.weight_orig.numpy() / np.linalg.svd(lin.weight_orig.numpy(), compute_uv=False)[0]
                      for lin in (cbn.gain, cbn.bias))
    gain, bias = 1 + e.numpy() @ gain_w.T, e.numpy() @ bias_w.T
    np.testing.assert_allclose(out, gain[:, :, None, None] * plain_eval + bias[:, :, None, None], rtol=1e-4,
                               atol=1e-5)
    assert not np.allclose(out, plain, atol=1e-3)  # unlike the zero-initialised maps, the class acts at once


def test_standing_statistics_average_the_batch_statistics_and_sampling_leaves_g_alone():
    mg.manual_seed(0)
    G = BigGANGenerator(nz=16, width=8, embed_dim=8)
    bn = G.bn2.bn
    seen = []
    forward = bn.forward

    def recording(x):
        seen.append(x.numpy().astype(np.float64))
        return forward(x)

    bn.forward = recording
    u_before = {k: v.copy() for k, v in G.state_dict().items() if "bn" not in k}
    standing_statistics(G, lambda r, shape: r.standard_normal(shape).astype(np.float32), batches=3, size=6)
    bn.forward = forward
    assert len(seen) == 3 and int(bn.num_batches_tracked.numpy()) == 3 and bn.momentum == 0.1
    means = [x.mean(axis=(0, 2, 3)) for x in seen]
    variances = [x.var(axis=(0, 2, 3), ddof=1) for x in seen]  # the running variance is unbiased (as torch)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(variances, axis=0), rtol=1e-4, atol=1e-6)
    after = G.state_dict()  # weights, spectral norm's u and the other buffers untouched; G back in train mode
    assert all(np.array_equal(v, after[k]) for k, v in u_before.items()) and G.training
    state = {k: v.copy() for k, v in G.state_dict().items()}
    x1 = sample_biggan(G, 12, np.random.default_rng(4), labels=3)
    x2 = sample_biggan(G, 12, np.random.default_rng(4), labels=3)
    np.testing.assert_array_equal(x1, x2)  # deterministic, and from a copy: G's own statistics are kept
    assert all(np.array_equal(v, G.state_dict()[k]) for k, v in state.items())
    plain = sample_biggan(G, 12, np.random.default_rng(4), labels=3, standing=False)
    assert not np.allclose(plain, x1)


def test_truncated_normal_resamples_beyond_the_threshold():
    rng = np.random.default_rng(0)
    z = truncated_normal(rng, (2000, 8), 0.5)
    assert np.abs(z).max() <= 0.5 and z.std() < 0.35  # N(0, 1) on [−0.5, 0.5] has std ≈ 0.29
    assert np.abs(truncated_normal(rng, (2000, 8), None)).max() > 2.5
    with pytest.raises(ValueError, match="must be positive"):
        truncated_normal(rng, (2, 2), 0.0)


# ----------------------------------------------------------------------------- ProGAN


def test_progan_phase_schedule():
    P = 10
    assert progan_phase(0, P) == (0, 1.0) and progan_phase(9, P) == (0, 1.0)
    assert progan_phase(10, P) == (1, 0.0) and progan_phase(15, P) == (1, 0.5) and progan_phase(20, P) == (1, 1.0)
    assert progan_phase(30, P) == (2, 0.0) and progan_phase(50, P) == (3, 0.0) and progan_phase(69, P) == (3, 1.0)
    assert progan_phase(10_000, P) == (3, 1.0)
    with pytest.raises(ValueError, match="phase_steps"):
        progan_phase(0, 0)


def test_progan_fade_in_is_continuous_at_alpha_zero():
    mg.manual_seed(0)
    G, D = ProGANGenerator(nz=8, widths=(8, 8, 4, 4)), ProGANDiscriminator(widths=(8, 8, 4, 4))
    z = _z(4, 8)
    x32 = mg.tensor(np.random.default_rng(1).uniform(-1, 1, (4, 1, 32, 32)).astype(np.float32))
    with no_grad():
        for level in (1, 2, 3):
            grown = G.forward_at(z, level, 0.0).numpy()
            smaller = interpolate(G.forward_at(z, level - 1, 1.0), scale_factor=2).numpy()
            assert np.array_equal(grown, smaller)  # exactly the upsampled output of the smaller G
            assert not np.array_equal(G.forward_at(z, level, 0.5).numpy(), smaller)
            r = 4 * 2 ** level
            x_r = avg_pool2d(x32, 32 // r)
            assert np.array_equal(D.forward_at(x_r, level, 0.0).numpy(),
                                  D.forward_at(avg_pool2d(x_r, 2), level - 1, 1.0).numpy())
    G.set_phase(2, 0.25)
    assert G(z).shape == (4, 1, 32, 32) and G.phase == (2, 0.25)
    out = G(z).numpy()  # a 16×16 image shown at 32×32: 2×2 blocks of one value
    assert np.array_equal(out[..., ::2, ::2], out[..., 1::2, 1::2])
    faded = fade_real(x32, 1, 0.0).numpy()  # at α = 0 the real 8×8 images are their 4×4 versions
    np.testing.assert_allclose(faded, interpolate(avg_pool2d(x32, 8), scale_factor=8).numpy(), atol=1e-6)


def test_progan_equalized_learning_rate_scaling():
    mg.manual_seed(0)
    G = ProGANGenerator(nz=8, widths=(64, 64, 32, 16))
    conv = G.blocks[1][1]  # Conv2d(64, 32, 3): fan-in 64·9
    np.testing.assert_allclose(conv.weight.numpy(), conv.weight_orig.numpy() * math.sqrt(2) / math.sqrt(64 * 9),
                               rtol=1e-6)
    assert abs(float(conv.weight_orig.data.std()) - 1.0) < 0.05  # stored as N(0, 1)
    rgb = G.to_rgb[3]  # toRGB: gain 1, fan-in 16
    np.testing.assert_allclose(rgb.weight.numpy(), rgb.weight_orig.numpy() / 4.0, rtol=1e-6)
    names = {name for name, _ in G.named_parameters()}
    assert "dense.weight_orig" in names and "dense.weight" not in names


# ----------------------------------------------------------------------------- training


def _small(model: str, **overrides):
    settings = dict(width=4, nz=8, batch_size=8, steps=3, eval_samples=0, log_every=1, sample_every=1000,
                    checkpoint_every=1000)
    if model == "progan":
        settings.update(phase_steps=1, steps=8)
    settings.update(overrides)
    return default_config(model=model, data="mnist32", **settings)


# Weights whose gradient is exactly zero in these first steps, by the maths, not by a bug:
# * an attention key bias b adds q_i·b to every score e[i, j] of row i, which the row's softmax ignores;
# * the bias of SAGAN's last D layer: the hinge loss's gradient for it is (fake − real fractions inside the
#   margin), 0 while every score is still inside |D| < 1, as at the start.
_ZERO_GRADIENT = {"G.attention.key.bias", "D.attention.key.bias", "D.main.2.bias"}


@pytest.mark.parametrize("model", ["sagan", "biggan", "progan"])
def test_a_few_steps_update_every_weight(model):
    trainer = Trainer.from_config(_small(model), progress=False)
    nets = (("G", trainer.G), ("D", trainer.D))
    before = {f"{net}.{k}": p.numpy().copy() for net, m in nets for k, p in m.named_parameters()}
    trainer.fit()
    after = {f"{net}.{k}": p.numpy() for net, m in nets for k, p in m.named_parameters()}
    unchanged = [k for k in before if np.array_equal(before[k], after[k]) and k not in _ZERO_GRADIENT]
    assert not unchanged, f"{model}: weights that no step changed: {unchanged}"
    assert all(np.isfinite(row["d_loss"]) for row in trainer.history)
    x = trainer.sample(4)
    assert x.shape == (4, 1, 32, 32) and np.abs(x).max() <= 1.0


def test_progan_resumes_exactly_mid_fade(tmp_path):
    straight = Trainer.from_config(_small("progan", phase_steps=2, steps=9), progress=False)
    straight.fit()
    first = Trainer.from_config(_small("progan", phase_steps=2, steps=7), out_dir=str(tmp_path), progress=False)
    first.fit()
    assert progan_phase(7, 2) == (2, 0.5)  # the next step is in the middle of the 16×16 fade
    assert first.G.phase == (2, 0.0)
    resumed = Trainer.resume(str(tmp_path), progress=False, steps=9)
    assert resumed.step == 7 and resumed.G.phase == (2, 0.0)
    resumed.fit()
    assert_same_state(straight, resumed)


def test_cli_trains_biggan_and_samples_with_labels_and_truncation(tmp_path, capsys):
    from minigan import cli

    out = str(tmp_path / "run")
    assert cli.main(["train", "--model", "biggan", "--data", "mnist32", "--steps", "2", "--width", "4", "--nz", "8",
                     "--batch-size", "8", "--eval-samples", "0", "--out", out, "--quiet"]) == 0
    ckpt = f"{out}/checkpoint.npz"
    path = str(tmp_path / "threes.npy")
    assert cli.main(["sample", "--checkpoint", ckpt, "--n", "6", "--labels", "3", "--truncation", "0.5",
                     "--out", path]) == 0
    assert np.load(path).shape == (6, 1, 32, 32)
    capsys.readouterr()
    sagan_out = str(tmp_path / "sagan")
    assert cli.main(["train", "--model", "sagan", "--data", "mnist32", "--steps", "1", "--width", "4", "--nz", "8",
                     "--batch-size", "8", "--eval-samples", "0", "--out", sagan_out, "--quiet"]) == 0
    assert json.load(open(f"{sagan_out}/config.json"))["loss"] == "hinge"  # the model's own loss by default
    capsys.readouterr()
    assert cli.main(["sample", "--checkpoint", f"{sagan_out}/checkpoint.npz", "--n", "2", "--truncation", "0.5",
                     "--out", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert "--truncation applies to models with a truncation trick" in err and len(err.strip().splitlines()) == 1


def test_the_bars_script_judges_real_digits_as_confident_and_a_collapsed_set_as_one_digit():
    import importlib.util
    from pathlib import Path

    from minigan.data import load_dataset

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "hifi_bars.py"
    spec = importlib.util.spec_from_file_location("hifi_bars", path)
    bars = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bars)
    real = load_dataset("mnist32", split="test").data  # 500 digits: 56.6% confident, every digit among them
    r = bars.judge(real)
    assert r["confident_fraction"] >= 0.5 and r["confident_classes"] == 10
    collapsed = bars.judge(np.repeat(real[:1], 50, axis=0))
    assert collapsed["confident_classes"] <= 1 and collapsed["mean_pairwise_distance"] < 1e-3


# ----------------------------------------------------------------------------- StyleGAN


def test_stylegan_mapping_adain_and_noise_shapes():
    from minigan.gan.models.stylegan import MappingNetwork, StyleGANGenerator

    mg.manual_seed(0)
    f = MappingNetwork(nz=16, w_dim=12, depth=3)
    assert f(_z(5, 16)).shape == (5, 12)
    G = StyleGANGenerator(nz=16, w_dim=12, widths=(8, 8, 4, 4))
    assert G.num_layers == 8
    z = _z(3, 16)
    w = G.mapping(z)
    ws = G.broadcast(w)
    assert ws.shape == (3, 8, 12) and np.array_equal(ws.numpy()[:, 5], w.numpy())
    layer = G.layers[2]  # the first 8×8 layer, 8 channels: its affine map A gives a scale and a bias per channel
    assert layer.adain.style.weight.shape == (2 * 8, 12)
    h = mg.tensor(np.random.default_rng(3).standard_normal((3, 8, 8, 8)).astype(np.float32))
    assert layer(h, w).shape == (3, 8, 8, 8)
    x = G(z)
    assert x.shape == (3, 1, 32, 32)
    with no_grad():  # the noise scales start at 0: the output does not depend on the noise drawn
        assert np.array_equal(G(z).numpy(), x.numpy())
        for layer in G.layers:
            layer.noise.weight.data[...] = 0.5
        assert not np.array_equal(G(z).numpy(), G(z).numpy())
    with pytest.raises(ValueError, match="synthesis expects styles of shape"):
        G.synthesis(w)


def test_stylegan_truncation_and_style_mixing():
    from minigan.gan.models.stylegan import StyleGANGenerator, sample_stylegan, style_mixing_grid

    mg.manual_seed(0)
    G = StyleGANGenerator(nz=16, w_dim=12, widths=(8, 8, 4, 4))
    G.w_avg.data[...] = on_device(np.random.default_rng(0).standard_normal(12).astype(np.float32), G.w_avg)
    w = G.mapping(_z(4, 16))
    np.testing.assert_allclose(G.truncate(w, 0.0).numpy(), np.broadcast_to(G.w_avg.numpy(), (4, 12)))
    np.testing.assert_allclose(G.truncate(w, 1.0).numpy(), w.numpy(), rtol=1e-6, atol=1e-7)
    x0 = sample_stylegan(G, 6, np.random.default_rng(1), truncation=0.0)
    assert np.abs(x0 - x0[:1]).max() < 1e-5  # ψ = 0: every sample is the image of w̄
    with pytest.raises(ValueError, match="must be in"):
        sample_stylegan(G, 2, np.random.default_rng(1), truncation=1.5)
    w2 = G.mapping(_z(4, 16, seed=5))
    mixed = G.mix(w, w2, 3).numpy()
    assert np.array_equal(mixed[:, :3], G.broadcast(w).numpy()[:, :3])
    assert np.array_equal(mixed[:, 3:], G.broadcast(w2).numpy()[:, 3:])
    grid = style_mixing_grid(G, 2, 3, 4, np.random.default_rng(2))
    assert grid.shape == (3 * 4, 1, 32, 32)


def test_stylegan_a_few_steps_update_every_weight_and_track_w_avg():
    cfg = _small("stylegan")
    trainer = Trainer.from_config(cfg, progress=False)
    nets = (("G", trainer.G), ("D", trainer.D))
    before = {f"{net}.{k}": p.numpy().copy() for net, m in nets for k, p in m.named_parameters()}
    trainer.fit()
    # the critic is ProGAN's at 32×32: its fromRGB layers of the lower resolutions are never used
    unused = {f"D.from_rgb.{i}.0.{k}" for i in range(3) for k in ("weight_orig", "bias")}
    after = {f"{net}.{k}": p.numpy() for net, m in nets for k, p in m.named_parameters()}
    unchanged = [k for k in before if k not in unused and np.array_equal(before[k], after[k])]
    assert not unchanged, unchanged
    assert np.abs(trainer.G.w_avg.numpy()).max() > 0  # w̄ moved from 0
    assert np.array_equal(trainer.G_ema.w_avg.numpy(), trainer.G.w_avg.numpy())
    assert "r1" in trainer.history[-1] and trainer.history[-1]["r1"] > 0


@pytest.mark.parametrize("model", ["biggan", "progan", "stylegan"])
def test_families_with_their_own_step_refuse_instance_noise_they_would_ignore(model):
    from minigan.gan.families import check_basic_options, get_family

    with pytest.raises(ValueError, match="adds no instance noise"):
        check_basic_options(get_family(model), default_config(model, data="mnist32", instance_noise=0.3))
    with pytest.raises(ValueError, match="adds no instance noise"):  # and so does the run
        Trainer.from_config(_small(model, instance_noise=0.3), progress=False)
    check_basic_options(get_family(model), default_config(model, data="mnist32"))  # the defaults pass
    check_basic_options(get_family("sagan"), default_config("sagan", data="mnist32", instance_noise=0.3))
