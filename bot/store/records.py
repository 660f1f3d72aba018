"""The bot store's records, shared by both backends: server settings, conversations, follows, query-log entries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from index.text import valid_text


def now() -> str:
    """The current UTC time as the bot's tables store it (ISO 8601, seconds): text compares in time order."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's choices: where mentions are answered ([] = every channel) and private-by-default answers."""

    guild_id: int
    answer_channels: tuple[int, ...] = ()
    private_default: bool = False
    channel_sources: dict[int, tuple[str, ...]] = field(default_factory=dict)  # channel -> outlets it answers from

    def answers_in(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether mentions in this channel (or a thread under ``parent_id``) are answered."""
        if not self.answer_channels:
            return True
        return channel_id in self.answer_channels or (parent_id is not None and parent_id in self.answer_channels)

    def sources_in(self, channel_id: int | None, parent_id: int | None = None) -> tuple[str, ...]:
        """The outlets answers in this channel (or a thread under ``parent_id``) are limited to; () for any."""
        if channel_id in self.channel_sources:
            return self.channel_sources[channel_id]
        return self.channel_sources.get(parent_id, ()) if parent_id is not None else ()

    def columns(self) -> tuple[str, str]:
        """The JSON columns: answer channels and per-channel sources."""
        return (
            json.dumps(list(self.answer_channels)),
            json.dumps({str(c): list(v) for c, v in self.channel_sources.items()}),
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> GuildSettings:
        """The record for a guild_settings row."""
        return cls(
            row["guild_id"],
            tuple(json.loads(row["answer_channels"])),
            bool(row["private_default"]),
            {int(c): tuple(v) for c, v in json.loads(row["channel_sources"]).items()},
        )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Conversation:
    """What an answer searched for, so a follow-up can carry it: topic words, filters and time window, until expiry."""

    query_id: int
    question: str
    topic: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    after: date | None = None
    before: date | None = None
    window: tuple[date, date] | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    at: str = field(default_factory=now)
    expires: str = ""

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the context is too old to carry (a follow-up is then answered on its own)."""
        return datetime.fromisoformat(self.expires) < (now or datetime.now(UTC))

    def row(self) -> tuple[Any, ...]:
        """The conversation row after its anchor id, in the backends' column order."""
        w0, w1 = self.window or (None, None)
        return (
            self.query_id,
            self.guild_id,
            self.channel_id,
            self.user_id,
            valid_text(self.question),
            json.dumps([valid_text(t) for t in self.topic]),
            json.dumps(list(self.sources)),
            *(d.isoformat() if d else None for d in (self.after, self.before, w0, w1)),
            self.at,
            self.expires,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Conversation:
        """The record for a conversation row."""
        w0, w1 = _day(row["window_start"]), _day(row["window_end"])
        return cls(
            query_id=row["query_id"],
            question=row["question"],
            topic=tuple(json.loads(row["topic"])),
            sources=tuple(json.loads(row["sources"])),
            after=_day(row["after"]),
            before=_day(row["before"]),
            window=(w0, w1) if w0 and w1 else None,
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            user_id=row["user_id"],
            at=row["at"],
            expires=row["expires"],
        )


@dataclass(frozen=True, slots=True)
class Follow:
    """A topic one channel follows: its query, how far through the archive it has looked, and whether it is live."""

    id: int
    guild_id: int
    channel_id: int
    query: str
    created_by: int | None
    created_at: str
    last_article_id: int  # articles with this row id or lower were looked at already
    last_post_at: str | None
    disabled_reason: str | None  # why posting stopped (channel deleted, permission missing); None while active
    disabled_at: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Follow:
        """The record for a follows row."""
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(slots=True)
class QueryLogEntry:
    """One question as logged; ``id`` is the Discord interaction or message id, so buttons can name it at once."""

    id: int
    surface: str  # slash | mention | dm | more | search
    query: str
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    as_of: str | None = None
    took_ms: float | None = None
    n_results: int | None = None
    results: list[int] = field(default_factory=list)
    at: str = field(default_factory=now)

    def row(self) -> tuple[Any, ...]:
        """The query_log row, in the column order the backends write."""
        return (
            self.id,
            self.at,
            self.surface,
            self.guild_id,
            self.channel_id,
            self.user_id,
            valid_text(self.query),  # a lone surrogate cannot be stored, and would lose the whole batch of rows
            self.as_of,
            self.took_ms,
            self.n_results,
            json.dumps(self.results),
        )
