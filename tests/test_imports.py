"""Dependencies point one way (issue 8, item 5): every import between dialectic's top-level packages is
in the table below, and the graph it allows has no cycle.

The check walks every module's syntax tree: module-level and function-level (lazy) imports count alike,
imports under ``if TYPE_CHECKING:`` do not (they never run). docs/architecture.md shows the same table.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dialectic"

#: The root package itself (dialectic/__init__.py: the version, nothing else); anything may import it.
ROOT = "dialectic"

#: Which dialectic packages each top-level package or module may import (besides itself and ROOT).
#: Lower layers first; a package may import only packages listed before it.
ALLOWED: dict[str, set[str]] = {
    "bounded": set(),
    "injection": set(),
    "registry": set(),
    "rules": set(),
    "social_choice": set(),
    "space": set(),
    "topology": set(),
    "learned": {"bounded", "registry", "space"},
    "scenario": {"bounded", "learned", "space", "topology"},
    "trace": {"bounded"},
    "cli_errors": {"scenario", "trace"},
    "rewards": {"learned", "registry", "rules", "scenario", "space"},
    "game": {"rewards", "rules", "scenario", "space"},
    "preferences": {"game", "learned", "scenario", "space"},
    "oracles": {"game", "rewards", "rules", "scenario", "space"},
    "generate": {"cli_errors", "oracles", "scenario"},
    "dialogue": {"game", "rewards", "space", "trace"},
    "strategies": {"dialogue", "game", "registry", "rewards", "rules", "scenario", "social_choice", "space",
                   "topology", "trace"},
    "backends": {"injection", "scenario", "trace"},
    "influence": {"dialogue", "game", "space", "trace"},
    "evaluate": {"dialogue", "game", "influence", "injection", "oracles", "registry", "rewards", "scenario",
                 "space", "topology", "trace"},
    "show": {"cli_errors", "evaluate", "game", "space", "trace"},
    "compare": {"cli_errors", "evaluate", "show", "trace"},
    "runner": {"dialogue", "evaluate", "game", "scenario", "strategies", "topology", "trace"},
    "vector": {"dialogue", "game", "runner", "scenario", "strategies"},
    "batch": {"evaluate", "game", "runner", "scenario", "strategies", "trace"},
    "conformance": {"backends", "dialogue", "game", "rewards", "runner", "scenario", "strategies"},
    "bench": {"bounded", "evaluate", "scenario", "strategies", "trace"},
    "report": {"bench", "cli_errors", "evaluate", "game", "oracles", "show", "trace"},
    "view": {"bench", "bounded", "cli_errors", "report", "show", "trace"},
    "suite": {"scenario", "strategies"},
    "sweep": {"backends", "bench", "cli_errors", "game", "runner", "scenario", "strategies", "suite", "vector"},
    "cli_bench": {"bench", "cli_errors", "sweep"},
    "cli_rm": {"cli_errors", "learned", "preferences", "scenario", "space"},
    "chain": {"backends", "evaluate", "learned", "preferences", "runner", "scenario", "strategies"},
    "transcripts": {"cli_errors", "dialogue", "evaluate", "game", "scenario", "trace"},
    "cli": {"backends", "batch", "chain", "cli_errors", "cli_rm", "conformance", "evaluate", "generate", "influence", "preferences",
            "runner", "scenario", "show", "strategies", "trace", "transcripts", "cli_bench", "compare",
            "report", "view"},
    "__main__": {"cli"},
}

#: Heavy libraries `import dialectic` must not pull in (they are imported where used).
HEAVY = ("torch", "vllm", "transformers", "ray")


@dataclass(frozen=True)
class Edge:
    source: str  # the importing top-level package or module
    target: str  # the imported one (ROOT: the root package)
    file: str  # the importing file, relative to the package's parent
    line: int


def _unit(path: Path, root: Path) -> str:
    """The top-level package or module a file belongs to (ROOT for the root __init__)."""
    parts = path.relative_to(root).parts
    if len(parts) == 1:
        return ROOT if parts[0] == "__init__.py" else parts[0].removesuffix(".py")
    return parts[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(node: ast.Import | ast.ImportFrom, module_parts: tuple[str, ...]) -> list[str]:
    """The absolute dotted names an import statement brings in (`from a import b` gives a.b as well as a,
    so `from dialectic import cli` is an import of dialectic.cli)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: `.` is the importing module's package, each further dot one up
        package = module_parts[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_edges(root: Path) -> list[Edge]:
    """Every import of one top-level unit of the package at `root` by another, with its file and line."""
    units = {p.name.removesuffix(".py") for p in root.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    units.discard("__init__")
    edges: list[Edge] = []
    for path in sorted(root.rglob("*.py")):
        source = _unit(path, root)
        relative = path.relative_to(root.parent)
        module_parts = tuple(relative.with_suffix("").parts)
        skipped: set[int] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skipped:
                continue
            targets: set[str] = set()
            for name in _imported(node, module_parts):
                parts = name.split(".")
                if parts[0] != root.name:
                    continue
                if len(parts) == 1:
                    continue  # `import dialectic` / the base of `from dialectic import x`: see x
                targets.add(parts[1] if parts[1] in units else ROOT)
            for target in sorted(targets - {source}):
                edges.append(Edge(source, target, relative.as_posix(), node.lineno))
    return edges


def forbidden(edges: list[Edge], allowed: dict[str, set[str]]) -> list[str]:
    """One message per import the table does not allow: the file, the line and the rule it breaks."""
    problems = []
    for edge in edges:
        if edge.target == ROOT and edge.source != ROOT:
            continue
        if edge.source not in allowed:
            problems.append(f"{edge.file}:{edge.line}: {edge.source} is not in the table of allowed imports "
                            f"(add it to ALLOWED in tests/test_imports.py and docs/architecture.md)")
        elif edge.target not in allowed[edge.source]:
            permitted = ", ".join(sorted(allowed[edge.source])) or "no other dialectic package"
            problems.append(f"{edge.file}:{edge.line}: {edge.source} imports {edge.target}; the rule: "
                            f"{edge.source} may import {permitted}")
    return problems


def graph_of(edges: list[Edge]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_edges_from((e.source, e.target) for e in edges)
    return graph


def test_every_import_between_packages_is_allowed() -> None:
    problems = forbidden(import_edges(PACKAGE), ALLOWED)
    assert not problems, "forbidden imports:\n" + "\n".join(problems)


def test_the_table_names_every_package_and_only_known_ones() -> None:
    units = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()}
    assert set(ALLOWED) == units
    assert all(targets <= units for targets in ALLOWED.values())


def test_the_import_graph_and_the_table_have_no_cycle() -> None:
    graph = graph_of(import_edges(PACKAGE))
    assert nx.is_directed_acyclic_graph(graph), f"cycles: {list(nx.simple_cycles(graph))}"
    table = nx.DiGraph([(s, t) for s, targets in ALLOWED.items() for t in targets])
    assert nx.is_directed_acyclic_graph(table), f"cycles in ALLOWED: {list(nx.simple_cycles(table))}"
    assert not [e for e in import_edges(PACKAGE) if e.source == ROOT], "dialectic/__init__.py imports a package"


def test_the_table_is_not_looser_than_needed() -> None:
    """Every allowed edge is used, so the table documents the graph as it is (tighten it when one goes)."""
    used = {(e.source, e.target) for e in import_edges(PACKAGE)}
    unused = sorted((s, t) for s, targets in ALLOWED.items() for t in targets if (s, t) not in used)
    assert not unused, f"allowed but never imported (remove from ALLOWED and docs/architecture.md): {unused}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "dialectic"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_forbidden_import_is_reported_with_its_file_line_and_rule(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "__init__.py": '__version__ = "0"\n',
        "space/__init__.py": "",
        "space/_a.py": "from typing import TYPE_CHECKING\n"
                       "if TYPE_CHECKING:\n    from dialectic.scenario import Spec\n",  # not counted
        "scenario/__init__.py": "from dialectic.space import x\n",
        "dialogue/__init__.py": "",
        "dialogue/_session.py": "import numpy\n\n\ndef step():\n    from dialectic.strategies.llm import f\n",
        "strategies/__init__.py": "from dialectic import dialogue, __version__\n",
        "strategies/llm.py": "from ..scenario import y\n",
    })
    allowed = {"space": set(), "scenario": {"space"}, "dialogue": set(), "strategies": {"dialogue"}}
    edges = import_edges(root)
    assert {(e.source, e.target) for e in edges} == {
        ("scenario", "space"), ("dialogue", "strategies"), ("strategies", "dialogue"),
        ("strategies", ROOT), ("strategies", "scenario"),
    }
    assert forbidden(edges, allowed) == [
        ("dialectic/dialogue/_session.py:5: dialogue imports strategies; the rule: dialogue may import "
        "no other dialectic package"),
        "dialectic/strategies/llm.py:1: strategies imports scenario; the rule: strategies may import dialogue",
    ]
    graph = graph_of(edges)
    assert not nx.is_directed_acyclic_graph(graph)
    assert sorted(map(sorted, nx.simple_cycles(graph))) == [["dialogue", "strategies"]]
    assert forbidden(edges, {k: v for k, v in allowed.items() if k != "scenario"}) == [
        ("dialectic/dialogue/_session.py:5: dialogue imports strategies; the rule: dialogue may import "
        "no other dialectic package"),
        ("dialectic/scenario/__init__.py:1: scenario is not in the table of allowed imports "
        "(add it to ALLOWED in tests/test_imports.py and docs/architecture.md)"),
        "dialectic/strategies/llm.py:1: strategies imports scenario; the rule: strategies may import dialogue",
    ]


def test_the_architecture_doc_shows_the_table() -> None:
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    for source, targets in ALLOWED.items():
        row = f"| `{source}` | {', '.join(f'`{t}`' for t in sorted(targets)) or '-'} |"
        assert row in doc, f"docs/architecture.md lacks the row {row}"


@pytest.mark.parametrize("module", ["dialectic", "dialectic.cli"])
def test_import_dialectic_stays_light(module: str) -> None:
    code = (f"import sys, {module}\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"import {module} loads {loaded}"
