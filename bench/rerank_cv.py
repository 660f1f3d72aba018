"""Chooses the second stage's settings (index.search.rerank) by k-fold cross-validation over dev questions.

Usage: python bench/rerank_cv.py ../shared/data/realtimeqa/dev_questions.jsonl --db data/rtqa.db

Every configuration of GRID (and the stage off) is run over every question, with and without as-of dates. Folds
hold whole quiz dates. On each fold the configuration is chosen on the other folds only: among those that do not
lower the dated MRR@10 or R@5 there, the best MRR@10 without dates. The held-out fold's figures are printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import evaluate as ev
from index.models import Results
from index.search.rerank import DEFAULT_RERANK, Rerank
from index.search.searcher import Searcher

GRID = {
    "min_age_days": [0, 56],
    "burst_articles": [20, 40],
    "burst_weight": [0.15, 0.25, 0.5],
    "burst_halflife": [3.0, 7.0],
    "burst_power": [1.0, 3.0],
}


class _Staged:
    """A searcher whose second stage is on (with given settings) or off."""

    def __init__(self, searcher: Searcher, settings: Rerank | None) -> None:
        self.searcher, self.settings = searcher, settings

    def search(self, query: str, k: int = 10, *, as_of: Any = None, **options: Any) -> Results:
        if self.settings is not None:
            self.searcher.rerank = self.settings
        return self.searcher.search(query, k, as_of=as_of, rerank=self.settings is not None, **options)


def _mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / max(len(ranks), 1)


def _r5(ranks: list[int | None]) -> float:
    return sum(1 for r in ranks if r and r <= 5) / max(len(ranks), 1)


Ranks = dict[int, dict[bool, list[int | None]]]  # configuration -> dated? -> each question's gold rank


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("questions", help="dev questions (JSONL with dates and gold articles)")
    ap.add_argument("--db", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--json", help="also write every configuration's ranks here")
    args = ap.parse_args()
    searcher = Searcher.open(args.db)
    questions = [q for q in ev.load_questions(args.questions) if q.has_gold]
    ev.warm_up()
    configs: list[Rerank | None] = [None]
    for values in itertools.product(*GRID.values()):
        configs.append(replace(DEFAULT_RERANK, **dict(zip(GRID, values, strict=True))))
    ranks: Ranks = {}
    for i, cfg in enumerate(configs):
        ranks[i] = {}
        for dated in (False, True):
            run = ev.run(_Staged(searcher, cfg), questions, use_as_of=dated, sort="blend")
            ranks[i][dated] = [o.rank for o in run.outcomes]
    # Folds by quiz date (a held-out fold holds whole weeks, as unseen questions would be).
    dates = sorted({q.as_of for q in questions}, key=str)
    fold_of = {d: n % args.folds for n, d in enumerate(dates)}
    _cross_validate(configs, ranks, [fold_of[q.as_of] for q in questions], args.folds)
    print("\nWhole-set figures of each configuration (for the record, not for choosing):")
    for i, cfg in enumerate(configs):
        name = "off" if cfg is None else _short(cfg)
        print(
            f"  {name}: no dates {_r5(ranks[i][False]):.3f}/{_mrr(ranks[i][False]):.3f}, "
            f"dated {_r5(ranks[i][True]):.3f}/{_mrr(ranks[i][True]):.3f}"
        )
    if args.json:
        out = [{"settings": None if c is None else asdict(c), "ranks": ranks[i]} for i, c in enumerate(configs)]
        Path(args.json).write_text(json.dumps(out, default=str), encoding="utf-8")


def _cross_validate(configs: list[Rerank | None], ranks: Ranks, folds: list[int], n_folds: int) -> None:
    """Print each held-out fold's figures for the configuration chosen on the other folds, then the pooled ones."""

    def allowed(i: int, idx: list[int]) -> bool:
        # Dated questions must not lose (MRR and R@5 on the training folds at least the plain blend's).
        got, off = [ranks[i][True][j] for j in idx], [ranks[0][True][j] for j in idx]
        return _mrr(got) >= _mrr(off) and _r5(got) >= _r5(off)

    def score(i: int, idx: list[int]) -> tuple[float, float]:
        # Then the best MRR@10 without dates, where the stage is meant to help (R@5 breaks ties).
        got = [ranks[i][False][j] for j in idx]
        return _mrr(got), _r5(got)

    print(f"| fold | n | chosen | {'no dates R@5 / MRR':>20} | {'off':>13} | {'dated R@5 / MRR':>17} | {'off':>13} |")
    print("|---|---|---|---|---|---|---|")
    n = len(folds)
    pooled: dict[bool, list[int | None]] = {False: [None] * n, True: [None] * n}
    for f in range(n_folds):
        train = [j for j in range(n) if folds[j] != f]
        test = [j for j in range(n) if folds[j] == f]
        best = max((i for i in range(len(configs)) if allowed(i, train)), key=lambda i: (*score(i, train), -i))
        cells = []
        for dated in (False, True):
            got = [ranks[best][dated][j] for j in test]
            off = [ranks[0][dated][j] for j in test]
            for j in test:
                pooled[dated][j] = ranks[best][dated][j]
            cells += [f"{_r5(got):.3f} / {_mrr(got):.3f}", f"{_r5(off):.3f} / {_mrr(off):.3f}"]
        name = "off" if configs[best] is None else _short(configs[best])
        print(f"| {f} | {len(test)} | {name} | " + " | ".join(cells) + " |")
    for dated in (False, True):
        off = ranks[0][dated]
        print(
            f"CV pooled, {'dated' if dated else 'no dates'}: R@5 {_r5(pooled[dated]):.3f} MRR {_mrr(pooled[dated]):.3f}"
            f" (off: R@5 {_r5(off):.3f} MRR {_mrr(off):.3f})"
        )


def _short(cfg: Rerank) -> str:
    return (
        f"burst x{cfg.burst_weight:g}, {cfg.burst_articles} art, {cfg.burst_halflife:g} d, p{cfg.burst_power:g}, "
        f"age {cfg.min_age_days}"
    )


if __name__ == "__main__":
    main()
