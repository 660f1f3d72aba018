"""Bot latency under load: concurrent /ask interactions through discord.py's own dispatch, Discord's HTTP faked.

Measures, per interaction, the time from the interaction arriving (INTERACTION_CREATE parsed) to the deferral
request and to the answer's follow-up request, while a ticker task measures the event loop's lag (how late a
10 ms sleep wakes up). Discord's side answers instantly, so the figures are the bot's own cost, without network
round trips. The machine is shared: run it a few times and read the spread.

Run (after `newsbot index ../shared/data/realtimeqa/articles.jsonl.gz --db /tmp/rtqa.db`):

    python bench/bot_latency.py --db /tmp/rtqa.db
    python bench/bot_latency.py --db /tmp/rtqa.db --concurrency 50 --rounds 6 --json bench/results/bot.json
    python bench/bot_latency.py --db /tmp/rtqa.db --rounds 10 --pause 1 --warmup-rounds 1   # steady state

A worker's first questions cost about a third more (its caches are empty), so the first burst holds many of the
slowest answers; ``--warmup-rounds`` sends bursts first that are not counted.

Also printed: the CPU time a counted question costs in the bot's process (all its threads) and in its search
workers (read from /proc, so Linux only), which moves much less than wall time when other work shares the
machine; and each round's answer p95 (min / median / max), since one round slowed by another process's work
raises the p95 of all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# The offline discord.py driver lives with the tests' helpers; the project goes first, so that tests/index (a
# folder of tests) cannot stand in for the index package.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "tests")]

from helpers.discord_driver import TOKEN, Recorder, recording, settle, slash  # noqa: E402

from bot.bot import NewsBot  # noqa: E402
from bot.config import Secret, Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa" / "dev_questions.jsonl"
FALLBACK = [
    "What did the president say about inflation?",
    "Which country won the World Cup?",
    "Who resigned as prime minister?",
    "How many people died in the earthquake?",
    "What did the Supreme Court decide about abortion?",
]


def load_questions(path: Path) -> list[tuple[str, datetime | None]]:
    """(question, as-of) pairs from a RealTime QA style JSONL file, or a few stock questions without it."""
    if not path.is_file():
        return [(q, None) for q in FALLBACK]
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        when = None
        raw = str(rec.get("date") or "").replace("/", "-")
        try:
            when = datetime.fromisoformat(raw[:10]).replace(hour=12, tzinfo=UTC) if raw else None
        except ValueError:
            when = None
        out.append((rec["question"], when))
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(pct(values, p), 1) for p in (50, 95, 99)} | {"max": round(max(values), 1)}


def cpu_seconds() -> tuple[float, float | None]:
    """CPU seconds of this process (every thread) and of its multiprocessing children (None without /proc)."""
    workers = 0.0
    for child in multiprocessing.active_children():
        try:
            stat = Path(f"/proc/{child.pid}/stat").read_text()
        except OSError:
            return time.process_time(), None
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        workers += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return time.process_time(), workers


async def ticker(samples: list[float], stop: asyncio.Event, interval: float = 0.01) -> None:
    """Record how late each ``interval`` sleep wakes up: the event loop's lag."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(interval)
        samples.append((loop.time() - start - interval) * 1000)


async def run(args: argparse.Namespace) -> dict:
    questions = load_questions(Path(args.questions))
    recorder = Recorder()
    with recording(recorder):
        settings = Settings(token=Secret(TOKEN), db=Path(args.db), cooldown_seconds=0.0)
        bot = NewsBot(settings)
        opened = time.perf_counter()
        await bot.login(TOKEN)
        startup_ms = (time.perf_counter() - opened) * 1000
        if not bot.engine.ready:
            raise SystemExit(f"no search index for {args.db}: run `newsbot index PATH --db {args.db}` first")
        loop = asyncio.get_running_loop()
        lag: list[float] = []
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(lag, stop))
        defer_ms: list[float] = []
        answer_ms: list[float] = []
        unanswered = 0
        round_p95: list[float] = []
        cpu_start: tuple[float, float | None] = (0.0, None)
        qi = 0
        started = time.perf_counter()
        for round_no in range(args.warmup_rounds + args.rounds):
            if round_no == args.warmup_rounds:
                cpu_start = cpu_seconds()
            batch = []
            for j in range(args.concurrency):
                text, when = questions[qi % len(questions)]
                qi += 1
                payload = slash("ask", {"question": text}, at=when, user_id=800000000000000000 + j)
                batch.append((payload, loop.time()))
                bot._connection.parse_interaction_create(payload)
            await settle(timeout=120)
            if round_no < args.warmup_rounds:  # not counted: the workers' caches fill on their first questions
                recorder.calls.clear()
                await asyncio.sleep(args.pause)
                continue
            counted = len(answer_ms)
            for payload, arrived in batch:
                calls = recorder.for_interaction(payload)
                deferral = next((c for c in calls if c.kind == "callback"), None)
                answer = next((c for c in calls if c.kind == "followup"), None)
                if deferral is None or answer is None:
                    unanswered += 1
                    continue
                defer_ms.append((deferral.at - arrived) * 1000)
                answer_ms.append((answer.at - arrived) * 1000)
            round_p95.append(pct(answer_ms[counted:], 95))
            recorder.calls.clear()
            await asyncio.sleep(args.pause)
        wall = time.perf_counter() - started
        cpu_end = cpu_seconds()
        stop.set()
        await tick
        await bot.close()
    return {
        "db": str(args.db),
        # Which questions were asked: without the file, 5 stock questions as of now, a lighter workload.
        "question_set": f"{len(questions)} from {args.questions}"
        if Path(args.questions).is_file()
        else f"{len(questions)} stock questions ({args.questions} not found)",
        "generation": bot.engine.generation,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "warmup_rounds": args.warmup_rounds,
        "questions": len(defer_ms) + unanswered,
        "unanswered": unanswered,
        "startup_ms": round(startup_ms, 1),
        "wall_s": round(wall, 2),
        "deferral_ms": summary(defer_ms),
        "answer_ms": summary(answer_ms),
        "loop_lag_ms": summary(lag),
        "answer_mean_ms": round(statistics.mean(answer_ms), 1),
        "answer_p95_per_round_ms": {
            "min": round(min(round_p95), 1),
            "median": round(statistics.median(round_p95), 1),
            "max": round(max(round_p95), 1),
        },
        "cpu_ms_per_question": _cpu_per_question(cpu_start, cpu_end, len(answer_ms) + unanswered),
    }


def _cpu_per_question(start: tuple[float, float | None], end: tuple[float, float | None], n: int) -> dict:
    """CPU milliseconds a counted question cost in the bot's process and in its search workers."""
    out = {"bot": round((end[0] - start[0]) * 1000 / max(n, 1), 2)}
    if start[1] is not None and end[1] is not None:
        out["workers"] = round((end[1] - start[1]) * 1000 / max(n, 1), 2)
    return out


def table(r: dict) -> str:
    rows = [
        "| measure | p50 | p95 | p99 | max | target |",
        "|---|---|---|---|---|---|",
        "| arrival -> deferral sent (ms) | {p50} | {p95} | {p99} | {max} | < 100 |".format(**r["deferral_ms"]),
        "| arrival -> answer sent (ms) | {p50} | {p95} | {p99} | {max} | p95 < 300 |".format(**r["answer_ms"]),
        "| event-loop lag (ms) | {p50} | {p95} | {p99} | {max} | < 50 |".format(**r["loop_lag_ms"]),
    ]
    head = (
        f"{r['questions']} /ask interactions ({r['question_set']}), "
        f"{r['concurrency']} at a time x {r['rounds']} rounds, "
        f"{r['unanswered']} unanswered; index {r['generation']}; startup {r['startup_ms']} ms; wall {r['wall_s']} s"
    )
    per_round = r["answer_p95_per_round_ms"]
    cpu = r["cpu_ms_per_question"]
    foot = (
        f"answer p95 per round: min {per_round['min']} / median {per_round['median']} / max {per_round['max']} ms; "
        f"CPU a question: bot process {cpu['bot']} ms, search workers {cpu.get('workers', 'n/a')} ms"
    )
    return head + "\n\n" + "\n".join(rows) + "\n\n" + foot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/rtqa.db", help="indexed database (default /tmp/rtqa.db)")
    parser.add_argument(
        "--questions", help=f"JSONL with question and date fields (default {QUESTIONS}, else 5 stock questions)"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="interactions arriving at once (default 50)")
    parser.add_argument("--rounds", type=int, default=4, help="bursts to send (default 4)")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between bursts (default 0.5)")
    parser.add_argument(
        "--warmup-rounds", type=int, default=0, help="bursts sent first and not counted (default 0: all counted)"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.questions is None:
        args.questions = str(QUESTIONS)  # absent (no ../shared): the stock questions, as the summary line says
    elif not Path(args.questions).is_file():
        # Named but missing (a path relative to another folder): a lighter workload would pass for the real one.
        parser.error(f"no question file at {args.questions}; give an existing path, or leave --questions out")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # "voice will NOT be supported"
    result = asyncio.run(run(args))
    print(table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
