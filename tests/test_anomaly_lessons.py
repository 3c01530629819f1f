"""Lessons 23 (anomaly detection with a GAN) and 24 (data augmentation, the classification accuracy score) in
quick mode: the numbers they return say what they teach."""

from minigan import lessons_cli


def _run(number, tmp_path):
    module = lessons_cli.load_lesson(number)
    with lessons_cli.lesson_environment():
        results = module.main(quick=True, out_dir=tmp_path)
    figures = list(tmp_path.glob("*.png"))
    assert figures and all(f.stat().st_size > 5000 for f in figures)
    return results


def test_lesson23_anomaly_detection(tmp_path):
    r = _run(23, tmp_path)
    assert set(r["auroc"]) == {0, 1} and all(0.0 <= a <= 1.0 for a in r["auroc"].values())
    assert r["auroc"][0] > 0.75 and r["auroc"][0] > r["auroc"][1]
    assert r["residual_auroc"][1] < 0.2 < 0.7 < r["discrimination_auroc"][1]  # a 1 is rebuilt, but D sees it


def test_lesson24_data_augmentation(tmp_path):
    acc = _run(24, tmp_path)["accuracy"]
    assert acc["real 100"] > 0.5 and acc["real pool"] > acc["real 100"]
    assert acc["cGAN(pool) only (CAS)"] > acc["cGAN(100) only (CAS)"] > 0.1
    assert max(acc["real 100 + cGAN(100)"], acc["real 100 + cGAN(pool)"]) < acc["real 100"]  # 150 GAN steps
