"""Every Python block in README.md and docs/ runs as written.

The blocks of one page run in order in one fresh interpreter (a later block may use an earlier one's
names), in an empty working directory. A block may be preceded by one marker, an HTML comment that the
rendered page does not show:

    <!-- not runnable: WHY -->      the block is only compiled (a syntax check); WHY says what it needs
    <!-- runs after: CODE -->       CODE runs first: it makes the names an excerpt refers to
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```(?:python|py)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"<!--\s*(not runnable|runs after):\s*(.*?)\s*-->", re.S)


def blocks(page: pathlib.Path) -> list[tuple[int, str, str | None, str | None]]:
    """(line, code, marker kind, marker text) of each Python block of a page."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        before = text[:match.start()].rstrip()
        marker = MARKER.fullmatch(before[before.rfind("<!--"):]) if before.endswith("-->") else None
        kind, note = (marker.group(1), marker.group(2)) if marker else (None, None)
        found.append((text.count("\n", 0, match.start()) + 1, match.group(1), kind, note))
    return found


def script(page: pathlib.Path) -> str:
    """The page's blocks as one program; each is announced so that a failure names its line."""
    parts = []
    for line, code, kind, note in blocks(page):
        where = f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page.name}:{line}"
        if kind == "not runnable":
            assert note, f"{where}: say why the block is not runnable"
            parts.append(f"compile({code!r}, {where!r}, 'exec')")
            continue
        if kind == "runs after":
            parts.append(f"exec(compile({note!r}, {where + ' (setup)'!r}, 'exec'))")
        parts.append(f"exec(compile({code!r}, {where!r}, 'exec'))")
    return "\n".join(parts) + "\n"


def test_the_markers_are_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n<!-- not runnable: needs a GPU -->\n```python\nimport cupy\n```\n\n"
                    "<!-- runs after: a = 2 -->\n```python\nb = a + 1\n```\n```py\nc = b\n```\n")
    assert [(kind, note) for _, _, kind, note in blocks(page)] == [
        ("not runnable", "needs a GPU"), ("runs after", "a = 2"), (None, None)]


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", script(page)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"a Python block of {page.name} fails:\n{result.stderr[-3000:]}"


def test_a_failing_block_fails_and_a_not_runnable_one_is_still_compiled(tmp_path):
    for body, marker in (("x = undefined_name\n", ""), ("def broken(:\n", "<!-- not runnable: a sketch -->\n")):
        page = tmp_path / "page.md"
        page.write_text(f"{marker}```python\n{body}```\n")
        result = subprocess.run([sys.executable, "-c", script(page)], capture_output=True, text=True)
        assert result.returncode != 0 and "page.md:" in result.stderr
