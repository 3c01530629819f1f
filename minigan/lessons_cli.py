"""``minigan lesson``: list and run the step-by-step lessons in ``lessons/``.

    minigan lesson list
    minigan lesson 04 [--quick] [--out DIR]
    minigan lesson 04 --notebook [PATH] [--quick]

Each lesson is a plain script ``lessons/NN_topic.py`` exposing
``main(quick: bool = False, out_dir=None) -> dict``; running one prints its steps, saves its
figures (default ``lesson_output/NN_topic/``) and asserts the numbers it teaches. Lessons run
on the CPU (NumPy) with one BLAS thread, whatever backend is selected.

``--notebook`` writes the lesson as a Jupyter notebook instead of running it: the script's
jupytext "percent" cells become markdown and code cells, a first cell says how to install
minigan where it is missing and checks the installed version, and the last cell runs ``main``.

The lessons folder is looked up in this order: ``$MINIGAN_LESSONS_DIR``, the ``lessons/``
folder next to the ``minigan`` package (a source checkout or an editable install), the
lessons shipped inside the package (``minigan/lessons``, a plain install), and ``./lessons``
in the current directory.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

LESSONS_ENV = "MINIGAN_LESSONS_DIR"
_FILE_PATTERN = re.compile(r"^(\d{2})_([a-z0-9_]+)\.py$")
_TITLE_PATTERN = re.compile(r"^#\s*#\s*(?:Lesson\s+\d+\s*[—–-]\s*)?(.+?)\s*$")

__all__ = ["Lesson", "LessonNotFound", "find_lesson", "lesson_environment", "lessons_dir", "list_lessons",
           "load_lesson", "main_lesson", "notebook_from_lesson", "run_lesson", "write_notebook"]


class LessonNotFound(LookupError):
    """No lessons folder, or no lesson with the requested number."""


@dataclass(frozen=True)
class Lesson:
    """One lesson file: ``number`` 4, ``name`` "04_optimal_discriminator", ``title`` from its first heading."""

    number: int
    name: str
    title: str
    path: Path


def lessons_dir() -> Path:
    """The folder holding ``NN_topic.py`` lessons (see the module docstring for the search order)."""
    candidates = []
    if os.environ.get(LESSONS_ENV):
        candidates.append(Path(os.environ[LESSONS_ENV]))
    candidates.append(Path(__file__).resolve().parent.parent / "lessons")
    candidates.append(Path(__file__).resolve().parent / "lessons")
    candidates.append(Path.cwd() / "lessons")
    for folder in candidates:
        if folder.is_dir() and any(_FILE_PATTERN.match(p.name) for p in folder.iterdir()):
            return folder
    raise LessonNotFound(
        "could not find the lessons folder; looked in " + ", ".join(str(c) for c in candidates)
        + f". Run from a minigan source checkout, or set {LESSONS_ENV} to the folder holding NN_topic.py files."
    )


def _title(path: Path) -> str:
    """The first markdown heading of the lesson ('# # Lesson 04 — The optimal discriminator' → the title)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = _TITLE_PATTERN.match(line)
            if match:
                return match.group(1)
    return path.stem.split("_", 1)[1].replace("_", " ")


def list_lessons(folder: Path | None = None) -> list[Lesson]:
    """Every lesson in the folder, sorted by number."""
    folder = lessons_dir() if folder is None else Path(folder)
    lessons = []
    for path in sorted(folder.iterdir()):
        match = _FILE_PATTERN.match(path.name)
        if match:
            lessons.append(Lesson(int(match.group(1)), path.stem, _title(path), path))
    return lessons


def find_lesson(number: int | str, folder: Path | None = None) -> Lesson:
    """The lesson with this number (4, "4" or "04")."""
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        raise LessonNotFound(f"a lesson number is two digits, like 04; got {number!r}") from None
    lessons = list_lessons(folder)
    for lesson in lessons:
        if lesson.number == wanted:
            return lesson
    available = ", ".join(f"{lesson.number:02d}" for lesson in lessons)
    raise LessonNotFound(f"there is no lesson {wanted:02d}; available: {available}")


def load_lesson(number: int | str, folder: Path | None = None) -> ModuleType:
    """Import a lesson file as a module (the folder goes on ``sys.path``, so a lesson may import a sibling module)."""
    lesson = find_lesson(number, folder)
    lesson_folder = str(lesson.path.parent)
    if lesson_folder not in sys.path:
        sys.path.insert(0, lesson_folder)
    spec = importlib.util.spec_from_file_location(f"minigan_lesson_{lesson.name}", lesson.path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as a normal import would (dataclasses and pickling look here)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise LessonNotFound(f"{lesson.path} defines no main(quick, out_dir)")
    return module


@contextlib.contextmanager
def lesson_environment():
    """The CPU backend and one BLAS thread while a lesson runs (both restored afterwards).

    A lesson's arrays are small: NumPy on one thread is fastest for them, while BLAS threads spinning
    against each other on a busy machine can slow every product tenfold, and a GPU would mostly wait.
    """
    from . import backend

    previous = backend.default_device()
    backend.use_backend("cpu")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
    try:
        with limits:
            yield
    finally:
        backend.use_backend(previous)


def run_lesson(number: int | str, quick: bool = False, out_dir: str | os.PathLike | None = None) -> dict:
    """Run one lesson's ``main`` and return the numbers it reports (AssertionError if a claim fails)."""
    module = load_lesson(number)
    with lesson_environment():
        return module.main(quick=quick, out_dir=out_dir)


# ----------------------------------------------------------------------------- notebooks

_MAIN_GUARD = re.compile(r'^if __name__ == "__main__":\n    run_as_script\(main\)\n?', re.M)

_SETUP_CODE = """# Lesson {number:02d} needs minigan in this kernel. Where it is missing (a fresh Colab runtime, a new
# environment), install it from the wheel or the repository URL your course provides, then restart the kernel:
#   %pip install minigan-{version}-py3-none-any.whl        (a wheel uploaded next to this notebook)
#   %pip install "git+<the repository URL your course gives>"
# QUICK = True gives the shorter run of `minigan lesson {number:02d} --quick`. Figures are saved under
# lesson_output/{name}/ and shown below the cells that make them.
import importlib.util

if importlib.util.find_spec("minigan") is None:
    raise ImportError("minigan is not installed in this kernel: run  %pip install <the minigan wheel or "
                      "repository URL your course provides>  and restart the kernel")
import minigan

WRITTEN_FOR = "{version}"  # the minigan version this notebook was written from
if importlib.util.find_spec("minigan.lessons_support") is None:
    raise ImportError(f"minigan {{minigan.__version__}} is too old for this notebook (written for {{WRITTEN_FOR}}): "
                      "install a newer one")
if minigan.__version__ != WRITTEN_FOR:
    print(f"note: this notebook was written for minigan {{WRITTEN_FOR}}; the kernel has {{minigan.__version__}}")
print(f"minigan {{minigan.__version__}} from {{minigan.__file__}}")
QUICK = {quick}"""

_RUN_CODE = 'results = run_as_script(main, ["--quick"] if QUICK else [])\nresults'


def notebook_from_lesson(number: int | str, quick: bool = False):
    """The lesson as an ``nbformat`` notebook (needs jupytext: ``pip install minigan[notebooks]``).

    The percent cells of ``NN_topic.py`` become the notebook's markdown and code cells; a first cell
    says how to install minigan where it is missing, checks the installed version and sets ``QUICK``;
    the script's ``if __name__ == "__main__"`` guard becomes a last cell that runs ``main``.
    """
    import jupytext
    import nbformat

    from . import __version__

    lesson = find_lesson(number)
    text = lesson.path.read_text(encoding="utf-8")
    if not _MAIN_GUARD.search(text):
        raise LessonNotFound(f"{lesson.path} does not end with the usual run_as_script(main) guard")
    notebook = jupytext.reads(_MAIN_GUARD.sub("# %%\n" + _RUN_CODE + "\n", text), fmt="py:percent")
    fields = dict(version=__version__, number=lesson.number, name=lesson.name, quick=bool(quick))
    notebook.cells = [nbformat.v4.new_code_cell(_SETUP_CODE.format(**fields)), *notebook.cells]
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for index, cell in enumerate(notebook.cells):  # nbformat 4.5: every cell has a unique id
        cell["id"] = f"{lesson.name[:3]}cell{index:02d}"
    return notebook


def write_notebook(number: int | str, path: str | os.PathLike | None = None, quick: bool = False) -> Path:
    """Write the lesson as ``path`` (default ``./NN_topic.ipynb``; a folder gets that name inside it)."""
    import nbformat

    lesson = find_lesson(number)
    target = Path(path) if path else Path.cwd() / f"{lesson.name}.ipynb"
    if target.is_dir():
        target = target / f"{lesson.name}.ipynb"
    notebook = notebook_from_lesson(lesson.number, quick=quick)
    nbformat.validate(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(target))
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigan lesson",
        description="Step-by-step lessons on GAN theory, each checking the numbers it teaches.",
        epilog="examples:  minigan lesson list   |   minigan lesson 04 --quick   |   minigan lesson 04 --notebook",
    )
    parser.add_argument("lesson", help="'list', or a lesson number such as 04")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run (a few seconds)")
    parser.add_argument("--out", default=None, help="folder for the figures (default lesson_output/NN_topic/)")
    parser.add_argument("--notebook", nargs="?", const="", default=None, metavar="PATH",
                        help="write the lesson as a Jupyter notebook (default ./NN_topic.ipynb) instead of running it")
    return parser


def main_lesson(argv: list[str] | None = None) -> int:
    """``minigan lesson list`` / ``minigan lesson NN [--quick] [--out DIR]``.

    Returns 0 on success, 1 when a lesson's claim fails, 2 for a usage error.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on errors (2)
        return int(exit_.code or 0)
    try:
        if args.lesson == "list":
            if args.quick or args.out or args.notebook is not None:
                print("minigan lesson: list takes no options", file=sys.stderr)
                return 2
            lessons = list_lessons()
            for lesson in lessons:
                print(f"{lesson.number:02d}  {lesson.title}")
            print("\nrun one with: minigan lesson NN [--quick] [--out DIR]; "
                  f"as a notebook: minigan lesson NN --notebook [PATH]   (lessons in {lessons[0].path.parent})")
            return 0
        lesson = find_lesson(args.lesson)
        if args.notebook is not None:
            if args.out:
                print("minigan lesson: --out applies to a run, not to --notebook", file=sys.stderr)
                return 2
            if importlib.util.find_spec("jupytext") is None or importlib.util.find_spec("nbformat") is None:
                print("minigan lesson: --notebook needs jupytext and nbformat: pip install 'minigan[notebooks]'",
                      file=sys.stderr)
                return 2
            path = write_notebook(lesson.number, args.notebook or None, quick=args.quick)
            print(f"wrote {path} (lesson {lesson.number:02d}{', quick run' if args.quick else ''}); "
                  f"open it in Jupyter and run all cells")
            return 0
    except (LessonNotFound, OSError) as err:
        print(f"minigan lesson: {err}", file=sys.stderr)
        return 2
    print(f"Lesson {lesson.number:02d} — {lesson.title}{' (quick)' if args.quick else ''}")
    start = time.perf_counter()
    try:
        run_lesson(lesson.number, quick=args.quick, out_dir=args.out)
    except AssertionError as err:
        print(f"\nlesson {lesson.number:02d} FAILED: {err}", file=sys.stderr)
        return 1
    print(f"\nlesson {lesson.number:02d} passed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_lesson())
