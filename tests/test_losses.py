"""GAN losses: each equals its formula, is gradient-checked, and stays exact at logits of ±100."""

import numpy as np
import pytest
from conftest import t64, to_np

import minigan as mg
import minigan.nn.functional as F
from minigan.gan import losses

REAL = np.array([0.5, -1.0, 2.0])
FAKE = np.array([-0.3, 1.5, 0.0, -2.0])


def log_sigmoid(x):
    return -np.log1p(np.exp(-x))


def log_one_minus_sigmoid(x):
    return -np.log1p(np.exp(x))


def sig(x):
    return 1 / (1 + np.exp(-x))


# The formulas, written with the probabilities D = σ(logit) as in the papers.
D_FORMULAS = {
    "minimax": lambda r, f: -np.mean(np.log(sig(r))) - np.mean(np.log(1 - sig(f))),
    "nonsaturating": lambda r, f: -np.mean(np.log(sig(r))) - np.mean(np.log(1 - sig(f))),
    "lsgan": lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f ** 2),
    "wgan": lambda r, f: np.mean(f) - np.mean(r),
    "wgan-gp": lambda r, f: np.mean(f) - np.mean(r),  # the penalty is added by the training step
    "hinge": lambda r, f: np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)),
    "relativistic": lambda r, f: -np.mean(np.log(sig(r - f.mean()))) - np.mean(np.log(1 - sig(f - r.mean()))),
}
G_FORMULAS = {
    "minimax": lambda f, r: np.mean(np.log(1 - sig(f))),
    "nonsaturating": lambda f, r: -np.mean(np.log(sig(f))),
    "lsgan": lambda f, r: 0.5 * np.mean((f - 1) ** 2),
    "wgan": lambda f, r: -np.mean(f),
    "wgan-gp": lambda f, r: -np.mean(f),
    "hinge": lambda f, r: -np.mean(f),
    "relativistic": lambda f, r: -np.mean(np.log(sig(f - r.mean()))) - np.mean(np.log(1 - sig(r - f.mean()))),
}


@pytest.mark.parametrize("kind", losses.LOSSES)
def test_losses_equal_their_formulas(kind):
    d = losses.discriminator_loss(kind, t64(REAL), t64(FAKE))
    g = losses.generator_loss(kind, t64(FAKE), t64(REAL))
    assert d.shape == () and g.shape == ()
    np.testing.assert_allclose(to_np(d), D_FORMULAS[kind](REAL, FAKE), rtol=1e-12)
    np.testing.assert_allclose(to_np(g), G_FORMULAS[kind](FAKE, REAL), rtol=1e-12)


def test_hand_computed_values():
    # at logits 0, D = 1/2: the minimax D loss is 2 log 2, the generator's losses ±log 2
    zeros = t64(np.zeros(3))
    assert to_np(losses.discriminator_loss("minimax", zeros, zeros)) == pytest.approx(2 * np.log(2))
    assert to_np(losses.generator_loss("minimax", zeros)) == pytest.approx(-np.log(2))
    assert to_np(losses.generator_loss("nonsaturating", zeros)) == pytest.approx(np.log(2))
    # lsgan: ½(0 − 1)² + ½·0² = ½; hinge: 1 + 1 = 2; wgan: 0
    assert to_np(losses.discriminator_loss("lsgan", zeros, zeros)) == pytest.approx(0.5)
    assert to_np(losses.discriminator_loss("hinge", zeros, zeros)) == pytest.approx(2.0)
    assert to_np(losses.discriminator_loss("wgan", t64([3.0, 1.0]), t64([0.0, -2.0]))) == pytest.approx(-3.0)
    # one-sided label smoothing with target 0.9 on the real term
    r = t64([1.0])
    expected = -(0.9 * log_sigmoid(1.0) + 0.1 * log_one_minus_sigmoid(1.0)) - log_one_minus_sigmoid(-1.0)
    assert to_np(losses.minimax_discriminator_loss(r, t64([-1.0]), real_label=0.9)) == pytest.approx(expected)


@pytest.mark.parametrize("kind", losses.LOSSES)
def test_losses_gradcheck(kind, rng):
    real, fake = t64(rng.normal(size=4)), t64(rng.normal(size=5))
    assert mg.gradcheck(lambda r, f: losses.discriminator_loss(kind, r, f), [real, fake])
    assert mg.gradcheck(lambda f, r: losses.generator_loss(kind, f, r), [fake, real])


@pytest.mark.parametrize("kind", ["minimax", "nonsaturating", "relativistic"])
def test_finite_and_correct_at_extreme_logits(kind):
    big = t64([100.0, -100.0])
    real, fake = t64([100.0, 100.0]), t64([-100.0, -100.0])
    # D is right with certainty: its loss is ~0 (e^-100 ~ 4e-44), exactly representable, and its gradient ~0
    d = losses.discriminator_loss(kind, real, fake)
    d.backward()
    assert np.isfinite(to_np(d)) and to_np(d) == pytest.approx(0.0, abs=1e-40)
    assert np.all(np.isfinite(to_np(real.grad))) and np.all(np.abs(to_np(real.grad)) < 1e-40)
    # D is wrong with certainty: the loss is 100 per term, the gradient magnitude 1/n per logit
    wrong = losses.discriminator_loss("minimax", t64([-100.0]), t64([100.0]))
    assert to_np(wrong) == pytest.approx(200.0)
    g = losses.generator_loss(kind, big, t64([0.0, 0.0]))
    g.backward()
    assert np.isfinite(to_np(g)) and np.all(np.isfinite(to_np(big.grad)))
    if kind == "nonsaturating":  # −log σ(f): 0 at f = 100, 100 at f = −100, gradient −(1 − σ(f))/n
        assert to_np(g) == pytest.approx(50.0)
        np.testing.assert_allclose(to_np(big.grad), [-sig(-100.0) / 2, -0.5], atol=1e-300)
    if kind == "minimax":  # log(1 − σ(f)): −100 at f = 100, gradient −σ(f)/n: vanishes where D(G(z)) ≈ 0
        assert to_np(g) == pytest.approx(-50.0)
        np.testing.assert_allclose(to_np(big.grad), [-0.5, -sig(-100.0) / 2], atol=1e-300)


def test_saturation_ratio():
    assert losses.saturation_ratio(0.5) == pytest.approx(1.0)
    assert losses.saturation_ratio(0.01) == pytest.approx(99.0)


def test_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValueError, match="nonsaturating"):
        losses.discriminator_loss("vanilla", t64([0.0]), t64([0.0]))
    with pytest.raises(ValueError, match="real_logits"):
        losses.generator_loss("relativistic", t64([0.0]))


# ----------------------------------------------------------------------------- penalties


def conv_critic(params):
    """A tiny float64 critic: conv 3×3 (2 channels) → LeakyReLU → linear → one score per sample."""
    w1, b1, w2, b2 = params

    def critic(x):
        h = F.leaky_relu(F.conv2d(x, w1, b1, stride=2, padding=1), 0.2)
        return F.linear(h.reshape(x.shape[0], -1), w2, b2).reshape(-1)

    return critic


def critic_params(rng):
    return [t64(rng.normal(size=(2, 1, 3, 3)) * 0.5), t64(rng.normal(size=2) * 0.1),
            t64(rng.normal(size=(1, 2 * 3 * 3)) * 0.5), t64(rng.normal(size=1) * 0.1)]


def test_gradient_penalty_value_on_a_linear_critic(rng):
    # f(x) = w·x has ∇f = w everywhere: the penalty is λ(‖w‖ − 1)², whatever the interpolates
    w = rng.normal(size=6)
    critic = lambda x: mg.tensor(w, dtype="float64") @ x.T  # noqa: E731
    real, fake = t64(rng.normal(size=(4, 6)), False), t64(rng.normal(size=(4, 6)), False)
    gp = losses.gradient_penalty(critic, real, fake, lambda_=10.0)
    assert to_np(gp) == pytest.approx(10 * (np.linalg.norm(w) - 1) ** 2)


def test_gradient_penalty_gradcheck_through_a_conv_critic(rng):
    params = critic_params(rng)
    real = t64(rng.normal(size=(3, 1, 5, 5)), False)
    fake = t64(rng.normal(size=(3, 1, 5, 5)), False)

    def penalty(*ps):
        mg.manual_seed(0)  # the same interpolates x̂ in every evaluation
        return losses.gradient_penalty(conv_critic(ps), real, fake, lambda_=10.0)

    assert mg.gradcheck(penalty, params, atol=1e-5, rtol=1e-4)


def test_r1_penalty_gradcheck_through_a_conv_critic(rng):
    params = critic_params(rng)
    real = t64(rng.normal(size=(2, 1, 5, 5)), False)
    assert mg.gradcheck(lambda *ps: losses.r1_penalty(conv_critic(ps), real, gamma=10.0), params)


def test_gradient_penalty_checks_shapes():
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(lambda x: x.sum(axis=1), t64(np.zeros((2, 3))), t64(np.zeros((3, 3))))


def test_feature_matching_loss_value_and_gradient(rng):
    """‖E f(x) − E f(G(z))‖²: the batch means' squared distance; only the fake features get a gradient,
    −2(E f(x) − E f(G(z)))/n per sample."""
    real_np, fake_np = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    real, fake = t64(real_np), t64(fake_np)
    loss = losses.feature_matching_loss(real, fake)
    diff = real_np.mean(axis=0) - fake_np.mean(axis=0)
    assert to_np(loss) == pytest.approx(np.sum(diff ** 2), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(to_np(fake.grad), np.broadcast_to(-2 * diff / 4, (4, 3)), rtol=1e-12)
    assert real.grad is None or not np.any(to_np(real.grad))  # real features are constants
    assert mg.gradcheck(lambda f: losses.feature_matching_loss(t64(real_np, False), f), [t64(fake_np)])
    same = losses.feature_matching_loss(t64(real_np, False), t64(real_np[::-1].copy()))  # same mean, any order
    assert to_np(same) == pytest.approx(0.0, abs=1e-28)


def test_wgan_gp_plays_the_wgan_losses_and_label_smoothing_is_refused_there():
    r, f = t64([3.0, 1.0]), t64([0.0, -2.0])
    assert to_np(losses.discriminator_loss("wgan-gp", r, f)) == to_np(losses.discriminator_loss("wgan", r, f))
    assert to_np(losses.generator_loss("wgan-gp", f)) == to_np(losses.generator_loss("wgan", f))
    with pytest.raises(ValueError, match="label smoothing.*'wgan-gp'"):
        losses.discriminator_loss("wgan-gp", r, f, real_label=0.9)
    assert set(losses.PROBABILITY_LOSSES) < set(losses.LOSSES)
