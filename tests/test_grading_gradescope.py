"""Instructors' assignment files, several files in one results.json, the Gradescope folder, report hygiene.

The assignment file graded here is the worked example of docs/instructors.md, read from the page
itself, so the documentation cannot drift from what the checker accepts.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minigan.grading import ASSIGNMENTS, grade, load_assignment_file, main_check
from minigan.grading.hints import ratio_hint, recognise
from minigan.grading.policy import forbidden_imports
from minigan.grading.report import format_report, gradescope_results
from minigan.grading.text import clean, cut

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "grading_fixtures"
DOCS = ROOT / "docs" / "instructors.md"


@pytest.fixture(scope="module")
def swish_spec(tmp_path_factory) -> Path:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```python\n(# swish_assignment\.py\n.*?)```", text, re.DOTALL)
    assert block, "the worked example is missing from docs/instructors.md"
    path = tmp_path_factory.mktemp("spec") / "swish_assignment.py"
    path.write_text(block.group(1), encoding="utf-8")
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minigan", "check", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def _tests(results: dict) -> dict[str, dict]:
    return {t["name"]: t for t in results["tests"]}


def test_instructor_assignment_from_the_docs_graded_end_to_end(swish_spec, tmp_path):
    results_path = tmp_path / "results.json"
    done = _cli("--assignment-file", str(swish_spec), str(FIXTURES / "swish_ok.py"), "--seed", "1234",
                "--json", str(results_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    tests = _tests(json.loads(results_path.read_text()))
    assert set(tests) == {"swish_forward: out", "swish_forward: out (hidden cases)", "swish_backward: dx",
                          "swish_backward: dx (hidden cases)", "swish_backward vs. your forward",
                          "swish_backward vs. your forward (hidden cases)"}
    hidden = tests["swish_backward: dx (hidden cases)"]
    assert hidden["visibility"] == "hidden" and hidden["extra_data"]["cases"] == ["image-shaped input"]
    # the weighted case ("large inputs", weight 2) and the check weight 2 of the backward
    assert tests["swish_forward: out"]["max_score"] == 0.75
    assert tests["swish_forward: out (hidden cases)"]["max_score"] == 0.25
    assert tests["swish_backward: dx"]["max_score"] == 1.5 and hidden["max_score"] == 0.5
    assert json.loads(results_path.read_text())["score"] == 4.0


def test_instructor_assignment_scores_a_wrong_backward_by_its_weights(swish_spec, tmp_path):
    report = grade(load_assignment_file(swish_spec), FIXTURES / "swish_no_product_rule.py", seed=1234)
    dx = next(c for c in report.checks if c.name == "swish_backward: dx")
    assert dx.weight == 2.0 and dx.score == 0 and not dx.passed
    assert report.max_score == 4.0 and report.score == pytest.approx(1.0)  # only the forward
    assert "Score: 1.00 / 4" in format_report(report)


def test_assignment_file_errors_are_usage_errors(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("ASSIGNMENT = 3\n")
    assert main_check(["--assignment-file", str(bad), "x.py"]) == 2
    assert "must define ASSIGNMENT" in capsys.readouterr().err
    assert main_check(["--assignment-file", str(tmp_path / "none.py"), "x.py"]) == 2


@pytest.mark.parametrize("args, message", [
    (["--timeout", "0"], "--timeout must be between"), (["--timeout", "nan"], "--timeout must be between"),
    (["--timeout", "soon"], "--timeout must be a number"), (["--memory-mb", "10"], "--memory-mb must be between"),
    (["--memory-mb", "1.5"], "--memory-mb must be a whole number"), (["--uid", "0"], "other than root"),
])
def test_nonsense_limits_are_usage_errors(args, message, capsys):
    assert main_check(["linear", str(FIXTURES / "linear_ok.py"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_several_files_into_one_results_json(tmp_path):
    results_path = tmp_path / "results.json"
    code = main_check(["linear", str(FIXTURES / "linear_ok.py"),
                       "leaky_relu", str(FIXTURES / "leaky_relu_wrong_sign.py"), "--json", str(results_path)])
    assert code == 1
    results = json.loads(results_path.read_text())
    names = [t["name"] for t in results["tests"]]
    assert len(names) == 8 and names[0] == "linear_ok.py: linear_forward: out"
    assert "leaky_relu_wrong_sign.py: leaky_relu_backward: dx" in names
    assert results["score"] == 6.0 and len(results["extra_data"]["submissions"]) == 2


@pytest.mark.host_only("the Gradescope folder's shell scripts run the checker as on Gradescope, on the CPU")
def test_gradescope_folder_runs_and_never_hides_a_failed_grader(swish_spec, tmp_path):
    bundle = tmp_path / "autograder"
    assert main_check(["--gradescope", str(bundle), "linear", "--assignment-file", str(swish_spec), "swish.py",
                       "--seed", "7"]) == 0
    run_autograder = (bundle / "run_autograder").read_text()
    assert "|| true" not in run_autograder and "--seed 7" in run_autograder
    assert (bundle / "assignments" / "swish_assignment.py").read_text() == swish_spec.read_text()
    for name in ("setup.sh", "run_autograder"):
        assert (bundle / name).stat().st_mode & stat.S_IXUSR
    # a Gradescope-like tree: /autograder/{source,submission,results}
    home = tmp_path / "gs"
    (home / "submission").mkdir(parents=True)
    (home / "source").symlink_to(bundle)
    (home / "submission" / "linear.py").write_text((FIXTURES / "linear_ok.py").read_text())
    (home / "submission" / "swish.py").write_text((FIXTURES / "swish_ok.py").read_text())
    env = dict(os.environ, AUTOGRADER=str(home), PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    done = subprocess.run(["bash", str(bundle / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((home / "results" / "results.json").read_text())
    assert results["score"] == 9.0 and len(results["tests"]) == 11
    # the grader killed (here: a Python that dies as if by SIGKILL) is a failed run, not a score
    fake = tmp_path / "killed-python"
    fake.write_text("#!/bin/sh\necho '{\"score\": 1000}' > \"$AUTOGRADER/results/results.json\"\nkill -9 $$\n")
    fake.chmod(0o755)
    done = subprocess.run(["bash", str(bundle / "run_autograder")], env=dict(env, PYTHON=str(fake)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 137
    results = json.loads((home / "results" / "results.json").read_text())
    assert results["score"] == 0 and "autograder itself failed (exit status 137)" in results["output"]


def test_gradescope_folder_usage_errors(tmp_path):
    assert main_check(["--gradescope", str(tmp_path / "g")]) == 2
    assert main_check(["--gradescope", str(tmp_path / "g"), "nope"]) == 2


# ----------------------------------------------------------------------------- hygiene, hints, policy


def test_clean_removes_escapes_and_control_characters():
    text = "a\x1b[31mred\x1b[0m\x1b]0;title\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\r\n\x00b\x9b2J\u202ec\td"
    assert clean(text) == "ared link\nbc    d"
    assert clean("plain text, σ ≤ 1\nnext line") == "plain text, σ ≤ 1\nnext line"
    assert cut("x" * 50, 10, "the output").endswith("cut at 10 characters, the limit of the report]")


def test_all_zero_and_integer_results_get_their_own_hints():
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((4, 3))
    assert ratio_hint(expected, np.zeros_like(expected)) == "all_zero"  # not "times a constant"
    assert ratio_hint(expected, 2 * expected) == "scaled"
    case = ASSIGNMENTS["linear"].make_cases(rng)[0]
    db = case.arrays["dout"].sum(axis=0)
    assert recognise("linear", "linear_backward", "db", case, db, np.zeros_like(db)) == "all_zero"
    assert recognise("linear", "linear_backward", "db", case, db, np.trunc(db), "int64") == "integer_dtype"


def test_integer_result_hint_end_to_end():
    report = grade("linear", FIXTURES / "linear_int_dtype.py")
    db = next(c for c in report.checks if c.name == "linear_backward: db")
    assert not db.passed and any(r.hint == "integer_dtype" for r in db.results)
    assert "array of integers" in gradescope_results(report)["tests"][3]["output"]


def test_import_policy_reads_the_syntax_tree(tmp_path):
    path = tmp_path / "s.py"
    for source, found in [("import torch\n", "torch"), ("from minigan.nn import functional\n", "minigan.nn"),
                          ("import importlib\nm = importlib.import_module('jax.numpy')\n", "jax.numpy"),
                          ("def f():\n    import mygrad as mg\n", "mygrad"), ("import numpy as np\n", None),
                          ("import torchvision_like\n", None)]:
        path.write_text(source)
        message = forbidden_imports(path, ASSIGNMENTS["linear"].forbidden_imports)
        assert (message is None) if found is None else (f"imports {found}" in message and "not allowed" in message)
    path.write_text("import minigan\n")
    assert forbidden_imports(path, ASSIGNMENTS["function"].forbidden_imports) is None  # a Function needs minigan


def test_a_grader_that_writes_nothing_is_a_failed_run(tmp_path):
    bundle, home = tmp_path / "autograder", tmp_path / "gs"
    assert main_check(["--gradescope", str(bundle), "linear"]) == 0
    (home / "submission").mkdir(parents=True)
    (home / "source").symlink_to(bundle)
    quiet = tmp_path / "quiet-python"
    quiet.write_text("#!/bin/sh\nexit 1\n")
    quiet.chmod(0o755)
    done = subprocess.run(["bash", str(bundle / "run_autograder")], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, AUTOGRADER=str(home), PYTHON=str(quiet)))
    assert done.returncode == 3
    assert "autograder itself failed" in json.loads((home / "results" / "results.json").read_text())["output"]


def test_without_root_the_child_runs_as_the_caller_and_is_still_cleaned_up(monkeypatch, tmp_path):
    from minigan.grading import sandbox

    monkeypatch.setattr(sandbox, "is_root", lambda: False)
    report = grade("linear", FIXTURES / "linear_ok.py")
    assert report.passed and report.uid is None
    results_path = tmp_path / "results.json"
    assert main_check(["linear", str(FIXTURES / "hostile_writes_results.py"), "--timeout", "5",
                       "--json", str(results_path)]) == 1
    time.sleep(2.5)  # its grandchild (same token) would write after 1.5 s
    results = json.loads(results_path.read_text())
    assert "hacked" not in json.dumps(results) and len(results["tests"]) == 5
    assert results["extra_data"]["sandboxed"] is False


def test_a_uid_with_other_processes_is_refused(capsys):
    from minigan.grading import sandbox

    if not sandbox.is_root():
        pytest.skip("--uid matters only as root")
    sleeper = subprocess.Popen(["sleep", "30"], user=1999899999)  # a process of that user, not the checker's
    try:
        assert main_check(["linear", str(FIXTURES / "linear_ok.py"), "--uid", "1999899999"]) == 2
        assert "already has running processes" in capsys.readouterr().err
        assert sleeper.poll() is None  # and it was left alone
    finally:
        sleeper.kill()
        sleeper.wait()


def test_numerical_backward_is_told_from_a_slow_analytic_one():
    slow = grade("linear", FIXTURES / "linear_loops_ok.py")
    assert slow.passed, format_report(slow)  # Python loops, analytic: full marks
    warm_up = grade("linear", FIXTURES / "linear_slow_first_call.py")
    assert warm_up.passed, format_report(warm_up)  # one costly first call is not central differences
    cheap_repeats = grade("linear", FIXTURES / "hostile_numerical_cheap_repeats.py")
    assert "it computes the gradient numerically" in format_report(cheap_repeats)  # other answers: no discount
    numerical = grade("conv2d", FIXTURES / "hostile_numerical_conv2d.py")
    failing = {c.name for c in numerical.checks if not c.passed}
    assert failing == {"conv2d_backward: dx", "conv2d_backward: dw", "conv2d_backward: db",
                       "conv2d_backward vs. your forward"}
    assert "it computes the gradient numerically" in format_report(numerical)


def test_gradient_penalty_needs_a_backward_differentiable_again():
    ok = grade("gradient_penalty", FIXTURES / "gradient_penalty_ok.py")
    assert ok.passed and ok.score == 6, format_report(ok)
    numpy_backward = grade("gradient_penalty", FIXTURES / "gradient_penalty_numpy_backward.py")
    failing = {c.name for c in numpy_backward.checks if not c.passed}
    assert failing == {"gradgradcheck: Softplus", "gradient penalty: dP/dW (double backward)"}
    assert "cannot be differentiated again" in format_report(numpy_backward)
    borrowed = grade("gradient_penalty", FIXTURES / "gradient_penalty_uses_softplus.py")
    assert borrowed.score == 0 and "uses softplus (line 8)" in borrowed.problem
