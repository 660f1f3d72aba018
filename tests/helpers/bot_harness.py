"""Test helpers: the offline Discord driver (helpers.discord_driver) plus a small real store and index for the tests."""

from __future__ import annotations

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
    message_payload,
    reply_message,
    settle,
    slash,
    snowflake,
    thread_payload,
    user_payload,
)
from helpers.searchdb import build_db  # noqa: F401  (re-exported for the tests)
