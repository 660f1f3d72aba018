"""Test helpers: the offline Discord driver (helpers.discord_driver) plus a small real store and index for the tests."""

from __future__ import annotations

from typing import Any

from helpers.discord_driver import (  # noqa: F401  (re-exported for the tests)
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    LIMITS,
    MAX_CUSTOM_ID,
    MAX_EMBEDS,
    MAX_FIELDS,
    MAX_FOOTER,
    MAX_TOTAL,
    OTHER_CHANNEL_ID,
    OTHER_USER_ID,
    TOKEN,
    USER_ID,
    Call,
    Failure,
    Recorder,
    autocomplete,
    channel_payload,
    check_limits,
    component,
    custom_ids,
    guild_payload,
    install,
    member_payload,
    mention_message,
    message_menu,
    message_payload,
    modal_submit,
    reply_message,
    settle,
    slash,
    snowflake,
    thread_payload,
    user_payload,
)
from helpers.searchdb import build_db  # noqa: F401  (re-exported for the tests)


async def run(bot: Any, recorder: Recorder, payload: dict[str, Any]) -> list[Call]:
    """Feed one interaction to ``bot``, wait for what it sends, and return those requests, each within Discord's
    limits (checked here, so every test that runs an interaction checks them)."""
    bot._connection.parse_interaction_create(payload)
    await settle()
    calls = recorder.for_interaction(payload)
    for call in calls:
        check_limits(call)
    return calls
