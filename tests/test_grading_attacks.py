"""Attacks on the autograder, graded end to end as root (as on Gradescope), asserting results.json.

Each hostile fixture in tests/grading_fixtures/ is a real submission doing what the issue says a
student could do; the checker runs through its command line, as run_autograder runs it, and the
test reads the final results.json after the checker (and anything the submission left behind)
is gone. Without root there is no second user to drop to, and these tests skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from minigan.grading import sandbox
from minigan.grading.runner import PACKAGE_ROOT, run_submission

FIXTURES = Path(__file__).parent / "grading_fixtures"
PACKAGE = PACKAGE_ROOT / "minigan"
TIMEOUT = 20
ROOT_ONLY = pytest.mark.skipif(not sandbox.is_root(), reason="privilege separation needs the checker to run as root")
pytestmark = ROOT_ONLY


def _grade(fixture: str | Path, folder: Path, *extra: str, env: dict | None = None) -> dict:
    """``python -m minigan check linear FIXTURE --json folder/results.json``; the outcome and results.json."""
    path = fixture if isinstance(fixture, Path) else FIXTURES / f"{fixture}.py"
    # the attacker knows where the checker's package lives
    if path.is_file() and "__PACKAGE_ROOT__" in path.read_text():
        source = path.read_text().replace("__PACKAGE_ROOT__", str(PACKAGE_ROOT))
        path = folder / "submission" / path.name
        path.parent.mkdir(exist_ok=True)
        path.parent.chmod(0o755)
        path.write_text(source)
    results = folder / "results.json"
    command = [sys.executable, "-m", "minigan", "check", "linear", str(path), "--timeout", str(TIMEOUT),
               "--json", str(results), *extra]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT + 40, cwd=folder,
                          env=None if env is None else dict(os.environ, **env))
    return {"returncode": done.returncode, "stdout": done.stdout.decode("utf-8", "replace"),
            "stderr": done.stderr.decode("utf-8", "replace"), "seconds": time.monotonic() - start,
            "path": results}


def _scores(results: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in results["tests"]}


def _package_digest() -> dict[str, str]:
    """sha256 of every file of the package (compiled caches aside: the checker itself writes those)."""
    return {str(p.relative_to(PACKAGE)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(PACKAGE.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


ATTACKS = ["hostile_kill_parent", "hostile_daemon", "hostile_imports_reference", "hostile_imports_hidden",
           "hostile_loads_reference_files",
           "hostile_patches_numpy", "hostile_prints_json", "hostile_escape_codes", "hostile_prints_150mb",
           "hostile_numerical_backward", "hostile_hard_coded_shapes", "linear_ok"]


@pytest.fixture(scope="module")
def attacks():
    # a folder the child's user can reach (pytest's own temporary folders are root's alone)
    root = Path(tempfile.mkdtemp(prefix="minigan-attacks-", dir="/tmp"))
    root.chmod(0o755)
    folders = {}
    for name in ATTACKS:
        folders[name] = root / name
        folders[name].mkdir()
        folders[name].chmod(0o777)  # even a results folder anyone may write to ends with the checker's file
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = dict(zip(ATTACKS, pool.map(lambda name: _grade(name, folders[name]), ATTACKS)))
    time.sleep(3)  # the daemon would rewrite results.json two seconds after it started
    for run in runs.values():
        run["results"] = json.loads(run["path"].read_text())
        run["files"] = sorted(p.name for p in run["path"].parent.iterdir())
    yield runs
    shutil.rmtree(root, ignore_errors=True)


def _assert_graded_by_the_checker(run, tests=5):
    assert run["returncode"] in (0, 1), run["stderr"]
    assert run["stderr"] == ""
    assert run["seconds"] < 60
    results = run["results"]
    assert "hacked" not in json.dumps(results)
    assert len(results["tests"]) == tests
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    return results


def test_kill_the_parent_through_proc(attacks):
    run = attacks["hostile_kill_parent"]
    results = _assert_graded_by_the_checker(run)
    assert run["returncode"] == 1 and results["score"] == 1.0  # the forward is right; the backward returns None
    assert "linear_backward returned None" in run["stdout"]


def test_detached_daemon_is_killed_before_results(attacks):
    run = attacks["hostile_daemon"]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 1.0
    assert "daemon-survived" not in run["files"]  # dead (by its PID namespace, or by its user) before it could act


def test_detached_daemon_is_killed_by_its_user_without_the_pid_namespace():
    folder = Path(tempfile.mkdtemp(prefix="minigan-daemon-", dir="/tmp"))
    try:
        folder.chmod(0o777)
        run = _grade("hostile_daemon", folder, env={"MINIGAN_CHECK_PID_NAMESPACE": "0"})
        time.sleep(3)
        run["results"] = json.loads(run["path"].read_text())
        files = sorted(p.name for p in folder.iterdir())
        results = _assert_graded_by_the_checker(run)
        assert results["score"] == 1.0 and results["extra_data"]["pid_namespace"] is False
        assert "daemon-started" in files  # the daemon did start ...
        assert "daemon-survived" not in files  # ... and was dead before it could act
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("fixture", ["hostile_imports_reference", "hostile_imports_hidden"])
def test_importing_the_reference_fails(attacks, fixture):
    run = attacks[fixture]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 0
    assert "minigan" in results["output"] and "not allowed" in results["output"]


def test_loading_the_reference_from_its_files_fails(attacks):
    run = attacks["hostile_loads_reference_files"]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 0
    assert "is not allowed in this assignment: it is part of minigan" in run["stdout"]


def test_patching_numpy_and_the_child_changes_no_verdict(attacks):
    results = _assert_graded_by_the_checker(attacks["hostile_patches_numpy"])
    scores = _scores(results)
    assert scores["linear_forward: out"] == 1.0
    assert scores["linear_backward: dx"] == scores["linear_backward: dw"] == scores["linear_backward: db"] == 0
    assert scores["linear_backward vs. your forward"] == 0
    assert results["score"] == 1.0


def test_printed_fake_json_is_only_output(attacks):
    run = attacks["hostile_prints_json"]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 1.0
    assert [t["name"] for t in results["tests"]][0] == "linear_forward: out"
    dx = next(t for t in results["tests"] if t["name"] == "linear_backward: dx")
    assert dx["extra_data"]["hint"] == "all_zero" and "all zeros" in dx["output"]
    assert "  | {\"score\": 1000.0" in run["stdout"]  # shown, indented, as what the code printed


def test_escape_codes_never_reach_the_report(attacks):
    run = attacks["hostile_escape_codes"]
    results = _assert_graded_by_the_checker(run)
    text = run["stdout"] + json.dumps(results, ensure_ascii=False) + "".join(
        t["output"] for t in results["tests"]) + results["output"]
    for character in ("\x1b", "\x07", "\x08", "\x00", "\r", "\x9b", "\u202e"):
        assert character not in text
    assert "all checks pass" in run["stdout"]  # the words are kept, the control codes dropped


def test_150_mb_of_output_is_cut_at_a_named_limit(attacks):
    run = attacks["hostile_prints_150mb"]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 5.0
    assert f"printed {150 * 1024 * 1024} bytes" in run["stdout"]
    assert "the report's limit on printed output" in run["stdout"]
    assert len(run["stdout"]) < 20_000 and run["path"].stat().st_size < 100_000


def test_numerical_backward_gets_no_gradient_marks(attacks):
    run = attacks["hostile_numerical_backward"]
    results = _assert_graded_by_the_checker(run)
    assert results["score"] == 1.0
    assert "it computes the gradient numerically" in run["stdout"]
    assert "your linear_backward calls your linear_forward about" in run["stdout"]


def test_hard_coded_shapes_pass_only_their_case(attacks):
    results = _assert_graded_by_the_checker(attacks["hostile_hard_coded_shapes"])
    assert set(_scores(results).values()) == {0.25}
    assert results["score"] == 1.25


def test_correct_submission_gets_full_marks(attacks):
    run = attacks["linear_ok"]
    results = _assert_graded_by_the_checker(run)
    assert run["returncode"] == 0 and results["score"] == 5.0
    assert all(t["status"] == "passed" and t["max_score"] == 1.0 for t in results["tests"])
    assert results["extra_data"]["sandboxed"] is True
    assert run["files"] == ["results.json"]


def test_tampering_with_the_package_fails_and_leaves_it_byte_identical(tmp_path):
    before = _package_digest()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    tamper = _grade("hostile_tampers_package", first)
    assert tamper["returncode"] == 0, tamper["stdout"]  # it is a correct linear layer, nothing more
    wrong = _grade("linear_db_mean", second)
    results = json.loads(wrong["path"].read_text())
    db = next(t for t in results["tests"] if t["name"] == "linear_backward: db")
    assert wrong["returncode"] == 1 and db["status"] == "failed" and db["extra_data"]["hint"] == "mean_not_sum"
    assert _package_digest() == before
    assert all(p.stat().st_uid == 0 for p in PACKAGE.rglob("*"))  # nothing planted by the child's user


def test_missing_or_misnamed_file_gets_results_naming_it(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "Linear.py").write_text((FIXTURES / "linear_ok.py").read_text())
    run = _grade(submission / "linear.py", tmp_path)
    results = json.loads(run["path"].read_text())
    assert run["returncode"] == 1 and run["stderr"] == ""
    assert results["score"] == 0 and len(results["tests"]) == 5
    assert "expected your file linear.py" in results["output"] and "Linear.py" in results["output"]


def test_submission_runs_as_an_unprivileged_user(tmp_path):
    package = np.frombuffer(str(PACKAGE).encode(), dtype=np.uint8)
    call = {"id": "p", "function": "probe", "args": ["package"], "outputs": ["probe"], "returns": 1}
    run = run_submission(FIXTURES / "probe_identity.py", [call], {"package": package}, timeout=TIMEOUT)
    assert run.problem is None, run.errors
    uid, euid, gid, groups, package_writable, cwd_writable, cwd_open_to_others = run.results["p"][0]
    assert uid != 0 and euid != 0 and gid != 0 and groups == 0
    assert uid == run.uid
    assert not package_writable and cwd_writable and not cwd_open_to_others
    assert sandbox.processes_of(int(uid)) == []


def test_parallel_runs_get_different_users():
    slots = [sandbox.UserSlot() for _ in range(3)]
    try:
        assert len({s.uid for s in slots}) == 3 and all(s.uid > 0 for s in slots)
    finally:
        for slot in slots:
            slot.release()
