"""Search-side commands: search (one query or a batch), ask (the answer as the bot gives it), eval."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from index.answer.compose import ask, mark_best_sentences
from index.cli.render import answer_dict, batch_hit, hit_dict, render_answer, render_results
from index.dates import parse_typed_date
from index.models import SORTS, Results
from index.search.query import EMPTY_MESSAGE, parse
from index.store import db_path_from_env
from index.store import exists as store_exists
from index.text import valid_text

NOT_INDEXED = "The archive is not indexed yet: run `newsbot index PATH`."

SEARCH_EXAMPLES = """\
query language:
  "exact phrase"      the words must occur together, as written
  -word  -"phrase"    leave out articles that have them
  source:cnn.com      only this outlet or site (repeat for several: any of them)
  after:2022-01-01    on or after this date (YYYY-MM-DD, YYYY-MM or YYYY)
  before:2022-02      before this date
  title:word          the headline must contain the word (title:"a phrase" too)
  this week, in March time words favour articles from then (read against --as-of, default now)

examples:
  newsbot search 'sanctions "North Korea" -missile'
  newsbot search 'vaccine mandate source:cnn.com after:2021-09' --sort newest
  newsbot search inflation --after 2022-01 --before 2022-07 --k 5 --json
  newsbot search 'storm damage this week' --as-of 2022-01-07
  newsbot search --batch queries.txt > results.jsonl
  printf '%s\\n' 'first query' '{"query": "storm damage", "as_of": "2022-01-07"}' | newsbot search --batch -
"""

ASK_EXAMPLES = """\
examples:
  newsbot ask "Who won the Australian Open men's final?"
  newsbot ask what did the council decide about the budget --as-of 2022-03-01
  newsbot ask "How many people were arrested?" --json
"""

EVAL_EXAMPLES = """\
The question file is JSONL: {"question": ..., "gold_article_ids": [...]} and/or "gold_urls": [...]
("gold_source_ids" as in corpus/questions.jsonl also works); "date" is the question's as-of date.

With "answer": [...] gold answer strings, each question is also answered exactly as `newsbot ask` answers it
(same as-of date, same sort), and the report adds:
  quote@1  the quote holds a gold answer (a quote over 400 characters counts as a miss)
  pass@3   one of the cited passages holds one
  short@1  the short answer is right (none shown counts as a miss)
and lists the answer misses: the question, its gold answers, the short answer and the quote.
Matching: both texts are normalised (Unicode NFKD, accents folded, lower case, punctuation to spaces) and the
gold string must occur as whole words ("Tonga" matches "Tonga's capital", not "Tongan"); a short answer also
counts when a gold string holds it and it has two thirds of that string's words ("Tony Awards").

examples:
  newsbot eval ../shared/data/realtimeqa/dev_questions.jsonl
  newsbot eval corpus/questions.jsonl --k 5 --json
  newsbot eval questions.jsonl --no-as-of
  newsbot eval questions.jsonl --sort blend --sort relevance
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add search, ask and eval."""
    from index.cli import add_common

    p = sub.add_parser(
        "search",
        help="search the archive: ranked articles with snippets",
        description="Search the indexed archive. Each article appears once, with its best passage.",
        epilog=SEARCH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="*", help="what to search for (the query language below works here)")
    p.add_argument("--k", type=_positive, default=10, help="how many results (default 10)")
    p.add_argument(
        "--sort",
        choices=SORTS,
        help="result order: blend (relevance with recency and the question's time words; default), relevance, newest",
    )
    p.add_argument("--source", action="append", default=[], help="only this outlet or site (repeatable)")
    p.add_argument("--after", type=_date_arg, help="on or after this date (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--before", type=_date_arg, help="before this date (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--as-of", type=_day_arg, help="search as on this day: nothing published later (YYYY-MM-DD)")
    p.add_argument(
        "--batch",
        metavar="FILE",
        help='one query per line ("-" for stdin; a JSON line may carry "query" and "as_of"); one JSON line out each',
    )
    _add_stage_flags(p)
    add_common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "ask",
        help="ask a question: the answer as the bot gives it",
        description="Answer a question from the archive: a short answer in bold when the top passages agree on one,"
        " the sentence (or two) that answers quoted, then the top passages cited.",
        epilog=ASK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("question", nargs="+", help="the question (quotes optional)")
    p.add_argument("--as-of", type=_day_arg, help="answer as on this day: nothing published later (YYYY-MM-DD)")
    p.add_argument("--passages", type=_positive, default=3, help="how many passages to cite (default 3)")
    _add_stage_flags(p)
    add_common(p)
    p.set_defaults(func=cmd_ask)
    _register_eval(sub, add_common)


def _register_eval(sub: argparse._SubParsersAction, add_common: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="measure retrieval (Recall@1/5/10, MRR@10) and answers (quote@1, pass@3, short@1) on known questions",
        description="Ask every question in a JSONL file and score where its gold article ranks, and, for questions"
        " with answer strings, whether the answer holds them.",
        epilog=EVAL_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("questions", help="JSONL file of questions with gold articles")
    p.add_argument("--k", type=_positive, default=10, help="distinct articles that count (default 10)")
    p.add_argument("--no-as-of", action="store_true", help="ignore the questions' dates (no as-of run)")
    p.add_argument(
        "--sort",
        choices=SORTS,
        action="append",
        help="result order to measure; repeat to compare (--sort blend --sort relevance; default: blend)",
    )
    _add_stage_flags(p)
    add_common(p)
    p.set_defaults(func=cmd_eval)


def _add_stage_flags(p: argparse.ArgumentParser) -> None:
    """Switches for what runs on top of BM25 (``--sort relevance`` is plain BM25 whatever they say)."""
    p.add_argument(
        "--no-rerank",
        action="store_true",
        help="blend without the second stage (re-ranking by the query's burst of coverage)",
    )
    p.add_argument(
        "--no-correct",
        action="store_true",
        help="search words the archive does not know as typed (no 'searched for ... instead')",
    )


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return n


def _date_arg(value: str) -> date:
    day = parse_typed_date(value)
    if day is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
    return day


def _day_arg(value: str) -> date:
    day = parse_typed_date(value)
    if day is None or len(value.strip()) < 8:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day: use YYYY-MM-DD")
    return day


def _open_searcher(args: argparse.Namespace) -> Any | None:
    """The searcher for --db, or None after telling the user the archive is not indexed."""
    path = db_path_from_env(args.db)
    if not store_exists(path):
        print(NOT_INDEXED, file=sys.stderr)
        return None
    from index.search.searcher import IndexMissing, Searcher, SearchError

    try:
        searcher = Searcher.open(path)
    except IndexMissing:
        print(NOT_INDEXED, file=sys.stderr)
        return None
    except SearchError as err:  # damaged or outdated: one line saying what to run
        print(err, file=sys.stderr)
        return None
    if getattr(args, "no_rerank", False):
        searcher.rerank = None
    if getattr(args, "no_correct", False):
        searcher.spelling = None
    return searcher


# --- search --------------------------------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    """`newsbot search`: one query (text or JSON out) or a batch (JSON lines out)."""
    text = valid_text(" ".join(args.query).strip())
    if args.batch and text:
        print("Give either a QUERY or --batch FILE, not both.", file=sys.stderr)
        return 2
    if not args.batch and not text:
        print(f"{EMPTY_MESSAGE} Example: newsbot search 'storm damage'", file=sys.stderr)
        return 2
    if text and parse(text).empty:
        print(EMPTY_MESSAGE, file=sys.stderr)
        return 1
    searcher = _open_searcher(args)
    if searcher is None:
        return 1
    filters: dict[str, Any] = {"sources": args.source or None, "after": args.after, "before": args.before}
    if args.sort:
        filters["sort"] = args.sort
    if args.batch:
        try:
            stream = _open_batch(args.batch)
        except OSError as e:
            print(f"Cannot read {args.batch}: {e.strerror}. Check the path.", file=sys.stderr)
            return 1
        from index.search.spelling import prepare as prepare_spelling
        from index.search.timeparse import warm_up

        warm_up()  # the date parser loads once, before the first timed line
        prepare_spelling(searcher)  # and the speller
        with stream as lines:
            run_batch(searcher, lines, sys.stdout, k=args.k, as_of=args.as_of, **filters)
        return 0
    results = searcher.search(text, k=args.k, as_of=args.as_of, **filters)
    if args.json:
        q = results.query
        mark_best_sentences(results.hits, q, searcher.idf(q.terms + q.title_terms))
        print(json.dumps(results_dict(results), ensure_ascii=False))
    else:
        sys.stdout.write(render_results(results, bold=sys.stdout.isatty()))
    return 0 if not results.query.empty else 1


def _open_batch(name: str) -> contextlib.AbstractContextManager[Any]:
    """The batch input as bytes (each line is decoded on its own, so one line of bad UTF-8 is one error record).

    The returned context manager closes a file and leaves stdin open.
    """
    if name == "-":
        return contextlib.nullcontext(getattr(sys.stdin, "buffer", sys.stdin))
    return open(name, "rb")


def run_batch(
    searcher: Any, lines: Iterable[str | bytes], out: TextIO, *, k: int, as_of: date | None = None, **filters: Any
) -> int:
    """Answer one query per input line with one JSON line each, in order; returns how many lines were answered.

    A plain line is the query; a line holding a JSON object carries ``query`` and optionally ``as_of``
    (YYYY-MM-DD). Blank lines are skipped; a line that cannot be used (not UTF-8, not JSON, nested too deeply)
    gets ``{"query", "error"}`` and the batch goes on. Each answer is written as soon as it is ready.
    """
    answered = 0
    for raw, query, day, error in _batch_items(lines, as_of):
        if error:
            record: dict[str, Any] = {"query": query if query is not None else raw, "error": error, "results": []}
        else:
            t0 = time.perf_counter()
            try:
                # Batch lines carry no highlights: skip annotating the hits.
                results = searcher.search(query, k=k, as_of=day, annotate=False, **filters)
            except (ValueError, TypeError) as e:
                record = {"query": query, "error": f"cannot search this query: {e}", "results": []}
            else:
                took = (time.perf_counter() - t0) * 1000
                record = {"query": query, "took_ms": round(took, 3), "results": [batch_hit(h) for h in results.hits]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()  # a line answered is a line delivered, whatever happens to a later one
        answered += 1
    return answered


def _batch_items(
    lines: Iterable[str | bytes], as_of: date | None
) -> Iterator[tuple[str, str | None, date | None, str | None]]:
    """(raw line, query, as-of, error) for each non-blank line."""
    for number, line in enumerate(lines, 1):
        try:
            text = line.decode("utf-8") if isinstance(line, bytes) else line
        except UnicodeDecodeError:
            yield f"line {number}", None, None, "not UTF-8 text: save the batch file as UTF-8"
            continue
        raw = valid_text(text.rstrip("\r\n"))
        if not raw.strip():
            continue
        if not raw.lstrip().startswith("{"):
            yield raw, raw.strip(), as_of, None
            continue
        try:
            rec = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            yield raw, None, None, 'not valid JSON: give a plain query or {"query": ..., "as_of": "YYYY-MM-DD"}'
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("query"), str):
            yield raw, None, None, 'a JSON line needs a "query" string'
            continue
        rec["query"] = valid_text(rec["query"])
        day = as_of
        if rec.get("as_of") is not None:
            value = str(rec["as_of"])
            day = parse_typed_date(value[:10]) if len(value) >= 10 else None
            if day is None:
                yield raw, rec["query"], None, f"as_of {value!r} is not a date: use YYYY-MM-DD"
                continue
        yield raw, rec["query"], day, None


def results_dict(results: Results) -> dict[str, Any]:
    """`newsbot search --json` output."""
    return {
        "query": results.query.raw,
        "took_ms": round(results.took_ms, 3),
        "total": results.total,
        "offset": results.offset,
        "notes": results.query.notes,
        "corrections": [{"word": c.word, "searched": c.shown} for c in results.corrections],
        "message": results.message or (EMPTY_MESSAGE if results.query.empty else None),
        "results": [hit_dict(h) for h in results.hits],
    }


# --- ask -----------------------------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    """`newsbot ask`: the bot's answer, for the terminal or as JSON."""
    question = valid_text(" ".join(args.question).strip())
    if parse(question).empty:
        print(EMPTY_MESSAGE, file=sys.stderr)
        return 1
    searcher = _open_searcher(args)
    if searcher is None:
        return 1
    answer = ask(searcher, question, as_of=args.as_of, passages=args.passages)
    if args.json:
        print(json.dumps(answer_dict(answer), ensure_ascii=False))
    else:
        sys.stdout.write(render_answer(answer, bold=sys.stdout.isatty()))
    return 0


# --- eval ----------------------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    """`newsbot eval`: retrieval metrics on a question file."""
    from index.evaluate import evaluate, format_report, report_dict
    from index.search.searcher import DEFAULT_SORT
    from index.search.spelling import prepare as prepare_spelling

    if not Path(args.questions).is_file():
        print(f"No question file at {args.questions}: give a JSONL file of questions.", file=sys.stderr)
        return 1
    searcher = _open_searcher(args)
    if searcher is None:
        return 1
    prepare_spelling(searcher)  # built before the first timed question
    try:
        report = evaluate(
            searcher, args.questions, k=args.k, use_as_of=not args.no_as_of, sorts=args.sort or [DEFAULT_SORT]
        )
    except ValueError as e:
        print(f"{e}. Fix that line and run again.", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
    else:
        sys.stdout.write(format_report(report))
    return 0
