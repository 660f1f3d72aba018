"""Run the Discord bot: `python -m bot` or `newsbot run` (settings from the environment and .env)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import discord

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


def setup_logging(level: str) -> None:
    """Log to stderr through discord.py's formatter; our loggers at ``level``, discord.py's at INFO at most."""
    root = logging.getLogger()
    # `newsbot run` comes through the CLI, which has already given the root logger a plain handler: one handler
    # only, or every line is written twice.
    for handler in list(root.handlers):
        root.removeHandler(handler)
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))


async def serve(settings: Settings) -> int:
    """Log in and run until disconnected or until SIGINT/SIGTERM; returns the exit status."""
    from bot.bot import make_bot

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            loop.add_signal_handler(sig, stop.set)
    async with make_bot(settings) as bot:
        runner = asyncio.create_task(bot.start(settings.token.reveal()), name="newsbot")
        stopper = asyncio.create_task(stop.wait(), name="newsbot-signals")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("signal received; closing the connection and the database")
            await bot.close()
            # The gateway loop ends once the client is closed; don't hang on it if it does not.
            await asyncio.wait({runner}, timeout=10)
            runner.cancel()
        else:
            stopper.cancel()
        await asyncio.wait({runner})
        try:
            if not runner.cancelled():
                runner.result()
        except discord.LoginFailure:
            print(
                "Discord rejected DISCORD_TOKEN: reset the token in the developer portal and update .env.",
                file=sys.stderr,
            )
            return 1
        except discord.PrivilegedIntentsRequired:
            print("Discord refused an intent the bot asked for; this bot needs no privileged intents.", file=sys.stderr)
            return 1
    return 0


def main(db: str | None = None, shards: str | None = None, shard_ids: str | None = None) -> int:
    """Read the settings, set up logging and run the bot; returns the process exit status."""
    try:
        settings = load_settings(db=db, shards=shards, shard_ids=shard_ids)
    except ConfigError as e:
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    if settings.index_dir is not None:
        from index.search.generations import use_index_dir

        use_index_dir(settings.index_dir)
    from bot.store.base import shown

    log.info("starting with database %s", shown(settings.db))  # never a URL's password
    if settings.shard_count:
        ids = settings.shard_ids if settings.shard_ids is not None else range(settings.shard_count)
        log.info("running shards %s of %d", ",".join(map(str, ids)), settings.shard_count)
    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
