"""Rendering helpers: cuts at sentences or words, escaping, links, dates, custom ids, embed limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import discord
import pytest

from bot.render import format as fmt
from index.answer.compose import passage_excerpt
from index.models import Hit


def hit(text: str, highlights=(), best=None, **kw) -> Hit:
    values = dict(
        passage_id=1,
        article_id=1,
        source_id="s",
        title="T",
        outlet="O",
        published="2024-03-01",
        url="https://x.example/a",
        paragraph=1,
        paragraph_end=1,
        text=text,
        score=1.0,
        highlights=list(highlights),
        best_sentence=best,
    )
    values.update(kw)
    return Hit(**values)


@pytest.mark.parametrize("limit", [10, 25, 57, 100, 333])
def test_fit_cuts_at_a_word_with_an_ellipsis(limit):
    text = "Kim Jong Un said on Friday that the new sanctions would not stop the missile tests at all. " * 20
    out = fmt.fit(text, limit)
    assert len(out) <= limit and out.endswith("…")
    kept = out[:-1].rstrip()
    assert text.startswith(kept) and (text[len(kept)] == " ")  # the cut is between words


def test_fit_prefers_a_sentence_end():
    text = "The council met on Monday and talked for hours. Then it voted on the roads and the bridges."
    assert fmt.fit(text, 60) == "The council met on Monday and talked for hours. …"


def test_fit_never_splits_an_escape_or_bold():
    text = "*a* " * 200
    out = fmt.fit(text, 101)
    assert len(out) <= 101 and not out[:-1].endswith("\\") and "\\*a\\*" in out
    render = fmt.marked("alpha beta gamma delta " * 30, [(6, 10), (100, 120)])
    out = fmt.fit("alpha beta gamma delta " * 30, 40, render)
    assert out.count("**") % 2 == 0 and len(out) <= 40


def test_fit_cjk_and_one_enormous_word():
    out = fmt.fit("東京で桜が開花したと発表しました。" * 30, 50)
    assert len(out) <= 50 and out.endswith("…")
    out = fmt.fit("x" * 5000, 1024)
    assert len(out) == 1024 and out.endswith("…")


def test_escape_neutralises_markdown_mentions_and_links():
    out = fmt.escape("**b** @everyone <@123456789012345678> [x](https://evil.example) 1. ok\n> no")
    assert "@\u200beveryone" in out and "\\<@" in out
    assert "\\*\\*b\\*\\*" in out and "\\[x\\]" in out and "(`https://evil.example`)" in out
    assert "\n" not in out
    assert fmt.escape("1. first").startswith("1\\.") and fmt.escape("# h").startswith("\\#")


def test_link_and_safe_url():
    assert fmt.link("A [b]", "https://x.example/a", 100) == "[A \\[b\\]](<https://x.example/a>)"
    assert fmt.link("A", "javascript:alert(1)", 100) == "A"
    assert fmt.link("A", "https://x.example/a(b)", 100) == "A"
    assert len(fmt.link("word " * 100, "https://x.example/" + "a" * 50, 120)) <= 120


def test_excerpt_starts_at_the_sentence_that_matters():
    text = "Filler sentence number one goes here. " * 60 + "The mayor said the library opens in 2026. " + "More. " * 50
    start = text.index("The mayor")
    h = hit(text, highlights=[(start + 4, start + 9)], best=(start, start + 42))
    part = passage_excerpt(h, 200)  # the excerpt every front end shows, composed once
    assert part.cut_before and part.cut_after and text[part.start :].startswith("The mayor")
    out = fmt.shown(h.text, h.highlights, part, 300)
    assert out.startswith("… The **mayor** said the library opens in 2026.") and len(out) <= 300
    assert out.endswith("More. …")  # cut after a sentence: a spaced ellipsis
    assert (
        fmt.shown(h.text, h.highlights, part, 60).endswith("…") and len(fmt.shown(h.text, h.highlights, part, 60)) <= 60
    )


def test_dates_and_age():
    as_of = datetime(2024, 3, 10, tzinfo=UTC)
    assert fmt.date_label("2024-03-07", as_of) == "7 Mar 2024 (3 days earlier)"
    assert fmt.date_label("2024-03-10T08:00:00+00:00", as_of) == "10 Mar 2024 (same day)"
    assert fmt.date_label("2022-01-01", as_of) == "1 Jan 2022 (2 years earlier)"
    assert fmt.date_label(None, as_of) == "undated" and fmt.date_label("soon") == "undated"
    assert fmt.age(date(2024, 2, 1), as_of) == "1 month earlier"


def test_custom_id_limit():
    assert fmt.custom_id("more", 1234) == "nb:more:1234"
    with pytest.raises(ValueError):
        fmt.custom_id("x" * 100)


def test_choice_name_within_100():
    name = fmt.choice_name("A very long headline " * 20, "Springfield Gazette", "2024-03-04")
    assert len(name) <= 100 and name.endswith(" — Springfield Gazette, 2024-03-04") and "…" in name


def test_enforce_brings_any_embed_within_limits():
    e = discord.Embed(title="t" * 300, description="word " * 2000)
    for _ in range(30):
        e.add_field(name="n" * 300, value="v " * 700)
    e.set_footer(text="f" * 3000)
    fmt.enforce(e)
    assert len(e.title) <= 256 and len(e.description) <= 4096 and len(e.fields) <= 25
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in e.fields)
    assert len(e.footer.text) <= 2048 and fmt.embed_size(e) <= 6000
    # Counted here too, not only by the helper under test, as Discord counts it (all text parts of the embed).
    d = e.to_dict()
    total = len(d.get("title", "")) + len(d.get("description", "")) + len(d.get("footer", {}).get("text", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in d.get("fields", []))
    assert total <= 6000


def test_answer_embed_short_answer_is_escaped_bold_and_within_limits():
    from index.models import Answer, AnswerPassage, Citation, Excerpt

    text = "The prize went to *NSYNC_fans <@123> at the gala. " * 3
    shown = hit(text)
    passage = AnswerPassage(shown, Citation(1, "T", "O", date(2024, 3, 1), None, 1, 1), Excerpt(0, len(text)))
    answer = Answer("Who won?", None, True, passages=[passage], short_answer="*NSYNC_fans <@123> " + "x" * 400)
    answer.short_answer_passage = 0
    description = fmt.answer_embed(answer).description
    first = description.splitlines()[0]
    assert first.startswith("**\\*NSYNC\\_fans \\<@123>") and first.endswith("…** [1]")
    assert len(first) <= 230  # fitted to 200 characters of escaped text, plus the bold marks and the citation
