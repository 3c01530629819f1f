"""The lessons' helpers: where figures go, how they are saved, ``check``, and a small MLP builder.

They live in the package (not next to the lessons) so that a lesson runs the same way as a script, from
``minigan lesson NN``, and as a notebook opened anywhere minigan is installed.

Every lesson is a script that states numbers and then *checks* them: ``check`` prints
the claim with its value and raises ``AssertionError`` when the claim is false, so a
lesson whose mathematics (or whose code) is wrong fails loudly instead of teaching it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are written to files, never shown

import matplotlib.pyplot as plt  # noqa: E402

from minigan.lessons_cli import lesson_environment  # noqa: E402,F401  (re-exported for the lessons)

DEFAULT_ROOT = "lesson_output"
OUTPUT_ENV = "MINIGAN_LESSON_OUTPUT"


def output_dir(lesson: str, out_dir: str | os.PathLike | None = None) -> Path:
    """The folder a lesson writes to, created if needed, and printed.

    ``out_dir`` wins; otherwise ``$MINIGAN_LESSON_OUTPUT/<lesson>``; otherwise
    ``lesson_output/<lesson>`` under the current directory.
    """
    if out_dir is None:
        out_dir = Path(os.environ.get(OUTPUT_ENV, DEFAULT_ROOT)) / lesson
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    print(f"figures go to {path}/")
    return path


def save_figure(fig, out: Path, name: str) -> Path:
    """Save ``fig`` as ``out/name`` (PNG, 110 dpi), close it and print where it went.

    Inside a Jupyter kernel the saved image is also shown below the cell.
    """
    path = Path(out) / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"  saved {path}")
    if "ipykernel" in sys.modules:
        from IPython.display import Image, display

        display(Image(filename=str(path)))
    return path


def section(title: str) -> None:
    """Print a step heading."""
    print(f"\n== {title}")


def check(name: str, value, condition: bool) -> None:
    """Print ``[ok] name: value``, or raise AssertionError when ``condition`` is false."""
    shown = _format(value)
    if not bool(condition):
        print(f"  [FAILED] {name}: {shown}")
        raise AssertionError(f"lesson claim failed: {name} (got {shown})")
    print(f"  [ok] {name}: {shown}")


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    return str(value)


def run_as_script(main, argv: list[str] | None = None) -> dict:
    """Run ``main`` from ``python lessons/NN_topic.py [--quick] [--out DIR]`` and return its numbers.

    Unknown arguments are ignored, so the last cell also runs inside Jupyter (whose kernel passes
    its own arguments) as a full-length run. A failed claim raises AssertionError (exit status 1).
    """
    parser = argparse.ArgumentParser(description=(main.__module__ or "lesson"))
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run (a few seconds)")
    parser.add_argument("--out", default=None, help="folder for the figures (default lesson_output/NN_topic/)")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    start = time.perf_counter()
    with lesson_environment():
        results = main(quick=args.quick, out_dir=args.out)
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return results


def mlp(sizes: list[int], activation: str = "leaky_relu", final=None, seed: int | None = None):
    """A small multilayer perceptron: Linear layers of ``sizes`` with an activation between them.

    ``activation``: "leaky_relu" (slope 0.2), "relu" or "tanh"; ``final``: a Module appended at the end;
    ``seed``: reseed minigan first, so two calls with the same seed give the same weights.
    """
    import minigan as mg
    import minigan.nn as nn

    if seed is not None:
        mg.manual_seed(seed)
    make = {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(make())
    if final is not None:
        layers.append(final)
    return nn.Sequential(*layers)
