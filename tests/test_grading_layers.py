"""The built-in assignments of the newer layers: group norm, instance norm, AdaIN, upsampling, pixel shuffle.

Each is graded like today's assignments (tests/test_grading.py): a correct solution gets full marks, a
planted mistake (tests/grading_fixtures/) fails with its hint, the template as shipped fails cleanly, and an
import of minigan's own layer or of an autodiff library is flagged before anything runs. The hint catalogue
is also checked in-process, case by case, without a child.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from minigan.grading import ASSIGNMENTS, grade, main_check
from minigan.grading.cli import TEMPLATES, build_parser, list_assignments
from minigan.grading.grader import _expected
from minigan.grading.hints import CATALOGUE, _variants, recognise
from minigan.grading.layer_hints import CATALOGUE as LAYER_CATALOGUE
from minigan.grading.report import format_report, gradescope_results, shown_case

FIXTURES = Path(__file__).parent / "grading_fixtures"
NEW = ("group_norm", "instance_norm", "adain", "upsample", "pixel_shuffle")
TIMEOUT = 20
# minigan's own layer, as a submission would reach for it
OWN_LAYER = {"group_norm": "from minigan.nn.functional import group_norm",
             "instance_norm": "import minigan.ops.norm as norm",
             "adain": "from minigan.ops.norm import adaptive_instance_norm",
             "upsample": "from minigan.nn import Upsample",
             "pixel_shuffle": "import minigan"}

PLANTED = [
    # fixture, assignment, failing check, hint
    ("group_norm_per_channel", "group_norm", "group_norm_forward: out", "norm_wrong_axes"),
    ("group_norm_interleaved", "group_norm", "group_norm_forward: out", "gn_interleaved_groups"),
    ("group_norm_unbiased_var", "group_norm", "group_norm_forward: out", "norm_unbiased_var"),
    ("group_norm_dbeta_mean", "group_norm", "group_norm_backward: dbeta", "mean_not_sum"),
    ("instance_norm_no_mean_term", "instance_norm", "instance_norm_backward: dx", "norm_missing_mean"),
    ("instance_norm_dx_without_gamma", "instance_norm", "instance_norm_backward: dx", "norm_dx_without_scale"),
    ("adain_no_var_term", "adain", "adain_backward: dx", "norm_missing_var"),
    ("adain_style_summed_over_batch", "adain", "adain_backward: dstyle_scale", "style_summed_over_batch"),
    ("adain_style_summed_over_batch", "adain", "adain_backward: dstyle_bias", "style_summed_over_batch"),
    ("upsample_nearest_block_mean", "upsample", "upsample_nearest_backward: dx", "nearest_block_mean"),
    ("upsample_nearest_tiled", "upsample", "upsample_nearest_forward: out", "nearest_tiled"),
    ("upsample_bilinear_align_corners", "upsample", "upsample_bilinear_forward: out", "bilinear_align_corners"),
    ("upsample_bilinear_align_corners", "upsample", "upsample_bilinear_backward: dx", "bilinear_align_corners"),
    ("pixel_shuffle_channel_order", "pixel_shuffle", "pixel_shuffle_forward: out", "pixel_shuffle_channel_order"),
    ("pixel_shuffle_channel_order", "pixel_shuffle", "pixel_shuffle_backward: dx", "pixel_shuffle_channel_order"),
    ("pixel_shuffle_backward_zeros", "pixel_shuffle", "pixel_shuffle_backward: dx", "all_zero"),
]


def _check(report, name):
    return next(c for c in report.checks if c.name == name)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every submission of this file graded once, a few child processes at a time."""
    folder = tmp_path_factory.mktemp("templates")
    jobs = {("ok", name): (name, FIXTURES / f"{name}_ok.py", 3) for name in NEW}  # another seed than test_grading
    for name in NEW:
        path = folder / f"{name}.py"
        path.write_text((TEMPLATES / f"{name}.py").read_text(encoding="utf-8"), encoding="utf-8")
        jobs[("template", name)] = (name, path, 0)
    for fixture, assignment, _, _ in PLANTED:
        jobs[("planted", fixture)] = (assignment, FIXTURES / f"{fixture}.py", 0)
    jobs[("numerical", "group_norm")] = ("group_norm", FIXTURES / "group_norm_numerical_backward.py", 0)
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = pool.map(lambda job: grade(job[0], job[1], seed=job[2], timeout=TIMEOUT), jobs.values())
        return dict(zip(jobs, done))


@pytest.mark.parametrize("name", NEW)
def test_correct_solution_gets_full_marks(reports, name):
    report = reports[("ok", name)]
    assert report.problem is None
    assert report.passed, format_report(report)
    assert report.score == report.max_score == sum(2 + len(p.grads) for p in ASSIGNMENTS[name].pairs)
    for check in report.checks:
        if "vs. your forward" not in check.name:
            assert check.max_error <= 1e-9, check.name
    assert "Score: " in format_report(report) and "PASS" in format_report(report)


@pytest.mark.parametrize("fixture, assignment, check_name, hint", PLANTED)
def test_planted_mistake_fails_with_its_hint(reports, fixture, assignment, check_name, hint):
    report = reports[("planted", fixture)]
    check = _check(report, check_name)
    assert report.problem is None and not report.passed and not check.passed
    assert shown_case(check).hint == hint
    text = format_report(report)
    assert f"FAIL {check_name}" in text
    assert " ".join(CATALOGUE[hint].split()[:4]) in " ".join(text.split())  # the hint's text is in the report
    results = gradescope_results(report)
    test = next(t for t in results["tests"] if t["name"] == check_name)
    assert test["score"] < test["max_score"] and "hint: " in test["output"]
    assert json.loads(json.dumps(results)) == results


def test_planted_mistakes_leave_the_correct_parts_passing(reports):
    report = reports[("planted", "instance_norm_no_mean_term")]
    assert {c.name for c in report.checks if c.passed} == {
        "instance_norm_forward: out", "instance_norm_backward: dgamma", "instance_norm_backward: dbeta"}
    assert "mistake is in instance_norm_backward" in _check(report, "instance_norm_backward vs. your forward").note
    report = reports[("planted", "upsample_nearest_tiled")]
    assert {c.name for c in report.checks if not c.passed} == {
        "upsample_nearest_forward: out", "upsample_nearest_backward vs. your forward"}
    aligned = _check(reports[("planted", "upsample_bilinear_align_corners")], "upsample_bilinear_forward: out")
    assert [r.passed for r in aligned.results] == [not c.params["align_corners"] for c in reports[
        ("planted", "upsample_bilinear_align_corners")].cases]


def test_a_numerical_backward_gets_no_gradient_marks(reports):
    report = reports[("numerical", "group_norm")]
    assert report.problem is None
    assert [c.name for c in report.checks if c.passed] == ["group_norm_forward: out"]
    assert report.score == 1
    assert "group_norm_backward calls your group_norm_forward about" in format_report(report)


@pytest.mark.parametrize("name", NEW)
def test_template_as_shipped_fails_cleanly(reports, name):
    report = reports[("template", name)]
    assert report.problem is None and report.score == 0 and not report.passed
    text = format_report(report)
    for function in ASSIGNMENTS[name].functions:
        assert f"NotImplementedError: TODO: {function}" in text
    source = (TEMPLATES / f"{name}.py").read_text(encoding="utf-8")
    assert f"minigan check {name} {name}.py" in source
    for function in ASSIGNMENTS[name].functions:
        assert f"def {function}(" in source


@pytest.mark.parametrize("name", NEW)
def test_importing_minigans_layer_or_an_autodiff_library_is_flagged(tmp_path, name):
    solution = (FIXTURES / f"{name}_ok.py").read_text()
    for line, module in ((OWN_LAYER[name], "minigan"), ("import torch", "torch")):
        path = tmp_path / f"{name}.py"
        path.write_text(f"{line}\n{solution}")
        report = grade(name, path, timeout=TIMEOUT)  # refused in the parent: no child runs
        assert report.score == 0 and report.seconds == 0
        assert f"your file imports {module}" in report.problem and "not allowed in this assignment" in report.problem
        assert "nothing was run" in format_report(report)


def test_cli_lists_and_prints_the_new_assignments(capsys):
    listing = list_assignments()
    help_text = " ".join(build_parser().format_help().split())
    for name in NEW:
        assert f"  {name} " in listing and name in help_text
        assert main_check(["--template", name]) == 0
        assert capsys.readouterr().out == (TEMPLATES / f"{name}.py").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- hints, in-process


def _results(name: str, seed: int = 0):
    """(function, output, case, expected) for every result of every case of an assignment."""
    spec = ASSIGNMENTS[name]
    for case in spec.make_cases(np.random.default_rng(seed)):
        for pair in spec.pairs:
            expected = _expected(pair, case)
            yield pair.forward, pair.output, case, expected[pair.forward][0]
            for output, values in zip(pair.grads, expected[pair.backward]):
                yield pair.backward, output, case, values


@pytest.mark.parametrize("name", NEW)
def test_every_layer_hint_is_recognised_and_never_fires_on_the_right_answer(name):
    yielded, recognised = set(), set()
    for function, output, case, expected in _results(name):
        assert recognise(name, function, output, case, expected, expected + 0.5) is None
        for hint, variant in _variants(name, function, output, case):
            yielded.add(hint)
            if np.allclose(variant, expected, rtol=1e-6, atol=1e-9):
                continue  # this case cannot tell the mistake apart (e.g. a 1 x 1 image)
            assert recognise(name, function, output, case, expected, variant) == hint, (hint, case.name)
            recognised.add(hint)
    assert yielded and yielded == recognised and yielded <= set(LAYER_CATALOGUE)


def test_the_layer_hints_cover_each_layers_classic_mistakes():
    by_assignment = {name: {h for f, o, c, _ in _results(name) for h, _ in _variants(name, f, o, c)} for name in NEW}
    assert {"norm_wrong_axes", "gn_interleaved_groups", "norm_unbiased_var", "norm_missing_mean",
            "norm_missing_var", "norm_missing_both"} <= by_assignment["group_norm"]
    assert {"bilinear_align_corners", "bilinear_no_half_pixel", "nearest_block_mean"} <= by_assignment["upsample"]
    assert "pixel_shuffle_channel_order" in by_assignment["pixel_shuffle"]
    assert set(LAYER_CATALOGUE) <= set(CATALOGUE)


@pytest.mark.parametrize("name", NEW)
def test_the_common_hints_work_for_the_new_assignments(name):
    """Sign, factor, all-zero, integer and float32 results, transposed and unsummed shapes."""
    for function, output, case, expected in _results(name):
        if not np.any(np.abs(expected) > 1e-3) or expected.size < 2:
            continue
        assert recognise(name, function, output, case, expected, -expected) == "wrong_sign"
        assert recognise(name, function, output, case, expected, 2.5 * expected) == "scaled"
        assert recognise(name, function, output, case, expected, np.zeros_like(expected)) == "all_zero"
        truncated = np.trunc(expected)
        if not np.allclose(truncated, expected):
            assert recognise(name, function, output, case, expected, truncated, "int64") == "integer_dtype"
        single = expected.astype(np.float32).astype(np.float64) * (1 + 1e-6)
        assert recognise(name, function, output, case, expected, single, "float32") == "float32"
        if expected.ndim == 2 and 1 < expected.shape[0] != expected.shape[1] > 1:
            assert recognise(name, function, output, case, expected, expected.T) == "transposed"


def test_the_shape_hints_of_the_affine_and_style_gradients():
    case = ASSIGNMENTS["instance_norm"].make_cases(np.random.default_rng(0))[0]
    dout = case.arrays["dout"]
    dbeta = dout.sum(axis=(0, 2, 3))
    assert recognise("instance_norm", "instance_norm_backward", "dbeta", case, dbeta,
                     dout.sum(axis=(2, 3))) == "affine_not_summed_over_batch"
    assert recognise("instance_norm", "instance_norm_backward", "dgamma", case, dbeta,
                     dout.sum(axis=(2, 3))) == "affine_not_summed_over_batch"
    assert recognise("instance_norm", "instance_norm_backward", "dbeta", case, dbeta, dbeta[None]) == "extra_axes"
    case = ASSIGNMENTS["adain"].make_cases(np.random.default_rng(0))[0]
    dout = case.arrays["dout"]
    expected = dout.sum(axis=(2, 3))
    assert recognise("adain", "adain_backward", "dstyle_bias", case, expected, dout) == "style_not_summed"
    assert recognise("adain", "adain_backward", "dstyle_bias", case, expected,
                     dout.sum(axis=(0, 2, 3))) == "style_summed_over_batch"


def test_cases_cover_the_awkward_ones():
    rng = np.random.default_rng(0)
    groups = ASSIGNMENTS["group_norm"].make_cases(rng)
    assert {c.params["num_groups"] for c in groups} >= {1, 2, 3, 4}
    assert any(c.params["num_groups"] == c.arrays["x"].shape[1] for c in groups)  # one channel per group
    assert any(c.arrays["x"].shape[0] == 1 for c in groups)
    for name in ("instance_norm", "adain"):
        cases = ASSIGNMENTS[name].make_cases(rng)
        assert any(c.arrays["x"].shape[0] == 1 for c in cases)
        assert any(c.arrays["x"].shape[2] != c.arrays["x"].shape[3] for c in cases)
        assert any(abs(c.arrays["x"].mean()) > 1 for c in cases)  # shifted input: a cancellation to survive
    upsample = ASSIGNMENTS["upsample"].make_cases(rng)
    assert {c.params["scale_factor"] for c in upsample} >= {2, 3}
    assert {c.params["align_corners"] for c in upsample} == {False, True}
    assert any(1 in c.arrays["x"].shape[2:] for c in upsample)
    shuffle = ASSIGNMENTS["pixel_shuffle"].make_cases(rng)
    assert {c.params["upscale_factor"] for c in shuffle} >= {2, 3}
    assert "align_corners True" in upsample[1].describe()
