"""The ingest-side commands: index, stats, article, clean — exit codes, summaries and --json output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.archives import hostile_folder, record, write_jsonl, write_text

from index.cli import build_parser, main


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_ingest_command_has_help_with_an_example() -> None:
    _, sub = build_parser()
    for name in ("index", "stats", "article", "clean"):
        help_text = sub.choices[name].format_help()
        assert "Example:" in help_text, name
        assert f"newsbot {name}" in help_text, name


def test_index_good_input_exits_0_and_prints_a_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    for n in range(3):
        write_text(tmp_path / "in" / f"{n}.txt", n)
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--no-postings")
    assert code == 0
    assert "3 files" in out
    assert "articles: 3 added, 0 updated, 0 unchanged, 0 duplicate, 0 skipped, 0 failed" in out
    assert "passages:" in out
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--no-postings")
    assert code == 0
    assert "0 read, 3 unchanged" in out


def test_index_bad_input_exits_1_with_problems_listed_as_file_line_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    hostile_folder(tmp_path / "in")
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--no-postings")
    assert code == 1
    assert "problems (" in out
    assert "broken.jsonl:4: malformed JSON" in out
    assert "photo.png: not text" in out
    assert "empty.txt: empty file" in out and "[skipped]" in out

    # unchanged bad files are not read again, but the summary says they had problems, and stats lists them
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--no-postings")
    assert code == 0
    assert "unchanged files had problems when last read" in out
    code, out, _ = cli(capsys, "stats", "--db", str(db_path))
    assert "failed" in out and "--problems" in out
    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--problems")
    assert code == 0
    assert "broken.jsonl:4: malformed JSON" in out and "photo.png: not text" in out
    assert "empty.txt: empty file (0 bytes) [skipped]" in out  # marked as the run's summary marks it
    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--problems", "--json")
    data = json.loads(out)
    assert data["run_id"] == 1 and len(data["problems"]) >= 9


def test_stats_problems_keeps_listing_unchanged_files_that_failed_in_an_earlier_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "in"
    write_jsonl(folder / "old.jsonl", [record(1)], lines=["{oops\n"])
    assert cli(capsys, "index", str(folder), "--db", str(db_path), "--no-postings")[0] == 1
    write_jsonl(folder / "new.jsonl", [record(2)], lines=["[1, 2]\n"])
    code, out, _ = cli(capsys, "index", str(folder), "--db", str(db_path), "--no-postings")
    assert code == 1 and "unchanged files had problems when last read" in out
    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--problems")
    assert code == 0
    assert "problems of run #2 (1):" in out and "new.jsonl:2: line is a JSON list" in out
    assert "old.jsonl:2: malformed JSON" in out and "(run #1)" in out
    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--problems", "--json")
    data = json.loads(out)
    assert data["run_id"] == 2 and [e["path"].endswith("new.jsonl") for e in data["problems"]] == [True]
    assert [(e["run_id"], e["line"]) for e in data["earlier"]] == [(1, 2)]

    # once the old file reads cleanly it is listed no more
    write_jsonl(folder / "old.jsonl", [record(1)])
    assert cli(capsys, "index", str(folder), "--db", str(db_path), "--no-postings")[0] == 0
    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--problems")
    assert "old.jsonl" not in out and "new.jsonl:2" in out


def test_index_problem_list_is_truncated_with_a_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    write_jsonl(tmp_path / "bad.jsonl", [record(1)], lines=[f"broken line {k}\n" for k in range(30)])
    code, out, _ = cli(capsys, "index", str(tmp_path / "bad.jsonl"), "--db", str(db_path), "--no-postings")
    assert code == 1
    assert "problems (30):" in out
    assert "... and 10 more" in out


def test_index_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    code, _, err = cli(capsys, "index", str(tmp_path / "nowhere"), "--db", str(db_path))
    assert code == 2
    assert "no such file or folder" in err
    assert not db_path.exists()  # nothing was created for a command that could not run


def test_index_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["index", str(tmp_path), "--workers", "-3"])
    assert stop.value.code == 2


def test_index_json_output_and_postings_rebuild(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.search import build, health

    built: list[Path] = []
    monkeypatch.setattr(build, "rebuild", lambda db, progress=True: built.append(Path(db)))
    write_text(tmp_path / "in" / "a.txt", 1)
    write_text(tmp_path / "in" / "b.txt", 2)
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["added"] == 2 and data["failed"] == 0 and data["status"] == "ok"
    assert data["db"] == str(db_path)
    assert data["problems"] == []
    assert data["search_index"] is not None
    assert built == [db_path]
    # nothing changed and the postings match (a healthy index, as far as the check can tell): no rebuild
    monkeypatch.setattr(health, "check", lambda db: health.Health("gen-000001", serve="gen-000001"))
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--json")
    assert code == 0
    assert json.loads(out)["search_index"] is None
    assert built == [db_path]


def index_json(capsys: pytest.CaptureFixture[str], folder: Path, db_path: Path) -> dict:
    code, out, _ = cli(capsys, "index", str(folder), "--db", str(db_path), "--json")
    assert code == 0, out
    return json.loads(out)


def generations(db_path: Path) -> list[str]:
    from index.search.generations import current_generation, index_dir

    return [current_generation(db_path), *sorted(p.name for p in index_dir(db_path).glob("gen-*"))]


def test_index_after_index_rebuilds_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    for n in range(2):
        write_text(tmp_path / "in" / f"{n}.txt", n)
    first = index_json(capsys, tmp_path / "in", db_path)
    assert first["added"] == 2 and first["search_index"]["generation"] == "gen-000001"
    before = generations(db_path)
    again = index_json(capsys, tmp_path / "in", db_path)
    assert (again["added"], again["files_unchanged"], again["search_index"]) == (0, 2, None)
    assert generations(db_path) == before
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path))
    assert code == 0 and "search index: up to date (gen-000001), nothing to rebuild" in out


def test_index_says_whether_it_grew_or_rebuilt_the_postings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    for n in range(60):
        write_text(tmp_path / "in" / f"{n}.txt", n)
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path))
    assert code == 0 and "search index: rebuilt in" in out
    write_text(tmp_path / "in" / "60.txt", 60)  # one story in 61: grown by a segment, too small to merge yet
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path))
    assert code == 0 and "search index: grown in" in out and "(gen-000002)" in out
    for n in range(61, 66):  # past the merge share: grown, then merged into a full generation
        write_text(tmp_path / "in" / f"{n}.txt", n)
    report = index_json(capsys, tmp_path / "in", db_path)
    assert report["search_index"]["how"] == "grown, then merged"


def test_index_after_bot_reindex_rebuilds_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    from bot.reindex import run_reindex

    archive = tmp_path / "archive"
    for n in range(2):
        write_text(archive / f"{n}.txt", n)
    phases: list[str] = []
    summary = run_reindex([archive], db_path, False, phases.append, within=archive)
    assert summary.added == 2
    assert phases == ["reading and storing articles", "building the search index"]
    before = generations(db_path)
    assert before[0] == "gen-000001"
    data = index_json(capsys, archive, db_path)
    assert (data["added"], data["files_unchanged"], data["search_index"]) == (0, 2, None)
    assert generations(db_path) == before
    # and the other way round: a /reindex that finds nothing new builds nothing either
    phases.clear()
    run_reindex([archive], db_path, False, phases.append, within=archive)
    assert phases == ["reading and storing articles"]
    assert generations(db_path) == before


def test_index_rebuilds_a_missing_index_even_when_nothing_changed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    import shutil

    from index.search.generations import index_dir

    write_text(tmp_path / "in" / "a.txt", 1)
    assert index_json(capsys, tmp_path / "in", db_path)["search_index"]["generation"] == "gen-000001"
    (index_dir(db_path) / "CURRENT").unlink()
    data = index_json(capsys, tmp_path / "in", db_path)
    assert data["files_unchanged"] == 1 and data["search_index"]["generation"] == "gen-000002"
    shutil.rmtree(index_dir(db_path))
    data = index_json(capsys, tmp_path / "in", db_path)
    assert data["files_unchanged"] == 1 and data["search_index"]["generation"] == "gen-000001"


def test_index_whose_rebuild_fails_reports_the_stored_articles_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.search import build as postings

    def broken(db: Path, progress: bool = True) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(postings, "rebuild", broken)
    write_text(tmp_path / "in" / "a.txt", 1)
    code, out, _ = cli(capsys, "index", str(tmp_path / "in"), "--db", str(db_path), "--json")
    data = json.loads(out)
    assert code == 1 and data["added"] == 1
    assert "disk full" in data["search_index"]["error"] and "again" in data["search_index"]["error"]
    monkeypatch.undo()
    # the failed rebuild was not recorded as built: the next run builds it although nothing changed
    assert index_json(capsys, tmp_path / "in", db_path)["search_index"]["generation"] == "gen-000001"


def test_index_json_lists_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "x.jsonl", [record(1)], lines=["{oops\n"])
    code, out, _ = cli(capsys, "index", str(tmp_path / "x.jsonl"), "--db", str(db_path), "--json", "--no-postings")
    assert code == 1
    data = json.loads(out)
    assert data["failed"] == 1
    assert data["problems"] == [
        {
            "path": str((tmp_path / "x.jsonl").resolve()),
            "line": 2,
            "level": "error",
            "reason": data["problems"][0]["reason"],
            "count": 1,  # how many lines the entry stands for (alike problems past 20 in a file are counted)
        }
    ]
    assert data["problems"][0]["reason"].startswith("malformed JSON")


def test_stats_and_article(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    path = write_jsonl(tmp_path / "feed.jsonl", [record(1), record(2), record(3, text=record(1)["text"])])
    assert cli(capsys, "index", str(path), "--db", str(db_path), "--no-postings")[0] == 0

    code, out, _ = cli(capsys, "stats", "--db", str(db_path), "--json")
    assert code == 0
    stats = json.loads(out)
    # Three records, one the same text as another: two distinct stories and one folded duplicate.
    assert (stats["articles"], stats["duplicates"], stats["files"]) == (2, 1, 1)
    assert stats["outlets"][0]["outlet"] == "Example Post"
    assert stats["last_run"]["status"] == "ok"
    assert stats["tokenizer_version"] == stats["code_tokenizer_version"]
    code, out, _ = cli(capsys, "stats", "--db", str(db_path))
    assert code == 0 and "articles:   2 distinct stories" in out and "duplicates: 1 (" in out

    code, out, _ = cli(capsys, "article", "rec-2", "--db", str(db_path), "--json")
    assert code == 0
    art = json.loads(out)
    assert art["source_id"] == "rec-2" and art["url"] == "https://example.org/news/2"
    assert art["paragraphs"] == record(2)["text"].split("\n\n")
    assert art["passages"] and art["passages"][0]["paragraph"] == 1
    for ref in (str(art["id"]), "https://example.org/news/2"):
        code, out, _ = cli(capsys, "article", ref, "--db", str(db_path))
        assert code == 0
        assert out.startswith(record(2)["title"])
        assert "[1] " in out and "[3] " in out

    code, out, _ = cli(capsys, "article", "rec-3", "--db", str(db_path))
    assert "duplicate of:" in out

    code, out, _ = cli(capsys, "article", str(path), "--db", str(db_path))
    assert code == 0 and "3 articles match" in out

    code, _, err = cli(capsys, "article", "no-such-thing", "--db", str(db_path))
    assert code == 1
    assert "No article 'no-such-thing'. Try `newsbot search" in err


def test_stats_without_a_database_says_what_to_do(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, _, err = cli(capsys, "stats", "--db", str(db_path))
    assert code == 1
    assert "newsbot index" in err
    assert not db_path.exists()


def test_db_path_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("NEWSBOT_DB", str(db))
    write_text(tmp_path / "a.txt", 1)
    assert cli(capsys, "index", str(tmp_path / "a.txt"), "--no-postings")[0] == 0
    assert db.exists()


def test_clean_prints_body_then_metadata_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_text(tmp_path / "a.txt", 4)
    code, out, _ = cli(capsys, "clean", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("The ")
    assert any(line.startswith("[1] ") for line in lines)
    assert out.index("[3] ") < out.index("reader:")
    assert not (tmp_path / "data").exists()

    code, out, _ = cli(capsys, "clean", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and len(data["articles"]) == 1 and data["problems"] == []
    assert data["articles"][0]["body"].count("\n\n") == 2

    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    code, out, _ = cli(capsys, "clean", str(bad))
    assert code == 1 and "not text" in out
    assert cli(capsys, "clean", str(tmp_path / "missing.txt"))[0] == 2
