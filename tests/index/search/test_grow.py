"""Growing the index with added, changed and removed articles keeps every score exactly rank-bm25's."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from helpers.bm25_reference import REL, PublishedBM25L, assert_close
from helpers.searchdb import Doc, make_store, write_articles
from rank_bm25 import BM25Okapi, BM25Plus

from index import store
from index.models import Article
from index.search.bm25 import BM25Params
from index.search.build import passage_token_lists, rebuild
from index.search.generations import current_generation, index_dir
from index.search.grow import update
from index.search.health import check
from index.search.postings import Postings
from index.search.searcher import Searcher

WORDS = [f"w{i}" for i in range(500)]
WEIGHTS = [1 / (i + 1) ** 1.05 for i in range(len(WORDS))]
REFERENCE = {"okapi": BM25Okapi, "plus": BM25Plus, "l": PublishedBM25L}


def passages(rng: random.Random, k: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(3, 40))) for _ in range(k)]


def add_articles(db: Path, rng: random.Random, first: int, n: int, *, new_words: bool = False) -> None:
    rows = []
    for i in range(first, first + n):
        texts = passages(rng, rng.randint(1, 4))
        if new_words:  # terms the base never saw, sorting before, between and after its own
            texts[0] += f" aaa{i} w250x{i} zzz{i}"
            texts[-1] += " w3" * 300  # a term frequency the base's compact type cannot hold
        article = Article(
            source_id=f"new-{i}",
            title=f"fresh story {i} " + " ".join(rng.choices(WORDS, k=2)),
            paragraphs=texts,
            outlet=rng.choice(["Example News", f"Outlet {i % 3}"]),
            published=f"2023-0{1 + i % 9}-1{i % 10}",
            url=f"https://new{i % 4}.example/{i}",
            origin_path=f"/tmp/new-{i}.txt",
            reader="test",
        )
        from helpers.searchdb import given_passages

        rows.append((article, given_passages(texts), None, f"new-hash-{i}"))
    write_articles(db, rows)


def delete_some(db: Path, rng: random.Random, n: int) -> None:
    conn = store.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY id")]
        with store.transaction(conn):
            store.delete_articles(conn, rng.sample(ids, n))
    finally:
        conn.close()


def retitle_one(db: Path) -> None:
    """A metadata change only (no passage changes): the article must be re-added with its new headline."""
    conn = store.connect(db)
    try:
        with store.transaction(conn):
            aid = conn.execute("SELECT min(id) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]
            conn.execute(
                "UPDATE articles SET title = 'Renamed harbor report', title_tokens = 'renam harbor report', "
                "outlet = 'Renamed Outlet', updated_at = ? WHERE id = ?",
                (store.utc_now(), aid),
            )
    finally:
        conn.close()


def store_pids(db: Path) -> np.ndarray:
    with store.read_snapshot(db) as conn:
        return np.asarray([pid for pid, _, _ in store.indexed_passage_tokens(conn)], np.int64)


def check_against_reference(db: Path, variant: str, seed: int) -> None:
    """Every passage's score, for random queries, equals rank-bm25's over the store as it is now."""
    params = BM25Params(variant=variant)
    docs = passage_token_lists(db, params)
    ref = REFERENCE[variant](docs)
    ours = Postings.load(index_dir(db) / current_generation(db))
    # A grown generation keeps its removed passages' numbers (dead): only the live ones are the collection.
    live = ours.live_mask()
    live = np.ones(ours.n_passages, np.bool_) if live is None else live
    assert int(live.sum()) == ours.live_passages
    # Our live passage numbers -> the store's order, which the reference was built in.
    order = np.argsort(store_pids(db))
    where = order[np.searchsorted(store_pids(db)[order], np.asarray(ours.arrays["doc_pid"])[live])]
    assert len(where) == len(docs)
    rng = random.Random(seed)
    vocab = sorted({t for d in docs for t in d})
    for _ in range(60):
        q = rng.choices(WORDS, WEIGHTS, k=rng.randint(1, 6)) + rng.sample(vocab, 2)
        expected = ref.get_scores(q)
        got = np.empty(len(docs))
        dense = ours.dense_scores(q)
        got[where] = dense[live]
        assert not dense[~live].any(), "a removed passage scores"
        assert_close(got, expected)


@pytest.fixture
def base_db(tmp_path: Path) -> Path:
    rng = random.Random(3)
    docs = [Doc(f"harbor story {i}", passages(rng, rng.randint(1, 4)), outlet=f"Outlet {i % 5}") for i in range(80)]
    path = tmp_path / "news.db"
    make_store(path, docs)
    return path


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_grown_index_scores_equal_rank_bm25_after_additions_and_deletions(base_db: Path, variant: str) -> None:
    rebuild(base_db, progress=False, params=BM25Params(variant=variant))
    rng = random.Random(11)
    first = 0
    for round_ in range(4):
        add_articles(base_db, rng, first, 6, new_words=round_ % 2 == 0)
        first += 6
        if round_ != 1:  # round 1 only adds: the path that keeps every base posting
            delete_some(base_db, rng, 3)
        if round_ == 2:
            retitle_one(base_db)
        info = update(base_db)
        assert info is not None and info.seconds >= 0
        assert info.params["variant"] == variant
        params = Postings.load(index_dir(base_db) / info.generation).params
        assert params["grown_from"], "grown, not rebuilt"
        assert check(base_db).ok
        check_against_reference(base_db, variant, seed=round_)
    assert REL <= 1e-5


def test_nothing_changed_builds_nothing(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    assert update(base_db) is None
    assert current_generation(base_db) == "gen-000001"


def test_grown_index_searches_like_a_full_rebuild(base_db: Path, tmp_path: Path) -> None:
    rebuild(base_db, progress=False)
    rng = random.Random(5)
    add_articles(base_db, rng, 0, 10, new_words=True)
    delete_some(base_db, rng, 5)
    retitle_one(base_db)
    update(base_db)
    twin = tmp_path / "twin.db"
    with sqlite3.connect(base_db) as src, sqlite3.connect(twin) as dst:
        src.backup(dst)
    rebuild(twin, progress=False)
    grown, full = Searcher.open(base_db), Searcher.open(twin)
    assert grown.passage_count == full.passage_count and grown.article_count == full.article_count
    for query in [
        "w1 w7 w30",
        "fresh story",
        "aaa3 w250x3",
        "title:renam",
        "title:harbor w2",
        'source:"outlet 1" w3',
        "source:new2.example w5",
        "w4 after:2023-03-01 before:2023-06-01",
        "zzz9",
        '"fresh story" w2',  # quoted phrases: their passages scored directly, through the segment's postings
        '"renamed harbor" w1',  # in a headline only, since the grown generation's update
        '"w1 w2" w3',
    ]:
        a = grown.search(query, 10, sort="relevance", annotate=False)
        b = full.search(query, 10, sort="relevance", annotate=False)
        assert a.total == b.total, query
        assert [round(h.score, 4) for h in a.hits] == [round(h.score, 4) for h in b.hits], query
        assert {h.passage_id for h in a.hits if h.score > a.hits[-1].score} == {
            h.passage_id for h in b.hits if h.score > b.hits[-1].score
        }, query


def test_a_generation_without_term_frequencies_is_rebuilt(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    folder = index_dir(base_db) / "gen-000001"
    (folder / "tfs.npy").unlink()
    (folder / "manifest.json").unlink()  # as a generation from before manifests and term frequencies
    add_articles(base_db, random.Random(1), 0, 2)
    info = update(base_db)
    assert info is not None and "grown_from" not in Postings.load(info.path).params
    assert (info.path / "tfs.npy").exists()


def test_a_large_change_is_a_full_rebuild(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    add_articles(base_db, random.Random(2), 0, 40)
    info = update(base_db)
    assert info is not None and "grown_from" not in Postings.load(info.path).params
    check_against_reference(base_db, "okapi", seed=9)


def test_a_damaged_generation_is_rebuilt_not_grown(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    lens = index_dir(base_db) / "gen-000001" / "doc_len.npy"  # read (and copied) by a growth
    with open(lens, "r+b") as fh:  # passes the load's checks; only the checksum sees it
        fh.seek(lens.stat().st_size - 4)
        fh.write(b"\x07\x00\x00\x00")
    add_articles(base_db, random.Random(4), 0, 2)
    info = update(base_db)
    assert info is not None and "grown_from" not in Postings.load(info.path).params
    check_against_reference(base_db, "okapi", seed=4)


def test_damage_in_a_linked_base_file_stays_visible_and_is_rebuilt(base_db: Path) -> None:
    from index.ingest.update import update_index

    rebuild(base_db, progress=False)
    tfs = index_dir(base_db) / "gen-000001" / "tfs.npy"  # hard-linked by a growth, its checksum carried, not re-read
    with open(tfs, "r+b") as fh:
        fh.seek(tfs.stat().st_size - 4)
        fh.write(b"\x07\x07\x07\x07")
    inode = tfs.stat().st_ino
    add_articles(base_db, random.Random(4), 0, 2)
    info = update(base_db)
    assert info is not None and Postings.load(info.path).params["grown_from"] == "gen-000001"
    assert (info.path / "tfs.npy").stat().st_ino == inode
    # The grown generation's manifest vouches for the file as it was written, so the damage is not laundered.
    health = check(base_db)
    assert not health.ok and "tfs.npy: checksum mismatch" in (health.problem or "")
    result = update_index([], base_db, progress=False, workers=0)  # what newsbot index, /reindex and feeds run
    assert result.rebuilt and check(base_db).ok
    assert "grown_from" not in Postings.load(index_dir(base_db) / current_generation(base_db)).params
    check_against_reference(base_db, "okapi", seed=4)


def test_only_deletions_and_an_article_without_passages(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    write_articles(base_db, [(Article(source_id="empty-1", title="Headline only", paragraphs=[]), [], None, "e1")])
    assert update(base_db) is None  # an article without passages is not indexed, so nothing changed
    delete_some(base_db, random.Random(6), 4)
    info = update(base_db)
    assert info is not None and Postings.load(info.path).params["grown_from"] == "gen-000001"
    check_against_reference(base_db, "okapi", seed=6)
    assert update(base_db) is None


def test_an_edited_body_that_keeps_its_passage_ids_is_searchable_after_the_update(tmp_path: Path) -> None:
    from helpers.archives import write_text

    from index.ingest.update import update_index

    folder, db = tmp_path / "news", tmp_path / "g.db"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    update_index([folder], db, progress=False, workers=0)
    # The last article holds the highest passage ids: SQLite hands the same ids out again when it is re-split.
    last = folder / "2.txt"
    last.write_text(last.read_text().replace("people living nearby", "people living zzqxunique nearby"))
    result = update_index([folder], db, progress=False, workers=0)
    assert result.rebuilt
    with Searcher.open(db) as searcher:
        assert searcher.search("zzqxunique", annotate=False).hits


# -- the segment path: several growths in a row, the threshold scan, merges, crashes


def check_matches_against_reference(db: Path, variant: str, seed: int) -> None:
    """match() (the threshold scan over stale base scores, then exact candidates) returns rank-bm25's best passages
    with rank-bm25's scores, and everything it leaves out scores below its bound."""
    params = BM25Params(variant=variant)
    docs = passage_token_lists(db, params)
    ref = REFERENCE[variant](docs)
    ours = Postings.load(index_dir(db) / current_generation(db))
    pids = store_pids(db)
    order = np.argsort(pids)
    rng = random.Random(seed)
    for _ in range(40):
        q = rng.choices(WORDS[:40], WEIGHTS[:40], k=rng.randint(2, 5))
        expected = ref.get_scores(q)
        m = ours.match(q, depth=5)
        where = order[np.searchsorted(pids[order], np.asarray(ours.arrays["doc_pid"])[m.docs])]
        assert_close(m.scores.astype(np.float64), expected[where])
        left_out = np.ones(len(docs), np.bool_)
        left_out[where] = False
        outside = expected[left_out]
        matched = outside > m.constant * (1 + 1e-9) + 1e-9  # holds a query term (BM25Plus gives all a constant)
        assert not (matched & (outside >= m.bound * (1 + 1e-5))).any(), q
        best = np.sort(expected)[::-1][:5]
        assert np.allclose(np.sort(m.scores)[::-1][:5], best, rtol=1e-5), q


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_several_growths_in_a_row_keep_rank_bm25_scores(tmp_path: Path, variant: str) -> None:
    rng = random.Random(21)
    docs = [Doc(f"harbor story {i}", passages(rng, rng.randint(1, 4)), outlet=f"Outlet {i % 5}") for i in range(300)]
    db = tmp_path / "news.db"
    make_store(db, docs)
    # Written long ago: a growth compares in full only what was written since its generation read the store.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET updated_at = '2020-01-01T00:00:00+00:00'")
    rebuild(db, progress=False, params=BM25Params(variant=variant))
    first = 0
    for round_ in range(5):
        add_articles(db, rng, first, 5, new_words=round_ % 2 == 1)
        first += 5
        if round_ >= 1:  # removes base articles and, from the second growth on, segment ones too
            delete_some(db, rng, 3)
        if round_ == 3:
            retitle_one(db)
        info = update(db)
        assert info is not None
        params = Postings.load(info.path).params
        assert params["segment"]["base_generation"] == "gen-000001", "grown on the same base every time"
        assert check(db).ok
        check_against_reference(db, variant, seed=round_)
        check_matches_against_reference(db, variant, seed=round_)
    assert update(db) is None


def test_a_grown_generation_links_its_base_and_survives_the_base_folder_going(base_db: Path) -> None:
    rebuild(base_db, progress=False)
    base = index_dir(base_db) / "gen-000001"
    inode = (base / "docs.npy").stat().st_ino
    add_articles(base_db, random.Random(8), 0, 3)
    info = update(base_db)
    assert info is not None and (info.path / "docs.npy").stat().st_ino == inode
    add_articles(base_db, random.Random(9), 3, 3)
    second = update(base_db)
    assert second is not None and (second.path / "docs.npy").stat().st_ino == inode
    assert not base.exists() or (base / "docs.npy").stat().st_ino == inode
    import shutil

    shutil.rmtree(base, ignore_errors=True)  # pruned: the links keep the data
    assert check(base_db).ok
    check_against_reference(base_db, "okapi", seed=3)


def test_a_crash_while_growing_leaves_the_generation_in_service(base_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.search import grow

    rebuild(base_db, progress=False)
    add_articles(base_db, random.Random(10), 0, 3)
    calls = {"n": 0}
    real = grow._save

    def dying(path: Path, arr: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        real(path, arr)

    monkeypatch.setattr(grow, "_save", dying)
    with pytest.raises(OSError):
        update(base_db)
    assert current_generation(base_db) == "gen-000001"
    assert not list(index_dir(base_db).glob(".tmp-*"))
    assert check(base_db).ok  # the base's files, linked into the dead temp folder, are untouched
    monkeypatch.setattr(grow, "_save", real)
    info = update(base_db)
    assert info is not None and "segment" in Postings.load(info.path).params
    check_against_reference(base_db, "okapi", seed=10)


def test_merge_folds_the_segment_into_a_full_generation(base_db: Path) -> None:
    from index.search.grow import merge, merge_due

    rebuild(base_db, progress=False)
    rng = random.Random(12)
    add_articles(base_db, rng, 0, 4, new_words=True)
    delete_some(base_db, rng, 2)
    update(base_db)
    assert merge_due(base_db)  # a 5% segment on a small archive
    info = merge(base_db)
    assert info is not None
    params = Postings.load(info.path).params
    assert "segment" not in params and params["grown_from"]
    check_against_reference(base_db, "okapi", seed=12)
    assert not merge_due(base_db) and merge(base_db) is None
    assert update(base_db) is None


def test_update_index_merges_in_the_background_without_blocking(tmp_path: Path) -> None:
    from helpers.archives import write_text

    from index.ingest.update import update_index

    folder, db = tmp_path / "news", tmp_path / "g.db"
    for n in range(20):
        write_text(folder / f"{n}.txt", n)
    update_index([folder], db, progress=False, workers=0)
    for n in range(20, 22):
        write_text(folder / f"{n}.txt", n)
    later = update_index([folder], db, progress=False, workers=0, merge="later")
    assert later.rebuilt and later.merge_thread is None and later.merged is None
    grown = current_generation(db)
    assert "segment" in Postings.load(index_dir(db) / grown).params  # searchable now, merge pending
    result = update_index([folder], db, progress=False, workers=0, merge="background")
    assert result.merge_thread is not None  # nothing new to store, but the merge was due
    result.merge_thread.join(timeout=60)
    assert not result.merge_thread.is_alive()
    merged = current_generation(db)
    assert merged != grown and "segment" not in Postings.load(index_dir(db) / merged).params
    assert check(db).ok
    with Searcher.open(db) as searcher:
        assert searcher.passage_count == len(passage_token_lists(db))
