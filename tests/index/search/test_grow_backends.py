"""Growing the index on either store backend: a grown generation scores exactly as a full rebuild of the same store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.archives import write_text
from helpers.stores import StoreUnderTest

from index.ingest.update import update_index
from index.search import generations
from index.search.build import rebuild
from index.search.searcher import Searcher

QUERIES = ("harbour council", "library flooded residents", "railway mayor", "district 41 market", "museum sold")


@pytest.fixture
def locator(store: StoreUnderTest, tmp_path: Path) -> Iterator[Path | str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # a PostgreSQL archive's index folder lands under the working folder
        yield store.locator


def ranked(locator: Path | str) -> dict[str, list[tuple[str, float]]]:
    """Every passage matching each query, best first, as (headline, score)."""
    searcher = Searcher.open(locator)
    out = {}
    for q in QUERIES:
        hits = searcher.search(q, k=1000, sort="relevance", per_article=False, annotate=False).hits
        out[q] = [(h.title, round(h.score, 5)) for h in hits]
    return out


def test_a_grown_index_on_either_backend_scores_as_a_rebuild(locator: Path | str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for n in range(40):
        write_text(folder / f"s{n:02d}.txt", n)
    update_index([folder], locator, progress=False, workers=0)
    for n in range(40, 43):  # a few new stories: grown as a segment, not rebuilt
        write_text(folder / f"s{n:02d}.txt", n)
    (folder / "s05.txt").unlink()
    grown = update_index([folder], locator, prune=True, progress=False, workers=0, merge="later")
    assert grown.rebuilt and grown.summary.added == 3
    params = json.loads((generations.index_dir(locator) / grown.generation / "params.json").read_text())
    assert params.get("segment"), "the update should have grown the index, not rebuilt it"
    before = ranked(locator)
    assert all(before.values())

    rebuild(locator, progress=False)
    after = ranked(locator)
    for q in QUERIES:  # the same scores in the same order; passages tied on a score may come in another order
        assert [score for _, score in after[q]] == [score for _, score in before[q]], q
        assert sorted(after[q]) == sorted(before[q]), q
