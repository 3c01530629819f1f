"""Lessons as notebooks, and lessons from a plain (non-editable) install.

``minigan lesson NN --notebook`` must write a valid notebook that runs top to bottom in a fresh kernel
from any folder; a wheel-style install (``pip install --target``, no source checkout in sight) must
still find and run the lessons shipped inside the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minigan import lessons_cli

ROOT = Path(__file__).resolve().parent.parent


def _sources(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def test_notebook_command_writes_a_valid_notebook(tmp_path, capsys):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("jupytext")
    target = tmp_path / "nb" / "lesson04.ipynb"
    assert lessons_cli.main_lesson(["04", "--notebook", str(target), "--quick"]) == 0
    assert "wrote" in capsys.readouterr().out
    notebook = nbformat.read(str(target), as_version=4)
    nbformat.validate(notebook)
    kinds = [cell.cell_type for cell in notebook.cells]
    setup = notebook.cells[0].source  # first: how to install minigan, and a check of the installed version
    assert kinds[0] == "code" and "pip install" in setup and "minigan.__version__" in setup and "QUICK = True" in setup
    assert kinds[1] == "markdown" and notebook.cells[1].source.startswith("# Lesson 04")
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    text = _sources(notebook)
    assert "_common" not in text and "from minigan.lessons_support import" in text
    assert 'if __name__ == "__main__"' not in text  # the guard became a cell that runs main
    assert notebook.cells[-1].source.startswith("results = run_as_script(main")
    assert "D^* = " in text  # the derivation is in the markdown cells


def test_notebook_default_path_and_errors(tmp_path, monkeypatch, capsys):
    pytest.importorskip("jupytext")
    monkeypatch.chdir(tmp_path)
    assert lessons_cli.main_lesson(["14", "--notebook"]) == 0
    assert (tmp_path / "14_game_dynamics.ipynb").exists()
    assert lessons_cli.main_lesson(["14", "--notebook", str(tmp_path)]) == 0  # a folder: the default name inside
    assert lessons_cli.main_lesson(["14", "--notebook", "x.ipynb", "--out", "figs"]) == 2
    assert lessons_cli.main_lesson(["list", "--notebook"]) == 2
    assert lessons_cli.main_lesson(["99", "--notebook"]) == 2
    (tmp_path / "file").write_text("not a folder")
    assert lessons_cli.main_lesson(["14", "--notebook", str(tmp_path / "file" / "x.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.count("minigan lesson:") == 4 and "Traceback" not in err


@pytest.mark.parametrize("number", [4, 14])
def test_notebook_executes_from_a_temporary_folder(number, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("jupytext")
    pytest.importorskip("ipykernel")
    nbclient = pytest.importorskip("nbclient")
    path = lessons_cli.write_notebook(number, tmp_path, quick=True)
    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", [])
                      if o.get("output_type") == "stream")
    assert "minigan 0." in outputs and "[ok]" in outputs and "[FAILED]" not in outputs
    figures = list((tmp_path / "lesson_output").glob("*/*.png"))
    assert figures and all(f.stat().st_size > 5000 for f in figures)
    shown = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(shown) == len(figures)  # each saved figure is also shown in the notebook


def _copy_sources(target: Path) -> None:
    """The files a wheel is built from, without caches or build leftovers."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "lesson_output")
    for name in ("minigan", "lessons"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, target / name)


@pytest.mark.host_only("a plain install into a folder of its own, which holds no stand-in")
def test_plain_install_runs_a_lesson(tmp_path):
    """pip install --target (not editable, offline); then `minigan lesson 05 --quick` far from any checkout."""
    source, site, work = tmp_path / "src", tmp_path / "site", tmp_path / "work"
    source.mkdir()
    work.mkdir()
    _copy_sources(source)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, cwd=tmp_path)
    assert (site / "minigan" / "lessons" / "05_jensen_shannon.py").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", lessons_cli.LESSONS_ENV)}
    env["PYTHONPATH"] = str(site)
    listing = subprocess.run([sys.executable, "-m", "minigan", "lesson", "list"], cwd=work, env=env,
                             capture_output=True, text=True, check=True)
    assert str(site / "minigan" / "lessons") in listing.stdout
    run = subprocess.run([sys.executable, "-m", "minigan", "lesson", "05", "--quick"], cwd=work, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "lesson 05 passed" in run.stdout
    assert (work / "lesson_output" / "05_jensen_shannon").is_dir()
