"""DP-SGD on the discriminator: per-example gradients, clipping bounds one example's influence, the
accountant in the trainer, the refusals, the CLI."""

import copy
import json

import numpy as np
import pytest
from conftest import assert_same_state, to_np

import minigan as mg
from minigan import cli, nn, optim
from minigan.gan import losses
from minigan.gan.dp import clipped_gradients, discriminator_norm, dp_step, per_example_gradients
from minigan.gan.models import DCGANDiscriminator, MLPDiscriminator, MLPGenerator
from minigan.gan.train import Trainer, default_config
from minigan.privacy import compute_epsilon


def t64(a):
    return mg.tensor(a, dtype=np.float64)


def _discriminators():
    mg.manual_seed(0)
    return [(MLPDiscriminator((2,), 8, 2).double(), (5, 2)),
            (DCGANDiscriminator(16, 1, 4, norm="layer").double(), (5, 1, 16, 16))]


@pytest.mark.parametrize("r1", [0.0, 10.0])
@pytest.mark.parametrize("which", [0, 1])
def test_per_example_gradients_equal_one_example_at_a_time(which, r1):
    D, shape = _discriminators()[which]
    rng = np.random.default_rng(0)
    real, fake = t64(rng.standard_normal(shape)), t64(rng.standard_normal(shape))

    def loss(r, f):
        total = losses.discriminator_loss("nonsaturating", D(r), D(f))
        return total + losses.r1_penalty(D, r, r1) if r1 else total

    stacked = per_example_gradients(D, lambda: loss(real, fake), len(real))
    params = list(D.parameters())
    for i in range(len(real)):
        alone = mg.grad(loss(real[i:i + 1], fake[i:i + 1]), params)
        for g, s, p in zip(alone, stacked, params):
            assert s.shape == (len(real),) + p.shape
            np.testing.assert_allclose(to_np(s.data[i]), to_np(g.data), rtol=1e-9, atol=1e-12)
    assert all(isinstance(p, nn.Parameter) for p in D.parameters())  # the module is left as it was
    assert "forward" not in D.main[0].__dict__


def test_clipping_bounds_each_norm_and_keeps_small_gradients():
    D, shape = _discriminators()[0]
    rng = np.random.default_rng(1)
    real, fake = t64(rng.standard_normal(shape) * 3), t64(rng.standard_normal(shape))
    grads = per_example_gradients(D, lambda: losses.discriminator_loss("nonsaturating", D(real), D(fake)), 5)
    C = float(np.median(np.sqrt(sum((to_np(g).reshape(5, -1) ** 2).sum(1) for g in grads))))
    clipped, norms = clipped_gradients(grads, C)
    after = np.sqrt(sum((to_np(g).reshape(5, -1) ** 2).sum(1) for g in clipped))
    assert np.all(after <= C * (1 + 1e-9))
    small = to_np(norms) <= C
    assert small.any() and (~small).any()
    np.testing.assert_allclose(after[small], to_np(norms)[small])


def test_one_example_moves_the_update_by_at_most_C_before_noise():
    """Neighbouring batches (with and without one example), σ = 0: the summed update differs by ≤ C."""
    mg.manual_seed(3)
    G, D = MLPGenerator(2, (2,), 16, 2).double(), MLPDiscriminator((2,), 16, 2).double()
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal((6, 2)) * 4)
    z = t64(rng.standard_normal((6, 2)))
    C, expected = 0.05, 6.0

    def summed_update(batch):
        g, d = copy.deepcopy(G), copy.deepcopy(D)
        dp_step(g, d, optim.SGD(g.parameters(), lr=0.0), optim.SGD(d.parameters(), lr=0.0), batch,
                lambda n: z[:n], "nonsaturating", noise_multiplier=0.0, max_grad_norm=C,
                expected_batch_size=expected, batch_size=6, r1_gamma=1.0)
        return np.concatenate([p.grad.data.ravel() * expected for p in d.parameters()])

    with_all, without_last = summed_update(x), summed_update(x[:5])
    assert np.linalg.norm(with_all) > 2 * C  # the bound below is not implied by a small total
    assert np.linalg.norm(with_all - without_last) <= C * (1 + 1e-9)


def test_mixing_layers_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="mixes the examples"):
        discriminator_norm("dcgan", "batch")
    assert discriminator_norm("dcgan", None) == "layer" and discriminator_norm("mlp", None) is None
    D = DCGANDiscriminator(16, 1, 4, norm="batch")
    x = mg.randn(4, 1, 16, 16)
    with pytest.raises(ValueError, match="BatchNorm2d"):
        per_example_gradients(D, lambda: D(x).mean(), 4)
    D = MLPDiscriminator((2,), 8, 1, minibatch_std=True)
    with pytest.raises(ValueError, match="MinibatchStdDev"):
        per_example_gradients(D, lambda: D(mg.randn(4, 2)).mean(), 4)


def _dp_config(**overrides):
    settings = dict(dp=True, width=4, batch_size=16, log_every=5, sample_every=1000, checkpoint_every=1000,
                    eval_samples=0, noise_multiplier=1.2, max_grad_norm=1.0)
    settings.update(overrides)
    return default_config(data="digits", model="dcgan", **settings)


def test_trainer_reports_epsilon_updates_every_weight_and_resumes_exactly(tmp_path):
    straight = Trainer.from_config(_dp_config(steps=10), str(tmp_path / "a"), progress=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in straight.D.modules())
    before = {**straight.G.state_dict(), **{"D." + k: v.copy() for k, v in straight.D.state_dict().items()}}
    straight.fit()
    after = {**straight.G.state_dict(), **{"D." + k: v for k, v in straight.D.state_dict().items()}}
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    assert set(changed) >= {k for k in before if "running" not in k and "num_batches" not in k}
    q = 16 / 1797
    assert straight.history[-1]["epsilon"] == pytest.approx(compute_epsilon(1.2, q, 10, 1e-5), rel=1e-9)
    assert straight.history[0]["epsilon"] < straight.history[-1]["epsilon"]
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["epsilon"] == pytest.approx(straight.history[-1]["epsilon"]) and metrics["delta"] == 1e-5
    assert "epsilon" in (tmp_path / "a" / "history.csv").read_text().splitlines()[0]

    Trainer.from_config(_dp_config(steps=5), str(tmp_path / "b"), progress=False).fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=10)
    resumed.fit()
    assert_same_state(straight, resumed)


def test_target_epsilon_solves_the_noise_multiplier():
    trainer = Trainer.from_config(_dp_config(steps=200, target_epsilon=3.0), None, progress=False)
    sigma = trainer.config.noise_multiplier
    assert compute_epsilon(sigma, 16 / 1797, 200, 1e-5) <= 3.0 < compute_epsilon(sigma * 0.99, 16 / 1797, 200, 1e-5)


@pytest.mark.parametrize("overrides,match", [(dict(minibatch_std=True), "minibatch_std"),
                                             (dict(d_norm="batch"), "batch norm"),
                                             (dict(max_grad_norm=0.0), "max_grad_norm")])
def test_unsupported_dp_settings_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        Trainer.from_config(_dp_config(steps=1, **overrides), None, progress=False)


def test_cli_dp_run_and_errors(tmp_path, capsys):
    base = ["train", "--data", "digits", "--steps", "4", "--width", "4", "--batch-size", "16", "--log-every", "2",
            "--eval-samples", "0", "--quiet"]
    assert cli.main(base + ["--dp", "--noise-multiplier", "1.5", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "layer norm (per example) instead of batch norm" in out and "σ = 1.5" in out
    assert cli.main(base + ["--dp", "--d-norm", "batch", "--out", str(tmp_path / "bn")]) == 2
    assert "batch norm" in capsys.readouterr().err
    assert cli.main(base + ["--delta", "1e-3", "--out", str(tmp_path / "nodp")]) == 2
    assert "--delta applies only with --dp" in capsys.readouterr().err
    both = ["--dp", "--noise-multiplier", "1", "--target-epsilon", "2", "--out", str(tmp_path / "x")]
    assert cli.main(base + both) == 2


def test_lesson_22_quick(tmp_path):
    from minigan import lessons_cli

    results = lessons_cli.run_lesson(22, quick=True, out_dir=tmp_path)
    w1 = [r["w1"] for r in results["tradeoff"]]
    assert w1[0] < min(w1[1:])
    assert results["by_sigma"] == sorted(results["by_sigma"], reverse=True)
    assert (tmp_path / "privacy.png").stat().st_size > 5000
