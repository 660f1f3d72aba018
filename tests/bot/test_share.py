""" "Share in channel" under private answers: the asker posts the answer publicly, attributed, pinging nobody."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.bot_harness import (
    OTHER_USER_ID,
    USER_ID,
    component,
    custom_ids,
    run,
    slash,
)

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_private_answer_can_be_shared_by_the_asker(newsbot, recorder):
    payload = slash(
        "ask", {"question": "What budget did the council approve for the library?", "private": True}, at=MARCH
    )
    calls = await run(newsbot, recorder, payload)
    answer = next(c for c in calls if c.kind == "followup")
    share = f"nb:share:{payload['id']}"
    assert answer.body["flags"] & 64 and share in custom_ids(answer)
    msg = next(m for m in recorder.messages.values() if m["embeds"] and share in str(m["components"]))

    refused = await run(newsbot, recorder, component(share, msg, user_id=OTHER_USER_ID))
    assert "Only the person who asked" in refused[0].json["data"]["content"]

    calls = await run(newsbot, recorder, component(share, msg, user_id=USER_ID))
    assert calls[0].json["type"] == 6  # acknowledged at once (a deferred update of the private message)
    shared = next(c for c in calls if c.kind == "followup")
    assert not (shared.body.get("flags") or 0) & 64  # public
    assert shared.body["content"] == f"-# Shared by <@{USER_ID}>, who asked privately"
    assert shared.body["allowed_mentions"] == {"parse": []}  # named, not pinged
    assert shared.embeds[0]["title"] == "What budget did the council approve for the library?"
    assert shared.body.get("components", []) == []
    edit = next(c for c in calls if c.kind == "edit_original")
    button = next(b for row in edit.body["components"] for b in row["components"] if b["custom_id"] == share)
    assert button["disabled"] and button["label"] == "Shared"
    shared_id = max(m for m, body in recorder.messages.items() if body["content"].startswith("-# Shared by"))
    assert (await newsbot.store.conversation(shared_id)) is not None  # replies to the shared answer follow up


@pytest.mark.asyncio
async def test_public_answer_has_no_share_button(newsbot, recorder):
    payload = slash("ask", {"question": "library budget"}, at=MARCH)
    calls = await run(newsbot, recorder, payload)
    assert not any(cid.startswith("nb:share:") for cid in custom_ids(next(c for c in calls if c.kind == "followup")))
