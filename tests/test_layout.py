"""The architecture, checked: imports point one way, SQL lives in the store modules, functions stay short."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for top in ("index", "bot") for p in (ROOT / top).rglob("*.py"))
# The modules that may hold SQL: the system of record's backend, and the bot's own tables (one module per backend).
STORE_MODULES = {
    ROOT / "index" / "store" / "sqlite.py",
    ROOT / "bot" / "store" / "sqlite.py",
    ROOT / "bot" / "store" / "postgres.py",
}
SQL = re.compile(r"\b(SELECT\s+\S.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|PRAGMA\s+\w+)")
MAX_LINES = 60  # a function's code, its docstring left out


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [p for p in SOURCES if p.is_relative_to(ROOT / "index")], ids=lambda p: p.name)
def test_index_never_imports_the_bot_or_discord(path: Path) -> None:
    wrong = {n for n in _imported(_tree(path)) if n.split(".")[0] in ("bot", "discord")}
    assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_only_the_store_modules_hold_sql() -> None:
    found = []
    for path in SOURCES:
        if path in STORE_MODULES:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "SQL outside the store modules:\n" + "\n".join(found)


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = fn.end_lineno - fn.lineno + 1  # type: ignore[operator]
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def test_no_function_is_over_60_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({_code_lines(node)} lines)"
        for path in SOURCES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _code_lines(node) > MAX_LINES
    ]
    assert not long, "functions over 60 lines:\n" + "\n".join(long)
