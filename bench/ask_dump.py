"""The answers `newsbot ask --json` gives to every question of a file, one JSON line each, to compare two versions.

Each question is asked as of its date and as of now; volatile fields (``took_ms``, ``as_of`` of "now" and the
citations' ``age``) are left out, so two runs of the same code give the same file, and a change that should
only make answering cheaper must leave it byte for byte the same:

    git stash && python bench/ask_dump.py --db /tmp/m/rtqa.db --out /tmp/before.jsonl && git stash pop
    python bench/ask_dump.py --db /tmp/m/rtqa.db --out /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.answer.compose import ask
from index.cli.render import answer_dict
from index.search.query import parse_date

_VOLATILE = frozenset({"took_ms", "as_of", "age"})


def stable(value: Any) -> Any:
    """``value`` without the fields that change from run to run."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/m/rtqa.db")
    ap.add_argument("--questions", default="/work/shared/data/realtimeqa/dev_questions.jsonl")
    ap.add_argument("--out", required=True, help="JSONL file to write")
    args = ap.parse_args()

    from index.search.searcher import Searcher
    from index.search.spelling import prepare

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    with Searcher.open(args.db) as searcher, open(args.out, "w", encoding="utf-8") as out:
        prepare(searcher)
        for rec in questions:
            raw = str(rec.get("date") or "")[:10].replace("/", "-")
            for day in (parse_date(raw) if raw else None, None):
                answer = answer_dict(ask(searcher, rec["question"], as_of=day))
                out.write(json.dumps(stable(answer), ensure_ascii=False, sort_keys=True, default=str) + "\n")
    print(f"{len(questions)} questions x 2 (as of their dates, as of now) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
