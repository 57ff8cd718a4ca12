"""The package layout (``docs/design.md``): imports go one way through the subpackages, only at the
top of a module, and never in a circle.

Order: the top level (``symhess/__init__.py``, ``scalars``, ``extras``) → ``nets`` → ``linalg`` →
``hessian`` → ``theory`` → ``io`` → ``experiments`` → ``cli`` (then ``__main__``). A module imports
only from its own subpackage or an earlier one; ``proofs_checks`` (which sits above ``symhess``) is
imported only by ``symhess/cli``. Every module is read with ``ast`` (nothing is imported), so the
checks also hold for code paths no test runs. The checker runs on made-up bad modules first, so a
check that can no longer fail is caught too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("nets", "linalg", "hessian", "theory", "io", "experiments", "cli")
"""The subpackages of ``symhess``, each allowed to import from the ones before it."""
TOP = ("scalars", "extras")
"""Top-level modules, first in the order (with the package ``symhess`` itself)."""
FIRST_PARTY = ("symhess", "proofs_checks")


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool
    at_top: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(root: Path, package: str) -> dict[str, tuple[Path, str]]:
    """``{module name: (path, source)}`` for every ``.py`` file of ``package`` under ``root``."""
    return {module_name(p, root): (p, p.read_text())
            for p in sorted((root / package).rglob("*.py")) if "__pycache__" not in p.parts}


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _top_statements(tree: ast.Module) -> set[int]:
    """``id``s of the import statements at the top of a module: before any other statement (a
    docstring, ``from __future__`` and ``if TYPE_CHECKING:`` imports excepted)."""
    top: set[int] = set()
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            top.add(id(node))
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            top.update(id(n) for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom)))
        else:
            break
    return top


def imports_of(name: str, path: Path, source: str, known: set[str]) -> list[Import]:
    """Every import of a first-party module in one module (``known``: the module names that exist)."""
    tree = ast.parse(source)
    package = name if _is_package(path) else name.rpartition(".")[0]
    top = _top_statements(tree)
    local: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            local.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in FIRST_PARTY:
                out.append(Import(name, target, node.lineno, id(node) in local, id(node) in top))
    return out


def layer(module: str) -> int:
    """Position of a ``symhess`` module in :data:`ORDER` (0: the top level; after ``cli``: ``__main__``)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in TOP:
        return 0
    if parts[1] == "__main__":
        return len(ORDER) + 1
    if parts[1] not in ORDER:
        raise ValueError(f"{module}: not in a subpackage of the layout ({', '.join(ORDER)}) nor top level "
                         f"({', '.join(TOP)})")
    return ORDER.index(parts[1]) + 1


def layer_violations(imports: list[Import]) -> list[str]:
    bad = []
    for imp in imports:
        if not imp.source.startswith("symhess"):
            continue
        if imp.target.split(".")[0] == "proofs_checks":
            if not imp.source.startswith("symhess.cli"):
                bad.append(f"{imp.source}:{imp.line} imports {imp.target} (proofs_checks only from symhess.cli)")
        elif layer(imp.target) > layer(imp.source):
            bad.append(f"{imp.source}:{imp.line} imports {imp.target}, a later subpackage")
    return bad


def misplaced(imports: list[Import]) -> list[str]:
    return [f"{imp.source}:{imp.line} imports {imp.target} "
            + ("inside a function" if imp.in_function else "below the top of the module")
            for imp in imports if imp.in_function or not imp.at_top]


def cycles(imports: list[Import]) -> list[list[str]]:
    """The modules that import each other in a circle: the strongly connected components of the import
    graph with more than one module (a module importing itself is left to Python)."""
    graph = nx.DiGraph()
    graph.add_edges_from((imp.source, imp.target) for imp in imports if imp.source != imp.target)
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def all_imports(sources: dict[str, tuple[Path, str]]) -> list[Import]:
    known = set(sources)
    return [imp for name, (path, source) in sources.items() for imp in imports_of(name, path, source, known)]


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports(modules_under(ROOT, "symhess") | modules_under(ROOT, "proofs_checks"))


# --- the checker itself can fail ---------------------------------------------------------------

def _fake(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return all_imports(modules_under(tmp_path, "symhess"))


def test_the_checks_catch_bad_imports(tmp_path):
    imports = _fake(tmp_path, {
        "symhess/__init__.py": "",
        "symhess/scalars.py": "",
        "symhess/nets/__init__.py": "",
        "symhess/nets/a.py": "from ..cli.main import x\nfrom .b import y\n",
        "symhess/nets/b.py": "from . import a\n",
        "symhess/linalg/__init__.py": "",
        "symhess/linalg/c.py": ("import numpy\nfrom ..scalars import s\nX = 1\nfrom ..nets.a import z\n\n"
                                "def f():\n    from ..nets import b\n    import proofs_checks.framework\n"),
        "symhess/cli/__init__.py": "",
        "symhess/cli/main.py": "from proofs_checks import framework\nfrom ..scalars import s\n",
    })
    assert sorted(layer_violations(imports)) == [
        "symhess.linalg.c:8 imports proofs_checks.framework (proofs_checks only from symhess.cli)",
        "symhess.nets.a:1 imports symhess.cli.main, a later subpackage"]
    assert sorted(misplaced(imports)) == ["symhess.linalg.c:4 imports symhess.nets.a below the top of the module",
                                          "symhess.linalg.c:7 imports symhess.nets.b inside a function",
                                          "symhess.linalg.c:8 imports proofs_checks.framework inside a function"]
    assert cycles(imports) == [["symhess.nets.a", "symhess.nets.b"]]
    with pytest.raises(ValueError, match="not in a subpackage"):
        layer("symhess.flat_module")


# --- the real package ----------------------------------------------------------------------------

def test_every_module_is_in_the_layout():
    for name in modules_under(ROOT, "symhess"):
        layer(name)


def test_imports_go_one_way(imports):
    assert layer_violations(imports) == []


def test_no_import_inside_a_function_or_below_the_top(imports):
    assert misplaced(imports) == []


def test_no_import_cycle(imports):
    assert cycles(imports) == []


def test_lazy_top_level_names_resolve():
    import symhess

    for name in symhess.__all__:
        assert getattr(symhess, name) is not None
