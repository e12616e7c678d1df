"""The store stays below the analytics: no module under graphsvc/store imports the snapshot, the
import pipeline, identity resolution (records, merges, clusters), the analytics, the projection,
the service or the API — not at the top, not inside a function, not through ``importlib``
(docs/architecture.md: data flows one way). What the store does use of ``graphsvc/identity/``
(the normalised forms and blocking keys) stays pure: it imports nothing of graphsvc's above."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import graphsvc

PACKAGE = Path(graphsvc.__file__).resolve().parent
STORE = PACKAGE / "store"
#: What sits above the store: computed from what it holds, or serving it.
ABOVE_THE_STORE = (
    "graphsvc.snapshot",
    "graphsvc.identity.records",
    "graphsvc.identity.merging",
    "graphsvc.identity.clusters",
    "graphsvc.imports",
    "graphsvc.analytics",
    "graphsvc.projection",
    "graphsvc.intros",
    "graphsvc.directory",
    "graphsvc.service",
    "graphsvc.api",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """``(line, module)`` for every import anywhere in the file (nested ones included), relative
    imports resolved, ``from a import b`` counted as ``a.b`` too, and string arguments of
    ``importlib.import_module`` / ``__import__``. ``text``: parse this as if it were ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text, str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _above(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in ABOVE_THE_STORE)


STORE_FILES = sorted(STORE.rglob("*.py"))
#: The parts of identity the store may use: functions of plain data.
PURE_IDENTITY = [PACKAGE / "identity" / "normalise.py", PACKAGE / "identity" / "matching.py"]


def test_the_store_package_is_found() -> None:
    names = {_module_name(p) for p in STORE_FILES}
    assert {"graphsvc.store", "graphsvc.store.sqlite", "graphsvc.store.neo4j", "graphsvc.store.neo4j.blocks"} <= names


@pytest.mark.parametrize("path", STORE_FILES, ids=lambda p: _module_name(p))
def test_the_store_imports_nothing_above_it(path: Path) -> None:
    wrong = [f"line {line}: {module}" for line, module in imported_modules(path) if _above(module)]
    assert not wrong, f"{_module_name(path)} reaches above the store: {wrong}"


@pytest.mark.parametrize("path", PURE_IDENTITY, ids=lambda p: _module_name(p))
def test_what_the_store_uses_of_identity_is_pure(path: Path) -> None:
    ours = [m for _, m in imported_modules(path) if m.split(".")[0] in ("graphsvc", "importers")]
    allowed = ("graphsvc.identity.normalise", "importers.names")
    wrong = [m for m in ours if not any(m == a or m.startswith(a + ".") for a in allowed)]
    assert not wrong, f"{_module_name(path)} imports {wrong}"


def test_the_check_sees_function_level_relative_and_dynamic_imports() -> None:
    source = (
        "import importlib\n"
        "def f():\n"
        "    from graphsvc.identity.clusters import ClusteredStore\n"
        "    from ...analytics import strength\n"
        "    from graphsvc import snapshot\n"
        "    return importlib.import_module('graphsvc.service')\n"
    )
    # as if it were graphsvc/store/neo4j/probe.py
    found = {module for _, module in imported_modules(STORE / "neo4j" / "probe.py", source) if _above(module)}
    assert {"graphsvc.identity.clusters", "graphsvc.analytics.strength", "graphsvc.snapshot", "graphsvc.service"} <= found
