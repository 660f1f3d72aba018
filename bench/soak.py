"""Soak: thousands of /ask interactions through discord.py's own dispatch, with the process's memory sampled.

Sends ``--questions-total`` questions, ``--concurrency`` at a time, to a logged-in NewsBot whose Discord side is
the offline driver (answers instantly, records every request). After a warm-up burst it samples the resident set
size (RSS) after every burst and reports the growth per question (a leak shows as steady growth), the answers
that never came, and the query log's size (rows and bytes on disk) before and after the bot's log retention.

Run (after `newsbot index ../shared/data/realtimeqa/articles.jsonl.gz --db /tmp/rtqa.db`):

    python bench/soak.py --db /tmp/rtqa.db                       # 5,000 questions, 50 at a time
    python bench/soak.py --db /tmp/rtqa.db --questions-total 500  # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

from bot_latency import QUESTIONS, load_questions, pct  # the latency bench's question loader and percentile

# The offline discord.py driver lives with the tests' helpers; the project goes first, so that tests/index (a
# folder of tests) cannot stand in for the index package.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers.discord_driver import TOKEN, Recorder, recording, settle, slash  # noqa: E402

from bot.bot import NewsBot  # noqa: E402
from bot.config import Secret, Settings  # noqa: E402


def _rss_of(pid: int | str, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:  # the process ended meanwhile
        pass
    return 0.0


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory in MB of this process plus its children (the search workers), from Linux /proc.

    ``VmRSS`` counts the pages of the memory-mapped index and database that searches touched (file pages the
    kernel can drop at will); ``RssAnon`` only the processes' own memory, where a leak would show.
    """
    me = os.getpid()
    total = _rss_of(me, field)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:  # the parent pid, after the command name
            total += _rss_of(stat.parent.name, field)
    return total


def query_log_size(db: Path) -> tuple[int, int]:
    """(rows, bytes) of the query log: bytes as SQLite's dbstat counts the table's pages, when available."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT count(*) FROM query_log").fetchone()[0]
        try:
            size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'query_log'").fetchone()[0] or 0
        except sqlite3.OperationalError:  # SQLite built without dbstat
            size = 0
        return int(rows), int(size)
    finally:
        conn.close()


async def burst(bot: NewsBot, recorder: Recorder, batch: list[dict]) -> int:
    """Dispatch one burst and wait for it; returns how many interactions got no answer."""
    for payload in batch:
        bot._connection.parse_interaction_create(payload)
    await settle(timeout=300)
    missing = 0
    for payload in batch:
        if not any(c.kind == "followup" for c in recorder.for_interaction(payload)):
            missing += 1
    recorder.calls.clear()
    return missing


async def soak(args: argparse.Namespace) -> dict:
    questions = load_questions(Path(args.questions))
    recorder = Recorder()
    samples: list[tuple[int, float]] = []
    anon: list[tuple[int, float]] = []
    with recording(recorder):
        bot = NewsBot(Settings(token=Secret(TOKEN), db=Path(args.db), cooldown_seconds=0.0))
        await bot.login(TOKEN)
        if not bot.engine.ready:
            raise SystemExit(f"no search index for {args.db}: run `newsbot index PATH --db {args.db}` first")
        logged_before = query_log_size(Path(args.db))
        sent = unanswered = 0
        started = time.perf_counter()
        while sent < args.questions_total:
            n = min(args.concurrency, args.questions_total - sent)
            batch = []
            for j in range(n):
                text, when = questions[(sent + j) % len(questions)]
                batch.append(slash("ask", {"question": text}, at=when, user_id=800000000000000000 + j))
            unanswered += await burst(bot, recorder, batch)
            sent += n
            gc.collect()
            samples.append((sent, rss_mb()))
            anon.append((sent, rss_mb("RssAnon")))
        wall = time.perf_counter() - started
        logged_after = query_log_size(Path(args.db))
        trimmed = await bot.store.trim_logs() if hasattr(bot.store, "trim_logs") else None
        logged_trimmed = query_log_size(Path(args.db))
        await bot.close()
    warm = [s for s in samples if s[0] >= args.warmup] or samples
    growth = (warm[-1][1] - warm[0][1]) / max(1, warm[-1][0] - warm[0][0])
    warm_anon = [s for s in anon if s[0] >= args.warmup] or anon
    growth_anon = (warm_anon[-1][1] - warm_anon[0][1]) / max(1, warm_anon[-1][0] - warm_anon[0][0])
    return {
        "db": args.db,
        "questions": sent,
        "concurrency": args.concurrency,
        "unanswered": unanswered,
        "wall_s": round(wall, 1),
        "questions_per_s": round(sent / wall, 1),
        "rss_mb_after_warmup": round(warm[0][1], 1),
        "rss_mb_end": round(samples[-1][1], 1),
        "rss_mb_max": round(max(r for _, r in samples), 1),
        "rss_kb_per_question": round(growth * 1024, 3),
        "anon_mb_after_warmup": round(warm_anon[0][1], 1),
        "anon_mb_end": round(anon[-1][1], 1),
        "anon_kb_per_question": round(growth_anon * 1024, 3),
        "rss_mb_p50": round(pct([r for _, r in warm], 50), 1),
        "query_log_before": logged_before,
        "query_log_after": logged_after,
        "query_log_after_retention": logged_trimmed,
        "retention_removed": trimmed,
    }


def report(r: dict) -> str:
    rows = [
        f"{r['questions']:,} /ask at {r['concurrency']} concurrent: {r['unanswered']} unanswered, "
        f"{r['wall_s']} s ({r['questions_per_s']} questions/s)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| RSS after warm-up | {r['rss_mb_after_warmup']} MB |",
        f"| RSS at the end (max) | {r['rss_mb_end']} MB ({r['rss_mb_max']} MB) |",
        f"| RSS growth per question after warm-up | {r['rss_kb_per_question']} KB (mapped index pages included) |",
        f"| own memory (RssAnon) after warm-up, at the end | {r['anon_mb_after_warmup']} MB, {r['anon_mb_end']} MB |",
        f"| own memory growth per question after warm-up | {r['anon_kb_per_question']} KB |",
        f"| query log rows (bytes) before | {r['query_log_before'][0]:,} ({r['query_log_before'][1]:,}) |",
        f"| query log rows (bytes) after | {r['query_log_after'][0]:,} ({r['query_log_after'][1]:,}) |",
        f"| after retention | {r['query_log_after_retention'][0]:,} ({r['query_log_after_retention'][1]:,}) |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/rtqa.db", help="indexed database (default /tmp/rtqa.db)")
    parser.add_argument("--questions", default=str(QUESTIONS), help="JSONL with question and date fields")
    parser.add_argument("--questions-total", type=int, default=5000, help="questions to send (default 5000)")
    parser.add_argument("--concurrency", type=int, default=50, help="interactions arriving at once (default 50)")
    parser.add_argument("--warmup", type=int, default=500, help="questions before memory is compared (default 500)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)
    result = asyncio.run(soak(args))
    print(report(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
