"""No import circles inside `hub/`: each module can be read (and imported) on its own.

Static: every `import hub.x` / `from hub.x import y` at module level (or in a
function: an import is a dependency wherever it sits) counts, except inside
`if TYPE_CHECKING:` blocks, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hub"

KNOWN: set[frozenset[str]] = set()
"""Circles being untied elsewhere, each as the set of its modules. Empty is the goal."""


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, modules: set[str], root: Path = PACKAGE.parent) -> set[str]:
    """The hub modules `path` imports (a `from pkg import name` of a submodule counts it)."""
    found: set[str] = set()
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {_owner(name, modules) for name in found if _owner(name, modules)} - {me}


def _owner(name: str, modules: set[str]) -> str:
    """The module a dotted import name lands in ('' when outside hub)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    modules = set(paths)
    return {name: imports_of(path, modules) for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_a_circle_is_found_when_there_is_one() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import hub.x\nimport hub.y\n"
    )
    assert imports_of(source, {"hub.x", "hub.y"}, tmp_path) == {"hub.y"}


def test_no_import_circle_inside_hub() -> None:
    # The package's own __init__ re-exports for users; importing `hub` from a
    # submodule is not a circle worth untying, so edges *to* `hub` are left out.
    graph = {m: {d for d in deps if d != "hub"} for m, deps in import_graph().items()}
    found = [c for c in circles(graph) if frozenset(c) not in KNOWN]
    assert found == [], "import circles: " + "; ".join(" <-> ".join(c) for c in found)
