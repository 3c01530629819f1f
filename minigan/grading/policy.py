"""Which imports a submission may use, read from its source by the parent.

The child enforces the same list at run time with an audit hook; this scan of the file's syntax
tree needs nothing from the child and so cannot be switched off by it. It finds ``import X``,
``from X import ...`` and calls of ``__import__`` / ``importlib.import_module`` with a constant
name, at any depth in the file.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path


def _imported(tree: ast.AST):
    """(module name, line) for every import the syntax tree spells out."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("__import__", "import_module"):
                yield node.args[0].value, node.lineno


def matches(module: str, forbidden: tuple[str, ...]) -> str | None:
    """The entry of ``forbidden`` that ``module`` is or lies inside ('minigan' covers 'minigan.nn')."""
    return next((name for name in forbidden if module == name or module.startswith(name + ".")), None)


def forbidden_imports(path: str | Path, forbidden: tuple[str, ...]) -> str | None:
    """A sentence naming the first forbidden import of the file at ``path``, or None.

    A file that cannot be read or parsed is left to the child, which reports the error.
    """
    if not forbidden:
        return None
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    for module, line in sorted(_imported(tree), key=lambda item: item[1]):
        if matches(module, forbidden):
            return (f"your file imports {module} (line {line}), which is not allowed in this assignment (it "
                    f"forbids: {', '.join(forbidden)})")
    return None


def forbidden_attributes(path: str | Path, names: tuple[str, ...]) -> str | None:
    """A sentence naming the first use of an attribute or name in ``names`` (e.g. ``mg.softplus``), or None."""
    if not names:
        return None
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    uses = sorted((node.lineno, node.attr if isinstance(node, ast.Attribute) else node.id) for node in ast.walk(tree)
                  if (isinstance(node, ast.Attribute) and node.attr in names)
                  or (isinstance(node, ast.Name) and node.id in names))
    uses += sorted((node.lineno, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names if alias.name in names)
    if not uses:
        return None
    line, name = min(uses)
    return (f"your file uses {name} (line {line}), minigan's own version of what this assignment asks you to "
            f"write, which is not allowed here")


def forbidden_folders(forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    """(folder, name) for the forbidden packages this process can find: the child refuses to read them."""
    found = []
    for name in forbidden:
        top, _, rest = name.partition(".")
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append((os.path.join(location, *rest.split(".")) if rest else location, name))
    return found
