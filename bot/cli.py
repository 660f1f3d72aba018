"""The `newsbot` console script: every index-side command plus `run`, which starts the Discord bot."""

from __future__ import annotations

import argparse
import sys

from index.cli import add_common, build_parser, run


def _run_bot(args: argparse.Namespace) -> int:
    # Imported here so index-side commands never pay for (or depend on) discord.py.
    from bot.__main__ import main as bot_main

    return bot_main(db=args.db)


def main(argv: list[str] | None = None) -> int:
    parser, sub = build_parser()
    p = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN in the environment or .env)")
    add_common(p, json_flag=False)
    p.set_defaults(func=_run_bot)
    return run(argv, parser)


if __name__ == "__main__":
    sys.exit(main())
