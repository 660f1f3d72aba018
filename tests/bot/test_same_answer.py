"""One answer everywhere: `newsbot ask`, `ask --json` and the /ask embed carry the same short answer, quote,
citations and ages."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.bot_articles import ENORMOUS, LIBRARY, SANCTIONS, STORM
from helpers.bot_articles import GLACIER as GLACIER_BOTH
from helpers.bot_harness import build_db, settle, slash

from index.cli import main

AT = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)  # the /ask interaction's moment
AS_OF = "2024-03-10"  # the same day for the command line
# 23:30 on 1 March in New York is 2 March in UTC: every front end shows 2 March, 8 days before the question.
OFFSET_SANCTIONS = replace(SANCTIONS, published="2024-03-01T23:30:00-05:00")
# One passage far longer than any excerpt or quote, without a sentence end to cut at.
GLACIER_TEXT = ENORMOUS["glacier-7"][0]
GLACIER = replace(GLACIER_BOTH, paragraphs=[GLACIER_TEXT])
_AGE = re.compile(r"\((\d+ \w+ earlier|same day|undated)\)")


def plain(rendered: str) -> str:
    """Rendered text without bold marks, Discord escapes and ellipses: the words themselves."""
    text = rendered.replace("**", "").replace("\\", "").replace("\u200b", "").replace("…", " ")
    return " ".join(text.split())


_SHORT = re.compile(r"\*\*(.+)\*\* \[(\d+)\]")  # "**Ana Ruiz** [1]": the short answer and its citation


def from_text(out: str) -> dict[str, Any]:
    lines = out.splitlines()
    short = _SHORT.fullmatch(lines[0])
    if short:
        lines = lines[1:]
    quote = re.fullmatch(r"“(.*)” \[(\d+)\]", lines[0])
    cites = [re.match(r"\[(\d+)\] (.*?) — ", line) for line in lines if re.match(r"\[\d+\] ", line)]
    ages = [_AGE.search(line).group(1) for line in lines if re.match(r"\[\d+\] ", line)]  # type: ignore[union-attr]
    excerpts = [plain(lines[i + 2 if lines[i + 1].startswith("    http") else i + 1]) for i, line in enumerate(lines)
                if re.match(r"\[\d+\] ", line)]  # fmt: skip
    return {
        "short": (plain(short.group(1)), int(short.group(2))) if short else None,
        "quote": plain(quote.group(1)) if quote else None,
        "quoted": int(quote.group(2)) if quote else None,
        "titles": [m.group(2) for m in cites if m],
        "ages": ages,
        "excerpts": excerpts,
    }


def from_json(data: dict[str, Any]) -> dict[str, Any]:
    # "answer" is the whole quote; the part shown is given by offsets into the quoted passage, and the quote is
    # exactly its sentences (one or two, at most 400 characters).
    quote = None
    if data["answer"] is not None:
        quoted, shown = data["passages"][data["answer_citation"] - 1]["passage"], data["answer_shown"]
        assert shown["start"] >= data["answer_span"][0] and shown["end"] <= data["answer_span"][1]
        spans = data["answer_spans"]
        assert 1 <= len(spans) <= 2 and len(data["answer"]) <= 400
        assert data["answer"] == quoted[spans[0][0] : spans[-1][1]]
        quote = plain(quoted[shown["start"] : shown["end"]])
    short = None
    if data["short_answer"] is not None:
        short = (plain(data["short_answer"]), data["short_answer_citation"])
    return {
        "short": short,
        "quote": quote,
        "quoted": data["answer_citation"],
        "titles": [p["title"] for p in data["passages"]],
        "ages": [p["age"] for p in data["passages"]],
        "excerpts": [plain(p["snippet"]) for p in data["passages"]],
    }


def from_embed(embed: dict[str, Any]) -> dict[str, Any]:
    lines = embed.get("description", "").splitlines()  # no quote and no note: no description
    short = next((m for line in lines if (m := _SHORT.fullmatch(line))), None)
    quote = next((line for line in lines if line.startswith("> ")), None)
    cited = next((line for line in lines if line.startswith("— **[")), None)
    fields = embed["fields"]
    return {
        "short": (plain(short.group(1)), int(short.group(2))) if short else None,
        "quote": plain(quote[2:]) if quote else None,
        "quoted": int(re.match(r"— \*\*\[(\d+)\]", cited).group(1)) if cited else None,  # type: ignore[union-attr]
        "titles": [re.sub(r"^\[\d+\] ", "", f["name"]) for f in fields],
        "ages": [_AGE.search(f["value"].split("\n")[1]).group(1) for f in fields],  # type: ignore[union-attr]
        "excerpts": [plain(f["value"].split("\n")[0]) for f in fields],
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "same.db"
    build_db(path, [LIBRARY, OFFSET_SANCTIONS, STORM, GLACIER], raw_passages={"glacier-7": [GLACIER_TEXT]})
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("question", "short", "quoted"),
    [
        ("What did Kim say about sanctions and missile tests?", None, True),
        ("Which council decisions about the library budget and road repairs?", None, True),  # two passages
        ("storm highway glacier", None, True),  # a passage far longer than any excerpt
        # One sentence longer than a quote may be: no quote anywhere (a quote is whole sentences, at most 400
        # characters), the passage still shown and cited alike.
        ("glacier retreated valley researchers", None, False),
        # The passages agree on a name: the same short answer, citing the same passage, everywhere.
        ("Who said the library would open in 2026?", ("Ana Ruiz", 1), True),
    ],
)
async def test_terminal_json_and_discord_give_the_same_answer(make_bot, recorder, db, capsys, question, short, quoted):
    assert main(["ask", question, "--db", str(db), "--as-of", AS_OF]) == 0
    text = from_text(capsys.readouterr().out)
    assert main(["ask", question, "--db", str(db), "--as-of", AS_OF, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)

    bot = await make_bot(db)
    payload = slash("ask", {"question": question}, at=AT)
    bot._connection.parse_interaction_create(payload)
    await settle()
    embed = next(c for c in recorder.for_interaction(payload) if c.kind == "followup").embeds[0]
    discord = from_embed(embed)

    assert text == from_json(data) == discord
    assert bool(text["quote"]) == quoted and text["titles"] and all(text["ages"])
    assert text["short"] == short


@pytest.mark.asyncio
async def test_a_date_with_a_utc_offset_is_the_same_day_and_age_everywhere(make_bot, recorder, db, capsys):
    question = "What did Kim say about sanctions and missile tests?"
    assert main(["ask", question, "--db", str(db), "--as-of", AS_OF]) == 0
    assert "Example Wire, 2024-03-02 (1 week earlier)" in capsys.readouterr().out
    assert main(["ask", question, "--db", str(db), "--as-of", AS_OF, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["passages"][0]
    assert (first["day"], first["age"]) == ("2024-03-02", "1 week earlier")

    bot = await make_bot(db)
    payload = slash("ask", {"question": question}, at=AT)
    bot._connection.parse_interaction_create(payload)
    await settle()
    embed = next(c for c in recorder.for_interaction(payload) if c.kind == "followup").embeds[0]
    assert "Example Wire · 2 Mar 2024 (1 week earlier)" in embed["fields"][0]["value"]
