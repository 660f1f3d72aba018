"""The bot's settings, read from the environment and `.env` when the process starts (never at import)."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.store.base import is_postgres
from index.store import DEFAULT_DB

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FOLLOW_PERMISSIONS = ("manage_channels", "manage_guild", "everyone")  # who may /follow and /unfollow
_TOKEN_PART = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which one and how to fix it (never its value)."""


class Secret:
    """A string that never shows itself in reprs, logs or tracebacks; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot process is configured with."""

    token: Secret = field(repr=False)
    # A SQLite path, or a postgresql:// URL kept as written; left out of repr, where a URL's password would show.
    db: Path | str = field(default=Path(DEFAULT_DB), repr=False)
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    cooldown_seconds: float = 5.0
    archive: Path | None = None  # the only folder or file /reindex may read (unset: /reindex is refused)
    admins_manage_archive: bool = False  # server admins (Manage Server) may also /reindex, not only the owner
    query_log_days: int = 30  # days the query log keeps what users asked (0: nothing is logged)
    search_workers: int | None = None  # processes that run searches (None: one per core, up to 2; 0: threads)
    feed_interval: float = 900.0  # seconds between feed checks (0: the bot does not poll feeds)
    fetch_allow_private: bool = False  # feeds and pages may be fetched from private, loopback or link-local hosts
    follow_permission: str = "manage_channels"  # who may /follow: manage_channels, manage_guild or everyone
    shard_count: int | None = None  # Discord shards across every process (None: one unsharded connection)
    shard_ids: tuple[int, ...] | None = None  # the shards this process runs (None: all of them)
    index_dir: Path | None = None  # the postings folder, when not beside the database (a mount shared by nodes)
    sync_seconds: float = 10.0  # how often a new index generation and other processes' /config changes are read

    def serves(self, guild_id: int | None) -> bool:
        """Whether this process receives a server's events: its shard is one of ours (DMs arrive on shard 0)."""
        if not self.shard_count or self.shard_ids is None:
            return True
        return shard_of(guild_id, self.shard_count) in self.shard_ids


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard Discord sends a server's events to (Discord's formula); DMs (no server) go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


def parse_shards(shards: str | int | None, shard_ids: str | None) -> tuple[int | None, tuple[int, ...] | None]:
    """``--shards N`` and ``--shard-ids 0,1`` (or NEWSBOT_SHARDS, NEWSBOT_SHARD_IDS) checked together.

    Returns:
        (shard count or None, the ids this process runs or None for all of them).

    Raises:
        ConfigError: not whole numbers, an id outside 0..N-1, an id twice, or ids without a count.
    """
    count = None
    text = str(shards).strip() if shards is not None else ""
    if text:
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise ConfigError(f"--shards (NEWSBOT_SHARDS) must be a whole number of shards, 1 or more; got {text!r}.")
        count = int(text)
    ids_text = (shard_ids or "").strip()
    if not ids_text:
        return count, None
    if count is None:
        raise ConfigError(
            "--shard-ids (NEWSBOT_SHARD_IDS) needs --shards (NEWSBOT_SHARDS) too: the total number of shards "
            "across every process, e.g. --shards 4 --shard-ids 0,1."
        )
    parts = [p.strip() for p in ids_text.split(",")]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise ConfigError(
            f"--shard-ids (NEWSBOT_SHARD_IDS) must be comma-separated shard numbers like 0,1; got {ids_text!r}."
        )
    ids = [int(p) for p in parts]
    outside = [i for i in ids if i >= count]
    if outside:
        raise ConfigError(f"shard id {outside[0]} is out of range: with --shards {count} the ids are 0 to {count - 1}.")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError(f"shard id {twice[0]} is listed twice in --shard-ids; list each shard once.")
    return count, tuple(sorted(ids))


def check_token(token: str) -> str:
    """Return the token stripped of spaces and any "Bot " prefix, or raise ConfigError when it is not token-shaped.

    A bot token is three dot-separated base64url parts, the first being the bot's user id in base64; checking the
    shape catches the usual mistakes (pasting the client secret, the application id or a quoted value) before
    Discord rejects the login.
    """
    token = token.strip().strip("'\"").strip()
    if token.lower().startswith("bot "):
        token = token[4:].strip()
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set. Put it in the environment or in .env (see .env.example); "
            "get it from the Discord developer portal: your application -> Bot -> Reset Token."
        )
    parts = token.split(".")
    if len(parts) != 3 or not all(_TOKEN_PART.match(p) for p in parts):
        raise ConfigError(
            "DISCORD_TOKEN does not look like a bot token (expected three dot-separated base64 parts). "
            "Copy it again from the developer portal: your application -> Bot -> Reset Token "
            "(not the client secret or the application id)."
        )
    try:
        user_id = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        user_id = ""
    if not user_id.isdigit():
        raise ConfigError(
            "DISCORD_TOKEN does not look like a bot token (its first part should encode the bot's user id). "
            "Copy it again from the developer portal: your application -> Bot -> Reset Token."
        )
    return token


def _optional_int(env: Mapping[str, str], key: str, must_be: str) -> int | None:
    """The setting as a non-negative whole number, None when unset; ``must_be`` ends the error message."""
    raw = (env.get(key) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{key} must be {must_be}.")
    return int(raw)


def _days(env: Mapping[str, str], key: str, default: int) -> int:
    value = _optional_int(env, key, "a whole number of days (0 keeps no query log)")
    return default if value is None else value


def _flag(env: Mapping[str, str], key: str) -> bool:
    """A yes/no setting: 1, true, yes or on (any case) mean yes; unset or empty means no."""
    raw = (env.get(key) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{key} must be 1 (yes) or 0 (no).")


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number of seconds, like 5 or 2.5.") from None
    if value < 0:
        raise ConfigError(f"{key} must be zero or more seconds.")
    return value


def _database(given: str | os.PathLike[str]) -> Path | str:
    # A URL is not a path: Path() would fold its "//" and lose the host.
    if isinstance(given, str) and is_postgres(given.strip()):
        return given.strip()
    return Path(given)


def _folder(env: Mapping[str, str], key: str) -> Path | None:
    raw = (env.get(key) or "").strip()
    return Path(raw).expanduser() if raw else None


def _positive(env: Mapping[str, str], key: str, default: float) -> float:
    value = _float(env, key, default)
    if value <= 0:
        raise ConfigError(f"{key} must be more than 0 seconds, like 10.")
    return value


def load_settings(
    *,
    db: str | os.PathLike[str] | None = None,
    shards: str | int | None = None,
    shard_ids: str | None = None,
    env: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> Settings:
    """Build the settings from ``env`` (default: the process environment) over the values in ``dotenv_path``.

    Args:
        db: a database path that overrides NEWSBOT_DB (the ``--db`` option of ``newsbot run``).
        shards: overrides NEWSBOT_SHARDS (``--shards``): the shards across every process.
        shard_ids: overrides NEWSBOT_SHARD_IDS (``--shard-ids``): the shards this process runs, e.g. "0,1".
        env: the environment to read; real environment variables win over `.env` values.
        dotenv_path: the `.env` file to read, if it exists; None to read none.

    Returns:
        The validated settings.

    Raises:
        ConfigError: a setting is missing or malformed; the message names it (never the token's value).
    """
    merged: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    merged.update(os.environ if env is None else env)

    # Before the token: a wrong shard layout is the operator's typo to fix whatever the token is.
    shard_count, own_shards = parse_shards(
        shards if shards is not None else merged.get("NEWSBOT_SHARDS"),
        shard_ids if shard_ids is not None else merged.get("NEWSBOT_SHARD_IDS"),
    )
    token = check_token(merged.get("DISCORD_TOKEN", ""))
    level = (merged.get("NEWSBOT_LOG_LEVEL") or "INFO").strip().upper()
    if level not in LEVELS:
        raise ConfigError(f"NEWSBOT_LOG_LEVEL must be one of {', '.join(LEVELS)}.")
    archive = (merged.get("NEWSBOT_ARCHIVE") or "").strip()
    follow_permission = (merged.get("NEWSBOT_FOLLOW_PERMISSION") or "manage_channels").strip().lower()
    if follow_permission not in FOLLOW_PERMISSIONS:
        raise ConfigError(f"NEWSBOT_FOLLOW_PERMISSION must be one of {', '.join(FOLLOW_PERMISSIONS)}.")
    return Settings(
        token=Secret(token),
        db=_database(db or merged.get("NEWSBOT_DB") or DEFAULT_DB),
        dev_guild_id=_optional_int(
            merged, "NEWSBOT_DEV_GUILD_ID", "a server id (digits only; right-click the server -> Copy Server ID)"
        ),
        log_level=level,
        cooldown_seconds=_float(merged, "NEWSBOT_COOLDOWN_SECONDS", 5.0),
        archive=Path(archive).expanduser() if archive else None,
        admins_manage_archive=_flag(merged, "NEWSBOT_ADMINS_MANAGE_ARCHIVE"),
        query_log_days=_days(merged, "NEWSBOT_QUERY_LOG_DAYS", 30),
        search_workers=_optional_int(
            merged, "NEWSBOT_SEARCH_WORKERS", "a whole number (0 runs searches in threads of the bot process)"
        ),
        feed_interval=_float(merged, "NEWSBOT_FEED_INTERVAL", 900.0),
        fetch_allow_private=_flag(merged, "NEWSBOT_FETCH_ALLOW_PRIVATE"),
        follow_permission=follow_permission,
        shard_count=shard_count,
        shard_ids=own_shards,
        index_dir=_folder(merged, "NEWSBOT_INDEX_DIR"),
        sync_seconds=_positive(merged, "NEWSBOT_SYNC_SECONDS", 10.0),
    )
