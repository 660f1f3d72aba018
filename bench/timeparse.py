"""Time expressions on the RealTime QA dev questions: do the windows hold the gold articles, and how fast is it.

Run from the project root (needs ../shared/data):

    python bench/timeparse.py            # summary: gold-in-window, window widths, timing
    python bench/timeparse.py --list     # also one line per question with time words
    python bench/timeparse.py --repeat 200

Timings are wall-clock on whatever else the machine is doing; run it a few times and compare medians.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

from index.search.timeparse import find_time_expressions, resolve_window

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "realtimeqa"


def _day(text: str) -> date | None:
    return datetime.strptime(text.replace("-", "/"), "%Y/%m/%d").date() if text else None


def _published(questions: list[dict]) -> dict[str, date | None]:
    """The publication day of every gold article of ``questions``."""
    wanted = {g for q in questions for g in q["gold_article_ids"]}
    published: dict[str, date | None] = {}
    with gzip.open(DATA / "articles.jsonl.gz", "rt") as f:
        for line in f:
            if any(g in line for g in wanted):
                rec = json.loads(line)
                if rec["id"] in wanted:
                    published[rec["id"]] = _day(rec["date"])
    return published


def window_table(questions: list[dict], published: dict[str, date | None], listing: bool) -> None:
    """Print how many gold articles fall inside the window the question's time words name."""
    with_words = inside = gold_total = 0
    near_misses: list[str] = []
    widths: list[int] = []
    as_of_only = 0  # gold dated on or before the as-of day (the hard filter) for the same questions
    for q in questions:
        as_of = _day(q["date"])
        window, _ = resolve_window(q["question"], as_of)
        if window is None:
            continue
        with_words += 1
        widths.append((window[1] - window[0]).days + 1)
        for gid in q["gold_article_ids"]:
            day = published.get(gid)
            if day is None:
                continue
            gold_total += 1
            as_of_only += day <= as_of
            hit = window[0] <= day <= window[1]
            inside += hit
            if not hit:
                near_misses.append(
                    f"  miss {q['qid']}: gold {day}, window {window[0]}..{window[1]}, {q['question'][:70]}"
                )
        if listing:
            words = "; ".join(f"{e.text!r}={e.kind}" for e in find_time_expressions(q["question"], as_of))
            days = [str(published.get(g)) for g in q["gold_article_ids"]]
            print(f"{q['date']} [{window[0]}..{window[1]}] gold {','.join(days)} | {words}")
    print(f"questions: {len(questions)}, with time words: {with_words}")
    print(f"gold articles of those questions inside the window: {inside}/{gold_total} ({inside / gold_total:.1%})")
    print(f"(dated on or before the as-of day: {as_of_only}/{gold_total})")
    print(f"window width in days: median {statistics.median(widths)}, max {max(widths)}")
    print("\n".join(near_misses))


def timings(questions: list[dict], repeat: int) -> None:
    """Print the parse time per question (warm), and with a new explicit date (dateparser called)."""
    per_question: list[float] = []
    for q in questions:
        text, as_of = q["question"], _day(q["date"])
        t0 = time.perf_counter()
        for _ in range(repeat):
            resolve_window(text, as_of)
        per_question.append((time.perf_counter() - t0) / repeat * 1e6)
    per_question.sort()
    median, p90 = statistics.median(per_question), per_question[int(0.9 * len(per_question))]
    print(
        f"resolve_window per question (us, warm caches, {repeat} repeats): median {median:.1f},"
        f" p90 {p90:.1f}, max {per_question[-1]:.1f}"
    )
    # Uncached explicit dates: distinct as-of days defeat nothing (the cache is per date text), so vary the text.
    t0 = time.perf_counter()
    n = 0
    for day in range(1, 29):
        for month in ("March", "Sept.", "December"):
            resolve_window(f"what happened on {month} {day} 2019 in Ohio", date(2022, 1, 7))
            n += 1
    print(f"resolve_window with a new explicit date (dateparser called): {(time.perf_counter() - t0) / n * 1e3:.2f} ms")


def main() -> int:
    """Print the gold-in-window table and the parse timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="print each question with time words")
    ap.add_argument("--repeat", type=int, default=100, help="parses per question for the timing")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"no data at {DATA}: this bench needs ../shared/data/realtimeqa", file=sys.stderr)
        return 1
    questions = [json.loads(line) for line in (DATA / "dev_questions.jsonl").open()]
    window_table(questions, _published(questions), args.list)
    timings(questions, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
