"""A reason on 👎: the form, the stored reason and comment, and `newsbot feedback` listing what was said."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import OTHER_USER_ID, USER_ID, component, modal_submit, run, slash

from bot.cli import main as cli

MARCH = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def submitted(modal: dict, reason: str, comment: str) -> list[dict]:
    """The form's components as Discord sends them back: the chosen reason and the text typed."""
    select, text = (label["component"] for label in modal["components"])
    return [
        {"type": 18, "component": {"type": 3, "custom_id": select["custom_id"], "values": [reason]}},
        {"type": 18, "component": {"type": 4, "custom_id": text["custom_id"], "value": comment}},
    ]


async def thumbs_down(bot, recorder, user_id=USER_ID):
    payload = slash("ask", {"question": "What budget did the council approve for the library?"}, at=MARCH)
    await run(bot, recorder, payload)
    msg = next(m for m in recorder.messages.values() if m["embeds"])
    calls = await run(bot, recorder, component(f"nb:down:{payload['id']}", msg, user_id=user_id))
    return int(payload["id"]), calls


@pytest.mark.asyncio
async def test_thumbs_down_opens_a_form_and_stores_the_reason(newsbot, recorder):
    qid, calls = await thumbs_down(newsbot, recorder)
    assert calls[0].kind == "callback" and calls[0].json["type"] == 9  # the form is the response
    modal = calls[0].json["data"]
    assert modal["title"] == "What was wrong with the answer?" and modal["custom_id"] == f"nb:why:{qid}"
    options = modal["components"][0]["component"]["options"]
    assert [o["value"] for o in options] == ["wrong", "outdated", "missing", "other"]
    await newsbot.store.flush()
    assert await newsbot.store.feedback(qid) == {USER_ID: -1}  # counted even if the form is closed

    sent = await run(newsbot, recorder, modal_submit(modal["custom_id"], submitted(modal, "outdated", "Old @everyone")))
    assert sent[0].json == {"type": 5, "data": {"flags": 64}}
    assert sent[-1].body["content"] == "Thanks — noted (outdated). Try /search to dig further."
    conn = __import__("sqlite3").connect(newsbot.settings.db)
    row = conn.execute("SELECT value, reason, comment FROM feedback WHERE query_id = ?", (qid,)).fetchone()
    assert row == (-1, "outdated", "Old @everyone")


@pytest.mark.asyncio
async def test_newsbot_feedback_lists_votes_reasons_and_comments(newsbot, recorder, capsys, monkeypatch):
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    qid, calls = await thumbs_down(newsbot, recorder)
    modal = calls[0].json["data"]
    await run(newsbot, recorder, modal_submit(modal["custom_id"], submitted(modal, "wrong", "It was\n\x1b[2Jthe road")))
    msg = next(m for m in recorder.messages.values() if m["embeds"])
    await run(newsbot, recorder, component(f"nb:up:{qid}", msg, user_id=OTHER_USER_ID))
    db = str(newsbot.settings.db)

    assert cli(["feedback", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "-1 wrong  [slash] What budget did the council approve for the library?" in out
    assert "“It was [2Jthe road”" in out and "\x1b" not in out  # one line, no terminal escapes
    assert "+1  [slash]" in out and "2 votes: 1 up, 1 down." in out

    assert cli(["feedback", "--db", db, "--down", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1 and rows[0]["reason"] == "wrong" and rows[0]["query_id"] == qid


@pytest.mark.asyncio
async def test_a_later_thumbs_up_drops_the_reason(newsbot, recorder):
    qid, calls = await thumbs_down(newsbot, recorder)
    modal = calls[0].json["data"]
    await run(newsbot, recorder, modal_submit(modal["custom_id"], submitted(modal, "missing", "")))
    msg = next(m for m in recorder.messages.values() if m["embeds"])
    await run(newsbot, recorder, component(f"nb:up:{qid}", msg))
    conn = __import__("sqlite3").connect(newsbot.settings.db)
    assert conn.execute("SELECT value, reason, comment FROM feedback").fetchall() == [(1, None, None)]
