"""Throughput with 1, 2 and 4 bot processes on one store and one index: how the bot scales per core.

Each bot process is started as a child of this script and driven offline, as bench/bot_latency.py drives one:
/ask interactions go in through discord.py's own dispatch and Discord's side answers instantly (the recorder of
tests/helpers/discord_driver.py), so the figures are the bot's own cost. Every process keeps ``--concurrency``
questions in flight (bursts, as Discord delivers them) until it has answered ``--questions``; all start together
on a signal. Throughput is every answered question over the slowest process's wall time; questions per
CPU-second (the bot processes' and their search workers' user + system time) is a core's capacity even on a
machine other jobs share, where wall-clock throughput only says what this run got. Memory is each bot
process's resident set plus its search workers', read from /proc after the run (RssAnon: the process's own
memory, apart from the memory-mapped index pages the kernel shares between processes).

The store is written (the query log) like in production: give it a copy, never an archive you care about:

    newsbot backup /tmp/shards/rtqa.db --db /tmp/m2/rtqa.db
    python bench/scale.py --db /tmp/shards/rtqa.db
    python bench/scale.py --db /tmp/shards/rtqa.db --processes 1 2 4 --workers 1 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "tests")]

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = [
    p / "shared" / "data" / "realtimeqa" / "dev_questions.jsonl" for p in (ROOT.parent, ROOT.parent.parent)
]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and RssAnon of one process, in KB (0 when it is gone)."""
    out = {"VmRSS": 0, "RssAnon": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in out:
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def drive(args: argparse.Namespace) -> dict:
    """One bot process: log in offline, say ready, wait for the go line, answer ``args.questions``; report."""
    from helpers.discord_driver import TOKEN, Recorder, recording, settle, slash

    from bench.bot_latency import load_questions
    from bot.bot import NewsBot
    from bot.config import Secret, Settings

    questions = load_questions(Path(args.question_file))
    recorder = Recorder()
    with recording(recorder):
        settings = Settings(
            token=Secret(TOKEN), db=Path(args.db), cooldown_seconds=0.0, search_workers=args.workers, feed_interval=0
        )
        bot = NewsBot(settings)
        await bot.login(TOKEN)
        if not bot.engine.ready:
            raise SystemExit(f"no search index for {args.db}")
        for i in range(bot.engine.workers or 1):  # warm every worker: first questions load the index pages
            await bot.engine.search(questions[i][0])
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        pids = [os.getpid(), *children(os.getpid())]
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        answered = unanswered = 0
        offset = args.offset
        while answered + unanswered < args.questions:
            batch = []
            for j in range(min(args.concurrency, args.questions - answered - unanswered)):
                text, when = questions[(offset + j) % len(questions)]
                payload = slash("ask", {"question": text}, at=when, user_id=800000000000000000 + j)
                batch.append(payload)
                bot._connection.parse_interaction_create(payload)
            offset += len(batch)
            await settle(timeout=300)
            for payload in batch:
                calls = recorder.for_interaction(payload)
                ok = any(c.kind == "followup" and c.embeds for c in calls)
                answered, unanswered = answered + ok, unanswered + (not ok)
            recorder.calls.clear()
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        memory = {str(p): memory_kb(p) for p in pids}
        await bot.close()
    return {"answered": answered, "unanswered": unanswered, "wall_s": wall, "cpu_s": cpu, "memory_kb": memory}


def one_run(args: argparse.Namespace, processes: int) -> dict:
    """Start ``processes`` bot processes, start them together, and combine what they report."""
    cmd = [sys.executable, __file__, "--child", "--db", args.db, "--question-file", args.question_file]
    cmd += ["--questions", str(args.questions), "--concurrency", str(args.concurrency)]
    if args.workers is not None:
        cmd += ["--workers", str(args.workers)]
    procs = [
        subprocess.Popen([*cmd, "--offset", str(i * 37)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for i in range(processes)
    ]
    for p in procs:
        line = p.stdout.readline().strip()  # type: ignore[union-attr]
        if line != "ready":
            raise SystemExit(f"a bot process did not start (said {line!r})")
    for p in procs:
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    reports = []
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    answered = sum(r["answered"] for r in reports)
    wall = max(r["wall_s"] for r in reports)
    node_rss = [sum(m["VmRSS"] for m in r["memory_kb"].values()) / 1024 for r in reports]
    node_anon = [sum(m["RssAnon"] for m in r["memory_kb"].values()) / 1024 for r in reports]
    return {
        "processes": processes,
        "answered": answered,
        "unanswered": sum(r["unanswered"] for r in reports),
        "wall_s": round(wall, 2),
        "qps": round(answered / wall, 1),
        # Questions per CPU-second of the bot and its workers: a core's capacity, whatever else shares the machine.
        "per_cpu_s": round(answered / sum(r["cpu_s"] for r in reports), 1),
        "node_rss_mb": round(statistics.mean(node_rss)),
        "node_anon_mb": round(statistics.mean(node_anon)),
        "pids_per_node": len(reports[0]["memory_kb"]),
    }


def table(rows: list[dict], cores: int) -> str:
    base = next((r["qps_median"] for r in rows if r["processes"] == 1), rows[0]["qps_median"] if rows else 1.0)
    lines = [
        "| bot processes | processes per node | questions/s (min-median-max) | per core (median) | vs 1 process "
        "| questions per CPU-second (median) | memory per node: RSS / own (MB) | unanswered |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['processes']} | {r['pids_per_node']} | {r['qps_min']}-{r['qps_median']}-{r['qps_max']} "
            f"| {r['qps_median'] / cores:.1f} | {r['qps_median'] / (base or 1):.2f}x | {r['per_cpu_median']} "
            f"| {r['node_rss_mb']} / {r['node_anon_mb']} | {r['unanswered']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/shards/rtqa.db", help="an indexed COPY of the store (it is written)")
    default_questions = next((str(p) for p in QUESTION_FILES if p.is_file()), str(QUESTION_FILES[0]))
    parser.add_argument("--question-file", default=default_questions, help="JSONL with question and date fields")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4], help="bot processes to run at once")
    parser.add_argument("--questions", type=int, default=300, help="questions each process answers (default 300)")
    parser.add_argument("--concurrency", type=int, default=25, help="questions in flight per process (default 25)")
    parser.add_argument("--workers", type=int, default=None, help="search workers per process (default: the bot's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per process count (default 3)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)
    if args.child:
        print(json.dumps(asyncio.run(drive(args))), flush=True)
        return 0
    rows = []
    for n in args.processes:
        runs = [one_run(args, n) for _ in range(args.repeat)]
        qps = sorted(r["qps"] for r in runs)
        row = dict(runs[-1], qps_min=qps[0], qps_median=statistics.median(qps), qps_max=qps[-1])
        row["per_cpu_median"] = statistics.median(r["per_cpu_s"] for r in runs)
        row["unanswered"] = sum(r["unanswered"] for r in runs)
        rows.append(row)
        per_cpu = [r["per_cpu_s"] for r in runs]
        print(f"{n} process(es): {qps} questions/s, {per_cpu} per CPU-second", file=sys.stderr, flush=True)
    cores = os.cpu_count() or 1
    print(f"{cores} cores; {args.questions} questions per process, {args.concurrency} in flight each\n")
    print(table(rows, cores))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
