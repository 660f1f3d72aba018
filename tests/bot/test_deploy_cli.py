"""What an operator types: `run --shards/--shard-ids` checked, NEWSBOT_INDEX_DIR honoured, `newsbot backup`."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers.bot_harness import TOKEN

from bot.cli import main
from bot.config import ConfigError, load_settings, parse_shards, shard_of
from bot.engine import Engine
from index import store
from index.search import generations


@pytest.mark.parametrize(
    ("shards", "ids", "expected"),
    [
        (None, None, (None, None)),
        ("4", None, (4, None)),
        ("4", "0,1", (4, (0, 1))),
        ("4", " 3, 1 ", (4, (1, 3))),
        (1, "0", (1, (0,))),
    ],
)
def test_shard_arguments_accepted(shards, ids, expected) -> None:
    assert parse_shards(shards, ids) == expected


@pytest.mark.parametrize(
    ("shards", "ids", "message"),
    [
        ("0", None, "1 or more"),
        ("two", None, "whole number"),
        ("-1", None, "whole number"),
        ("4", "0,4", "shard id 4 is out of range: with --shards 4 the ids are 0 to 3"),
        ("4", "1,1", "shard id 1 is listed twice"),
        ("4", "0,,1", "comma-separated shard numbers"),
        ("4", "a", "comma-separated shard numbers"),
        (None, "0", "needs --shards"),
    ],
)
def test_shard_arguments_refused_with_what_to_fix(shards, ids, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_shards(shards, ids)


def test_shards_from_the_environment_and_flags_win() -> None:
    env = {"DISCORD_TOKEN": TOKEN, "NEWSBOT_SHARDS": "4", "NEWSBOT_SHARD_IDS": "2,3", "NEWSBOT_INDEX_DIR": "/srv/idx"}
    settings = load_settings(env=env, dotenv_path=None)
    assert (settings.shard_count, settings.shard_ids, settings.index_dir) == (4, (2, 3), Path("/srv/idx"))
    assert not settings.serves(None) and settings.serves(shard_of_guild(2, 4))
    flagged = load_settings(env=env, dotenv_path=None, shards="2", shard_ids="0")
    assert (flagged.shard_count, flagged.shard_ids) == (2, (0,)) and flagged.serves(None)
    plain = load_settings(env={"DISCORD_TOKEN": TOKEN}, dotenv_path=None)
    assert plain.shard_count is None and plain.serves(123) and plain.serves(None)
    with pytest.raises(ConfigError, match="NEWSBOT_SYNC_SECONDS"):
        load_settings(env={"DISCORD_TOKEN": TOKEN, "NEWSBOT_SYNC_SECONDS": "0"}, dotenv_path=None)


def shard_of_guild(shard: int, count: int) -> int:
    """A server id Discord puts on ``shard`` of ``count``."""
    guild_id = next(g << 22 for g in range(1, 100) if g % count == shard)
    assert shard_of(guild_id, count) == shard
    return guild_id


def test_run_refuses_bad_shard_ids_before_anything_starts(capsys, monkeypatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)  # the layout is checked first, whatever the token
    assert main(["run", "--shards", "2", "--shard-ids", "0,2"]) == 2
    err = capsys.readouterr().err
    assert "newsbot: shard id 2 is out of range: with --shards 2 the ids are 0 to 1." in err


@pytest.fixture
def elsewhere(tmp_path: Path):
    """The index of news_db moved to a folder of its own, as NEWSBOT_INDEX_DIR would name on a shared mount."""
    yield tmp_path / "shared-mount" / "index"
    generations.use_index_dir(None)


@pytest.mark.asyncio
async def test_an_index_dir_of_its_own_serves_worker_processes_too(news_db, elsewhere) -> None:
    elsewhere.parent.mkdir()
    shutil.move(generations.index_dir(news_db), elsewhere)
    generations.use_index_dir(elsewhere)
    engine = Engine(news_db, workers=1)  # a spawned worker: it must be told where the index is
    try:
        assert await engine.open()
        results = await engine.search("library budget")
        assert results.hits and "library" in results.hits[0].title.lower()
    finally:
        await engine.close()


def test_backup_while_a_writer_holds_a_transaction(news_db, tmp_path, capsys) -> None:
    writer = store.connect(news_db)
    writer.execute("BEGIN IMMEDIATE")  # a writer mid-transaction: the backup neither waits for it nor copies it
    try:
        store.set_meta(writer, "uncommitted", "yes")
        dest = tmp_path / "backups" / "copy.db"
        dest.parent.mkdir()
        assert main(["backup", str(dest), "--db", str(news_db)]) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Backed up" in capsys.readouterr().out
    copy, original = store.connect(dest, readonly=True), store.connect(news_db, readonly=True)
    try:
        assert store.get_meta(copy, "uncommitted") is None
        assert store.stats(copy).articles == store.stats(original).articles > 0
    finally:
        copy.close()
        original.close()
    name = generations.current_generation(news_db)
    assert generations.current_generation(dest) == name
    assert generations.verify_files(generations.index_dir(dest) / name, checksums=True) is None
    assert main(["backup", str(dest), "--db", str(news_db)]) == 1  # never over an existing file unasked
    assert "--force" in capsys.readouterr().err
    assert main(["backup", str(news_db), "--db", str(news_db)]) == 1


def test_backup_of_a_postgresql_store_points_to_pg_dump(capsys, tmp_path) -> None:
    assert main(["backup", str(tmp_path / "x.db"), "--db", "postgresql://localhost/newsbot"]) == 2
    assert "pg_dump" in capsys.readouterr().err


def test_backup_is_a_plain_sqlite_file(news_db, tmp_path) -> None:
    dest = tmp_path / "plain.db"
    assert main(["backup", str(dest), "--db", str(news_db), "--no-index"]) == 0
    assert not generations.index_dir(dest).exists()
    with sqlite3.connect(dest) as conn:  # any SQLite tool can open it
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
