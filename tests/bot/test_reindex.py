"""/reindex while questions keep arriving: every question answered, none from a half-built index."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from helpers.bot_harness import build_db, check_limits, settle, slash

from index import store
from index.ingest.split import split_article
from index.models import Article
from index.search.build import rebuild
from index.tokenize import tokenize, tokens_to_text

MANAGE_GUILD = 1 << 5
NEW = Article(
    source_id="new-9",
    title="Zeppelin museum opens downtown",
    paragraphs=["A zeppelin museum opened downtown on Saturday with a full-size gondola on display."],
    outlet="Springfield Gazette",
    published="2024-03-08",
    url="https://gazette.example/zeppelin",
)


WAIT = 30.0  # seconds a stage may take before the test gives up (a bound on failure, never a pause)


def store_new_article(db_path: Path) -> None:
    """Store NEW with its passages (visible in SQLite at once; not searchable until the postings are rebuilt)."""
    conn = store.connect(db_path)
    with store.transaction(conn):
        aid = store.insert_article(
            conn, NEW, file_id=None, content_hash=NEW.content_hash, title_tokens=tokens_to_text(tokenize(NEW.title))
        )
        passages = split_article(NEW)
        store.replace_passages(conn, aid, passages, [tokens_to_text(tokenize(p.text)) for p in passages])
    conn.close()


class StagedReindex:
    """A stand-in re-index that stores a new article, then builds postings, pausing after each stage until the
    test lets it go on: questions can then be asked at a known point of the run."""

    def __init__(self, *, held: bool = True) -> None:
        self.stored = threading.Event()  # set here: NEW is in SQLite but in no postings yet
        self.build = threading.Event()  # set by the test: go on and build the postings
        self.built = threading.Event()  # set here: the new generation is written; the bot has not reloaded
        self.finish = threading.Event()  # set by the test: return, so the bot reloads
        if not held:
            self.build.set()
            self.finish.set()

    def __call__(self, paths, db_path, prune, phase, **_):
        phase("reading and storing articles")
        store_new_article(db_path)
        self.stored.set()
        if not self.build.wait(WAIT):
            raise TimeoutError("the test never let the build start")
        phase("building the search index")
        rebuild(db_path, progress=False)
        self.built.set()
        if not self.finish.wait(WAIT):
            raise TimeoutError("the test never let the re-index finish")
        return {"articles_added": 1}


async def reached(event: threading.Event) -> None:
    """Wait (off the loop, so the bot keeps running) until the re-index thread sets ``event``."""
    assert await asyncio.to_thread(event.wait, WAIT), "the re-index did not reach the stage"


@pytest_asyncio.fixture
async def newsbot(make_bot, news_db, tmp_path):
    """The bot with an archive folder configured (NEWSBOT_ARCHIVE), which /reindex needs."""
    return await make_bot(news_db, archive=tmp_path)


@pytest.mark.asyncio
async def test_reindex_while_questions_arrive(newsbot, recorder, tmp_path):
    cog = newsbot.get_cog("Admin")
    cog.progress_every = 0.05
    work = StagedReindex()
    cog.work = work
    old = newsbot.engine.generation
    at = datetime(2024, 3, 10, tzinfo=UTC)
    questions = []

    def edited(text: str) -> bool:
        return any(c.kind == "edit_original" and text in c.body["content"] for c in recorder.for_interaction(reindex))

    async def ask(n: int) -> None:
        """Ask ``n`` questions at once and wait until each has its answer."""
        batch = [slash("ask", {"question": "zeppelin museum gondola"}, at=at) for _ in range(n)]
        for q in batch:
            questions.append(q)
            newsbot._connection.parse_interaction_create(q)
        await recorder.wait_for(
            lambda: all(any(c.kind == "followup" for c in recorder.for_interaction(q)) for q in batch), timeout=WAIT
        )

    reindex = slash("reindex", {}, permissions=MANAGE_GUILD)
    newsbot._connection.parse_interaction_create(reindex)
    await ask(3)  # as the run starts
    await reached(work.stored)  # the new article is stored but not indexed
    await recorder.wait_for(lambda: edited("reading and storing"), timeout=WAIT)
    await ask(5)
    work.build.set()
    await reached(work.built)  # the new generation is written, and the bot still serves the old one
    await recorder.wait_for(lambda: edited("building the search index"), timeout=WAIT)
    await ask(5)
    switched = len(questions)
    work.finish.set()
    await recorder.wait_for(lambda: edited("Re-index done"), timeout=WAIT)
    await ask(5)
    await settle(timeout=WAIT)

    generations = []
    for q in questions:
        calls = recorder.for_interaction(q)
        assert calls[0].json["type"] == 5
        answer = [c for c in calls if c.kind == "followup"]
        assert len(answer) == 1, [c.kind for c in calls]
        check_limits(answer[0])
        embed = answer[0].embeds[0]
        generation = re.search(r"index (\S+)", embed["footer"]["text"]).group(1)
        generations.append(generation)
        found = "Zeppelin museum opens downtown" in str(embed)
        # The new article is only ever cited from the new generation: never from a half-built index.
        assert found == (generation != old), (generation, found)
    assert generations[0] == old and generations[-1] != old, generations
    # Before the switch every answer came from the old generation, after it every one from the new.
    assert set(generations[:switched]) == {old} and old not in generations[switched:], generations

    progress = recorder.for_interaction(reindex)
    assert progress[0].json["type"] == 4 and progress[0].json["data"]["content"].startswith("Re-indexing")
    edits = [c.body["content"] for c in progress if c.kind == "edit_original"]
    assert any("reading and storing" in e for e in edits) and any("building the search index" in e for e in edits)
    assert edits[-1].startswith("Re-index done") and newsbot.engine.generation in edits[-1]
    assert "articles added 1" in edits[-1]


@pytest.mark.asyncio
async def test_second_reindex_is_refused_while_one_runs(newsbot, recorder, tmp_path):
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def blocked(paths, db_path, prune, phase, **_):
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)

    newsbot.get_cog("Admin").work = blocked
    first = slash("reindex", {}, permissions=MANAGE_GUILD)
    newsbot._connection.parse_interaction_create(first)
    await recorder.wait_for(lambda: bool(recorder.for_interaction(first)))
    second = slash("reindex", {}, permissions=MANAGE_GUILD)
    newsbot._connection.parse_interaction_create(second)
    await recorder.wait_for(lambda: bool(recorder.for_interaction(second)))
    refused = recorder.for_interaction(second)[0]
    assert refused.json["data"]["flags"] == 64 and "already running" in refused.json["data"]["content"]
    release.set()
    await settle()


@pytest.mark.asyncio
async def test_reindex_is_off_without_an_archive(make_bot, news_db, recorder, tmp_path):
    bot = await make_bot(news_db)  # NEWSBOT_ARCHIVE unset
    ran = []
    bot.get_cog("Admin").work = lambda *a, **k: ran.append(a)
    for options in ({}, {"path": str(tmp_path)}, {"path": "."}):
        payload = slash("reindex", options, permissions=MANAGE_GUILD)
        bot._connection.parse_interaction_create(payload)
        await settle()
        data = recorder.for_interaction(payload)[0].json["data"]
        assert "NEWSBOT_ARCHIVE" in data["content"] and data["flags"] & 64
    assert ran == []


@pytest.mark.asyncio
async def test_reindex_failure_keeps_the_old_index(newsbot, recorder, tmp_path):
    def broken(paths, db_path, prune, phase, **_):
        raise OSError("disk full")

    newsbot.get_cog("Admin").work = broken
    old = newsbot.engine.generation
    payload = slash("reindex", {}, permissions=MANAGE_GUILD)
    newsbot._connection.parse_interaction_create(payload)
    await settle()
    last = [c for c in recorder.for_interaction(payload) if c.kind == "edit_original"][-1]
    assert "Re-index failed" in last.body["content"] and "previous index is still in service" in last.body["content"]
    assert newsbot.engine.generation == old


@pytest.mark.asyncio
async def test_no_index_then_reindex_brings_it_up(make_bot, tmp_path, recorder):
    db = tmp_path / "later.db"
    store.connect(db).close()
    bot = await make_bot(db, archive=tmp_path)
    assert not bot.engine.ready

    def first_build(paths, db_path, prune, phase, **_):
        build_db(db_path, [NEW])

    bot.get_cog("Admin").work = first_build
    payload = slash("reindex", {}, permissions=MANAGE_GUILD)
    bot._connection.parse_interaction_create(payload)
    await settle()
    assert bot.engine.ready
    q = slash("ask", {"question": "zeppelin museum"}, at=datetime(2024, 3, 10, tzinfo=UTC))
    bot._connection.parse_interaction_create(q)
    await settle()
    assert "Zeppelin museum" in str(next(c for c in recorder.for_interaction(q) if c.kind == "followup").embeds)


@pytest.mark.asyncio
async def test_worker_processes_answer_and_follow_a_new_generation(make_bot, news_db, recorder):
    """The deployed mode: searches in worker processes, which switch generation when the bot reloads."""
    bot = await make_bot(news_db, search_workers=1)
    at = datetime(2024, 3, 10, tzinfo=UTC)
    q = slash("ask", {"question": "library budget council"}, at=at)
    bot._connection.parse_interaction_create(q)
    await settle()
    first = next(c for c in recorder.for_interaction(q) if c.kind == "followup")
    assert "Council approves budget" in first.embeds[0]["fields"][0]["name"]
    old = bot.engine.generation

    await asyncio.to_thread(StagedReindex(held=False), [], news_db, False, lambda phase: None)
    assert await bot.engine.reload() and bot.engine.generation != old
    q = slash("ask", {"question": "zeppelin museum gondola"}, at=at)
    bot._connection.parse_interaction_create(q)
    await settle()
    answer = next(c for c in recorder.for_interaction(q) if c.kind == "followup")
    assert "Zeppelin museum opens downtown" in str(answer.embeds)
    assert bot.engine.generation in answer.embeds[0]["footer"]["text"]


@pytest.mark.asyncio
async def test_reindex_runs_the_real_pipeline(make_bot, tmp_path, recorder):
    """/reindex with the real ingest and postings rebuild, on a small JSON-lines archive."""
    import json

    archive = tmp_path / "archive"
    archive.mkdir()
    records = [
        {
            "id": "a1",
            "title": "Ferry service resumes after repairs",
            "source": "Harbour News",
            "date": "2024/03/01",
            "url": "https://harbour.example/ferry",
            "text": "The island ferry service resumed on Friday after two weeks "
            "of engine repairs. The operator said timetables are back to normal.",
        },
        {
            "id": "a2",
            "title": "School board picks new superintendent",
            "source": "Valley Post",
            "date": "2024/03/02",
            "url": "https://valley.example/school",
            "text": "The school board chose Maria Chen as superintendent. "
            "She starts in July and previously led a district in the north.",
        },
    ]
    (archive / "news.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    db = tmp_path / "fresh.db"
    bot = await make_bot(db, archive=archive)
    assert not bot.engine.ready
    payload = slash("reindex", {}, permissions=MANAGE_GUILD)
    bot._connection.parse_interaction_create(payload)
    await settle(timeout=120)
    last = [c for c in recorder.for_interaction(payload) if c.kind == "edit_original"][-1]
    assert last.body["content"].startswith("Re-index done"), last.body["content"]
    assert bot.engine.ready
    q = slash("ask", {"question": "who is the new superintendent?"}, at=datetime(2024, 3, 10, tzinfo=UTC))
    bot._connection.parse_interaction_create(q)
    await settle()
    answer = next(c for c in recorder.for_interaction(q) if c.kind == "followup")
    assert "Maria Chen" in answer.embeds[0]["description"]


@pytest.mark.asyncio
async def test_reindex_path_must_stay_inside_the_configured_archive(make_bot, tmp_path, recorder):
    archive = tmp_path / "archive"
    (archive / "sub").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    ran: list[list[Path]] = []
    bot = await make_bot(tmp_path / "confined.db", archive=archive)
    bot.get_cog("Admin").work = lambda paths, db_path, prune, phase, **_: ran.append(paths)
    for target in (outside, archive / "sub" / ".." / ".." / "elsewhere"):
        payload = slash("reindex", {"path": str(target)}, permissions=MANAGE_GUILD)
        bot._connection.parse_interaction_create(payload)
        await settle()
        data = recorder.for_interaction(payload)[0].json["data"]
        assert "inside the archive" in data["content"]
        assert data["flags"] & 64  # private
    assert ran == []
