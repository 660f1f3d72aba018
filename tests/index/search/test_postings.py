"""Postings generations: what a rebuild writes, the atomic switch, pruning, crashes, and per-passage arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.searchdb import Doc, make_store

import index.search.build as build
from index.search.bm25 import BM25Params
from index.search.build import parse_published, passage_token_lists, rebuild, source_key
from index.search.generations import current_generation, index_dir, write_manifest
from index.search.postings import UNDATED_DAY, UNDATED_TS, IndexMissing, IndexOutdated, Postings
from index.tokenize import TOKENIZER_VERSION

DOCS = [
    Doc("Storm hits the coast", ["A storm hit the coast on Monday.", "Power was cut for thousands."]),
    Doc("Budget vote delayed", ["The council delayed its budget vote."], outlet="CNN", url="https://www.cnn.com/b"),
    Doc("Copy", ["ignored"], duplicate_of=0),
    Doc("Undated note", ["An undated storm note."], published=None),
]


@pytest.fixture
def built(db_path: Path) -> Path:
    make_store(db_path, DOCS)
    rebuild(db_path, progress=False)
    return db_path


def test_rebuild_writes_a_generation_with_params(built: Path) -> None:
    root = index_dir(built)
    assert root == built.with_name(built.name + ".index")
    assert current_generation(built) == "gen-000001"
    assert (root / "CURRENT").read_text().strip() == "gen-000001"
    params = json.loads((root / "gen-000001" / "params.json").read_text())
    assert params["bm25"] == {"variant": "okapi", "k1": 1.5, "b": 0.75, "epsilon": 0.25, "delta": 0.0, "title": "every"}
    assert params["tokenizer_version"] == TOKENIZER_VERSION
    assert params["passages"] == 4  # the duplicate has none
    assert params["articles"] == 3
    assert params["generation"] == "gen-000001"
    assert params["created_at"]
    for npy in (root / "gen-000001").glob("*.npy"):
        np.load(npy, allow_pickle=False)  # plain arrays, no pickled objects


def test_loaded_arrays_are_memory_mapped(built: Path) -> None:
    p = Postings.load(index_dir(built) / "gen-000001")
    assert isinstance(p.docs.base, np.memmap) or p.docs.base is not None
    assert not p.docs.flags.writeable


def test_rebuild_switches_and_keeps_the_last_two(built: Path) -> None:
    rebuild(built, progress=False)
    rebuild(built, progress=False)
    root = index_dir(built)
    assert current_generation(built) == "gen-000003"
    gens = sorted(p.name for p in root.iterdir() if p.name.startswith("gen-"))
    assert gens == ["gen-000002", "gen-000003"]


def test_crash_mid_build_leaves_the_old_generation_in_service(built: Path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "_build_into", boom)
    with pytest.raises(RuntimeError):
        rebuild(built, progress=False)
    assert current_generation(built) == "gen-000001"
    assert not [p for p in index_dir(built).iterdir() if p.name.startswith(".tmp-")]
    Postings.load(index_dir(built) / "gen-000001")


def test_leftovers_of_a_killed_build_are_cleared(built: Path) -> None:
    stale = index_dir(built) / ".tmp-gen-000002-99999"
    stale.mkdir()
    (stale / "docs.npy").write_bytes(b"half")
    pointer = index_dir(built) / ".CURRENT.tmp-99999"  # a switch killed before its rename
    pointer.write_text("gen-000007\n")
    info = rebuild(built, progress=False)
    assert info.generation == "gen-000002" == current_generation(built)
    assert not stale.exists() and not pointer.exists()


def test_missing_database_or_index_raises_index_missing(db_path: Path) -> None:
    with pytest.raises(IndexMissing, match="ingest"):
        rebuild(db_path, progress=False)
    assert current_generation(db_path) is None


def test_other_tokenizer_version_is_refused(built: Path) -> None:
    folder = index_dir(built) / "gen-000001"
    params = json.loads((folder / "params.json").read_text())
    params["tokenizer_version"] = TOKENIZER_VERSION + 1
    (folder / "params.json").write_text(json.dumps(params))
    write_manifest(folder)  # as that other version would have written it: intact, just not ours
    with pytest.raises(IndexOutdated, match="newsbot index"):
        Postings.load(folder)


def test_per_passage_arrays(built: Path) -> None:
    p = Postings.load(index_dir(built) / "gen-000001")
    arr = p.arrays
    assert p.n_passages == 4
    assert arr["doc_article"].tolist() == [0, 0, 1, 2]
    assert arr["art_first"].tolist() == [0, 2, 3, 4]
    assert arr["doc_day"][3] == UNDATED_DAY and arr["doc_ts"][3] == UNDATED_TS
    assert arr["doc_day"][0] == parse_published("2022-01-05")[0]
    sources = [p.sources[i] for i in arr["doc_source"].tolist()]
    assert sources[2] == ["cnn", "cnn.com"]
    assert p.title_articles("budget").tolist() == [1]
    assert p.title_articles("nothing").tolist() == []


def test_title_modes(db_path: Path) -> None:
    make_store(db_path, [Doc("Headline words", ["first passage", "second passage"])])
    every = passage_token_lists(db_path, BM25Params(title="every"))
    first = passage_token_lists(db_path, BM25Params(title="first"))
    none = passage_token_lists(db_path, BM25Params(title="none"))
    assert every == [["headlin", "word", "first", "passag"], ["headlin", "word", "second", "passag"]]
    assert first == [["headlin", "word", "first", "passag"], ["second", "passag"]]
    assert none == [["first", "passag"], ["second", "passag"]]
    info = rebuild(db_path, progress=False, params=BM25Params(title="none"))
    p = Postings.load(info.path)
    assert p.term_id("headlin") >= 0 and p.df(p.term_id("headlin")) == 0  # title: filters still find it
    assert p.title_articles("headlin").tolist() == [0]


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="variant"):
        BM25Params(variant="bm25x")


@pytest.mark.parametrize(
    ("value", "day", "ts"),
    [
        ("2022-01-07", 738162, 1641513600),
        ("2022/01/07", 738162, 1641513600),
        ("2022-01-07T23:30:00-05:00", 738163, 1641616200),
        ("2022-01-07T10:00:00", 738162, 1641549600),
        ("", UNDATED_DAY, UNDATED_TS),
        (None, UNDATED_DAY, UNDATED_TS),
        ("yesterday", UNDATED_DAY, UNDATED_TS),
    ],
)
def test_parse_published(value: str | None, day: int, ts: int) -> None:
    assert parse_published(value) == (day, ts)


def test_source_key() -> None:
    assert source_key("CNN ", "https://www.cnn.com/2022/x") == ("cnn", "cnn.com")
    assert source_key(None, None) == (None, None)


def test_empty_store_builds_an_empty_index(db_path: Path) -> None:
    make_store(db_path, [])
    info = rebuild(db_path, progress=False)
    p = Postings.load(info.path)
    assert p.n_passages == 0
    assert p.match(["anything"]).docs.tolist() == []
