"""Unrolled GANs: the functional optimizer step, functional_call, the unrolled step, its trainer and CLI."""

import copy

import numpy as np
import pytest
from conftest import assert_same_state, to_np

import minigan as mg
from minigan import cli, nn, optim
from minigan.gan.train import Trainer, default_config
from minigan.gan.unrolled import functional_call, unrolled_step


def t64(a):
    return mg.tensor(a, dtype=np.float64)


def _models(seed=0, dtype="float64"):
    mg.manual_seed(seed)
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0))
    return (G.double(), D.double()) if dtype == "float64" else (G, D)


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.05, betas=(0.5, 0.9), weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.1),
])
def test_functional_step_equals_the_in_place_step(make):
    _, D = _models()
    opt = make(D.parameters())
    params = list(D.parameters())
    rng = np.random.default_rng(0)
    for _ in range(4):
        loss = (D(t64(rng.standard_normal((5, 2)))) ** 2).sum()
        grads = mg.grad(loss, params)
        new, _ = optim.functional_step(opt, params, list(grads))
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        for a, b in zip(new, params):
            np.testing.assert_allclose(to_np(a.data), to_np(b.data), rtol=1e-12, atol=1e-14)


def test_functional_step_refuses_rmsprop_and_wrong_lengths():
    _, D = _models()
    with pytest.raises(TypeError, match="RMSprop"):
        optim.functional_step(optim.RMSprop(D.parameters()), list(D.parameters()), list(D.parameters()))
    with pytest.raises(ValueError, match="4 parameters"):
        optim.functional_step(optim.SGD(D.parameters()), list(D.parameters())[:1], list(D.parameters())[:1])


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    _, D = _models()
    x = t64(np.ones((3, 2)))
    before = D(x).numpy()
    zeros = {name: mg.zeros(*p.shape, dtype=p.dtype) for name, p in D.named_parameters()}
    np.testing.assert_array_equal(functional_call(D, zeros, x).numpy(), np.zeros(3))
    np.testing.assert_array_equal(D(x).numpy(), before)
    assert all(isinstance(p, nn.Parameter) for p in D.parameters())


def _g_loss_and_grad(G, D, K, z, real, lr_g=0.0):
    """Run one unrolled step on copies; G's optimizer has lr 0, so G's .grad holds ∂f_K/∂φ."""
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    opt_G, opt_D = optim.SGD(G.parameters(), lr=lr_g), optim.Adam(D.parameters(), lr=0.1, betas=(0.5, 0.9))
    stats = unrolled_step(G, D, opt_G, opt_D, lambda: real, lambda n: z, K)
    return float(stats["g_loss"].item()), [p.grad.numpy().copy() for p in G.parameters()], D


@pytest.mark.parametrize("K", [1, 3])
def test_the_generator_gradient_flows_through_the_unrolled_updates(K):
    """∂f_K/∂φ from the unrolled graph equals central differences of f_K (float64)."""
    G, D = _models()
    rng = np.random.default_rng(1)
    z, real = t64(rng.standard_normal((6, 3))), t64(rng.standard_normal((6, 2)))
    _, grads, _ = _g_loss_and_grad(G, D, K, z, real)
    p = list(G.parameters())[0]
    h = 1e-6
    for idx in [(0, 0), (3, 2), (7, 1)]:
        old = p.data[idx]
        p.data[idx] = old + h
        up, _, _ = _g_loss_and_grad(G, D, K, z, real)
        p.data[idx] = old - h
        down, _, _ = _g_loss_and_grad(G, D, K, z, real)
        p.data[idx] = old
        assert grads[0][idx] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
    # and it is not the plain gradient: the look-ahead changes it
    _, plain, _ = _g_loss_and_grad(G, D, 0, z, real)
    assert not np.allclose(plain[0], grads[0])


def test_the_real_discriminator_takes_only_the_first_step():
    G, D = _models()
    rng = np.random.default_rng(2)
    z, real = t64(rng.standard_normal((6, 3))), t64(rng.standard_normal((6, 2)))
    _, _, d_plain = _g_loss_and_grad(G, D, 0, z, real)
    _, _, d_unrolled = _g_loss_and_grad(G, D, 5, z, real)
    for a, b in zip(d_plain.parameters(), d_unrolled.parameters()):
        np.testing.assert_allclose(to_np(a.data), to_np(b.data), rtol=1e-12)
    assert not np.allclose(to_np(list(d_plain.parameters())[0].data), to_np(list(D.parameters())[0].data))


def _tiny(**overrides):
    settings = dict(width=16, depth=2, nz=4, batch_size=32, log_every=5, sample_every=1000, checkpoint_every=1000,
                    eval_samples=0, lr_decay=False, unrolled_steps=3)
    settings.update(overrides)
    return default_config(data="ring8", **settings)


def test_trainer_steps_update_every_weight_and_resume_exactly(tmp_path):
    straight = Trainer.from_config(_tiny(steps=20), str(tmp_path / "a"), progress=False)
    before = {k: v.copy() for k, v in {**straight.G.state_dict(), **{"D." + k: v for k, v in
                                                                    straight.D.state_dict().items()}}.items()}
    straight.fit()
    after = {**straight.G.state_dict(), **{"D." + k: v for k, v in straight.D.state_dict().items()}}
    for key, value in before.items():
        assert not np.array_equal(value, after[key]), key
    first = Trainer.from_config(_tiny(steps=10), str(tmp_path / "b"), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=20)
    resumed.fit()
    assert_same_state(straight, resumed)


@pytest.mark.parametrize("overrides,match", [
    (dict(loss="wgan-gp"), "loss"), (dict(n_critic=2), "n_critic"), (dict(minibatch_std=True), "minibatch_std"),
    (dict(unrolled_steps=-1), "≥ 0"),
])
def test_unsupported_settings_are_refused_by_name(overrides, match):
    with pytest.raises(ValueError, match=match):
        Trainer.from_config(_tiny(steps=1, **overrides), None, progress=False)


def test_unrolled_toy_runs_default_to_the_papers_minimax_loss():
    assert default_config(data="ring8", unrolled_steps=5).loss == "minimax"
    assert default_config(data="ring8", unrolled_steps=5).steps == 6000
    assert default_config(data="ring8", unrolled_steps=5).batch_size == 512
    assert default_config(data="ring8", unrolled_steps=5, batch_size=64).batch_size == 64  # asked for: kept
    assert default_config(data="ring8", unrolled_steps=5, loss="hinge").loss == "hinge"  # asked for: kept
    assert default_config(data="ring8").loss == "nonsaturating"  # the plain game keeps its default


def test_cli_unrolled_run_and_refusal(tmp_path, capsys):
    args = ["train", "--data", "ring8", "--steps", "6", "--width", "16", "--batch-size", "32", "--log-every", "3",
            "--eval-samples", "200", "--quiet", "--unrolled-steps", "2"]
    assert cli.main(args + ["--out", str(tmp_path / "run")]) == 0
    assert '"unrolled_steps": 2' in (tmp_path / "run" / "config.json").read_text()
    assert cli.main(["train", "--data", "digits", "--model", "dcgan", "--steps", "2", "--quiet",
                     "--unrolled-steps", "2", "--out", str(tmp_path / "bad")]) == 2
    assert "unrolled_steps 2: model is not supported" in capsys.readouterr().err


def test_lesson_21_quick(tmp_path):
    from minigan import lessons_cli

    results = lessons_cli.run_lesson(21, quick=True, out_dir=tmp_path)
    rows = {(r["seed"], r["K"]): r for r in results["table"]}
    assert rows[1, 5]["modes_10"] > rows[1, 0]["modes_10"]
    assert (tmp_path / "samples.png").stat().st_size > 5000
