"""The generation folders need no numpy: commands that only read CURRENT must start fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from index.search.generations import current_generation, index_dir, next_generation

ROOT = Path(__file__).resolve().parents[3]  # run the child from this checkout, whichever one is installed


def test_generations_reading_current_imports_no_numpy(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from index.search.generations import current_generation\n"
        "import index.store\n"
        "current_generation(sys.argv[1])\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "news.db")], check=True, timeout=60, cwd=ROOT)


def test_generations_names_count_up_and_current_ignores_junk(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    root = index_dir(db)
    root.mkdir()
    assert next_generation(root) == "gen-000001"
    (root / "gen-000007").mkdir()
    assert next_generation(root) == "gen-000008"
    assert current_generation(db) is None
    (root / "CURRENT").write_text("not-a-generation\n", encoding="utf-8")
    assert current_generation(db) is None
    (root / "CURRENT").write_text("gen-000007\n", encoding="utf-8")
    assert current_generation(db) == "gen-000007"
