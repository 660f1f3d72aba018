"""`newsbot timeline`: how coverage of a topic developed, as text in the terminal and optionally a PNG chart."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from index.cli.search import _date_arg, _day_arg, _open_searcher
from index.text import valid_text

if TYPE_CHECKING:
    from index.search.timeline import Timeline

EXAMPLES = """\
An article counts when it holds every word of the query (in its text or headline); each story counts once.
Periods are days (matches within about three months), weeks (within about three years) or months.

examples:
  newsbot timeline "tanner street bridge"
  newsbot timeline ukraine --after 2022 --png ukraine.png
  newsbot timeline 'election source:cnn.com' --json
"""
SPARKS = "▁▂▃▄▅▆▇█"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _printable(text: str | None) -> str:
    """Stored text for the terminal: control characters (escapes, newlines) shown as spaces, never run."""
    return _CONTROL.sub(" ", text or "")


def register(sub: argparse._SubParsersAction) -> None:
    """Add timeline."""
    from index.cli import add_common

    p = sub.add_parser(
        "timeline",
        help="how coverage of a topic developed: articles per day, week or month, and the peaks' top stories",
        description="Count the articles that mention a topic over time; --png also draws the chart.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="+", help="the topic's words (the query language works)")
    p.add_argument("--source", action="append", default=[], help="only this outlet or site (repeatable)")
    p.add_argument("--after", type=_date_arg, help="on or after this date (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--before", type=_date_arg, help="before this date (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--as-of", type=_day_arg, help="count as on this day: nothing published later (YYYY-MM-DD)")
    p.add_argument("--png", metavar="FILE", help="also draw the chart into this PNG file")
    add_common(p)
    p.set_defaults(func=cmd_timeline)


def sparkline(counts: list[int], width: int = 72) -> list[str]:
    """The counts as lines of block characters, ``width`` periods a line."""
    top = max(counts, default=0)
    if not top:
        return []
    marks = "".join(" " if c == 0 else SPARKS[min(7, (c * 8 - 1) // top)] for c in counts)
    return [marks[i : i + width] for i in range(0, len(marks), width)]


def as_dict(line: Timeline, words: str) -> dict:
    """The timeline for --json."""
    from index.search.timeline import summary

    return {
        "query": words,
        "unit": line.unit,
        "total": line.total,
        "undated": line.undated,
        "periods": [{"start": s.isoformat(), "count": c} for s, c in zip(line.starts, line.counts, strict=True)],
        "peaks": [
            {
                "start": p.start.isoformat(),
                "count": p.count,
                "top": None
                if p.top is None
                else {
                    "title": p.top.title,
                    "url": p.top.url,
                    "outlet": p.top.outlet,
                    "published": p.top.published,
                    "article_id": p.top.article_id,
                },
            }
            for p in line.peaks
        ],
        "summary": summary(line, words),
        "took_ms": round(line.took_ms, 1),
    }


def cmd_timeline(args: argparse.Namespace) -> int:
    """`newsbot timeline`: the summary, a sparkline and the peaks (or JSON), and the chart with --png."""
    # Imported here: it brings numpy, which registering the command for every `newsbot` run need not load.
    from index.search.timeline import label, summary, timeline

    words = valid_text(" ".join(args.query).strip())
    searcher = _open_searcher(args)
    if searcher is None:
        return 1
    with searcher:
        line = timeline(
            searcher, words, sources=args.source or None, after=args.after, before=args.before, as_of=args.as_of
        )
    if args.png:
        from index.chart import draw_timeline

        Path(args.png).write_bytes(draw_timeline(line, words))
    if args.json:
        print(json.dumps(as_dict(line, words), ensure_ascii=False))
        return 0 if line.total else 1
    print(summary(line, words))
    if line.total:
        first, last = label(line.starts[0], line.unit), label(line.starts[-1], line.unit)
        print(f"\n{first} → {last}, one mark per {line.unit}:")
        for row in sparkline(line.counts):
            print(f"  {row}")
    for p in line.peaks:
        top = ""
        if p.top is not None:
            top = (
                f" — {_printable(p.top.title)} ({_printable(p.top.outlet) or 'unknown outlet'}) {_printable(p.top.url)}"
            )
        print(f"• {label(p.start, line.unit)}: {p.count}{top}".rstrip())
    if args.png:
        print(f"\nChart written to {args.png}", file=sys.stderr)
    return 0 if line.total else 1
