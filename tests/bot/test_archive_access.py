"""Who may make the bot read files: the owner by default, server admins only by opt-in, and only inside the archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers.bot_harness import OTHER_USER_ID, USER_ID, settle, slash

from index import store

MANAGE_GUILD = 1 << 5
SECRET = "DISCORD_TOKEN=hunter2-secret-value"


def _reply(recorder, payload) -> dict:
    return recorder.for_interaction(payload)[0].json["data"]


async def _run(bot, options: dict, *, user_id: int = USER_ID, permissions: int = MANAGE_GUILD) -> dict:
    payload = slash("reindex", options, user_id=user_id, permissions=permissions)
    bot._connection.parse_interaction_create(payload)
    await settle(timeout=120)
    return payload


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    (folder / "2024").mkdir(parents=True)
    record = {
        "id": "a1",
        "title": "Ferry service resumes after repairs",
        "source": "Harbour News",
        "date": "2024/03/01",
        "text": "The island ferry service resumed on Friday after two weeks of engine repairs.",
    }
    (folder / "2024" / "news.jsonl").write_text(json.dumps(record) + "\n")
    return folder


@pytest.mark.asyncio
async def test_a_server_admin_who_is_not_the_owner_is_refused(make_bot, news_db, recorder, archive):
    bot = await make_bot(news_db, archive=archive)
    ran = []
    bot.get_cog("Admin").work = lambda *a, **k: ran.append(a)
    payload = await _run(bot, {}, user_id=OTHER_USER_ID)
    data = _reply(recorder, payload)
    assert "Only the bot's owner" in data["content"] and "NEWSBOT_ADMINS_MANAGE_ARCHIVE" in data["content"]
    assert data["flags"] & 64
    assert ran == []


@pytest.mark.asyncio
async def test_the_owner_can_let_server_admins_reindex(make_bot, news_db, recorder, archive):
    bot = await make_bot(news_db, archive=archive, admins_manage_archive=True)
    ran = []
    bot.get_cog("Admin").work = lambda paths, *a, **k: ran.append(paths)
    admin = await _run(bot, {"path": "2024"}, user_id=OTHER_USER_ID)
    assert _reply(recorder, admin)["content"].startswith("Re-indexing `2024`")
    assert ran == [[(archive / "2024").resolve()]]
    # Without Manage Server, the opt-in does not help.
    member = await _run(bot, {}, user_id=OTHER_USER_ID, permissions=0)
    assert "Only the bot's owner" in _reply(recorder, member)["content"]
    assert len(ran) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    ["/etc/shadow", "/etc/no-such-file-here", "../elsewhere", "../elsewhere/secret.txt", "~/private", "/", "a\0b"],
)
async def test_paths_outside_the_archive_get_one_answer_whether_they_exist_or_not(
    make_bot, news_db, recorder, archive, path
):
    (archive.parent / "elsewhere").mkdir(exist_ok=True)
    (archive.parent / "elsewhere" / "secret.txt").write_text(SECRET)
    bot = await make_bot(news_db, archive=archive)
    ran = []
    bot.get_cog("Admin").work = lambda *a, **k: ran.append(a)
    data = _reply(recorder, await _run(bot, {"path": path}))
    if path == "~/private":  # a literal folder name inside the archive, which is not there
        assert data["content"] == "`~/private` is not in the archive. Leave `path` out to re-read the whole archive."
    else:
        assert data["content"].startswith("`path` must name a folder or file inside the archive"), data["content"]
    assert path.split("/")[-1] not in ("shadow", "secret.txt") or "exist" not in data["content"]
    assert ran == []


@pytest.mark.asyncio
async def test_a_relative_path_is_taken_inside_the_archive_not_the_bots_folder(
    make_bot, news_db, recorder, archive, tmp_path, monkeypatch
):
    workdir = tmp_path / "botdir"
    workdir.mkdir()
    (workdir / ".env").write_text(SECRET)
    monkeypatch.chdir(workdir)
    bot = await make_bot(news_db, archive=archive)
    ran = []
    bot.get_cog("Admin").work = lambda *a, **k: ran.append(a)
    data = _reply(recorder, await _run(bot, {"path": ".env"}))
    assert "is not in the archive" in data["content"]
    assert ran == []


@pytest.mark.asyncio
async def test_a_link_inside_the_archive_to_a_file_outside_is_not_read(make_bot, recorder, archive, tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "shadow.txt").write_text("Headline\n\n" + SECRET + " and the root password is swordfish.\n")
    (archive / "notes.txt").symlink_to(outside / "shadow.txt")
    (archive / "linked").symlink_to(outside, target_is_directory=True)
    db = tmp_path / "fresh.db"
    bot = await make_bot(db, archive=archive)
    payload = await _run(bot, {})
    last = [c for c in recorder.for_interaction(payload) if c.kind == "edit_original"][-1]
    assert last.body["content"].startswith("Re-index done"), last.body["content"]
    conn = store.connect(db)
    try:
        bodies = " ".join(r[0] for r in conn.execute("SELECT body FROM articles"))
        paths = [r[0] for r in conn.execute("SELECT path FROM files")]
    finally:
        conn.close()
    assert "Ferry service" in bodies or "ferry service" in bodies
    assert "swordfish" not in bodies and "hunter2" not in bodies
    assert all(str(outside) not in p for p in paths)
    q = slash("search", {"query": "root password DISCORD_TOKEN"}, at=datetime(2024, 3, 10, tzinfo=UTC))
    bot._connection.parse_interaction_create(q)
    await settle()
    shown = json.dumps([c.json for c in recorder.for_interaction(q)])
    assert "swordfish" not in shown and "hunter2" not in shown


def test_a_link_loop_outside_the_archive_gets_the_same_answer(tmp_path):
    from bot.errors import BadInput
    from bot.reindex import OUTSIDE, archive_target

    archive = tmp_path / "arch"
    archive.mkdir()
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    for path in ("../loop", "../nonexistent"):
        with pytest.raises(BadInput) as err:
            archive_target(path, archive)
        assert err.value.user_message == OUTSIDE
