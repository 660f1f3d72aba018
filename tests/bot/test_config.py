"""Settings from the environment and .env, token checks that never echo the token, and clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from helpers.bot_harness import TOKEN

import bot.__main__ as entry
from bot.config import ConfigError, Secret, load_settings


def test_settings_from_env_over_dotenv(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN={TOKEN}\nNEWSBOT_DB=from-dotenv.db\nNEWSBOT_COOLDOWN_SECONDS=2.5\n")
    s = load_settings(env={"NEWSBOT_DB": "from-env.db", "NEWSBOT_DEV_GUILD_ID": "123"}, dotenv_path=dotenv)
    assert s.token.reveal() == TOKEN
    assert s.db == Path("from-env.db") and s.dev_guild_id == 123 and s.cooldown_seconds == 2.5
    assert s.log_level == "INFO" and s.archive is None
    assert load_settings(db="cli.db", env={"DISCORD_TOKEN": TOKEN}, dotenv_path=None).db == Path("cli.db")


def test_server_admins_manage_the_archive_only_when_the_owner_opts_in():
    base = {"DISCORD_TOKEN": TOKEN}
    assert load_settings(env=base, dotenv_path=None).admins_manage_archive is False
    for yes in ("1", "true", "YES", "on"):
        env = {**base, "NEWSBOT_ADMINS_MANAGE_ARCHIVE": yes}
        assert load_settings(env=env, dotenv_path=None).admins_manage_archive is True
    with pytest.raises(ConfigError, match="NEWSBOT_ADMINS_MANAGE_ARCHIVE must be 1"):
        load_settings(env={**base, "NEWSBOT_ADMINS_MANAGE_ARCHIVE": "maybe"}, dotenv_path=None)


def test_token_never_shows_itself():
    s = load_settings(env={"DISCORD_TOKEN": f"Bot {TOKEN}"}, dotenv_path=None)
    assert s.token.reveal() == TOKEN  # a pasted "Bot " prefix is dropped
    assert TOKEN not in repr(s) and TOKEN not in str(s.token) and repr(Secret("x")) == "Secret('**********')"


def test_a_database_urls_password_never_shows_in_the_settings():
    url = "postgresql://newsbot:hunter2@db.example:5432/news"
    s = load_settings(env={"DISCORD_TOKEN": TOKEN, "NEWSBOT_DB": url}, dotenv_path=None)
    assert s.db == url and "hunter2" not in repr(s) and "hunter2" not in str(s)


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("", "DISCORD_TOKEN is not set"),
        ("   ", "DISCORD_TOKEN is not set"),
        ("abc", "does not look like a bot token"),
        ("a.b", "does not look like a bot token"),
        ("abc.def.gh!", "does not look like a bot token"),
        ("bm90LWFuLWlk.GaBcDe.abcdefghijklmnop", "user id"),  # first part is base64 of "not-an-id"
    ],
)
def test_malformed_token_is_explained_without_echoing_it(token, says):
    with pytest.raises(ConfigError) as info:
        load_settings(env={"DISCORD_TOKEN": token}, dotenv_path=None)
    assert says in str(info.value)
    if token.strip():
        assert token.strip() not in str(info.value)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("NEWSBOT_DEV_GUILD_ID", "my server", "server id"),
        ("NEWSBOT_DEV_GUILD_ID", "²", "server id"),
        ("NEWSBOT_SEARCH_WORKERS", "two", "whole number"),
        ("NEWSBOT_COOLDOWN_SECONDS", "soon", "number of seconds"),
        ("NEWSBOT_COOLDOWN_SECONDS", "-1", "zero or more"),
        ("NEWSBOT_LOG_LEVEL", "LOUD", "one of"),
    ],
)
def test_other_bad_settings(key, value, says):
    with pytest.raises(ConfigError, match=says):
        load_settings(env={"DISCORD_TOKEN": TOKEN, key: value}, dotenv_path=None)


def test_main_exits_with_a_message_when_the_token_is_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert entry.main() == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_sigterm_closes_the_bot_cleanly(monkeypatch, recorder, tmp_path):
    from bot.bot import NewsBot

    closed = []

    async def start(self, token, *, reconnect=True):
        await self.login(token)
        os.kill(os.getpid(), signal.SIGTERM)  # as `systemctl stop` or Ctrl-C would
        while not self.is_closed():  # like the gateway loop, which ends once the client is closed
            await asyncio.sleep(0.02)

    async def close(self):
        closed.append(True)
        await NewsBot.__bases__[0].close(self)
        if self.store is not None:
            await self.store.close()

    monkeypatch.setattr(NewsBot, "start", start)
    monkeypatch.setattr(NewsBot, "close", close)
    settings = load_settings(db=tmp_path / "x.db", env={"DISCORD_TOKEN": TOKEN}, dotenv_path=None)
    try:
        status = await asyncio.wait_for(entry.serve(settings), timeout=20)
    finally:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    assert closed and status == 0


def test_bot_logging_replaces_the_cli_handler_so_each_line_is_written_once():
    import logging

    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        logging.basicConfig(level=logging.INFO, force=True)  # what the CLI does before `newsbot run`
        entry.setup_logging("INFO")
        assert len(root.handlers) == 1
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])


def test_query_log_days_setting():
    base = {"DISCORD_TOKEN": TOKEN}
    assert load_settings(env=base, dotenv_path=None).query_log_days == 30
    assert load_settings(env={**base, "NEWSBOT_QUERY_LOG_DAYS": "0"}, dotenv_path=None).query_log_days == 0
    with pytest.raises(ConfigError, match="NEWSBOT_QUERY_LOG_DAYS must be a whole number of days"):
        load_settings(env={**base, "NEWSBOT_QUERY_LOG_DAYS": "a month"}, dotenv_path=None)
