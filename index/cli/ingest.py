"""Ingest-side commands: index, stats, article, clean."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from index import store
from index.ingest import pipeline
from index.ingest.update import PostingsNotRebuilt, UpdateResult, update_index
from index.models import Article, Problem

# Problems and duplicates listed in the human summary; --json and the ingest log have them all.
SHOW_PROBLEMS = 20
SHOW_DUPLICATES = 5
SHOW_OUTLETS = 15
SHOW_ARTICLES = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ingest-side subcommands."""
    from index.cli import add_common  # here, not at the top: index.cli imports this module while it loads

    p = sub.add_parser(
        "index",
        help="read news files into the database (only new or changed files are read)",
        description="Read news files (text, HTML, JSON/JSONL, Markdown, RSS/Atom; optionally .gz) into the "
        "database, then rebuild the search index if what it holds changed. Files already indexed and unchanged are "
        "skipped.",
        epilog="Example:\n  newsbot index corpus/ --db data/newsbot.db\n  newsbot index archive/ --prune --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are read recursively)")
    add_common(p)
    p.add_argument(
        "--prune", action="store_true", help="also remove stored articles whose files under these paths are gone"
    )
    p.add_argument(
        "--workers", type=_workers, default=None, metavar="N", help="reader processes (default: one per CPU; 0: none)"
    )
    p.add_argument("--no-postings", action="store_true", help="do not rebuild the search index afterwards")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "stats",
        help="what the database holds: articles, outlets, dates, last run",
        description="Show what the database holds: counts, outlets and their date ranges, the last ingest run.",
        epilog="Example:\n  newsbot stats --db data/newsbot.db\n  newsbot stats --problems",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.add_argument(
        "--problems", action="store_true", help="list the problems of the last run that had any (file:line: reason)"
    )
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "article",
        help="show one stored article with its metadata and numbered paragraphs",
        description="Show one stored article: its metadata and its paragraphs, numbered as citations give them. "
        "REF is the article's number, its id in the source (a JSONL record's id), its URL, or its file.",
        epilog="Example:\n  newsbot article 42\n  newsbot article https://example.com/news/story.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ref", metavar="ID|URL|PATH", help="article number, source id, URL or file path")
    add_common(p)
    p.set_defaults(func=cmd_article)

    p = sub.add_parser(
        "clean",
        help="show what the readers extract from one file (nothing is stored)",
        description="Print what the readers extract from one file: the cleaned body, then the metadata, then any "
        "problems. Nothing is stored; use it to see why a page came out as it did.",
        epilog="Example:\n  newsbot clean corpus/pages/some-story.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="one input file")
    add_common(p, db=False)
    p.set_defaults(func=cmd_clean)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _err(message: str) -> None:
    print(f"newsbot: {message}", file=sys.stderr)


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.json and sys.stderr.isatty()


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --- index ---------------------------------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    """`newsbot index PATH...`: 0 when all input was used, 1 when some failed (all reported), 2 for bad usage."""
    if not _paths_exist(args.paths):
        return 2
    db_path = store.db_path_from_env(args.db)
    try:
        result = update_index(
            args.paths,
            db_path,
            prune=args.prune,
            progress=_show_progress(args),
            workers=args.workers,
            postings=not args.no_postings,
        )
    except pipeline.IngestError as err:
        _err(str(err))
        return 1
    except pipeline.IngestInterrupted as stop:
        _report(stop.summary, db_path, None, args.json)
        if not args.json:
            print("Interrupted: what was committed is kept; run the same command again to finish.")
        return 130
    except PostingsNotRebuilt as err:
        _report(err.summary, db_path, {"error": f"{err}; run `newsbot index` again to retry"}, args.json)
        return 1
    if result.health is not None and result.health.headline:
        _err(f"{result.health.headline}; rebuilding it from the stored articles")
    kept = None if args.no_postings else result.generation
    _report(result.summary, db_path, _index_info(result), args.json, kept=kept)
    return 1 if result.summary.failed else 0


def _paths_exist(paths: list[str]) -> bool:
    """Whether every given path exists; says which do not, and what to do, when some are missing."""
    missing = [p for p in paths if not Path(p).expanduser().exists()]
    for p in missing:
        _err(f"no such file or folder: {p}")
    if missing:
        _err("check the path (folders are read recursively), then run `newsbot index PATH...` again")
    return not missing


def _index_info(result: UpdateResult) -> dict[str, Any] | None:
    """The rebuild as the report shows it; None when the postings in service were already up to date."""
    if not result.rebuilt:
        return None
    info: dict[str, Any] = {"seconds": round(result.seconds, 3), "how": "rebuilt"}
    if result.build is not None:
        info.update({k: v for k, v in asdict(result.build).items() if k in ("generation", "passages", "terms")})
        if result.build.grown:  # only what changed was added, as a segment (index.search.grow)
            info["how"] = "grown"
    if result.merged is not None:  # the grown generation's segment was merged after it: that one is in service
        info["generation"] = result.merged.generation
        info["how"] = "grown, then merged"
    return info


def _report(
    summary: pipeline.RunSummary,
    db_path: Path,
    index_info: dict[str, Any] | None,
    as_json: bool,
    *,
    kept: str | None = None,
) -> None:
    """Print what a run did; ``kept`` names the generation left in service when nothing needed rebuilding."""
    if as_json:
        data = summary.as_dict()
        data["db"] = store.display(db_path)
        data["problems"] = [asdict(p) for p in summary.problems]
        data["search_index"] = index_info
        _print_json(data)
        return
    _print_counts(summary, db_path)
    if index_info is not None:
        _print_rebuild(index_info)
    elif kept is not None:
        print(f"search index: up to date ({kept}), nothing to rebuild")
    _print_lists(summary)


def _print_counts(s: pipeline.RunSummary, db_path: Path) -> None:
    print(
        f"{s.files_seen:,} files in {s.seconds:.1f} s: {s.files_read:,} read, {s.files_unchanged:,} unchanged"
        + (f", {s.files_removed:,} removed" if s.files_removed else "")
        + (f", {s.files_failed:,} failed" if s.files_failed else "")
        + f"  ->  {store.display(db_path)}"
    )
    print(
        f"articles: {s.added:,} added, {s.updated:,} updated, {s.unchanged:,} unchanged, "
        f"{s.duplicates:,} duplicate"
        + (f" (of {s.duplicate_groups:,} stories)" if s.duplicate_groups else "")
        + f", {s.skipped:,} skipped, {s.failed:,} failed"
        + (f", {s.removed:,} removed" if s.removed else "")
    )
    print(f"passages: {s.passages:,} written" + (f", {s.retokenized:,} re-tokenized" if s.retokenized else ""))
    if s.resplit:
        print(f"re-split {s.resplit:,} stored articles for the new passage splitter")


def _print_rebuild(index_info: dict[str, Any]) -> None:
    if index_info.get("error"):
        print(f"search index: {index_info['error']}")
    else:
        gen = f" ({index_info['generation']})" if index_info.get("generation") else ""
        print(f"search index: {index_info.get('how', 'rebuilt')} in {index_info['seconds']:.1f} s{gen}")


def _print_lists(s: pipeline.RunSummary) -> None:
    """The files with old problems, and the first duplicates and problems (--json and the log have them all)."""
    if s.files_with_old_problems:
        print(
            f"{s.files_with_old_problems:,} unchanged files had problems when last read; "
            "`newsbot stats --problems` lists them (fix or remove the files, then index again)"
        )
    if s.duplicate_list:
        print(f"duplicates (same text as an article already stored; not indexed twice), first {SHOW_DUPLICATES}:")
        for d in s.duplicate_list[:SHOW_DUPLICATES]:
            where = f"{d['path']}:{d['line']}" if d["line"] is not None else d["path"]
            print(f"  {where}  = article {d['original_id']} ({d['original_source_id']})")
    if s.problems:
        total = s.skipped + s.failed
        ordered = sorted(s.problems, key=lambda p: p.level == "skip")
        print(f"problems ({total:,}):")
        for p in ordered[:SHOW_PROBLEMS]:
            print(_problem_line(p))
        if total > SHOW_PROBLEMS:
            print(f"  ... and {total - SHOW_PROBLEMS:,} more (`newsbot stats --problems` lists them)")


# --- stats ---------------------------------------------------------------------------------------------------------


def _open_existing(db_arg: str | None) -> tuple[store.Locator, sqlite3.Connection | None]:
    db_path = store.db_path_from_env(db_arg)
    if not store.exists(db_path):
        _err(f"no database at {db_path}; index some files first: newsbot index PATH --db {db_path}")
        return db_path, None
    return db_path, store.connect_for_reading(db_path)


def cmd_stats(args: argparse.Namespace) -> int:
    """`newsbot stats`: counts, outlets with date ranges, last run, versions."""
    from index.search.generations import current_generation
    from index.tokenize import TOKENIZER_VERSION

    db_path, conn = _open_existing(args.db)
    if conn is None:
        return 1
    try:
        if args.problems:
            return _print_problems(conn, args.json)
        data = store.stats(conn).as_dict()
    finally:
        conn.close()
    data["db"] = store.display(db_path)
    data["code_tokenizer_version"] = str(TOKENIZER_VERSION)
    data["index_generation"] = current_generation(db_path)
    if args.json:
        _print_json(data)
        return 0
    print(f"database:   {store.display(db_path)} ({_size(data['db_bytes'])}, schema {data['schema_version']})")
    print(f"articles:   {data['articles']:,} distinct stories, from {data['files']:,} files")
    print(f"duplicates: {data['duplicates']:,} (the same text stored again: folded into the first, not indexed twice)")
    print(f"passages:   {data['passages']:,} (the indexed pieces of the stories that searches match)")
    by_status = data["files_by_status"]
    troubled = {k: v for k, v in by_status.items() if k in ("partial", "failed")}
    if troubled:
        listed = ", ".join(f"{v:,} {k}" for k, v in sorted(troubled.items()))
        print(f"files:      {listed} (`newsbot stats --problems` says why)")
    if by_status.get("pending"):
        print(f"unfinished: {by_status['pending']:,} files from an interrupted run; `newsbot index` them again")
    dates = f"{data['first_date']} to {data['last_date']}" if data["first_date"] else "no dates"
    print(f"dates:      {dates}")
    stored_tok = data["tokenizer_version"]
    note = "" if stored_tok == data["code_tokenizer_version"] else " (differs from this code: run `newsbot index`)"
    print(f"tokenizer:  version {stored_tok}{note}")
    print(f"search:     {data['index_generation'] or 'not built (run `newsbot index PATH`)'}")
    run = data["last_run"]
    if run:
        counts = run["summary"]
        extra = (
            f": {counts.get('added', 0):,} added, {counts.get('updated', 0):,} updated, "
            f"{counts.get('failed', 0):,} failed"
            if counts
            else ""
        )
        print(f"last run:   #{run['id']} {run['status']} at {run['finished_at'] or run['started_at']}{extra}")
    outlets = data["outlets"]
    if outlets:
        print(f"outlets ({len(outlets):,}):")
        for o in outlets[:SHOW_OUTLETS]:
            span = f"{o['first_date']} to {o['last_date']}" if o["first_date"] else "no dates"
            print(f"  {o['outlet'] or '(unknown)':<30} {o['articles']:>8,}  {span}")
        if len(outlets) > SHOW_OUTLETS:
            print(f"  ... and {len(outlets) - SHOW_OUTLETS:,} more (`newsbot stats --json` lists all)")
    return 0


def _print_problems(conn: sqlite3.Connection, as_json: bool) -> int:
    run_id = store.last_run_with(conn, ("error", "skip"))
    entries = store.run_log(conn, run_id, levels=("error", "skip")) if run_id is not None else []
    # Files unchanged since an earlier run are not read again, so their problems are in that run's log.
    earlier = store.open_problems(conn, before=run_id) if run_id is not None else []
    if as_json:
        _print_json({"run_id": run_id, "problems": [dict(e) for e in entries], "earlier": [dict(e) for e in earlier]})
        return 0
    if not entries:
        print("No problems logged: every file read so far was used.")
        return 0
    print(f"problems of run #{run_id} ({len(entries):,}):")
    for e in entries:
        print(_problem_line(Problem(e["path"], e["reason"], e["line"], e["level"])))
    if earlier:
        print(f"problems of {len({e['path'] for e in earlier}):,} files unchanged since an earlier run:")
        for e in earlier:
            print(_problem_line(Problem(e["path"], e["reason"], e["line"], e["level"])) + f"  (run #{e['run_id']})")
    return 0


def _problem_line(p: Problem) -> str:
    """One problem as the summary and `stats --problems` list it: ``  file:line: reason [skipped]``."""
    return f"  {p}" + (" [skipped]" if p.level == "skip" else "")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


# --- article -------------------------------------------------------------------------------------------------------


def _article_dict(conn: sqlite3.Connection, article: store.StoredArticle, *, full: bool) -> dict[str, Any]:
    data = asdict(article)
    body = data.pop("body")
    del data["passages"]  # a count; the full view lists the passages themselves
    if full:
        # Split as stored, blank paragraphs included: these numbers are the ones citations give.
        data["paragraphs"] = body.split("\n\n")
        data["passages"] = [
            {k: p[k] for k in ("id", "ordinal", "paragraph", "paragraph_end", "char_start", "char_end")}
            for p in store.article_passages(conn, article.id)
        ]
        data["duplicates"] = [dict(d) for d in store.article_duplicates(conn, article.id)]
        if article.duplicate_of is not None:
            original = store.read_article(conn, article.duplicate_of)
            data["original"] = {"id": original.id, "source_id": original.source_id} if original else None
    return data


def cmd_article(args: argparse.Namespace) -> int:
    """`newsbot article ID|URL|PATH`: one stored article, or a list when the reference names several."""
    _, conn = _open_existing(args.db)
    if conn is None:
        return 1
    try:
        found = store.find_articles(conn, args.ref)
        if not found:
            message = f"No article {args.ref!r}. Try `newsbot search ...` to find one, then use its number."
            if args.json:
                _print_json({"error": message, "ref": args.ref})
            else:
                _err(message)
            return 1
        if len(found) > 1:
            listed = [_article_dict(conn, a, full=False) for a in found]
            if args.json:
                _print_json({"ref": args.ref, "matches": listed})
                return 0
            print(f"{len(found):,} articles match {args.ref!r}; show one with `newsbot article NUMBER`:")
            for a in found[:SHOW_ARTICLES]:
                print(f"  {a.id:>8}  {a.title or '(no headline)'}  [{a.outlet or '?'}, {a.published or '?'}]")
            if len(found) > SHOW_ARTICLES:
                print(f"  ... and {len(found) - SHOW_ARTICLES:,} more (`--json` lists all)")
            return 0
        data = _article_dict(conn, found[0], full=True)
    finally:
        conn.close()
    if args.json:
        _print_json(data)
        return 0
    _print_article(data)
    return 0


def _print_article(d: dict[str, Any]) -> None:
    print(d["title"] or "(no headline)")
    print("=" * min(len(d["title"] or "(no headline)"), 100))
    fields = [
        ("article", str(d["id"])),
        ("outlet", d["outlet"]),
        ("published", d["published"]),
        ("url", d["url"]),
        ("authors", ", ".join(d["authors"])),
        ("source id", d["source_id"]),
        ("file", f"{d['origin_path']}:{d['origin_line']}" if d["origin_line"] is not None else d["origin_path"]),
        ("reader", d["reader"]),
        ("added", d["added_at"]),
        ("updated", d["updated_at"] if d["updated_at"] != d["added_at"] else None),
        ("passages", str(len(d["passages"]))),
    ]
    if d.get("original"):
        fields.append(("duplicate of", f"article {d['original']['id']} ({d['original']['source_id']})"))
    if d["duplicates"]:
        fields.append(("same text in", ", ".join(f"article {x['id']}" for x in d["duplicates"])))
    for key, value in sorted(d["extra"].items()):
        fields.append((key, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value))
    for label, value in fields:
        if value:
            print(f"{label + ':':<14}{value}")
    print()
    for n, para in enumerate(d["paragraphs"], start=1):
        print(f"[{n}] {para}")
        print()


# --- clean ---------------------------------------------------------------------------------------------------------


def cmd_clean(args: argparse.Namespace) -> int:
    """`newsbot clean FILE`: what the readers extract from one file; nothing is stored."""
    from index.ingest import readers

    path = Path(args.file).expanduser()
    if not path.is_file():
        _err(f"no such file: {args.file}" if not path.exists() else f"not a file: {args.file} (give one file)")
        return 2
    items = readers.extract(path)
    articles = [x for x in items if isinstance(x, Article)]
    problems = [x for x in items if isinstance(x, Problem)]
    failed = any(p.level != "skip" for p in problems)
    if args.json:
        out = []
        for a in articles:
            data = asdict(a)
            data["body"] = a.body
            data["content_hash"] = a.content_hash
            out.append(data)
        _print_json({"file": str(path), "articles": out, "problems": [asdict(p) for p in problems]})
        return 1 if failed else 0
    for k, a in enumerate(articles):
        if len(articles) > 1:
            print(f"--- article {k + 1} of {len(articles)} " + "-" * 40)
        _print_extracted(a)
    if not articles:
        print("No article extracted.")
    if problems:
        print(f"problems ({len(problems)}):")
        for p in problems:
            print(f"  {p}" + (" [skipped]" if p.level == "skip" else ""))
    return 1 if failed else 0


def _print_extracted(a: Article) -> None:
    """One extracted article as `newsbot clean` shows it: headline, numbered paragraphs, then its metadata."""
    print(a.title or "(no headline found)")
    print()
    for n, para in enumerate(a.paragraphs, start=1):
        print(f"[{n}] {para}")
        print()
    meta = [
        ("outlet", a.outlet),
        ("published", a.published),
        ("url", a.url),
        ("authors", ", ".join(a.authors)),
        ("source id", a.source_id),
        ("line", str(a.origin_line) if a.origin_line is not None else None),
        ("reader", a.reader),
        ("words", f"{len(a.body.split()):,}"),
    ]
    meta += [(key, json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v) for key, v in a.extra.items()]
    width = max(len(label) for label, _ in meta) + 2
    for label, value in meta:
        if value:
            print(f"{label + ':':<{width}}{value}")
    print()
