"""The `newsbot` command line's index-side commands; `bot.cli` adds `run` and is the entry point."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from index.cli import feeds, ingest, search, timeline
from index.store import db_errors as store_errors

# Each module adds its subcommands with register(subparsers); a handler takes the parsed args and returns the
# process exit status. Modules are imported here so `python -m index` works without the bot installed.
COMMAND_MODULES = [ingest, search, feeds, timeline]


def add_common(parser: argparse.ArgumentParser, *, db: bool = True, json_flag: bool = True) -> None:
    """Options every subcommand shares: --db (default $NEWSBOT_DB or data/newsbot.db) and --json."""
    if db:
        parser.add_argument("--db", help="SQLite database (default: $NEWSBOT_DB or data/newsbot.db)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser with every index-side subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Index a news archive and ask it questions, from the terminal or Discord.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser, sub


def setup_logging(verbose: int) -> None:
    """Log to stderr; level from -v flags, else $NEWSBOT_LOG_LEVEL, else WARNING (progress bars say the rest)."""
    level = {0: os.environ.get("NEWSBOT_LOG_LEVEL", "WARNING").upper(), 1: "INFO"}.get(verbose, "DEBUG")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(argv: list[str] | None, parser: argparse.ArgumentParser) -> int:
    """Parse and dispatch; returns the exit status."""
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return 130
    except (*store_errors(), OSError) as err:
        if isinstance(err, BrokenPipeError):
            return _closed_pipe()
        from index.store import db_path_from_env, describe_error

        message = describe_error(err, db_path_from_env(getattr(args, "db", None)))
        if message is None:
            raise
        print(f"newsbot: {message}", file=sys.stderr, flush=True)
        return 1


def _closed_pipe() -> int:
    """`newsbot search ... | head` closed the pipe: not an error.

    stdout is pointed at devnull so the interpreter's final flush does not raise again.
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point without the bot: `python -m index ...`."""
    parser, _ = build_parser()
    return run(argv, parser)
