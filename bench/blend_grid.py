"""Grid over the "blend" sort's settings on the RealTime QA dev questions: how R@1/R@5/MRR@10 move with each knob.

Run from the project root, with a database built from ../shared/data/realtimeqa/articles.jsonl.gz:

    newsbot index ../shared/data/realtimeqa/articles.jsonl.gz --db /tmp/rtqa_t.db
    python bench/blend_grid.py --db /tmp/rtqa_t.db              # both stages, markdown tables
    python bench/blend_grid.py --db /tmp/rtqa_t.db --stage recency

Stage "recency" varies the age decay alone (no window boost); stage "window" varies the window boost on top of the
default recency and of its neighbours. Every cell is scored with as-of dates; "smoothed" is the mean MRR@10 of
the cell and its neighbours along each axis of its table. A setting is worth choosing when its smoothed score is
near the best, not when one cell happens to peak: held-out questions of the same kind are scored the same way.
Each cell is one pass over 119 questions (about half a second); nothing here is timed.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

from index.evaluate import Metrics, load_questions, run
from index.search import recency
from index.search.recency import Blend, Decay
from index.search.searcher import Searcher

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "realtimeqa"

FUNCTIONS = ("exp", "gauss", "linear")
RECENCY_SCALES = (3.0, 7.0, 14.0, 30.0, 60.0)
RECENCY_WEIGHTS = (0.1, 0.25, 0.5, 1.0, 2.0)
WINDOW_FUNCTIONS = ("exp", "gauss")
WINDOW_SCALES = (2.0, 4.0, 7.0, 14.0)
WINDOW_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)


def score(searcher: Searcher, questions: list, blend: Blend) -> tuple[Metrics, Metrics, Metrics]:
    """Overall, with-time-words and without-time-words metrics for one setting (as-of dates on)."""
    searcher.blend = blend
    r = run(searcher, questions, k=10, use_as_of=True, sort="blend")
    return r.metrics, r.subsets["with time words"], r.subsets["without time words"]


def smoothed(table: dict[tuple, float], axes: list[tuple]) -> dict[tuple, float]:
    """Each cell's mean with its neighbours along every axis (edges use the neighbours they have)."""
    out = {}
    for key, value in table.items():
        vals = [value]
        for i, axis in enumerate(axes):
            pos = axis.index(key[i])
            for step in (-1, 1):
                if 0 <= pos + step < len(axis):
                    other = (*key[:i], axis[pos + step], *key[i + 1 :])
                    if other in table:
                        vals.append(table[other])
        out[key] = sum(vals) / len(vals)
    return out


def row(name: str, m: Metrics, tw: Metrics, nw: Metrics, smooth: float | None = None) -> str:
    cells = [
        name,
        f"{m.recall[1]:.3f}",
        f"{m.recall[5]:.3f}",
        f"{m.mrr:.3f}",
        f"{tw.recall[5]:.3f} / {tw.mrr:.3f}",
        f"{nw.recall[5]:.3f} / {nw.mrr:.3f}",
    ]
    if smooth is not None:
        cells.append(f"{smooth:.3f}")
    return "| " + " | ".join(cells) + " |"


HEAD = "| setting | R@1 | R@5 | MRR@10 | time words R@5 / MRR | no time words R@5 / MRR |"


def baseline(searcher: Searcher, questions: list) -> None:
    r = run(searcher, questions, k=10, use_as_of=True, sort="relevance")
    print(HEAD + "\n|---|---|---|---|---|---|")
    print(row("relevance (as-of filter only)", r.metrics, *r.subsets.values()))
    no_boost = replace(recency.DEFAULT_BLEND, recency_weight=0.0, window_weight=0.0)
    print(row("blend, both weights 0", *score(searcher, questions, no_boost)))
    print(row("blend, defaults", *score(searcher, questions, recency.DEFAULT_BLEND)))
    print()


def stage_recency(searcher: Searcher, questions: list) -> None:
    print("## Recency alone (window weight 0)\n")
    results = {}
    for fn, scale, weight in itertools.product(FUNCTIONS, RECENCY_SCALES, RECENCY_WEIGHTS):
        blend = replace(
            recency.DEFAULT_BLEND, recency=Decay(scale=scale, function=fn), recency_weight=weight, window_weight=0.0
        )
        results[(fn, scale, weight)] = score(searcher, questions, blend)
    mrr = {key: v[0].mrr for key, v in results.items()}
    smooth = smoothed(mrr, [FUNCTIONS, RECENCY_SCALES, RECENCY_WEIGHTS])
    print(HEAD + " smoothed MRR |\n|---|---|---|---|---|---|---|")
    for key, v in results.items():
        fn, scale, weight = key
        print(row(f"{fn} scale {scale:g}d x{weight:g}", *v, smooth[key]))
    best = max(smooth, key=smooth.get)
    print(f"\nbest smoothed: {best} ({smooth[best]:.3f}); best single cell: {max(mrr, key=mrr.get)}\n")


def stage_window(searcher: Searcher, questions: list) -> None:
    print("## Window boost (on the default recency, its weight halved and doubled)\n")
    base = recency.DEFAULT_BLEND
    rec_weights = (base.recency_weight / 2, base.recency_weight, base.recency_weight * 2)
    results = {}
    for rw, fn, scale, weight in itertools.product(rec_weights, WINDOW_FUNCTIONS, WINDOW_SCALES, WINDOW_WEIGHTS):
        blend = replace(base, recency_weight=rw, window=Decay(scale=scale, function=fn), window_weight=weight)
        results[(rw, fn, scale, weight)] = score(searcher, questions, blend)
    mrr = {key: v[0].mrr for key, v in results.items()}
    smooth = smoothed(mrr, [rec_weights, WINDOW_FUNCTIONS, WINDOW_SCALES, WINDOW_WEIGHTS])
    print(HEAD + " smoothed MRR |\n|---|---|---|---|---|---|---|")
    for key, v in results.items():
        rw, fn, scale, weight = key
        print(row(f"recency x{rw:g}; window {fn} {scale:g}d x{weight:g}", *v, smooth[key]))
    best = max(smooth, key=smooth.get)
    print(f"\nbest smoothed: {best} ({smooth[best]:.3f}); best single cell: {max(mrr, key=mrr.get)}\n")


def stage_pool(searcher: Searcher, questions: list) -> None:
    print("## Candidate pool (default weights)\n")
    print(HEAD + "\n|---|---|---|---|---|---|")
    for pool, window_pool in ((50, 0), (100, 50), (200, 0), (200, 100), (400, 200), (1000, 300)):
        blend = replace(recency.DEFAULT_BLEND, pool=pool, window_pool=window_pool)
        print(row(f"pool {pool} + window {window_pool}", *score(searcher, questions, blend)))
    print()


def main() -> int:
    """Print the grid tables as markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="database built from the RealTime QA articles")
    ap.add_argument("--questions", default=str(DATA / "dev_questions.jsonl"))
    ap.add_argument("--stage", choices=("all", "recency", "window", "pool"), default="all")
    args = ap.parse_args()
    if not Path(args.questions).is_file():
        print(f"no questions at {args.questions}: this bench needs ../shared/data/realtimeqa", file=sys.stderr)
        return 1
    questions = [q for q in load_questions(args.questions) if q.has_gold]
    with Searcher.open(args.db) as searcher:
        print(f"{len(questions)} questions; defaults: {recency.describe(recency.DEFAULT_BLEND)}\n")
        baseline(searcher, questions)
        if args.stage in ("all", "recency"):
            stage_recency(searcher, questions)
        if args.stage in ("all", "window"):
            stage_window(searcher, questions)
        if args.stage in ("all", "pool"):
            stage_pool(searcher, questions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
