"""Records shared across the layers: a Problem always prints as one line, whatever its file is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cli import main
from index.models import Problem


def test_problem_escapes_control_characters_in_its_path_and_reason() -> None:
    shown = str(Problem("news/a\nb.txt\x1b[31m", "record 'x\ry' is bad\u2028", line=3))
    assert shown == "news/a\\nb.txt\\x1b[31m:3: record 'x\\ry' is bad\\u2028"
    assert str(Problem("/archiv/über.txt", "fine")) == "/archiv/über.txt: fine"


def test_a_file_name_cannot_forge_a_line_of_the_problem_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt\n  forged.txt: fake problem").write_bytes(bytes(range(256)) * 50)  # binary: a problem
    code = main(["index", str(folder), "--db", str(tmp_path / "n.db"), "--no-postings"])
    out = capsys.readouterr().out
    assert code == 1
    assert not any(line.lstrip().startswith("forged.txt") for line in out.splitlines()), out
    assert "x.txt\\n  forged.txt: fake problem" in out


def test_the_package_api_loads_lazily_and_without_discord() -> None:
    import subprocess
    import sys

    code = (
        "import sys, index\n"
        "assert not any(m.startswith(('numpy', 'discord', 'bot')) for m in sys.modules), 'import index is light'\n"
        "assert set(index.__all__) == set(index._API)\n"
        "for name in index.__all__: getattr(index, name)\n"
        "assert not any(m.startswith(('discord', 'bot')) for m in sys.modules), 'index never loads discord'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
