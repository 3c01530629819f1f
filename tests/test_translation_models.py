"""SRGAN and CycleGAN: forward shapes, a few steps update every weight, exact resume, the history pool."""

import numpy as np
import pytest
from conftest import assert_same_state, to_np

import minigan as mg
from minigan import optim
from minigan.gan import Trainer, default_config
from minigan.gan.models.cyclegan import CycleDiscriminators, CycleGenerators, HistoryPool, decay_after_half
from minigan.gan.models.srgan import SRDiscriminator, SRGenerator, content_features

TINY = dict(width=4, batch_size=4, log_every=2, sample_every=1000, checkpoint_every=1000, eval_samples=0,
            residual_blocks=1)


def _weights(module):
    return {k: v.copy() for k, v in module.state_dict().items()
            if not k.endswith(("running_mean", "running_var", "num_batches_tracked", "images", "count"))}


def _assert_all_updated(before, module, name):
    after = _weights(module)
    unchanged = [k for k in before if np.array_equal(before[k], after[k])]
    assert not unchanged, f"{name}: weights not updated: {unchanged}"


def test_srgan_shapes():
    mg.manual_seed(0)
    G, D = SRGenerator(8, 2), SRDiscriminator(8)
    y = G(mg.randn(3, 1, 7, 7))
    assert y.shape == (3, 1, 28, 28) and D(y).shape == (3, 1)
    assert content_features(y).shape == (3, 32, 4, 4)
    with pytest.raises(ValueError, match="SRGenerator"):
        G(mg.randn(3, 1, 28, 28))


def test_srgan_pretraining_moves_only_g_then_both_update():
    cfg = default_config(data="mnist-sr4", steps=2, pretrain_steps=2, **TINY)
    assert (cfg.model, cfg.adv_weight, cfg.betas_g) == ("srgan", 1e-3, (0.9, 0.999))
    trainer = Trainer.from_config(cfg, None, progress=False)
    g0, d0 = _weights(trainer.G), _weights(trainer.D)
    trainer.fit()
    _assert_all_updated(g0, trainer.G, "G")
    assert all(np.array_equal(d0[k], v) for k, v in _weights(trainer.D).items())  # D waits during pre-training
    trainer = Trainer.from_config(default_config(data="mnist-sr4", steps=3, pretrain_steps=1, **TINY), None,
                                  progress=False)
    g0, d0 = _weights(trainer.G), _weights(trainer.D)
    trainer.fit()
    _assert_all_updated(g0, trainer.G, "G")
    _assert_all_updated(d0, trainer.D, "D")
    assert trainer.history[-1]["content"] > 0


def test_cyclegan_shapes_and_directions():
    mg.manual_seed(0)
    G, D = CycleGenerators(4, 1), CycleDiscriminators(4, 5)
    x = mg.randn(2, 1, 28, 28)
    assert G.translate(x, "a2b").shape == G.translate(x, "b2a").shape == (2, 1, 28, 28)
    assert D.d_a(x).shape == D.d_b(x).shape == (2, 1, 6, 6)
    with pytest.raises(ValueError, match="a2b or b2a"):
        G.translate(x, "ab")


@pytest.mark.parametrize("downsamplings,bottleneck", [(0, 28), (1, 14), (2, 7)])
def test_cyclegan_downsamplings_set_the_residual_blocks_resolution(downsamplings, bottleneck):
    mg.manual_seed(0)
    G = CycleGenerators(4, 1, downsamplings)
    x = mg.randn(2, 1, 28, 28)
    assert G.translate(x, "a2b").shape == G.translate(x, "b2a").shape == (2, 1, 28, 28)
    h = x
    for layer in G.a2b.net:
        h = layer(h)
        if type(layer).__name__ == "_Residual":
            assert h.shape == (2, 4 * 2 ** downsamplings, bottleneck, bottleneck)
    assert h.shape == (2, 1, 28, 28)
    cfg = default_config(data="digits2mnist", downsamplings=downsamplings, **TINY)
    G = Trainer.from_config(cfg, None, progress=False).G
    assert sum(type(m).__name__ == "Conv2d" and m.stride == (2, 2) for m in G.a2b.net) == downsamplings
    with pytest.raises(ValueError, match="downsamplings must be 0, 1 or 2"):
        CycleGenerators(4, 1, 3)


def test_history_pool_fills_then_swaps_half():
    mg.manual_seed(0)
    pool = HistoryPool(4, (1, 2, 2))
    first = mg.tensor(np.arange(16, dtype=np.float32).reshape(4, 1, 2, 2))
    np.testing.assert_array_equal(to_np(pool.query(first)), to_np(first))  # filling: returned as they are
    np.testing.assert_array_equal(to_np(pool.images), to_np(first))
    values = 100 + np.arange(400, dtype=np.float32)  # each new image has its own value
    out = to_np(pool.query(mg.tensor(np.broadcast_to(values[:, None, None, None], (400, 1, 2, 2)).copy())))
    swapped = out[:, 0, 0, 0] != values
    assert 0.4 < swapped.mean() < 0.6  # about half are swapped for stored images
    earlier = np.concatenate([to_np(first)[:, 0, 0, 0], values])
    for i in np.flatnonzero(swapped):  # a swapped one is an original or an earlier new image
        assert out[i, 0, 0, 0] in earlier[:4 + i]


def test_cyclegan_lr_constant_then_linear():
    cfg = default_config(data="digits2mnist", steps=100)
    G, D = CycleGenerators(4, 1), CycleDiscriminators(4, 5)
    opt_g, opt_d = optim.Adam(G.parameters(), lr=1.0), optim.Adam(D.parameters(), lr=1.0)
    for t, scale in ((0, 1.0), (50, 1.0), (75, 0.5), (100, 0.0)):
        decay_after_half(opt_g, opt_d, cfg, t)
        assert opt_g.param_groups[0]["lr"] == pytest.approx(cfg.lr_g * scale)


def test_cyclegan_steps_update_every_weight():
    cfg = default_config(data="digits2mnist", steps=2, pool_size=3, **TINY)
    assert (cfg.loss, cfg.cycle_lambda, cfg.identity_lambda, cfg.pool_size) == ("lsgan", 10.0, 5.0, 3)
    trainer = Trainer.from_config(cfg, None, progress=False)
    g0, d0 = _weights(trainer.G), _weights(trainer.D)
    trainer.fit()
    _assert_all_updated(g0, trainer.G, "G")
    _assert_all_updated(d0, trainer.D, "D")
    assert int(trainer.D.pool_a.count.data[0]) == 3


@pytest.mark.parametrize("data,extra", [("mnist-sr4", {"pretrain_steps": 2}), ("digits2mnist", {"pool_size": 6})])
def test_resume_is_exact(tmp_path, data, extra):
    settings = dict(TINY, **extra)
    straight = Trainer.from_config(default_config(data=data, steps=4, **settings), str(tmp_path / "a"),
                                   progress=False)
    straight.fit()
    first = Trainer.from_config(default_config(data=data, steps=2, **settings), str(tmp_path / "b"),
                                progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=4)
    resumed.fit()
    assert_same_state(straight, resumed)
