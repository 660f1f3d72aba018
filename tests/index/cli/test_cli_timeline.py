"""`newsbot timeline`: summary, sparkline and peaks in the terminal; --json; --png writes the chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.searchdb import Doc, make_store

from index.cli import main
from index.search.build import rebuild


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    path = tmp_path / "tl.db"
    docs = [
        Doc("Bridge closes\x1b[31m", ["The bridge closed."], published="2024-03-01"),
        Doc("Bridge repairs", ["Bridge repairs began."], published="2024-03-04"),
        Doc("Bridge repairs go on", ["Bridge repairs went on."], published="2024-03-04"),
    ]
    make_store(path, docs)
    rebuild(path, progress=False)
    return path


def test_timeline_in_the_terminal_and_png(db, tmp_path, capsys):
    png = tmp_path / "chart.png"
    assert main(["timeline", "bridge", "--db", str(db), "--png", str(png), "--as-of", "2024-12-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 articles about bridge from 1 Mar 2024 to 4 Mar 2024, counted per day over 4 days.")
    assert "one mark per day:" in out and "█" in out
    assert "• 4 Mar 2024: 2 — Bridge repairs" in out
    assert "\x1b" not in out  # a headline cannot send terminal escapes
    assert png.read_bytes().startswith(b"\x89PNG")


def test_timeline_json_and_no_match(db, capsys):
    assert main(["timeline", "bridge", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "day" and data["total"] == 3 and data["periods"][0] == {"start": "2024-03-01", "count": 1}
    assert data["peaks"][0]["top"]["published"] == "2024-03-04"
    assert main(["timeline", "zeppelin", "--db", str(db)]) == 1
    assert "No dated article" in capsys.readouterr().out
