"""The layout's rules that a reader relies on: no import cycles, small modules and functions."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

from tests import servers

PACKAGES = ("annotation", "training", "line_bot", "marisa_site")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
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
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_cycles_between_project_modules_counting_imports_in_functions() -> None:
    # grimp reads every import statement, those inside functions and TYPE_CHECKING blocks included.
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def _project_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in (servers.REPO / package).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(servers.REPO)): n
        for p in _project_files()
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in _project_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long[f"{path.relative_to(servers.REPO)}:{node.name}"] = lines
    assert long == {}
