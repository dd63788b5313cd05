"""The dependency rule of the tree (README "Layout"; public/__init__.py).

- ``public/`` imports neither ``prover`` nor ``verifier``;
- ``verifier/`` imports only ``public`` (and its own modules), never ``prover``;
- no project module imports, at any depth, a module that imports it: the import graph of
  public/, verifier/ and prover/ (module-level and function-level imports; ``TYPE_CHECKING``
  blocks excluded) has no cycle, so the CLI's command modules never import ``prover.cli.main``.

The static rules read every ``import`` statement with ``ast`` (lazy imports inside functions
included); the runtime test imports every verifier module and checks the shipped demo bundle in a
process where ``import prover`` fails, so no import the scanner might miss reaches the prover.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("public", "verifier", "prover")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path) -> set[str]:
    """Project modules imported anywhere in ``path`` (absolute names), TYPE_CHECKING blocks excluded."""
    found: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for n in child.orelse:
                    visit(n)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                assert child.level == 0, f"{path}: relative import"
                found.add(child.module)
                found.update(f"{child.module}.{a.name}" for a in child.names)  # `from pkg import module`
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")}
    return {m: {i for i in _imports(p) if i in files and i != m} for m, p in files.items()}


GRAPH = _graph()


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_scan_sees_the_tree():
    assert len([m for m in GRAPH if _top(m) == "public"]) >= 15
    assert "public.methodology.risk_table" in GRAPH["verifier.verify"]
    assert "prover.cli.common" in GRAPH["prover.cli.venue"]


@pytest.mark.parametrize(("side", "allowed"), [("public", {"public"}), ("verifier", {"public", "verifier"})])
def test_dependency_rule(side, allowed):
    bad = sorted(f"{m} imports {i}" for m, deps in GRAPH.items() if _top(m) == side for i in deps if _top(i) not in allowed)
    assert not bad, bad


def test_no_module_imports_a_module_that_imports_it():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH[m]):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


BLOCK_PROVER = """
import importlib, importlib.abc, pkgutil, sys

class NoProver(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "prover":
            raise ImportError("prover is not installed here")

sys.meta_path.insert(0, NoProver())
try:
    import prover
    raise SystemExit("prover imported")
except ImportError:
    pass
import verifier
for info in pkgutil.walk_packages(verifier.__path__, "verifier."):
    importlib.import_module(info.name)
from verifier.cli import verify
verify.main(sys.argv[1:], standalone_mode=False)
assert not [m for m in sys.modules if m.split(".")[0] == "prover"]
"""


def test_the_verifier_runs_where_prover_cannot_be_imported():
    """Every verifier module imports, and ``zkmargin verify`` ACCEPTS the shipped demo bundle under
    the shipped fixture keys, in a process where ``import prover`` raises ImportError."""
    args = [
        "fixtures/demo_3venue/bundle.json", "--policy", "fixtures/policies/demo_venue.json", "--keys", "fixtures/keys/margin_3x4",
        "--market", "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv", "--at", "2026-08-22T15:35:51+00:00",
    ]
    proc = subprocess.run([sys.executable, "-c", BLOCK_PROVER, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "decision: ACCEPTED" in proc.stdout, proc.stdout
