"""update_index: ingest, then rebuild the search postings only when they are stale, and record that they match."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.archives import write_text
from helpers.stores import StoreUnderTest

from index import store
from index.ingest import pipeline
from index.ingest.update import PHASE_INGEST, PHASE_POSTINGS, PostingsNotRebuilt, update_index
from index.search import generations
from index.tokenize import TOKENIZER_VERSION


@pytest.fixture
def db_path(store: StoreUnderTest, tmp_path: Path) -> Iterator[Path | str]:
    """Each test runs on both backends; a PostgreSQL archive's index folder lands under the working folder (here).

    Its own MonkeyPatch: a test's ``monkeypatch.undo()`` must not move the working folder back.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        yield store.locator


def update(folder: Path, db_path: Path, **kw: object) -> tuple[list[str], object]:
    phases: list[str] = []
    kw.setdefault("progress", False)
    kw.setdefault("workers", 0)
    result = update_index([folder], db_path, phase=phases.append, **kw)  # type: ignore[arg-type]
    return phases, result


def test_update_index_rebuilds_only_when_the_content_changed(tmp_path: Path, db_path: Path) -> None:
    write_text(tmp_path / "in" / "a.txt", 1)
    phases, first = update(tmp_path / "in", db_path)
    assert phases == [PHASE_INGEST, PHASE_POSTINGS]
    assert first.rebuilt and first.generation == "gen-000001" == generations.current_generation(db_path)
    assert first.build is not None and first.build.passages > 0 and first.summary.added == 1

    phases, again = update(tmp_path / "in", db_path)
    assert phases == [PHASE_INGEST]
    assert (again.rebuilt, again.build, again.generation) == (False, None, "gen-000001")
    assert again.summary.files_unchanged == 1

    write_text(tmp_path / "in" / "b.txt", 2)
    phases, changed = update(tmp_path / "in", db_path)
    assert phases == [PHASE_INGEST, PHASE_POSTINGS] and changed.generation == "gen-000002"


def test_update_index_without_postings_leaves_them_stale_for_the_next_update(tmp_path: Path, db_path: Path) -> None:
    write_text(tmp_path / "in" / "a.txt", 1)
    update(tmp_path / "in", db_path)
    write_text(tmp_path / "in" / "b.txt", 2)
    phases, only_ingest = update(tmp_path / "in", db_path, postings=False)
    assert phases == [PHASE_INGEST] and not only_ingest.rebuilt and only_ingest.summary.added == 1
    conn = store.connect(db_path)
    try:
        assert pipeline.postings_outdated(conn)
    finally:
        conn.close()
    # Nothing changes on disk now, but the postings lack b.txt: they are rebuilt.
    _, next_run = update(tmp_path / "in", db_path)
    assert next_run.summary.added == 0 and next_run.rebuilt and next_run.generation == "gen-000002"


def test_update_index_rebuilds_after_a_tokenizer_change(tmp_path: Path, db_path: Path) -> None:
    write_text(tmp_path / "in" / "a.txt", 1)
    update(tmp_path / "in", db_path)
    conn = store.connect(db_path)
    with store.transaction(conn):
        store.set_meta(conn, pipeline.META_TOKENIZER, "0")
    conn.close()
    _, result = update(tmp_path / "in", db_path)
    assert result.summary.retokenized > 0 and result.rebuilt
    conn = store.connect(db_path)
    try:
        assert store.get_meta(conn, pipeline.META_TOKENIZER) == str(TOKENIZER_VERSION)
    finally:
        conn.close()


def test_update_index_failed_rebuild_keeps_the_articles_and_stays_stale(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.search import build as postings

    def broken(db: Path, progress: bool = True) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(postings, "rebuild", broken)
    write_text(tmp_path / "in" / "a.txt", 1)
    with pytest.raises(PostingsNotRebuilt, match="search index not rebuilt: disk full") as failed:
        update(tmp_path / "in", db_path)
    assert failed.value.summary.added == 1 and failed.value.summary.status == "ok"
    assert generations.current_generation(db_path) is None
    monkeypatch.undo()
    _, result = update(tmp_path / "in", db_path)
    assert result.summary.files_unchanged == 1 and result.rebuilt


def test_update_index_content_committed_during_the_build_leaves_the_postings_stale(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.search import build as postings

    real = postings.rebuild

    def rebuild_while_another_ingest_commits(db: Path, progress: bool = True) -> postings.BuildInfo:
        info = real(db, progress=progress)
        conn = store.connect(db)
        with store.transaction(conn):
            store.set_meta(conn, pipeline.META_GENERATION, "another-run.1")
        conn.close()
        return info

    monkeypatch.setattr(postings, "rebuild", rebuild_while_another_ingest_commits)
    write_text(tmp_path / "in" / "a.txt", 1)
    _, first = update(tmp_path / "in", db_path)
    assert first.rebuilt
    monkeypatch.undo()
    from index.search import grow

    checked: list[Path] = []
    real_grow = grow.update
    monkeypatch.setattr(
        grow, "update", lambda db, progress=True: checked.append(db) or real_grow(db, progress=progress)
    )
    _, second = update(tmp_path / "in", db_path)
    # Still stale: the second update compares the index with the store again (and finds it matches).
    assert second.summary.files_unchanged == 1 and checked == [db_path]
    _, third = update(tmp_path / "in", db_path)
    assert not third.rebuilt and checked == [db_path]  # marked built now: nothing to compare
