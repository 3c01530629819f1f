"""The import graph of the minigan package: dependencies flow one way, with no cycles.

Every module is parsed with ``ast`` (not imported); each ``import`` / ``from ... import`` in it, at any depth
(an import inside a function is still a dependency), becomes an edge to the module it names; ``from pkg import
name`` points at ``pkg.name`` when that is a module, else at ``pkg``. Cycles are the strongly connected
components of that graph with more than one module (or a module importing itself).
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "minigan"


def module_files() -> dict[str, pathlib.Path]:
    """{"minigan.gan.step": path, "minigan.gan": path of its __init__.py, ...}."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("minigan",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module → the minigan modules it imports."""
    modules = module_files()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:  # `import minigan.gan.step` names the module itself
                    target = target.rpartition(".")[0]
                if target:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(root):
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "d"}, "e": {"d"}, "f": set()}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["d"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert {"minigan.gan.losses", "minigan.gan.config", "minigan.creation"} <= graph["minigan.gan.step"]
    assert "minigan.metrics" in graph["minigan.gan.run"]  # `from .. import metrics`: a package
    assert "minigan.gan.step" in graph["minigan.gan.families"]  # `from .step import ...`
    assert "minigan.gan.losses" in graph["minigan.gan"]  # `from . import losses` in a package's __init__


def test_nothing_in_gan_is_part_of_an_import_cycle():
    in_gan = [c for c in cycles(import_graph()) if any(m == "minigan.gan" or m.startswith("minigan.gan.") for m in c)]
    assert in_gan == []


def test_the_package_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_engine_core_imports_no_op():
    graph = import_graph()
    assert "minigan.autograd" in graph["minigan.ops.arithmetic"]
    for core in ("minigan.autograd", "minigan.grad_mode", "minigan.kernels", "minigan.backend"):
        assert not any(m.startswith("minigan.ops") or m.startswith("minigan.nn") for m in graph[core]), core
