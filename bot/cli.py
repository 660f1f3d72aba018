"""The `newsbot` console script: every index-side command plus `run`, which starts the Discord bot."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.cli import add_common, build_parser, run

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from bot.store import AsyncStore


def _run_bot(args: argparse.Namespace) -> int:
    # Imported here so index-side commands never pay for (or depend on) discord.py.
    from bot.__main__ import main as bot_main

    return bot_main(db=args.db, shards=args.shards, shard_ids=args.shard_ids)


def _locator(db: str | None) -> str:
    """The database the command works on: --db, else $NEWSBOT_DB, else the default path; a URL kept as written."""
    import os

    from bot.store import is_postgres
    from index import store

    given = db or os.environ.get("NEWSBOT_DB", "").strip() or None
    return given if is_postgres(given) else str(store.db_path_from_env(given))


def _open_store(locator: str, query_log_days: int = 0) -> Any:
    """The bot's store at ``locator`` (``async with``): the bot's tables are created or migrated on the way."""
    import contextlib

    from bot.store import AsyncStore

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[AsyncStore]:
        st = await AsyncStore.open(locator, query_log_days=query_log_days)
        try:
            yield st
        finally:
            await st.close()

    return opened()


def _run(coro: Any) -> Any:
    """``coro``'s result, on a loop of its own (a thread's when the caller is inside an event loop already)."""
    import asyncio  # here: the index-side commands never pay for it
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-cli") as pool:
        return pool.submit(asyncio.run, coro).result()


def _missing(locator: str, what: str) -> bool:
    """True (after saying so) when ``locator`` is a SQLite path with no file: a URL's server is asked instead."""
    from bot.store import is_postgres

    if is_postgres(locator) or Path(locator).exists():
        return False
    print(f"No database at {locator}: {what}", file=sys.stderr)
    return True


def _prune_logs(args: argparse.Namespace) -> int:
    import json
    import os

    from bot.store import QUERY_LOG_DAYS, StoreBusy

    days = args.query_log_days
    if days is None:
        raw = os.environ.get("NEWSBOT_QUERY_LOG_DAYS", "").strip()
        days = int(raw) if raw.isascii() and raw.isdigit() else QUERY_LOG_DAYS
    locator = _locator(args.db)
    if _missing(locator, "nothing to prune."):
        return 1

    async def trim() -> dict[str, int]:
        async with _open_store(locator, days) as st:
            return await st.trim_logs(ingest_log_days=args.ingest_log_days)

    try:
        trimmed = _run(trim())
    except StoreBusy as e:
        print(f"newsbot: {e} (check the URL, that the server runs, and try again)", file=sys.stderr)
        return 1
    removed = {"query_log": trimmed["query_log"], "ingest_log": trimmed["ingest_log"]}
    if args.json:
        print(json.dumps({"removed": removed, "query_log_days": days, "ingest_log_days": args.ingest_log_days}))
    else:
        print(
            f"Removed {removed['query_log']:,} questions older than {days} days from the query log and "
            f"{removed['ingest_log']:,} ingest-log rows older than {args.ingest_log_days} days."
        )
    return 0


def _feedback(args: argparse.Namespace) -> int:
    import json

    from bot.store import StoreBusy

    locator = _locator(args.db)
    if _missing(locator, "no feedback yet."):
        return 1

    async def read() -> list[dict[str, Any]]:
        async with _open_store(locator) as st:
            return await st.feedback_rows(days=args.days, down_only=args.down)

    try:
        rows = _run(read())
    except StoreBusy as e:
        print(f"newsbot: {e} (check the URL, that the server runs, and try again)", file=sys.stderr)
        return 1
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("No feedback yet" + (f" in the last {args.days} days." if args.days is not None else "."))
        return 0
    for row in rows:
        vote = "+1" if row["value"] > 0 else "-1"
        why = f" {row['reason']}" if row["reason"] else ""
        print(f"{row['at'][:16].replace('T', ' ')}  {vote}{why}  [{row['surface']}] {_line(row['query'], 100)}")
        if row["comment"]:
            print(f"    “{_line(row['comment'], 300)}”")
    down = sum(1 for r in rows if r["value"] < 0)
    print(f"\n{len(rows)} votes: {len(rows) - down} up, {down} down.")
    return 0


def _line(text: str, limit: int) -> str:
    """User text on one terminal line: control characters (escapes, newlines) as spaces, cut at ``limit``."""
    clean = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database while the bot and indexers keep running, plus the index in service."""
    import time

    from index import store

    raw = str(args.db or os.environ.get("NEWSBOT_DB") or "")
    if raw.startswith(("postgresql:", "postgres:")):
        print("newsbot: a PostgreSQL store is backed up with pg_dump (see docs/deploy.md), not newsbot backup.",
              file=sys.stderr)  # fmt: skip
        return 2
    db, dest = store.db_path_from_env(args.db), Path(args.dest)
    if not db.is_file():
        print(f"newsbot: no database at {db}: nothing to back up (give --db PATH).", file=sys.stderr)
        return 1
    if dest.resolve() == db.resolve():
        print("newsbot: DEST is the database itself; name a backup file elsewhere.", file=sys.stderr)
        return 1
    if dest.exists() and not args.force:
        print(f"newsbot: {dest} exists; choose another name or add --force to replace it.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    _copy_database(db, dest)
    index = None if args.no_index else _copy_index(db, dest)
    took = time.perf_counter() - started
    size = dest.stat().st_size / 1e6
    shown = f" and index {index}" if index else ""
    print(f"Backed up {db} ({size:,.0f} MB){shown} to {dest} in {took:.1f} s.")
    return 0


def _copy_database(db: Path, dest: Path) -> None:
    """SQLite's online backup in one step: one read transaction, so writers (WAL) never wait and the copy is
    consistent; written to a temp name and renamed, so DEST is never half a database."""
    import sqlite3

    from index import store

    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    src = store.connect(db, readonly=True)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
        finally:
            out.close()
        os.replace(tmp, dest)
    finally:
        src.close()
        tmp.unlink(missing_ok=True)


def _copy_index(db: Path, dest: Path) -> str | None:
    """Copy the generation in service beside the backup (``DEST.index``); its files never change once written."""
    import shutil

    from index.search import generations as gens

    name = gens.current_generation(db)
    if name is None:
        return None
    # Beside the backup whatever NEWSBOT_INDEX_DIR says: that names the live index, never a copy's place.
    root = dest.with_name(dest.name + gens.INDEX_SUFFIX)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(gens.index_dir(db) / name, root / name)
    problem = gens.verify_files(root / name, checksums=True)
    if problem:
        raise OSError(f"the copied index {name} does not match its manifest ({problem}); back up again")
    gens.switch_current(root, name)
    return name


def _days(value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise argparse.ArgumentTypeError("give a whole number of days, like 30")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    parser, sub = build_parser()
    p = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN in the environment or .env)")
    add_common(p, json_flag=False)
    p.add_argument(
        "--shards",
        metavar="N",
        help="Discord shards across every process (default $NEWSBOT_SHARDS; unset: one unsharded connection)",
    )
    p.add_argument(
        "--shard-ids",
        metavar="IDS",
        help="the shards this process runs, comma-separated, e.g. 0,1 (default $NEWSBOT_SHARD_IDS; unset: all N)",
    )
    p.set_defaults(func=_run_bot)
    p = sub.add_parser(
        "prune-logs",
        help="apply the log retention now (the bot also does it daily)",
        description="Delete query-log rows (what users asked) and old ingest-log rows past their retention.",
        epilog="Example:\n  newsbot prune-logs --query-log-days 7",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.add_argument(
        "--query-log-days",
        type=_days,
        default=None,
        help="keep questions this many days (default $NEWSBOT_QUERY_LOG_DAYS, else 30)",
    )
    p.add_argument("--ingest-log-days", type=_days, default=90, help="keep ingest problems this many days (default 90)")
    p.set_defaults(func=_prune_logs)
    p = sub.add_parser(
        "feedback",
        help="list the 👍/👎 given to the bot's answers, with the reasons and comments",
        description="What users said about the bot's answers: each vote with its question, newest first.",
        epilog="Examples:\n  newsbot feedback --down --days 7\n  newsbot feedback --json > feedback.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.add_argument("--days", type=_days, default=None, help="only the last N days")
    p.add_argument("--down", action="store_true", help="only thumbs down")
    p.set_defaults(func=_feedback)
    p = sub.add_parser(
        "backup",
        help="copy the database (and the index in service) while the bot keeps running",
        description="A consistent copy of the SQLite database made with SQLite's online backup, safe while the bot "
        "and `newsbot index` write, plus the index generation in service as DEST.index. For PostgreSQL use pg_dump.",
        epilog="Example:\n  newsbot backup /backups/newsbot-$(date +%F).db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p, json_flag=False)
    p.add_argument("dest", metavar="DEST", help="the backup file to write")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists")
    p.add_argument("--no-index", action="store_true", help="copy only the database (the index can be rebuilt)")
    p.set_defaults(func=_backup)
    _use_index_dir_from_env()
    return run(argv, parser)


def _use_index_dir_from_env() -> None:
    """NEWSBOT_INDEX_DIR: every command reads and writes the index there instead of beside the database."""
    folder = os.environ.get("NEWSBOT_INDEX_DIR", "").strip()
    if folder:
        from index.search.generations import use_index_dir

        use_index_dir(Path(folder).expanduser())


if __name__ == "__main__":
    sys.exit(main())
