"""The shape of the house: a kernel that imports no capability, no cycles between
packages, no reaching into another package's private names, no import hidden in a
function to dodge a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# Modules at the root of app/ that form the kernel: every capability may import them.
KERNEL = {"db", "errors", "extensions", "forms", "text", "i18n", "cache", "config", "audit",
          "downloads"}
# The back-office shell sits just above the kernel: capabilities build on it.
SHELL = "admin"


def _package(module: str) -> str | None:
    """'app.events.models' -> 'events'; 'app' and non-app modules -> None."""
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    return parts[1]


def _modules():
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path, ast.parse(path.read_text(), str(path))


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.Module, module: str, *, top_level: bool):
    """(imported module, [names]) for each import; module-level ones only when asked."""
    def visit(nodes, inside_function: bool):
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                if top_level == (not inside_function):
                    if isinstance(node, ast.Import):
                        for alias in node.names:
                            yield alias.name, []
                    else:
                        base = node.module or ""
                        if node.level:
                            pkg = module.split(".")
                            base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
                        yield base, [a.name for a in node.names]
            inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    yield from visit(children, inside_function or inner)

    yield from visit(tree.body, False)


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, _path, tree in _modules():
        here = _package(module)
        if here is None:
            continue
        for target, names in _imports(tree, module, top_level=True):
            there = _package(target)
            if target == "app":
                # `from app import models` names a module of the root package
                for name in names:
                    if name != here:
                        graph.setdefault(here, set()).add(name)
                continue
            if there and there != here:
                graph.setdefault(here, set()).add(there)
    return graph


def test_no_package_imports_another_packages_private_names():
    offenders = []
    for module, _path, tree in _modules():
        here = _package(module)
        for target, names in _imports(tree, module, top_level=True):
            there = _package(target)
            if there and there != here:
                offenders += [f"{module} imports {target}.{n}" for n in names if n.startswith("_")]
    assert offenders == []


def test_the_kernel_and_the_shell_import_no_capability():
    graph = _package_graph()
    allowed = KERNEL | {"models"}
    for package in KERNEL | {SHELL}:
        outside = graph.get(package, set()) - allowed - {SHELL}
        assert outside == set(), f"{package} imports {sorted(outside)}"


def test_no_cycles_between_packages():
    graph = _package_graph()
    graph.pop("models", None)  # the list of every model, for SQLAlchemy and Alembic
    graph.pop("cli", None)  # the command-line wiring at the root

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(p for p in graph if p in reach(p))
    assert cycles == [], {p: sorted(graph[p]) for p in cycles}


@pytest.mark.parametrize("module", ["app.registrations.services", "app.registrations.views",
                                    "app.newsletter.receivers"])
def test_no_import_hidden_in_a_function_between_packages(module):
    for name, _path, tree in _modules():
        if name == module:
            hidden = [t for t, _ in _imports(tree, name, top_level=False) if t.startswith("app")]
            assert hidden == []
            return
    raise AssertionError(f"{module} not found")
