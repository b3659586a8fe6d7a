"""The shape of include/: plain logic (tailor) that never imports Airflow or the Airflow layer,
and no import cycle anywhere, counting the imports made inside functions (which hide a cycle
from Python's import machinery, not from the reader who must change both modules)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import REPO

INCLUDE = REPO / "include"
LAYERS = {"airflow", "tailor_airflow"}  # what the plain logic never imports


def module_files() -> dict[str, Path]:
    files = {}
    for path in INCLUDE.rglob("*.py"):
        parts = list(path.relative_to(INCLUDE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name `module` imports, at the top or inside a function."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.update(f"{base}.{alias.name}" for alias in node.names)
            names.add(base)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the include/ modules it imports (a name imported from a module counts as
    that module; a submodule imported from a package counts as the submodule)."""
    files = module_files()

    def owner(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    return {
        module: {o for n in imported_names(module, path) if (o := owner(n)) and o != module}
        for module, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for neighbour in sorted(graph[node]):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_cycle_made_by_an_import_inside_a_function(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    module = tmp_path / "x.py"
    module.write_text("def f():\n    from .endpoint import served\n")
    assert "tailor_airflow.endpoint.served" in imported_names("tailor_airflow.x", module)


def test_include_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_plain_logic_imports_neither_airflow_nor_the_airflow_layer():
    upward = {
        module: sorted(n for n in imported_names(module, path) if n.split(".")[0] in LAYERS)
        for module, path in module_files().items()
        if module.split(".")[0] == "tailor"
    }
    assert {m: names for m, names in upward.items() if names} == {}
