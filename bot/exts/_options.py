"""Slash-command option helpers shared by the cogs: dates, sources and their autocomplete."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import errors
from bot.render import format as fmt
from index.search.query import normalise_source, parse_date

if TYPE_CHECKING:
    from bot.bot import NewsBot

SOURCES_TTL = 300.0  # seconds an outlet list is reused for autocomplete
# Descriptions of the filter options /ask and /search share (spread into app_commands.describe).
FILTER_HELP = {
    "source": "Only articles from this outlet or site, e.g. cnn.com",
    "after": "Only articles published on or after this date (YYYY-MM-DD, YYYY-MM or YYYY)",
    "before": "Only articles published before this date (YYYY-MM-DD, YYYY-MM or YYYY)",
}


class DateOption(app_commands.Transformer):
    """A date typed as YYYY-MM-DD, YYYY-MM or YYYY (the first day of that period)."""

    async def transform(self, interaction: discord.Interaction, value: str) -> date:
        parsed = parse_date(value)
        if parsed is None:
            raise errors.BadInput(
                f"I couldn't read “{fmt.fit(value, 40)}” as a date: write it as YYYY-MM-DD, YYYY-MM or YYYY."
            )
        return parsed


def sources_option(value: str | None) -> list[str]:
    """The source filter as the searcher takes it: a normalised outlet or domain, or nothing."""
    if not value or not value.strip():
        return []
    return [normalise_source(value)]


_cache: dict[int, tuple[float, list[str]]] = {}


async def source_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for source options: stored outlets containing what was typed, biggest first (25 at most)."""
    bot: NewsBot = interaction.client  # type: ignore[assignment]
    stamp, outlets = _cache.get(id(bot), (0.0, []))
    if time.monotonic() - stamp > SOURCES_TTL:
        outlets = [s.outlet for s in await bot.store.sources() if s.outlet]
        _cache[id(bot)] = (time.monotonic(), outlets)
    typed = current.strip().lower()
    found = [o for o in outlets if typed in o.lower()][: fmt.CHOICES]
    return [app_commands.Choice(name=o[: fmt.CHOICE_NAME], value=o[: fmt.CHOICE_VALUE]) for o in found]
