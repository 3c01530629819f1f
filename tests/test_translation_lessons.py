"""Lessons 26 (pix2pix), 27 (SRGAN) and 28 (CycleGAN) in quick mode, their numbers checked again from outside."""

from __future__ import annotations

from minigan import lessons_cli


def _run(number: int, out_dir) -> dict:
    module = lessons_cli.load_lesson(number)
    with lessons_cli.lesson_environment():
        results = module.main(quick=True, out_dir=out_dir)
    assert isinstance(results, dict) and results
    assert all(p.stat().st_size > 5000 for p in out_dir.glob("*.png")) and list(out_dir.glob("*.png"))
    return results


def test_lesson26_pix2pix(tmp_path):
    r = _run(26, tmp_path)
    plain, gan = r["L1 only"], r["L1 + GAN"]
    assert plain["hf_energy"] < gan["hf_energy"] and plain["hf_energy"] < 1
    assert plain["l1"] < 0.15 and gan["l1"] <= 1.25 * plain["l1"]  # both learned the task
    assert min(plain["confidence"], gan["confidence"]) > 0.8


def test_lesson27_srgan(tmp_path):
    r = _run(27, tmp_path)
    mse, gan, bicubic = r["MSE"], r["SRGAN"], r["bicubic"]
    assert mse["psnr"] > gan["psnr"] > bicubic["psnr"]
    assert gan["hf_energy"] > mse["hf_energy"] > bicubic["hf_energy"]
    assert min(mse["accuracy"], gan["accuracy"]) > max(0.85, bicubic["accuracy"])


def test_lesson28_cyclegan(tmp_path):
    r = _run(28, tmp_path)
    plain, cyc = r["no cycle loss"], r["cycle loss"]
    assert plain["mnist_fraction"] > 0.5 and plain["a2b_accuracy"] < 0.4
    assert cyc["cycle_l1_a"] <= 0.5 * plain["cycle_l1_a"]
    assert cyc["round_trip_accuracy"] >= 0.7 and plain["round_trip_accuracy"] < 0.5 * cyc["round_trip_accuracy"]
