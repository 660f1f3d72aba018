"""Which passage of each top article the answer shows: pass@3 and quote@1 by k-fold cross-validation of the choice.

Searches every question once as of its date with the runner-up passages of each article attached
(``Searcher.search(alternates=...)``, as ``ask`` does), caches the results, then composes the answer
(``index.answer.compose.compose``, the path of ``newsbot ask`` and ``newsbot eval``) under every setting of
``index.answer.choice.ChoiceParams`` in a small grid, and the choice off ("before"). Each fold's setting is chosen
on the other folds (pass@3 + quote@1, then pass@3) and measured on the held-out fold; the shipped setting is the one
most folds chose.

    python bench/passages.py --db /tmp/m2/rtqa.db
    python bench/passages.py --db /tmp/m2/rtqa.db --misses   # the questions whose shown passages changed

Matching (``index.evaluate.answer_matches``): NFKD, accents folded, lower case, punctuation to spaces,
whole-word containment of a normalised gold string.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import random
import statistics
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.answers import SHOWN  # the passages an answer shows (3), as bench/answers.py counts them
from index.answer.choice import CHOICE, NEXT, SAME, ChoiceParams
from index.answer.compose import VOTE_DEPTH, assess, compose
from index.evaluate import answer_matches, score_answer
from index.search.query import parse_date

MOST_ALTERNATES = 6  # runner-ups searched per article; settings use up to this many


def collect(db: str, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search every question as of its date, with runner-ups attached; keep the results, idf and verdict."""
    from index.search.searcher import Searcher
    from index.search.spelling import prepare
    from index.search.timeparse import warm_up

    warm_up()
    out = []
    with Searcher.open(db) as searcher:
        prepare(searcher)
        for rec in questions:
            day = parse_date(str(rec["date"])[:10].replace("/", "-"))
            results = searcher.search(rec["question"], k=VOTE_DEPTH, as_of=day, alternates=MOST_ALTERNATES)
            q = results.query
            idf = searcher.idf(q.terms + q.title_terms)
            out.append(
                {
                    "question": rec["question"],
                    "answer": rec["answer"],
                    "results": results,
                    "idf": idf,
                    "verdict": assess(results, idf),
                }
            )
    return out


def outcomes(items: list[dict[str, Any]], params: ChoiceParams | None) -> list[dict[str, Any]]:
    """The answer ``ask`` would give under ``params`` (None: the choice off), scored as ``newsbot eval`` scores it."""
    rows = []
    for item in items:
        results = item["results"]
        verdict = item["verdict"]
        answer = compose(
            results, question=item["question"], idf=item["idf"], passages=SHOWN, assessment=verdict, choice=params
        )
        scored = score_answer(answer, item["answer"])
        rows.append(
            {
                "pass": scored.passages_ok,
                "quote": scored.quote_ok,
                "short": scored.short_ok,
                "shown": [(p.hit.article_id, p.citation.paragraph) for p in answer.passages],
                "hits": [answer_matches(p.hit.text, item["answer"]) for p in answer.passages],
            }
        )
    return rows


def grid() -> list[ChoiceParams]:
    """The settings cross-validation chooses among (bm25 fixed at 1: the others are relative to it)."""
    return [
        ChoiceParams(bm25=1.0, overlap=o, fit=f, leader=le, lede=d, alternates=a, third=t)
        for o, f, le, d, a, t in itertools.product(
            (0.0, 0.5), (0.0, 0.5), (0.0, 0.5, 1.0), (0.0, 0.2, 0.4, 0.8), (2, 6), (NEXT, SAME)
        )
    ]


def objective(rows: list[dict[str, Any]], idx: list[int]) -> tuple[float, ...]:
    """What a setting is chosen for: pass@3 plus quote@1 (the quote is what people read first: a passage gained
    must not cost it), then pass@3."""
    passed, quoted = _mean(rows, idx, "pass"), _mean(rows, idx, "quote")
    return (round(passed + quoted, 9), passed)


def cost(p: ChoiceParams | None) -> float:
    """A rank of what a setting costs a question, to break ties: reading the runner-ups' sentences (any of the
    overlap, fit and leader weights) costs most, then each runner-up read from the store."""
    if p is None:
        return 0.0
    return (1.0 if p.overlap or p.fit or p.leader else 0.0) + p.alternates / 100


def _mean(rows: list[dict[str, Any]], idx: list[int], key: str) -> float:
    return statistics.mean(rows[i][key] for i in idx) if idx else 0.0


def cross_validate(
    items: list[dict[str, Any]], folds: int, table: dict[ChoiceParams | None, list[dict[str, Any]]], seed: int = 7
) -> list[dict[str, Any]]:
    """Folds of random questions (bench/answers.py's split): the setting is chosen on the others by
    :func:`objective`, then the cheaper; "before" is the choice off."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    out = []
    for f, test in enumerate(parts):
        held = set(test)
        train = [i for i in order if i not in held]
        best = max(table, key=lambda p: (*objective(table[p], train), -cost(p)))
        out.append(
            {
                "fold": f,
                "n": len(test),
                "chosen": best,
                "before": {k: _mean(table[None], test, k) for k in ("pass", "quote", "short")},
                "after": {k: _mean(table[best], test, k) for k in ("pass", "quote", "short")},
            }
        )
    return out


def report(folds: list[dict[str, Any]]) -> ChoiceParams | None:
    """Print the per-fold held-out figures; return the setting most folds chose."""
    print(f"{len(folds)}-fold cross-validation (held-out; setting chosen on the other folds):")
    print("  fold    n  pass@3 before  after   quote@1 before  after   short@1 before  after   chosen")
    for f in folds:
        b, a = f["before"], f["after"]
        print(
            f"  {f['fold']:>4} {f['n']:>4}  {b['pass']:>13.3f} {a['pass']:>6.3f}   {b['quote']:>14.3f}"
            f" {a['quote']:>6.3f}   {b['short']:>14.3f} {a['short']:>6.3f}   {_name(f['chosen'])}"
        )
    for key in ("pass", "quote", "short"):
        before = statistics.mean(f["before"][key] for f in folds)
        after = statistics.mean(f["after"][key] for f in folds)
        print(f"  mean {key}: {before:.3f} -> {after:.3f}")
    counts = Counter(f["chosen"] for f in folds)
    return counts.most_common(1)[0][0]


_FIGURES = (("pass", "pass@3"), ("quote", "quote@1"), ("short", "short@1"))


def _name(p: ChoiceParams | None) -> str:
    if p is None:
        return "off"
    d = asdict(p)
    return " ".join(f"{k}={v}" for k, v in d.items() if k != "bm25")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/m2/rtqa.db")
    ap.add_argument("--questions", default="/work/shared/data/realtimeqa/dev_questions.jsonl")
    ap.add_argument("--cache", default="/tmp/newsbot-bench/passages-results.pickle", help="searched results (reused)")
    ap.add_argument("--fresh", action="store_true", help="search again even when the cache exists")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="list the questions whose shown passages changed")
    args = ap.parse_args()
    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    cache = Path(args.cache)
    if args.fresh or not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(collect(args.db, questions)))
    items = pickle.loads(cache.read_bytes())  # our own file, written just above or by an earlier run
    table: dict[ChoiceParams | None, list[dict[str, Any]]] = {None: outcomes(items, None)}
    for p in grid():
        table[p] = outcomes(items, p)
    n = len(items)
    for p, label in ((None, "off"), (CHOICE, "shipped")):
        rows = table[p] if p in table else outcomes(items, p)
        figures = "  ".join(f"{name} {sum(r[key] for r in rows) / n:.3f}" for key, name in _FIGURES)
        print(f"{label:>8}: {figures}  ({n} questions, in-sample)")
    shipped = report(cross_validate(items, args.folds, table))
    print(f"  the setting most folds chose: {_name(shipped)}")
    if args.misses:
        new = table[CHOICE] if CHOICE in table else outcomes(items, CHOICE)
        for item, b, a in zip(items, table[None], new, strict=True):
            if b["shown"] != a["shown"]:
                mark = f"{'P' if b['pass'] else '-'}->{'P' if a['pass'] else '-'}"
                print(f"{mark} {item['question'][:100]}\n     gold {item['answer']}  {b['shown']} -> {a['shown']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
