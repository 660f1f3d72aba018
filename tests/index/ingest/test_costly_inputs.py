"""Small inputs that would cost far more than their size: each is refused or read within a small budget."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from index.ingest.readers import read_path
from index.models import Article, Problem


def alias_bomb(levels: int = 9) -> str:
    """YAML front matter a few hundred bytes long whose aliases expand to 9**levels strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    return "---\ntitle: Bomb\n" + "\n".join(lines) + "\n---\n\n# Harbour news\n\nThe ferry runs again on Monday.\n"


def test_yaml_alias_bomb_in_front_matter_is_refused_quickly_and_the_body_kept(tmp_path: Path) -> None:
    page = tmp_path / "bomb.md"
    page.write_text(alias_bomb())
    assert page.stat().st_size < 700
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    out = list(read_path(page))
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    problems = [o for o in out if isinstance(o, Problem)]
    articles = [o for o in out if isinstance(o, Article)]
    assert any("YAML aliases" in p.reason for p in problems), problems
    assert articles and "ferry runs again" in " ".join(articles[0].paragraphs)
    assert elapsed < 2.0 and grown_mb < 100, (elapsed, grown_mb)


def test_front_matter_with_a_few_aliases_is_still_read(tmp_path: Path) -> None:
    page = tmp_path / "ok.md"
    page.write_text(
        "---\ntitle: Ferry back\nsource: &s Harbour News\nauthors: [*s]\ndate: 2024-03-01\n---\n\n"
        "The island ferry service resumed on Friday after two weeks of engine repairs.\n"
    )
    (article,) = [o for o in read_path(page) if isinstance(o, Article)]
    assert article.title == "Ferry back" and article.outlet == "Harbour News"


def test_an_over_long_line_reports_its_size_and_the_limit(tmp_path: Path, monkeypatch) -> None:
    from index.ingest import readers

    monkeypatch.setattr(readers, "MAX_JSONL_LINE", 2_000_000)
    page = tmp_path / "big.jsonl"
    page.write_bytes(b'{"id": "x", "text": "' + b"a" * 3_500_000 + b'"}\n{"id": "y", "title": "Ok", "text": "Fine."}\n')
    problems = [o for o in readers.read_path(page) if isinstance(o, Problem)]
    assert any("the line is 3.5 MB, over the 2.0 MB limit" in p.reason and p.line == 1 for p in problems), problems


def test_a_hundred_thousand_bad_lines_cost_a_few_log_rows_and_keep_their_count(tmp_path: Path) -> None:
    import gzip
    import sqlite3

    from index.ingest import pipeline

    data = tmp_path / "empty.jsonl.gz"
    lines = b"{}\n" * 100_000 + b'{"id": "x", "title": "Ferry back", "text": "The ferry runs again."}\n' + b"[1]\n" * 50
    data.write_bytes(gzip.compress(lines))
    db = tmp_path / "n.db"
    summary = pipeline.ingest([data], db, progress=False, workers=0)
    assert summary.added == 1 and summary.skipped == 100_000 and summary.failed == 50
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT line, reason FROM ingest_log ORDER BY id").fetchall()
    conn.close()
    assert len(rows) <= 2 * (pipeline.LOG_PER_KIND + 2), len(rows)
    assert any(r[0] is None and r[1].startswith("99,980 more lines like the ones above") for r in rows), rows[-3:]
