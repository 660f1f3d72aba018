"""Feed commands: feeds add/list/remove, and watch (poll the feeds into the archive)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from index import store

if TYPE_CHECKING:
    from index.ingest import feeds

# Named here, not imported: the fetcher brings aiohttp (about 0.2 s), which only the feed commands need, and this
# module is loaded by every `newsbot` command to register its parser.
ALLOW_PRIVATE_ENV = "NEWSBOT_FETCH_ALLOW_PRIVATE"

INTERVAL_ENV = "NEWSBOT_FEED_INTERVAL"
DEFAULT_INTERVAL = 900.0
SHOW_FAILURES = 30


def register(sub: argparse._SubParsersAction) -> None:
    """Add `feeds` (add, list, remove) and `watch`."""
    from index.cli import add_common  # here, not at the top: index.cli imports this module while it loads

    p = sub.add_parser(
        "feeds",
        help="the RSS/Atom feeds `newsbot watch` polls: add, list, remove",
        description="Manage the RSS/Atom feeds whose new items `newsbot watch` (and the bot) store in the archive.",
        epilog="Example:\n  newsbot feeds add https://example.com/rss.xml --name 'Example News'\n"
        "  newsbot feeds list\n  newsbot feeds remove https://example.com/rss.xml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add a feed (http or https)", description="Add a feed to poll.")
    a.add_argument("url", metavar="URL", help="the feed's address (http or https)")
    a.add_argument("--name", help="the outlet name its articles get (default: the feed's own title)")
    add_common(a)
    a.set_defaults(func=cmd_add)
    a = actions.add_parser("list", help="the feeds and how their last check went", description="List the feeds.")
    add_common(a)
    a.set_defaults(func=cmd_list)
    a = actions.add_parser("remove", help="stop polling a feed (its articles stay)", description="Remove a feed.")
    a.add_argument("url", metavar="URL", help="the feed's address, as `newsbot feeds list` shows it")
    add_common(a)
    a.set_defaults(func=cmd_remove)

    p = sub.add_parser(
        "watch",
        help="poll the feeds and store new articles (once, or every --interval seconds)",
        description="Poll every feed with conditional requests, read new items (the item's page when the feed "
        "carries no full text), store them in the archive and update the search index. Robots.txt is respected, "
        "requests to one host are spaced out, and private addresses are refused unless "
        f"{ALLOW_PRIVATE_ENV}=1.",
        epilog="Example:\n  newsbot watch --once\n  newsbot watch --interval 600",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.add_argument("--once", action="store_true", help="one cycle, a summary, exit status 1 when anything failed")
    p.add_argument(
        "--interval", type=_seconds, default=None, metavar="SECONDS", help=f"seconds between cycles (default: "
        f"${INTERVAL_ENV}, else {DEFAULT_INTERVAL:g})"
    )  # fmt: skip
    p.add_argument("--delay", type=_seconds, default=1.0, metavar="SECONDS", help="between requests to one host")
    p.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="for one request")
    p.set_defaults(func=cmd_watch)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def allow_private_from_env() -> bool:
    """``NEWSBOT_FETCH_ALLOW_PRIVATE`` as a yes/no (1, true, yes, on)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _err(message: str) -> None:
    print(f"newsbot: {message}", file=sys.stderr)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_add(args: argparse.Namespace) -> int:
    """`newsbot feeds add URL`: 0 when stored, 2 when the URL is refused (the message says why)."""
    from index.ingest import feeds

    db_path = store.db_path_from_env(args.db)
    try:
        feed, added = feeds.add_feed(db_path, args.url, args.name, allow_private=allow_private_from_env())
    except feeds.FeedError as err:
        if args.json:
            _print_json({"added": False, "url": args.url, "error": str(err)})
        _err(f"feed not added: {err}")
        return 2
    if args.json:
        _print_json({"added": added, "feed": feed})
    elif added:
        print(f"Added {feed['url']}" + (f" as {feed['name']}" if feed["name"] else "") + ".")
        print("`newsbot watch --once` reads it now; `newsbot run` polls it in the background.")
    else:
        print(f"Already there: {feed['url']}" + (f" (named {feed['name']})" if feed["name"] else "") + ".")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """`newsbot feeds list`."""
    from index.ingest import feeds

    rows = feeds.list_feeds(store.db_path_from_env(args.db))
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("No feeds yet. Add one with `newsbot feeds add URL`.")
        return 0
    for row in rows:
        name = row["name"] or row["title"] or "(name from the feed)"
        checked = "never checked"
        if row["last_checked"]:
            checked = f"last checked {row['last_checked']}: {row['last_status']}"
        if row["failures"]:
            plural = "s" if row["failures"] != 1 else ""
            checked += f" ({row['failures']} failure{plural} in a row; next try after {row['next_attempt_at']})"
        items = f"{row['items']} item" + ("s" if row["items"] != 1 else "")
        print(f"{row['url']}\n  {name} · {items} · {checked}")
        if row["failed_items"]:
            print(f"  {row['failed_items']} more not read: their pages failed (retried with backoff)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """`newsbot feeds remove URL`: 0 when removed, 1 when no such feed."""
    from index.ingest import feeds

    removed = feeds.remove_feed(store.db_path_from_env(args.db), args.url)
    if args.json:
        _print_json({"removed": removed, "url": args.url})
    elif removed:
        print(f"Removed {args.url}. Its articles already stored stay in the archive.")
    else:
        _err(f"no such feed: {args.url} (see `newsbot feeds list`)")
    return 0 if removed else 1


def cmd_watch(args: argparse.Namespace) -> int:
    """`newsbot watch`: with --once, 0 when nothing failed and 1 otherwise; without, runs until interrupted."""
    from index.ingest import feeds
    from index.ingest.fetch import FetchPolicy

    db_path = store.db_path_from_env(args.db)
    interval = args.interval
    if interval is None:
        try:
            interval = _seconds(os.environ.get(INTERVAL_ENV) or str(DEFAULT_INTERVAL))
        except argparse.ArgumentTypeError as err:
            _err(f"{INTERVAL_ENV} {err}")
            return 2
    policy = FetchPolicy(allow_private=allow_private_from_env(), host_delay=args.delay, timeout=args.timeout)
    options = feeds.WatchOptions(policy=policy)
    if not feeds.list_feeds(db_path):
        _err("no feeds to watch yet; add one with `newsbot feeds add URL`")
        return 1 if args.once else 2
    while True:
        try:
            report = feeds.watch_once(db_path, options)
        except (OSError, *store.db_errors()) as err:
            if args.once:
                raise
            _err(f"cycle failed ({type(err).__name__}: {err}); trying again in {interval:g} s")
        else:
            if args.json:
                print(json.dumps(report.as_dict(), ensure_ascii=False, default=str), flush=True)
            else:
                print_report(report)
            if args.once:
                return 1 if report.failures else 0
        time.sleep(max(1.0, interval))


def print_report(report: feeds.CycleReport) -> None:
    """The human summary of one cycle: counts, then one line per feed, then every failure with its reason."""
    failures = report.failures
    waiting = len(report.feeds) - report.checked
    print(
        f"{report.checked} feeds checked"
        + (f" ({waiting} more waiting to retry)" if waiting else "")
        + f" in {report.seconds:.1f} s: {report.not_modified} not modified, "
        f"{len(report.new_ids)} new, {len(report.updated_ids)} updated, {len(failures)} failed",
        flush=True,
    )
    for feed in report.feeds:
        counts = f"{feed.new} new, {feed.updated} updated" if feed.status == "ok" else ""
        if counts and feed.items_failed:
            counts += f", {len(feed.items_failed)} failed"
        detail = feed.reason or counts
        print(f"  {feed.status:<12} {feed.name} <{feed.url}>" + (f": {detail}" if detail else ""))
    if failures:
        print(f"failed ({len(failures)}):")
        for line in failures[:SHOW_FAILURES]:
            print(f"  {line}")
        if len(failures) > SHOW_FAILURES:
            print(f"  ... and {len(failures) - SHOW_FAILURES} more (--json lists them all)")
        print("Failed feeds and items are retried in later cycles, waiting longer after each failure.")
    if report.index:
        print(f"search index: {report.index}")
