"""Tests of the ``minigan check`` autograder (minigan/grading).

Fixtures in tests/grading_fixtures/: correct solutions (*_ok.py), planted bugs (one mistake each),
broken and hostile submissions. Hostile ones run through the real command line, in parallel, with
a 5 s time limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from minigan.grading import ASSIGNMENTS, grade, grade_function, main_check
from minigan.grading.assignments import Case
from minigan.grading.cli import TEMPLATES
from minigan.grading.compare import compare
from minigan.grading.hints import CATALOGUE, recognise
from minigan.grading.report import format_report, gradescope_results, shown_case, write_json
from minigan.grading.runner import run_submission

FIXTURES = Path(__file__).parent / "grading_fixtures"
LAYER_ASSIGNMENTS = [name for name in ASSIGNMENTS if name != "function"]
TIMEOUT = 5


def _check(report, name):
    return next(c for c in report.checks if c.name == name)


# ----------------------------------------------------------------------------- correct solutions


@pytest.mark.parametrize("assignment", LAYER_ASSIGNMENTS)
def test_correct_solution_passes_every_check(assignment):
    report = grade(assignment, FIXTURES / f"{assignment}_ok.py", seed=0)
    assert report.problem is None
    assert report.passed, format_report(report)
    assert report.score == len(report.checks)
    assert len(report.cases) >= 4
    for check in report.checks:
        if "vs. your forward" not in check.name:
            assert check.max_error <= 1e-7, check.name


def test_correct_solutions_pass_on_other_seeds():
    for assignment in ("conv2d", "batchnorm", "gan_losses"):
        for seed in (1, 7):
            report = grade(assignment, FIXTURES / f"{assignment}_ok.py", seed=seed)
            assert report.passed, format_report(report)


def test_every_pair_is_checked_forward_backward_and_numerically():
    report = grade("conv2d", FIXTURES / "conv2d_ok.py")
    assert [c.name for c in report.checks] == [
        "conv2d_forward: out", "conv2d_backward: dx", "conv2d_backward: dw", "conv2d_backward: db",
        "conv2d_backward vs. your forward"]


# ----------------------------------------------------------------------------- planted bugs

PLANTED = [
    # fixture, assignment, failing check, hint
    ("conv2d_dx_no_flip", "conv2d", "conv2d_backward: dx", "no_kernel_flip"),
    ("conv_transpose2d_dx_flipped", "conv_transpose2d", "conv_transpose2d_backward: dx", "transpose_dx_flipped"),
    ("conv2d_db_not_summed", "conv2d", "conv2d_backward: db", "bias_not_summed"),
    ("conv2d_stride_ignored", "conv2d", "conv2d_forward: out", "stride_ignored"),
    ("conv2d_off_by_one", "conv2d", "conv2d_forward: out", "off_by_one"),
    ("linear_db_mean", "linear", "linear_backward: db", "mean_not_sum"),
    ("linear_dw_transposed", "linear", "linear_backward: dw", "transposed"),
    ("leaky_relu_wrong_sign", "leaky_relu", "leaky_relu_backward: dx", "wrong_sign"),
    ("batchnorm_no_mean_term", "batchnorm", "batchnorm_backward: dx", "bn_missing_mean"),
    ("batchnorm_no_var_term", "batchnorm", "batchnorm_backward: dx", "bn_missing_var"),
    ("batchnorm_unbiased_var", "batchnorm", "batchnorm_forward: out", "bn_unbiased_var"),
    ("gan_saturating_generator", "gan_losses", "generator_loss: loss", "saturating"),
    ("gan_saturating_generator", "gan_losses", "generator_loss_grad: d_fake", "saturating"),
    ("gan_discriminator_grad_sign", "gan_losses", "discriminator_loss_grad: d_real", "wrong_sign"),
    ("gan_losses_unstable", "gan_losses", "discriminator_loss: loss", "unstable"),
]


@pytest.fixture(scope="module")
def planted_reports():
    names = sorted({(fixture, assignment) for fixture, assignment, _, _ in PLANTED})
    return {name: grade(name[1], FIXTURES / f"{name[0]}.py") for name in names}


@pytest.mark.parametrize("fixture, assignment, check_name, hint", PLANTED)
def test_planted_bug_fails_with_its_hint(planted_reports, fixture, assignment, check_name, hint):
    report = planted_reports[(fixture, assignment)]
    check = _check(report, check_name)
    assert not report.passed and not check.passed
    assert check.max_error >= 1e-2
    assert shown_case(check).hint == hint
    text = format_report(report)
    assert f"FAIL {check_name}" in text
    assert CATALOGUE[hint].split()[2] in text  # the hint's text is in the report
    assert report.problem is None


def test_planted_bugs_leave_the_correct_parts_passing(planted_reports):
    report = planted_reports[("conv2d_dx_no_flip", "conv2d")]
    passing = {c.name for c in report.checks if c.passed}
    assert passing == {"conv2d_forward: out", "conv2d_backward: dw", "conv2d_backward: db"}
    consistency = _check(report, "conv2d_backward vs. your forward")
    assert "mistake is in conv2d_backward" in consistency.note
    shown = shown_case(_check(report, "conv2d_backward: dx"))
    assert shown.message.startswith("worst element dx[") and "expected" in shown.message


def test_at_least_ten_distinct_planted_bugs():
    assert len({fixture for fixture, *_ in PLANTED}) >= 10
    assert len({hint for *_, hint in PLANTED}) >= 10


def test_wrong_forward_with_consistent_backward_is_told_apart():
    report = grade("batchnorm", FIXTURES / "batchnorm_unbiased_var.py")
    forward = _check(report, "batchnorm_forward: out")
    assert not forward.passed
    assert _check(report, "batchnorm_backward: dx").passed  # the backward itself is the correct one


# ----------------------------------------------------------------------------- hostile and broken files

HOSTILE = {
    # fixture: a phrase of the report that says what went wrong
    "hostile_infinite_loop": "time limit of 5 s",
    "hostile_os_exit": "ended the process early",
    "hostile_segfault": "SIGSEGV",
    "hostile_huge_allocation": "MemoryError",
    "hostile_prints_10mb": "printed 10485760 bytes",
    "hostile_writes_results": "linear_backward returned None; expected a tuple of 3 arrays",
    "hostile_forges_results": "the result could not be read back",
    "broken_syntax_error": "SyntaxError",
    "broken_import_error": "No module named 'numpy_but_faster'",
    "broken_missing_function": "linear_backward is not defined in your file",
    "broken_raises": "ValueError: matmul",
    "broken_wrong_types": "expected a tuple of 3 arrays (dx, dw, db)",
    "broken_nan": "NaN or infinite",
    "broken_sys_exit": "sys.exit('done')",
}


def _run_cli(fixture: str, results: Path) -> dict:
    path = FIXTURES / f"{fixture}.py"
    if not path.exists():
        path = results.parent.parent / f"{fixture}.py"
    command = [sys.executable, "-m", "minigan.grading", "linear", str(path),
               "--timeout", str(TIMEOUT), "--json", str(results)]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT + 30, cwd=results.parent)
    return {"returncode": done.returncode, "stdout": done.stdout.decode("utf-8", "replace"),
            "stderr": done.stderr.decode("utf-8", "replace"), "seconds": time.monotonic() - start}


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    jobs = {}
    for fixture in HOSTILE:
        (root / fixture).mkdir()
        jobs[fixture] = root / fixture / "results.json"
    # kept as .txt so that linting the repository does not trip over it
    (root / "broken_syntax_error.py").write_text((FIXTURES / "broken_syntax_error.py.txt").read_text())
    with ThreadPoolExecutor(max_workers=3) as pool:  # the infinite loop first; a few at a time on small machines
        runs = dict(zip(jobs, pool.map(lambda f: _run_cli(f, jobs[f]), jobs)))
    time.sleep(2.5)  # the results-writing file leaves a process that would write again after 1.5 s
    for fixture, path in jobs.items():
        runs[fixture]["results"] = json.loads(path.read_text())
        runs[fixture]["files"] = sorted(p.name for p in path.parent.iterdir())
    return runs


@pytest.mark.parametrize("fixture", sorted(HOSTILE))
def test_hostile_or_broken_submission_fails_cleanly(hostile_runs, fixture):
    run = hostile_runs[fixture]
    assert run["returncode"] == 1, run["stderr"]
    assert run["stderr"] == ""  # the checker itself raised nothing
    assert run["seconds"] <= TIMEOUT + 5
    assert HOSTILE[fixture] in run["stdout"], run["stdout"]
    assert len(run["stdout"]) < 20_000  # 10 MB of prints does not reach the terminal
    results = run["results"]
    assert len(results["tests"]) == 5 and results["score"] < 5
    failed = {t["name"] for t in results["tests"] if t["score"] == 0}
    assert "linear_backward vs. your forward" in failed
    if fixture.startswith("hostile_"):
        assert results["score"] == 0


def test_submission_cannot_write_the_results_file(hostile_runs):
    run = hostile_runs["hostile_writes_results"]
    assert "hacked" not in json.dumps(run["results"])
    assert run["files"] == ["results.json"]  # and nothing written next to it: the child ran elsewhere


def test_runner_isolates_the_child(tmp_path, monkeypatch):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, resource\n"
        "import numpy as np\n"
        "def probe():\n"
        "    return np.array([resource.getrlimit(resource.RLIMIT_AS)[0] >> 20, 'PARENT_SECRET' in os.environ,\n"
        "                     'minigan-check-' in os.getcwd(), os.getpgid(0) == os.getpid()])\n")
    monkeypatch.setenv("PARENT_SECRET", "1")
    call = {"id": "p", "function": "probe", "args": [], "outputs": ["probe"], "returns": 1}
    run = run_submission(probe, [call], {}, timeout=TIMEOUT, memory_mb=1500)
    assert run.problem is None, run.errors
    memory_mb, sees_secret, in_temp_dir, own_group = run.results["p"][0]
    assert memory_mb == 1500 and not sees_secret and in_temp_dir and own_group


# ----------------------------------------------------------------------------- report formats


def test_gradescope_results_format(tmp_path, planted_reports):
    report = planted_reports[("conv2d_dx_no_flip", "conv2d")]
    path = tmp_path / "out" / "results.json"
    write_json(path, report)
    results = json.loads(path.read_text())
    assert results == json.loads(json.dumps(gradescope_results(report)))
    assert set(results) >= {"score", "output", "tests"}
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output"}
        assert 0 <= test["score"] <= test["max_score"] == 1.0
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    dx = next(t for t in results["tests"] if t["name"] == "conv2d_backward: dx")
    assert dx["status"] == "failed" and "hint: This dx is what you get WITHOUT flipping" in dx["output"]
    assert dx["score"] == pytest.approx(1 / 6, abs=0.005)  # passes only the 1x1-kernel case (rounded for people)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_terminal_report_shows_worst_element_and_score(planted_reports):
    text = format_report(planted_reports[("linear_db_mean", "linear")])
    assert "  FAIL    linear_backward: db" in text
    assert "worst element db[" in text and "relative error" in text
    assert "Score: 3.50 / 5   FAIL: 2 of 5 checks fail" in text


# ----------------------------------------------------------------------------- cases


def test_cases_are_seeded_and_reproducible():
    for spec in ASSIGNMENTS.values():
        first, again, other = (spec.make_cases(np.random.default_rng(s)) for s in (3, 3, 4))
        for a, b, c in zip(first, again, other):
            for key in a.arrays:
                np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
                assert not np.array_equal(a.arrays[key], c.arrays[key])


def test_cases_include_the_awkward_ones():
    rng = np.random.default_rng(0)
    conv = ASSIGNMENTS["conv2d"].make_cases(rng)
    assert any(c.arrays["x"].shape[0] == 1 for c in conv)
    assert any(c.arrays["x"].shape[2] != c.arrays["x"].shape[3] for c in conv)
    assert any(c.params["stride"] == 2 and c.params["padding"] > 0 for c in conv)
    assert any((c.arrays["x"].shape[2] + 2 * c.params["padding"] - c.arrays["w"].shape[2]) % c.params["stride"]
               for c in conv)  # the stride does not divide evenly
    assert any(np.all(c.arrays["x"] < 0) for c in ASSIGNMENTS["leaky_relu"].make_cases(rng))
    losses = ASSIGNMENTS["gan_losses"].make_cases(rng)
    assert any(np.abs(c.arrays["fake_logits"]).min() >= 30 for c in losses)
    transposed = ASSIGNMENTS["conv_transpose2d"].make_cases(rng)
    assert any(c.params["stride"] == 2 and c.arrays["w"].shape[2] == 4 for c in transposed)


# ----------------------------------------------------------------------------- hints and comparison


def _linear_case(n=4):
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((n, 3)), "w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2),
              "dout": rng.standard_normal((n, 2))}
    return Case("probe", arrays, {})


def test_hints_from_ratio_and_shape():
    case = _linear_case()
    db = case.arrays["dout"].sum(axis=0)
    assert recognise("linear", "linear_backward", "db", case, db, -db) == "wrong_sign"
    assert recognise("linear", "linear_backward", "db", case, db, db / 4) == "mean_not_sum"
    assert recognise("linear", "linear_backward", "db", case, db, case.arrays["dout"]) == "bias_not_summed"
    assert recognise("linear", "linear_backward", "db", case, db, db[None, :]) == "extra_axes"
    assert recognise("linear", "linear_backward", "db", case, db, db + [0.5, -0.1]) is None
    assert recognise("linear", "linear_backward", "db", case, db, db.astype(np.float32).astype(float) * (1 + 1e-6),
                     "float32") == "float32"


def test_compare_reports_shape_nan_and_worst_element():
    expected = np.arange(6.0).reshape(2, 3)
    assert "has shape (3, 2), expected (2, 3)" in compare(expected.T, expected, "dx", 1e-7).message
    got = expected.copy()
    got[1, 2] = np.nan
    assert "dx[1, 2] is nan" in compare(got, expected, "dx", 1e-7).message
    got = expected.copy()
    got[0, 1] = 1.5
    result = compare(got, expected, "dx", 1e-7)
    assert not result.passed and result.message.startswith("worst element dx[0, 1]: expected 1, got 1.5")
    assert compare(expected + 1e-15, expected, "dx", 1e-7).passed
    assert compare(np.array([0.5]), np.array(0.5), "loss", 1e-7).passed  # a loss as a 1-element array


# ----------------------------------------------------------------------------- function assignment


def test_function_assignment():
    ok = grade_function(f"{FIXTURES / 'function_ok.py'}:MatMul", [(3, 4), (4, 5)])
    assert ok.passed, format_report(ok)
    assert [c.name for c in ok.checks] == ["MatMul.apply: forward", "gradcheck: input 0 (3, 4)",
                                           "gradcheck: input 1 (4, 5)", "gradgradcheck"]
    assert grade_function(f"{FIXTURES / 'function_ok.py'}:XTanh", [(3, 4)]).passed

    wrong = grade_function(f"{FIXTURES / 'function_wrong_grad.py'}:MatMul", [(3, 4), (4, 5)])
    failing = [c.name for c in wrong.checks if not c.passed]
    assert failing == ["gradcheck: input 1 (4, 5)"]
    assert shown_case(wrong.checks[2]).hint == "scaled"

    numpy_backward = f"{FIXTURES / 'function_numpy_backward.py'}:XTanh"
    second = grade_function(numpy_backward, [(3, 4)])
    assert [c.name for c in second.checks if not c.passed] == ["gradgradcheck"]
    assert "cannot be differentiated again" in format_report(second)
    assert grade_function(numpy_backward, [(3, 4)], second_order=False).passed


# ----------------------------------------------------------------------------- command line and templates


def test_cli_list_template_and_usage_errors(capsys, tmp_path):
    assert main_check(["--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in ASSIGNMENTS)
    assert main_check(["--template", "conv2d"]) == 0
    assert "def conv2d_backward(dout, x, w, b, stride, padding):" in capsys.readouterr().out
    assert main_check(["--template", "nope"]) == 2
    assert main_check(["nope", "file.py"]) == 2
    assert main_check(["linear", str(tmp_path / "missing.py")]) == 2
    assert main_check(["function", "x.py:Op"]) == 2  # --inputs missing
    assert main_check(["linear", str(FIXTURES / "linear_ok.py")]) == 0
    assert "Score: 5.00 / 5   PASS" in capsys.readouterr().out
    assert main_check(["linear", str(FIXTURES / "linear_db_mean.py"), "--seed", "3"]) == 1


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_template_has_the_signatures_and_fails_politely(assignment, tmp_path):
    source = (TEMPLATES / f"{assignment}.py").read_text()
    compile(source, f"{assignment}.py", "exec")
    for function in ASSIGNMENTS[assignment].functions:
        assert f"def {function}(" in source
    path = tmp_path / f"{assignment}.py"
    path.write_text(source)
    if assignment == "function":
        report = grade_function(f"{path}:Square", [(3,)], timeout=TIMEOUT)
    else:
        report = grade(assignment, path, timeout=TIMEOUT)
    assert not report.passed and report.problem is None
    assert "NotImplementedError: TODO" in format_report(report)


def test_package_data_ships_the_child_and_templates():
    assert (Path(sys.modules["minigan.grading"].__file__).parent / "child.py").is_file()
    assert {p.stem for p in TEMPLATES.glob("*.py")} == set(ASSIGNMENTS)
    assert os.access(TEMPLATES, os.R_OK)
