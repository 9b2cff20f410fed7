"""The floors of `gateway/` (ARCHITECTURE.md): imports only go down, and no module imports itself
back through others.

Every import counts, at the top of a module, inside a function (lazy, for start-up time) or
under TYPE_CHECKING: a lazy import up a floor is still a dependency up a floor.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gateway"

# Lowest first. A module may import its own floor and the floors below it.
FLOORS = ("mail", "desk", "store", "outbound", "ingest", "jobs", "service")
# The composition root and the command line, above every floor.
TOP = {"gateway.cli", "gateway.entry", "gateway.checks", "gateway.__main__", "gateway"}
# The settings every floor reads (frozen dataclasses of gateway.toml); it reads the statuses
# from desk.lifecycle, the one gateway module it may import.
SETTINGS = "gateway.config"
SETTINGS_MAY_IMPORT = {"gateway.desk.lifecycle"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The gateway modules `name` imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {m for m in found if m in known and m != name}


def floor_of(name: str) -> int:
    """0 for mail ... len(FLOORS) for the top; the settings module sits beside every floor."""
    if name in TOP:
        return len(FLOORS)
    parts = name.split(".")
    assert len(parts) >= 2 and parts[1] in FLOORS, f"{name} is on no floor: put it in one of {FLOORS}"
    return FLOORS.index(parts[1])


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_every_module_is_on_a_floor():
    for name in all_modules():
        if name != SETTINGS:
            floor_of(name)


def test_imports_only_go_down():
    upward = []
    for name, targets in sorted(graph().items()):
        for target in sorted(targets):
            if name == SETTINGS:
                if target not in SETTINGS_MAY_IMPORT:
                    upward.append(f"{name} -> {target} (the settings import only {SETTINGS_MAY_IMPORT})")
            elif target != SETTINGS and floor_of(target) > floor_of(name):
                upward.append(f"{name} -> {target}")
    assert not upward, "imports up a floor:\n" + "\n".join(upward)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles():
    assert cycles(graph()) == []


def test_the_checker_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_checker_sees_lazy_relative_and_type_only_imports(tmp_path):
    source = tmp_path / "models.py"
    source.write_text("from typing import TYPE_CHECKING\n"
                      "from . import lease\n"
                      "if TYPE_CHECKING:\n    from gateway.ingest.pipeline import Pipeline\n"
                      "def f():\n    from gateway.jobs import sweep\n    import gateway.mail.parse\n")
    known = {"gateway.store.lease", "gateway.ingest.pipeline", "gateway.jobs.sweep", "gateway.mail.parse",
             "gateway.jobs", "gateway.store.models"}
    assert imports_of("gateway.store.models", source, known) == {
        "gateway.store.lease", "gateway.ingest.pipeline", "gateway.jobs.sweep", "gateway.mail.parse"}
    assert floor_of("gateway.mail.parse") < floor_of("gateway.store.models") < floor_of("gateway.cli")
