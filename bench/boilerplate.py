"""Boilerplate removal quality: token-level precision/recall/F1 of cleaned text against expected article text.

Inputs are the newspaper test pages in ../shared/data/newspaper-testpages (pages.jsonl lists them): for each page
with expected text, the naive text dump goes through the text reader and the gzipped HTML through the HTML
reader. Baselines: the raw naive text, its lines of 10+ words, and plain ``trafilatura.extract`` on the HTML.

Scoring follows article-extraction-benchmark: lowercased word tokens (``\\w+``), bag-of-words overlap (a token
counts as many times as it occurs in both), precision/recall/F1 per page, then averaged over pages (macro); micro
sums the overlaps over all pages first. The expected texts hold the article body only, so "body" rows compare
paragraphs only; "title+body" rows add the headline the reader found.

Run from the project root:  python bench/boilerplate.py [--data DIR] [--pages N] [--show-worst K] [--options]
Reading speed of the whole RealTime QA file (read + clean, one process):  python bench/boilerplate.py --realtimeqa
Figures taken on a shared, busy machine are noisy for time; the quality figures are deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.ingest.readers import read_path  # noqa: E402
from index.models import Article  # noqa: E402

_WORD = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    """Bag of lowercased word tokens."""
    return Counter(_WORD.findall(text.lower()))


def prf(pred: Counter[str], gold: Counter[str]) -> tuple[float, float, float, int, int, int]:
    """Precision, recall, F1 and the raw counts (overlap, predicted, expected) for one page."""
    overlap = sum((pred & gold).values())
    n_pred, n_gold = sum(pred.values()), sum(gold.values())
    p = overlap / n_pred if n_pred else 0.0
    r = overlap / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, overlap, n_pred, n_gold


def reader_text(path: Path, with_title: bool) -> str:
    """What read_path (the pipeline's entry) makes of a file: its first article's text."""
    for item in read_path(path):
        if isinstance(item, Article):
            return "\n".join(([item.title] if with_title else []) + item.paragraphs)
    return ""


def long_lines(text: str) -> str:
    """Baseline: keep only lines of 10 or more words."""
    return "\n".join(line for line in text.splitlines() if len(line.split()) >= 10)


def trafilatura_plain(html_gz: Path, **options: bool) -> str:
    """Reference: trafilatura.extract with its defaults (or the options given)."""
    import trafilatura

    return trafilatura.extract(gzip.decompress(html_gz.read_bytes()), **options) or ""


def realtimeqa_speed(path: Path) -> int:
    """Read and clean the whole RealTime QA JSONL file in this process and print counts and time."""
    if not path.is_file():
        print(f"{path} not found; pass --data (the test pages folder beside realtimeqa/)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    for item in read_path(path):
        counts["article" if isinstance(item, Article) else f"problem ({item.level})"] += 1
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(f"{path.name}: {total:,} records in {seconds:.1f} s ({total / seconds:,.0f} records/s), one process")
    for kind, n in sorted(counts.items()):
        print(f"  {kind}: {n:,}")
    return 0


Scores = tuple[float, float, float, int, int, int]


def systems_for(data: Path, *, html_rows: bool, options: bool) -> dict[str, Callable[[dict], str]]:
    """The extraction systems to score, by name: each takes a page row and returns its text."""

    def naive(page: dict) -> Path:
        return data / page["naive_text_file"]

    def html(page: dict) -> Path:
        return data / page["html_file"]

    systems: dict[str, Callable[[dict], str]] = {
        "raw naive text (baseline)": lambda p: naive(p).read_text(errors="replace"),
        "naive lines of 10+ words (baseline)": lambda p: long_lines(naive(p).read_text(errors="replace")),
        "text reader, body": lambda p: reader_text(naive(p), with_title=False),
        "text reader, title+body": lambda p: reader_text(naive(p), with_title=True),
    }
    if html_rows:
        systems["trafilatura.extract defaults (reference)"] = lambda p: trafilatura_plain(html(p))
        systems["HTML reader, body"] = lambda p: reader_text(html(p), with_title=False)
        systems["HTML reader, title+body"] = lambda p: reader_text(html(p), with_title=True)
    if options:
        for label, opts in {
            "balanced": {},
            "favor_precision": {"favor_precision": True},
            "favor_recall": {"favor_recall": True},
        }.items():
            systems[f"trafilatura.extract {label}, no comments"] = lambda p, o=opts: trafilatura_plain(
                html(p), include_comments=False, **o
            )
    return systems


def print_table(results: dict[str, list[tuple[str, Scores]]], seconds: dict[str, float], usable: set[str]) -> None:
    """One markdown row per system: macro and micro P/R/F1, seconds per page, macro F1 over usable pages."""
    print("| system | macro P | macro R | macro F1 | micro P | micro R | micro F1 | s/page | macro F1, 30+ tokens |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, scores in results.items():
        n = len(scores) or 1
        mp = sum(s[1][0] for s in scores) / n
        mr = sum(s[1][1] for s in scores) / n
        mf = sum(s[1][2] for s in scores) / n
        ov, pr, go = (sum(s[1][i] for s in scores) for i in (3, 4, 5))
        up, ur = (ov / pr if pr else 0.0), (ov / go if go else 0.0)
        uf = 2 * up * ur / (up + ur) if up + ur else 0.0
        kept = [s[1][2] for s in scores if s[0] in usable]
        uf30 = sum(kept) / (len(kept) or 1)
        print(
            f"| {name} | {mp:.3f} | {mr:.3f} | {mf:.3f} | {up:.3f} | {ur:.3f} | {uf:.3f} | {seconds[name] / n:.3f} "
            f"| {uf30:.3f} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Score every system on every page with expected text and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "newspaper-testpages")
    parser.add_argument("--pages", type=int, default=0, help="only the first N pages (0: all)")
    parser.add_argument("--show-worst", type=int, default=0, help="list the K pages with the lowest cleaned-text F1")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML rows (they take most of the time)")
    parser.add_argument(
        "--options", action="store_true", help="also score trafilatura's precision/recall options (no comments)"
    )
    parser.add_argument("--realtimeqa", action="store_true", help="time read+clean of the RealTime QA file instead")
    args = parser.parse_args(argv)
    if args.realtimeqa:
        return realtimeqa_speed(args.data.parent / "realtimeqa" / "articles.jsonl.gz")
    if not (args.data / "pages.jsonl").is_file():
        print(f"test pages not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in (args.data / "pages.jsonl").read_text().splitlines() if line.strip()]
    pages = [r for r in rows if r.get("expected_text_file") and (args.data / r["expected_text_file"]).is_file()]
    if args.pages:
        pages = pages[: args.pages]
    systems = systems_for(args.data, html_rows=not args.no_html, options=args.options)
    results: dict[str, list[tuple[str, Scores]]] = {s: [] for s in systems}
    seconds: dict[str, float] = dict.fromkeys(systems, 0.0)
    golds = {p["id"]: tokens((args.data / p["expected_text_file"]).read_text(errors="replace")) for p in pages}
    for page in pages:
        for name, system in systems.items():
            start = time.perf_counter()
            out = system(page)
            seconds[name] += time.perf_counter() - start
            results[name].append((page["id"], prf(tokens(out), golds[page["id"]])))
    # 26 expected texts are empty or a note instead of text ("MISSES SECOND HALF OF ARTICLE"); one is a real
    # 20-word video caption. Every system scores about 0 on the notes, so the last column leaves out references
    # under 30 tokens to show what the systems do where there is an article to match.
    usable = {page_id for page_id, gold in golds.items() if sum(gold.values()) >= 30}
    print(f"{len(pages)} pages with expected text ({len(usable)} with 30+ expected tokens); tokens: lowercased \\w+,")
    print("bag-of-words overlap; macro = mean of per-page scores, micro = from summed counts\n")
    print_table(results, seconds, usable)
    if args.show_worst:
        print("\nlowest F1, text reader (body):")
        worst = sorted(results["text reader, body"], key=lambda s: s[1][2])[: args.show_worst]
        for page_id, (p, r, f, *_rest) in worst:
            print(f"  {page_id}: P {p:.2f} R {r:.2f} F1 {f:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
