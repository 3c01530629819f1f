"""feature_matching_loss (minigan/gan/losses.py, Salimans et al. 2016): ‖E f(x) − E f(G(z))‖², with the
real features held constant."""

import numpy as np
import pytest
from conftest import t64, to_np

import minigan as mg
from minigan.gan.losses import feature_matching_loss


def test_value_is_the_squared_distance_of_the_feature_means(rng):
    real, fake = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    loss = feature_matching_loss(t64(real), t64(fake))
    expected = np.sum((real.mean(axis=0) - fake.mean(axis=0)) ** 2)
    np.testing.assert_allclose(to_np(loss), expected, rtol=1e-12)
    assert loss.shape == ()


def test_gradient_reaches_the_fake_features_only(rng):
    real, fake = t64(rng.standard_normal((6, 3))), t64(rng.standard_normal((4, 3)))
    feature_matching_loss(real, fake).backward()
    assert real.grad is None  # real features are constants
    diff = to_np(real).mean(axis=0) - to_np(fake).mean(axis=0)
    np.testing.assert_allclose(to_np(fake.grad), np.broadcast_to(-2 * diff / 4, (4, 3)), rtol=1e-12)
    assert mg.gradcheck(lambda f: feature_matching_loss(real, f), (fake,))


def test_zero_when_the_means_match_and_matches_pytorch(rng):
    x = rng.standard_normal((8, 5))
    assert float(feature_matching_loss(t64(x), t64(x[::-1].copy()))) == pytest.approx(0.0, abs=1e-24)
    torch = pytest.importorskip("torch")
    fake = rng.standard_normal((3, 5))
    t_fake = torch.tensor(fake, requires_grad=True)
    expected = ((torch.tensor(x).mean(0) - t_fake.mean(0)) ** 2).sum()
    expected.backward()
    ours = t64(fake)
    loss = feature_matching_loss(t64(x), ours)
    loss.backward()
    np.testing.assert_allclose(to_np(loss), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(to_np(ours.grad), t_fake.grad.numpy(), rtol=1e-12)
