"""Search sits below answers: nothing in index/search imports index.answer (answers are built on search)."""

from __future__ import annotations

import ast
from pathlib import Path

import index.search


def test_search_never_imports_answers() -> None:
    for path in Path(index.search.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "index.answer" or n.startswith("index.answer.") for n in names), path.name
