"""WaveGAN and the waves data: the clips (determinism, kinds, harmonics), the metrics' classifier on the data
itself, phase shuffle (shift range, reflection padding, gradients), shapes, a few steps update every weight,
exact resume, the command line (train, sample .npy / .png, eval)."""

import json

import numpy as np
import pytest
from conftest import assert_same_state, t64, to_np
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import cli
from minigan.data import WAVE_KINDS, load_dataset, make_waves
from minigan.data.waves import WAVE_FREQUENCIES, WAVE_LENGTH
from minigan.gan import Trainer, default_config
from minigan.gan.models.wavegan import (
    MirroredShiftAdjoint,
    PhaseShuffle,
    WaveGANDiscriminator,
    WaveGANGenerator,
    build_wavegan,
    wavegan_layers,
)
from minigan.metrics.waves import (
    CLEAN,
    classify_waveforms,
    clean_waves,
    dominant_frequency,
    harmonic_ratios,
    template_distance,
    wave_metrics,
)

TINY = dict(width=4, batch_size=4, nz=8, log_every=2, sample_every=1000, checkpoint_every=1000, eval_samples=0)


# ----------------------------------------------------------------------------- the data


def test_waves_are_deterministic_balanced_and_in_range():
    a, ka, fa = make_waves(300, seed=3)
    b, kb, fb = make_waves(300, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ka, kb)
    assert not np.array_equal(a, make_waves(300, seed=4)[0])
    assert a.shape == (300, 1, WAVE_LENGTH) and a.dtype == np.float32 and ka.dtype == np.int64
    assert np.bincount(ka).tolist() == [100, 100, 100]
    assert np.abs(a).max() <= 1.0 and WAVE_FREQUENCIES[0] <= fa.min() and fa.max() < WAVE_FREQUENCIES[1]
    train, test = load_dataset("waves"), load_dataset("waves", split="test")
    assert (train.kind, train.num_classes, train.shape, len(train), len(test)) == ("waveform", 3, (1, 256), 4096, 1024)
    assert len(load_dataset("waves", split="all")) == 5120
    np.testing.assert_array_equal(train.data, load_dataset("waves").data)
    with pytest.raises(ValueError, match="split"):
        load_dataset("waves", split="valid")


def test_each_kind_is_its_formula():
    """One clip of each kind against the ideal wave's Fourier series, summed here independently."""
    x, kinds, freq = make_waves(30, seed=0)
    t = np.arange(WAVE_LENGTH) / WAVE_LENGTH
    for kind in range(3):
        i = int(np.flatnonzero(kinds == kind)[0])
        f = freq[i]
        ks = [k for k in range(1, 200) if k * f < WAVE_LENGTH / 2]
        coeff = {0: lambda k: float(k == 1), 1: lambda k: 4 / (np.pi * k) * (k % 2),
                 2: lambda k: 2 * (-1) ** (k + 1) / (np.pi * k)}[kind]
        # the clip is a · Σ b_k sin(k(2πft + φ)): the best a for each φ on a fine grid, then the best φ
        theta = 2 * np.pi * f * t
        phases = np.linspace(0, 2 * np.pi, 4096, endpoint=False)
        unit = np.stack([sum(coeff(k) * np.sin(k * (theta + p)) for k in ks) for p in phases])
        a = unit @ x[i, 0] / (unit * unit).sum(axis=1)
        best = np.argmin(((a[:, None] * unit - x[i, 0]) ** 2).sum(axis=1))
        ref = a[best] * unit[best]
        np.testing.assert_allclose(x[i, 0], ref, atol=2e-3, err_msg=WAVE_KINDS[kind])


# ----------------------------------------------------------------------------- the metrics


def test_the_kind_classifier_reads_the_data_itself():
    ds = load_dataset("waves", split="test")
    assert (classify_waveforms(ds.data) == ds.labels).mean() == 1.0
    r = harmonic_ratios(ds.data)  # r₂ … r₅
    np.testing.assert_allclose(r[ds.labels == 0].mean(0), [0, 0, 0, 0], atol=0.01)
    np.testing.assert_allclose(r[ds.labels == 1].mean(0), [0, 1 / 3, 0, 1 / 5], atol=0.01)
    np.testing.assert_allclose(r[ds.labels == 2].mean(0), [1 / 2, 1 / 3, 1 / 4, 1 / 5], atol=0.01)
    assert template_distance(ds.data).max() < 0.03 < CLEAN
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, (200, 1, 256))
    assert clean_waves(ds.data).all() and clean_waves(noise).mean() < 0.05  # noise gets a kind, but is not clean


def test_dominant_frequency_finds_the_fundamental():
    x, _, freq = make_waves(500, seed=9)
    assert np.abs(dominant_frequency(x) - freq).max() <= 0.125  # an eighth of a bin
    t = np.arange(256)
    pure = np.sin(2 * np.pi * 10.5 * t / 256 + 1.0)[None]
    assert dominant_frequency(pure)[0] == pytest.approx(10.5, abs=0.125)


def test_a_clip_whose_spectrum_peaks_at_zero_frequency_is_measured_not_an_error():
    swell = np.exp(-((np.arange(256) - 128) / 200) ** 2)[None, None]  # no oscillation: the peak is at 0 Hz
    assert dominant_frequency(swell)[0] == 0
    np.testing.assert_allclose(harmonic_ratios(swell), [[1, 1, 1, 1]])  # every "harmonic" of 0 Hz is the peak
    assert not clean_waves(swell)[0] and classify_waveforms(swell)[0] in (0, 1, 2)


def test_wave_metrics_are_small_for_data_and_large_for_one_collapsed_kind():
    real, test = load_dataset("waves").data, load_dataset("waves", split="test").data
    same = wave_metrics(test, real)
    assert same["kinds_present"] == same["kinds_present_clean"] == 3 and same["clean_fraction"] == 1.0
    assert same["kind_tv"] < 0.02
    assert same["frequency_tv"] < 0.1 and same["frequency_w1"] < 0.5
    x, kinds, freq = make_waves(600, seed=5, frequencies=(4.0, 8.0))
    collapsed = wave_metrics(x[kinds == 0], real)
    assert collapsed["kinds_present"] == 1 and collapsed["kind_tv"] > 0.6
    assert collapsed["frequency_tv"] > 0.6 and collapsed["frequency_w1"] > 5
    with pytest.raises(ValueError, match="waves metrics"):
        wave_metrics(np.zeros((3, 2, 256)), real)


# ----------------------------------------------------------------------------- phase shuffle


def test_phase_shuffle_shifts_by_at_most_n_with_reflection():
    layer = PhaseShuffle(2)
    x = np.arange(2 * 3 * 10, dtype=np.float64).reshape(2, 3, 10)
    for shifts in ([2, -2], [0, 1], [-1, 0]):
        y = to_np(layer(t64(x, False), shifts=shifts).data)
        for i, s in enumerate(shifts):
            # y[t] = x̃[t − s], x̃ mirrored about the end samples without repeating them
            src = np.arange(10) - s
            src = np.where(src < 0, -src, np.where(src > 9, 18 - src, src))
            np.testing.assert_array_equal(y[i], x[i][:, src])
    mg.manual_seed(0)
    ramp = np.tile(np.arange(20.0), (400, 1, 1))
    y = to_np(layer(t64(ramp, False)).data)
    shift = ramp[:, 0, 10] - y[:, 0, 10]  # mid-clip, away from the reflected ends
    assert set(shift.astype(int)) == {-2, -1, 0, 1, 2}
    assert np.bincount(shift.astype(int) + 2).min() > 50  # each shift about 80 times
    layer.eval()
    np.testing.assert_array_equal(to_np(layer(t64(ramp, False)).data), ramp)  # the identity in eval mode
    with pytest.raises(ValueError, match=r"PhaseShuffle\(2\): shifts must be 2 ints in \[−2, 2\]"):
        layer(t64(x, False), shifts=[3, 0])
    with pytest.raises(ValueError, match="PhaseShuffle expects input of shape"):
        layer(t64(x[0], False))
    with pytest.raises(ValueError, match="shift_max"):
        PhaseShuffle(-1)


def test_phase_shuffle_gradients():
    layer = PhaseShuffle(2)
    x = np.random.default_rng(0).standard_normal((3, 2, 7))

    def shuffled(t):
        return layer(t, shifts=[-2, 1, 2])

    assert mg.gradcheck(shuffled, (t64(x),))
    assert mg.gradgradcheck(shuffled, (t64(x),))
    # drawn shifts: the same seed before each call gives the same function
    def drawn(t):
        mg.manual_seed(1)
        return layer(t)

    assert mg.gradcheck(drawn, (t64(x),))
    # the gradient of Σ y is the count of output positions each input sample feeds (reflections count twice)
    xt = t64(x)
    layer(xt, shifts=[2, 0, -2]).sum().backward()
    g = to_np(xt.grad.data)
    np.testing.assert_array_equal(g[1], np.ones((2, 7)))
    np.testing.assert_array_equal(g[0, 0], [1, 2, 2, 1, 1, 0, 0])  # y = x̃[t − 2]: x[1], x[2] mirrored in
    np.testing.assert_array_equal(g[2, 0], [0, 0, 1, 1, 2, 2, 1])


def _shifted_by_padding(x, shifts):
    """The reference: reflect-pad each clip by n, cut out its window (the layer's definition, one clip at a time)."""
    n = max(abs(int(s)) for s in shifts) if len(shifts) else 0
    padded = np.pad(x, ((0, 0), (0, 0), (n, n)), mode="reflect")
    return np.stack([padded[i, :, n - s:n - s + x.shape[2]] for i, s in enumerate(shifts)])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), shift_max=st.integers(1, 3), extra=st.integers(1, 6),
       seed=st.integers(0, 2 ** 16))
def test_mirrored_shift_is_the_padded_window_and_its_adjoint(n, c, shift_max, extra, seed):
    rng = np.random.default_rng(seed)
    length = shift_max + extra  # the layer needs L > shift_max
    x, g = rng.standard_normal((n, c, length)), rng.standard_normal((n, c, length))
    shifts = rng.integers(-shift_max, shift_max + 1, n)
    y = to_np(PhaseShuffle(shift_max)(t64(x, False), shifts=shifts).data)
    np.testing.assert_array_equal(y, _shifted_by_padding(x, shifts))
    # the backward is the adjoint of the forward: <A x, g> = <x, Aᵀ g>
    xt = t64(x)
    (PhaseShuffle(shift_max)(xt, shifts=shifts) * t64(g, False)).sum().backward()
    np.testing.assert_allclose(np.sum(y * g), np.sum(x * to_np(xt.grad.data)), rtol=1e-12)
    s = mg.backend.xp_for(xt.device).asarray(shifts)
    assert mg.gradcheck(lambda t: MirroredShiftAdjoint.apply(t, shifts=s), (t64(g),))
    assert mg.gradgradcheck(lambda t: MirroredShiftAdjoint.apply(t, shifts=s), (t64(g),))


def test_phase_shuffle_matches_torch_reflect_padding():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((4, 3, 9))
    shifts = [2, -2, 0, 1]
    xt = t64(x)
    y = PhaseShuffle(2)(xt, shifts=shifts)
    (y * y).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    padded = torch.nn.functional.pad(tx, (2, 2), mode="reflect")
    ty = torch.stack([padded[i, :, 2 - s:2 - s + 9] for i, s in enumerate(shifts)])
    (ty * ty).sum().backward()
    np.testing.assert_allclose(to_np(y.data), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_np(xt.grad.data), tx.grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- the networks


def test_shapes_and_layer_plan():
    assert [wavegan_layers(n) for n in (64, 256, 1024, 16384)] == [1, 2, 3, 5]
    for bad in (100, 128, 16):
        with pytest.raises(ValueError, match="16·4ⁿ"):
            wavegan_layers(bad)
    mg.manual_seed(0)
    for length in (64, 256, 1024):
        G, D = WaveGANGenerator(8, length, 1, 4), WaveGANDiscriminator(length, 1, 4)
        x = G(mg.randn(3, 8))
        assert x.shape == (3, 1, length) and np.abs(to_np(x.data)).max() <= 1
        assert D(x).shape == (3,)
    G, D = WaveGANGenerator(100, 16384, 1, 64), WaveGANDiscriminator(16384, 1, 64)
    assert G.fc.weight.shape == (16 * 1024, 100)  # the paper's dense layer to (16, 16d)
    assert D.fc.weight.shape == (1, 16 * 1024)
    assert sum(isinstance(m, PhaseShuffle) for m in D.modules()) == 4  # after every convolution but the last
    with pytest.raises(ValueError, match=r"WaveGANDiscriminator expects clips of shape \(N, 1, 256\)"):
        WaveGANDiscriminator(256, 1, 4)(mg.randn(2, 1, 64))
    with pytest.raises(ValueError, match=r"WaveGANGenerator expects noise of shape \(N, 8\)"):
        WaveGANGenerator(8, 64, 1, 4)(mg.randn(2, 7))


def test_build_refuses_other_data_and_options():
    with pytest.raises(ValueError, match="--data waves"):
        default_config(model="wavegan", data="digits16")
    with pytest.raises(ValueError, match="--model wavegan"):
        default_config(model="dcgan", data="waves")
    cfg = default_config(data="waves")
    assert (cfg.model, cfg.loss, cfg.n_critic, cfg.gp_lambda, cfg.lr_g, cfg.betas_d, cfg.phase_shuffle) == \
        ("wavegan", "wgan-gp", 5, 10.0, 1e-4, (0.5, 0.9), 2)
    with pytest.raises(ValueError, match="--spectral-norm not supported"):
        build_wavegan(default_config(data="waves", spectral_norm=True), load_dataset("waves"))
    with pytest.raises(ValueError, match="needs waveform data"):
        build_wavegan(cfg, load_dataset("digits16"))


def _weights(module):
    return {k: v.copy() for k, v in module.state_dict().items()}


def test_a_few_steps_update_every_weight():
    trainer = Trainer.from_config(default_config(data="waves", steps=2, **TINY), None, progress=False)
    g0, d0 = _weights(trainer.G), _weights(trainer.D)
    trainer.fit()
    for name, before in (("G", g0), ("D", d0)):
        after = _weights(getattr(trainer, name))
        unchanged = [k for k in before if np.array_equal(before[k], after[k])]
        assert not unchanged, f"{name}: weights not updated: {unchanged}"
    assert np.isfinite(trainer.history[-1]["d_loss"])


def test_resume_is_exact(tmp_path):
    straight = Trainer.from_config(default_config(data="waves", steps=4, **TINY), str(tmp_path / "a"), progress=False)
    straight.fit()
    first = Trainer.from_config(default_config(data="waves", steps=2, **TINY), str(tmp_path / "b"), progress=False)
    first.fit()
    resumed = Trainer.resume(str(tmp_path / "b"), progress=False, steps=4)
    resumed.fit()
    assert_same_state(straight, resumed)


def test_the_command_line_trains_samples_and_evaluates(tmp_path, capsys):
    out = tmp_path / "run"
    tiny = ["--width", "4", "--batch-size", "4", "--nz", "8", "--eval-samples", "64", "--quiet"]
    assert cli.main(["train", "--model", "wavegan", "--data", "waves", "--steps", "2", "--out", str(out), *tiny]) == 0
    assert (out / "samples.png").stat().st_size > 20000  # waveforms, frequency histogram and kinds
    metrics = json.loads((out / "metrics.json").read_text())
    expected = {"kind_sine", "kind_square", "kind_sawtooth", "kinds_present", "frequency_tv", "frequency_w1"}
    assert expected <= set(metrics)
    clips = tmp_path / "clips.npy"
    assert cli.main(["sample", "--checkpoint", str(out / "checkpoint.npz"), "--n", "20", "--out", str(clips)]) == 0
    x = np.load(clips)
    assert x.shape == (20, 1, 256) and x.dtype == np.float32
    assert cli.main(["sample", "--checkpoint", str(out / "checkpoint.npz"), "--n", "20",
                     "--out", str(tmp_path / "clips.png")]) == 0
    capsys.readouterr()
    assert cli.main(["eval", "--samples", str(clips)]) == 0
    assert "frequency_w1" in capsys.readouterr().out
    assert cli.main(["train", "--model", "wavegan", "--steps", "2", "--out", str(tmp_path / "bad"), *tiny]) == 2
    assert "--data waves" in capsys.readouterr().err


# ----------------------------------------------------------------------------- lesson 25 catches a wrong engine


def _lesson_25(tmp_path):
    from minigan import lessons_cli

    with lessons_cli.lesson_environment():
        return lessons_cli.load_lesson(25).main(quick=True, out_dir=tmp_path)


def test_lesson_25_fails_when_phase_shuffle_repeats_the_edges(tmp_path, monkeypatch):
    from minigan.gan.models import wavegan

    def repeated_edges(shifts, length):  # r(u) = clip(u, 0, L − 1) instead of the mirror image
        xp = mg.backend.array_module(shifts)
        return xp.clip(xp.arange(length)[None, :] - shifts[:, None], 0, length - 1)

    monkeypatch.setattr(wavegan, "mirrored_source", repeated_edges)
    with pytest.raises(AssertionError, match="mirrored"):
        _lesson_25(tmp_path)


def test_lesson_25_fails_when_square_waves_get_even_harmonics(tmp_path, monkeypatch):
    from minigan.data import _waves, waves

    right = waves.wave_harmonics

    def wrong(kind, k):
        k = np.asarray(k, dtype=np.float64)
        return 4 / (np.pi * k) if kind == 1 else right(kind, k)

    monkeypatch.setattr(waves, "wave_harmonics", wrong)
    _waves.cache_clear()
    try:
        with pytest.raises(AssertionError, match="Fourier series"):
            _lesson_25(tmp_path)
    finally:
        _waves.cache_clear()


@pytest.mark.slow
def test_the_default_run_reaches_its_measured_numbers(tmp_path):
    """`minigan train --model wavegan --data waves` (about 9 minutes of CPU time): measured W₁ 1.99, histogram
    TV 0.31, kind TV 0.15 with all three kinds by nearest template (docs/wavegan.md)."""
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "wavegan", "--data", "waves", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["kinds_present"] == 3 and metrics["kind_tv"] < 0.25
    assert metrics["frequency_w1"] < 2.5 and metrics["frequency_tv"] < 0.4
