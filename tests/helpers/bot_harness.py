"""Test helpers: the offline Discord driver (helpers.discord_driver) plus a small real store and index for the tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

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
    settle,
    slash,
    snowflake,
    user_payload,
)
from index import store
from index.ingest.split import split_article
from index.models import Article, Passage
from index.tokenize import tokenize, tokens_to_text

# A small real store and index ------------------------------------------------------------------------------------


def build_db(
    path: Path,
    articles: Iterable[Article],
    *,
    raw_passages: dict[str, list[str]] | None = None,
) -> None:
    """Store ``articles`` (split as the pipeline splits them) and build the postings: a real, small index.

    ``raw_passages`` maps a source id to passage texts stored as they are (to make enormous passages).
    """
    from index.search.build import rebuild

    raw_passages = raw_passages or {}
    conn = store.connect(path)
    with store.transaction(conn):
        for article in articles:
            aid = store.insert_article(
                conn,
                article,
                file_id=None,
                content_hash=article.content_hash,
                title_tokens=tokens_to_text(tokenize(article.title)),
            )
            if article.source_id in raw_passages:
                passages = []
                pos = 0
                for i, text in enumerate(raw_passages[article.source_id]):
                    passages.append(Passage(i, text, i + 1, i + 1, pos, pos + len(text)))
                    pos += len(text) + 2
            else:
                passages = split_article(article)
            store.replace_passages(conn, aid, passages, [tokens_to_text(tokenize(p.text)) for p in passages])
    conn.close()
    rebuild(path, progress=False)
