"""The bot store's operations timed on SQLite and PostgreSQL: one call at a time, 50 at once, the query log's rate."""

# Usage:
#   python bench/bot_store.py                      # SQLite in a temporary folder, and a throwaway PostgreSQL server
#   python bench/bot_store.py --pg postgresql://…  # an existing server (a database is created and dropped on it)
#   python bench/bot_store.py --calls 500 --json out.json
# The throwaway server is tests/helpers/pg.py's (the machine's PostgreSQL binaries, fsync off: its figures are a
# floor for a durable server). Each backend runs the same calls in the same order; p50/p99 in milliseconds.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.store import AsyncStore, Conversation, QueryLogEntry  # noqa: E402

AT = "2026-01-01T00:00:00+00:00"


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
    }


async def _each(calls: int, op: Callable[[int], Awaitable[object]]) -> dict[str, float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - start)
    return _ms(samples)


async def _measure(locator: str, calls: int) -> dict[str, object]:
    st = await AsyncStore.open(locator)
    try:
        for i in range(calls):
            st.log_query(QueryLogEntry(id=i + 1, surface="slash", query=f"question {i}"))
        await st.flush()
        follow, _ = await st.add_follow(1, 2, "harbour", None, limit=25)
        assert follow is not None
        result: dict[str, object] = {
            "add_feedback": await _each(calls, lambda i: st.add_feedback(i + 1, 42, 1 if i % 2 else -1)),
            "set_guild_settings": await _each(calls, lambda i: st.set_guild_settings(i % 50, answer_channels=[i])),
            "reserve_posts (10 articles)": await _each(
                calls, lambda i: st.reserve_posts(follow.id, list(range(i * 10, i * 10 + 10)), AT)
            ),
            "save_conversation (2 anchors)": await _each(
                calls, lambda i: st.save_conversation(Conversation(query_id=i, question="q"), [2 * i, 2 * i + 1])
            ),
            "query (read)": await _each(calls, lambda i: st.query(i + 1)),
            "follows (read)": await _each(calls, lambda i: st.follows(1)),
        }
        start = time.perf_counter()
        await asyncio.gather(*(st.add_feedback(i + 1, 7, 1) for i in range(50)))
        result["50 add_feedback at once (s)"] = round(time.perf_counter() - start, 4)
        base = calls + 1
        start = time.perf_counter()
        for i in range(5000):
            st.log_query(QueryLogEntry(id=base + i, surface="mention", query=f"logged {i}"))
        await st.flush()
        result["query log rows/s (5,000 queued)"] = round(5000 / (time.perf_counter() - start))
        return result
    finally:
        await st.close()


@contextlib.contextmanager
def _postgres(given: str | None) -> Iterator[str]:
    from helpers import pg

    with contextlib.ExitStack() as stack:
        server = given or stack.enter_context(pg.server())
        yield stack.enter_context(pg.fresh_database(server))


def main() -> int:
    """Run the same measurements on each backend and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="a PostgreSQL server's URL (default: start a throwaway one)")
    parser.add_argument("--calls", type=int, default=300, help="calls per operation (default 300)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures["sqlite"] = asyncio.run(_measure(str(Path(folder) / "bench.db"), args.calls))
    with _postgres(args.pg) as url:
        figures["postgresql"] = asyncio.run(_measure(url, args.calls))
    rows = list(figures["sqlite"])
    out = ["| operation | SQLite | PostgreSQL |", "|---|---|---|"]
    for name in rows:
        cells = []
        for kind in ("sqlite", "postgresql"):
            value = figures[kind][name]
            cells.append(f"{value['p50']} / {value['p99']} ms" if isinstance(value, dict) else f"{value:,}")
        out.append(f"| {name} | {' | '.join(cells)} |")
    sys.stdout.write("\n".join(out) + "\n(p50 / p99 per call)\n")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
