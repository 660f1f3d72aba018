"""`search --batch` with hostile lines: every bad line is one error record and the batch goes on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from index.cli import main
from index.models import Article


@pytest.fixture
def batch_db(tmp_path: Path) -> Path:
    from helpers.searchdb import build_db

    db = tmp_path / "b.db"
    ferry = Article(
        source_id="f1",
        title="Ferry service resumes after repairs",
        paragraphs=["The island ferry service resumed on Friday after two weeks of engine repairs."],
        outlet="Harbour News",
        published="2024-03-01",
    )
    build_db(db, [ferry])
    return db


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path, data: bytes) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert main(["search", "--batch", "-", "--db", str(db)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_batch_survives_deep_nesting_bad_utf8_and_lone_surrogates(
    batch_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"\n".join(
        [
            b"ferry repairs",
            b'{"query": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # RecursionError in json
            b"caf\xe9 ferry",  # Latin-1, not UTF-8
            b'{"query": "ferry \\ud800 island"}',  # a lone surrogate through a JSON escape
            b"island ferry",
        ]
    )
    lines = run(monkeypatch, capsys, batch_db, data + b"\n")
    assert len(lines) == 5
    assert lines[0]["results"] and lines[4]["results"], "the good lines before and after are answered"
    assert "not valid JSON" in lines[1]["error"]
    assert lines[2]["query"] == "line 3" and "not UTF-8" in lines[2]["error"]
    assert lines[3]["query"] == "ferry \ufffd island" and lines[3]["results"]


def test_a_lone_surrogate_in_a_command_line_query_is_searched_not_crashed_on(
    batch_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Undecodable bytes in argv arrive as lone surrogates (surrogateescape).
    assert main(["search", "ferry\udcff", "--db", str(batch_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["query"] == "ferry\ufffd"
    assert main(["ask", "ferry\udcff repairs?", "--db", str(batch_db), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["question"] == "ferry\ufffd repairs?" and "ferry service resumed" in answer["answer"]
