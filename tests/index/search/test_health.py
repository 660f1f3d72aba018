"""A damaged index is found (manifest sizes and checksums, structure), told in one line, rebuilt by newsbot index."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.archives import write_text
from helpers.searchdb import Doc, make_store

from index.cli import main
from index.search import generations
from index.search.build import rebuild
from index.search.generations import MANIFEST_FILE, current_generation, index_dir
from index.search.health import check
from index.search.searcher import IndexDamaged, Searcher

WORDS = [f"w{i:04d}" for i in range(3000)]


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_DB", raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store of 60 articles over a 3,000-word vocabulary (offsets.npy > 4 KB), with one generation built."""
    rng = random.Random(7)
    docs = [
        Doc(f"harbor story {i} " + " ".join(rng.sample(WORDS, 3)), [" ".join(rng.sample(WORDS, 60)) for _ in range(3)])
        for i in range(60)
    ]
    path = tmp_path / "news.db"
    make_store(path, docs)
    rebuild(path, progress=False)
    return path


def gen(db: Path, name: str = "gen-000001") -> Path:
    return index_dir(db) / name


def overwrite(path: Path, at: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(at)
        fh.write(data)


def ff_into_offsets(folder: Path) -> None:
    """The issue's reproduction: 4 KB of 0xFF written into offsets.npy, past its header."""
    assert (folder / "offsets.npy").stat().st_size > 4096 + 128
    overwrite(folder / "offsets.npy", 128, b"\xff" * 4096)


def search_cli(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["search", "harbor", "--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_build_writes_a_manifest_of_every_file(db: Path) -> None:
    manifest = json.loads((gen(db) / MANIFEST_FILE).read_text())
    files = {p.name for p in gen(db).iterdir()} - {MANIFEST_FILE}
    assert set(manifest["files"]) == files
    assert manifest["files"]["docs.npy"]["bytes"] == (gen(db) / "docs.npy").stat().st_size
    health = check(db)
    assert health.ok and health.serve == "gen-000001" and health.message is None and not health.needs_rebuild


def test_truncated_docs_is_one_line_not_a_traceback(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = gen(db) / "docs.npy"
    with open(docs, "r+b") as fh:
        fh.truncate(docs.stat().st_size // 2)
    with pytest.raises(IndexDamaged, match=r"gen-000001 is damaged \(docs\.npy: [\d,]+ bytes, expected [\d,]+\)"):
        Searcher.open(db)
    code, out, err = search_cli(capsys, db)
    assert code != 0 and out == ""
    assert err.strip().splitlines() == [
        f"search index gen-000001 is damaged (docs.npy: {docs.stat().st_size:,} bytes, expected "
        f"{json.loads((gen(db) / MANIFEST_FILE).read_text())['files']['docs.npy']['bytes']:,}); "
        "run `newsbot index PATH` to rebuild it"
    ]
    assert check(db).needs_rebuild


def test_truncated_docs_without_a_manifest_is_found_by_loading(db: Path) -> None:
    (gen(db) / MANIFEST_FILE).unlink()
    docs = gen(db) / "docs.npy"
    with open(docs, "r+b") as fh:
        fh.truncate(docs.stat().st_size // 2)
    with pytest.raises(IndexDamaged, match=r"\(docs\.npy: malformed\)"):
        Searcher.open(db)


def test_current_naming_a_missing_generation(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(gen(db))
    with pytest.raises(IndexDamaged, match="gen-000001 is damaged"):
        Searcher.open(db)
    code, _, err = search_cli(capsys, db)
    assert code != 0
    assert err.strip() == (
        "search index gen-000001 is damaged (its folder is missing); run `newsbot index PATH` to rebuild it"
    )
    health = check(db)
    assert health.needs_rebuild and health.serve is None and health.problem == "its folder is missing"


def test_ff_in_offsets_is_found_by_checksum_and_by_structure(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = Searcher.open(db).search("harbor", 5)
    assert before.hits
    ff_into_offsets(gen(db))
    health = check(db)
    assert health.problem == "offsets.npy: checksum mismatch"
    assert health.message == (
        "search index gen-000001 is damaged (offsets.npy: checksum mismatch); run `newsbot index PATH` to rebuild it"
    )
    # Opening reads no checksums: the structure checks catch it (never "Nothing matches" from a broken index).
    with pytest.raises(IndexDamaged, match=r"\(offsets\.npy: (not ascending|does not span its data)"):
        Searcher.open(db)
    code, _, err = search_cli(capsys, db)
    assert code != 0 and "offsets.npy" in err and len(err.strip().splitlines()) == 1


def test_ff_in_offsets_of_an_old_generation_without_manifest(db: Path) -> None:
    (gen(db) / MANIFEST_FILE).unlink()
    ff_into_offsets(gen(db))
    health = check(db)  # no checksums to compare: the structure is checked instead
    assert health.needs_rebuild and health.problem.startswith("offsets.npy: ")


@pytest.mark.parametrize("name", ["docs.npy", "scores.npy"])
def test_ff_in_the_postings_is_found_by_the_sampled_check(db: Path, name: str) -> None:
    (gen(db) / MANIFEST_FILE).unlink()
    size = (gen(db) / name).stat().st_size
    overwrite(gen(db) / name, size // 2, b"\xff" * 4096)
    with pytest.raises(IndexDamaged, match=rf"\({name.replace('.', '[.]')}: values"):
        Searcher.open(db)


def test_old_generation_without_manifest_still_opens(db: Path) -> None:
    want = Searcher.open(db).search("harbor story", 5)
    (gen(db) / MANIFEST_FILE).unlink()
    health = check(db)
    assert health.ok and not health.needs_rebuild
    got = Searcher.open(db).search("harbor story", 5)
    assert [h.passage_id for h in got.hits] == [h.passage_id for h in want.hits]


def test_damaged_current_with_intact_previous(db: Path) -> None:
    rebuild(db, progress=False)
    assert current_generation(db) == "gen-000002"
    ff_into_offsets(gen(db, "gen-000002"))
    health = check(db)
    assert health.current == "gen-000002" and health.problem == "offsets.npy: checksum mismatch"
    assert health.serve == "gen-000001"
    assert check(db, checksums=False).serve == "gen-000001"
    with pytest.raises(IndexDamaged):
        Searcher.open(db)
    assert Searcher.open(db, generation=health.serve).search("harbor", 3).hits


def test_reload_keeps_serving_when_the_new_generation_is_damaged(db: Path) -> None:
    searcher = Searcher.open(db)
    rebuild(db, progress=False)
    ff_into_offsets(gen(db, "gen-000002"))
    assert searcher.reload() is False
    assert searcher.generation == "gen-000001" and searcher.search("harbor", 3).hits


def test_prune_keeps_the_newest_intact_older_generation(db: Path) -> None:
    rebuild(db, progress=False)  # gen 2
    ff_into_offsets(gen(db, "gen-000002"))
    rebuild(db, progress=False)  # gen 3: gen 2 is damaged, so gen 1 is the one worth keeping
    names = sorted(p.name for p in generations.generation_folders(index_dir(db)))
    assert names == ["gen-000001", "gen-000003"]
    rebuild(db, progress=False)  # gen 4: gen 3 is intact and newer
    assert sorted(p.name for p in generations.generation_folders(index_dir(db))) == ["gen-000003", "gen-000004"]


def test_current_pointer_lost_with_generations_left(db: Path) -> None:
    (index_dir(db) / "CURRENT").unlink()
    health = check(db)
    assert health.needs_rebuild and health.serve == "gen-000001"
    assert health.headline == "search index pointer is damaged (CURRENT names no generation)"


def test_nothing_built_is_missing_not_damaged(tmp_path: Path) -> None:
    health = check(tmp_path / "none.db")
    assert not health.built and health.needs_rebuild and health.message is None


def test_a_damaged_manifest_is_damage(db: Path) -> None:
    (gen(db) / MANIFEST_FILE).write_text("{not json")
    assert check(db).problem.startswith("manifest.json: unreadable")
    with pytest.raises(IndexDamaged, match=r"manifest\.json"):
        Searcher.open(db)


def test_structure_checks_pass_on_a_fresh_build_and_cost_little(db: Path) -> None:
    from index.search.postings import Postings

    p = Postings.load(gen(db))
    assert p.n_passages == 180
    assert np.isfinite(p.scores).all()


def test_newsbot_index_rebuilds_a_damaged_index_with_no_article_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    for n in range(3):
        write_text(folder / f"{n}.txt", n)
    db = tmp_path / "cli.db"
    assert main(["index", str(folder), "--db", str(db)]) == 0
    capsys.readouterr()
    assert current_generation(db) == "gen-000001"
    assert main(["index", str(folder), "--db", str(db)]) == 0  # nothing changed, nothing damaged: no rebuild
    out, err = capsys.readouterr()
    assert "search index: rebuilt" not in out and current_generation(db) == "gen-000001"

    overwrite(gen(db) / "scores.npy", 128, b"\xff" * 64)  # small damage: only the checksum sees it
    assert main(["index", str(folder), "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "0 added" in out and "search index: rebuilt" in out
    assert "search index gen-000001 is damaged (scores.npy: checksum mismatch); rebuilding it" in err
    assert current_generation(db) == "gen-000002" and check(db).ok
    # The damaged generation is no use to fall back on: removed.
    assert not gen(db).exists()
    assert Searcher.open(db).search("council", 3).total >= 0


def test_newsbot_index_rebuilds_when_current_names_a_missing_generation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    write_text(folder / "0.txt", 0)
    db = tmp_path / "cli.db"
    assert main(["index", str(folder), "--db", str(db)]) == 0
    shutil.rmtree(gen(db))
    capsys.readouterr()
    assert main(["index", str(folder), "--db", str(db)]) == 0
    _, err = capsys.readouterr()
    assert "gen-000001 is damaged (its folder is missing); rebuilding it from the stored articles" in err
    assert check(db).ok and current_generation(db) == "gen-000002"


def grown(db: Path) -> Path:
    """Grow ``db``'s index by two articles (a segment on the first generation); returns the grown generation."""
    from helpers.searchdb import given_passages, write_articles

    from index.models import Article
    from index.search.grow import update

    rng = random.Random(3)
    rows = []
    for i in range(2):
        texts = [" ".join(rng.sample(WORDS, 60)) for _ in range(2)]
        article = Article(source_id=f"more-{i}", title=f"more harbor {i}", paragraphs=texts, reader="test")
        rows.append((article, given_passages(texts), None, f"more-{i}"))
    write_articles(db, rows)
    info = update(db)
    assert info is not None and (info.path / "seg_docs.npy").exists()
    return info.path


@pytest.mark.parametrize(
    ("name", "at_end", "problem"),
    [
        ("seg_offsets.npy", True, r"seg_offsets\.npy: does not span its data"),
        ("seg_docs.npy", True, r"seg_docs\.npy: values outside"),
        ("seg_terms.npy", True, r"seg_terms\.npy: values outside"),
    ],
)
def test_damage_in_a_grown_generations_segment_is_found(db: Path, name: str, at_end: bool, problem: str) -> None:
    folder = grown(db)
    assert check(db).ok
    overwrite(folder / name, (folder / name).stat().st_size - 4, b"\xff\xff\xff\x7f")
    health = check(db)
    assert health.problem == f"{name}: checksum mismatch"
    assert health.serve == "gen-000001"  # the generation it grew from is intact and kept to fall back on
    with pytest.raises(IndexDamaged, match=problem):
        Searcher.open(db)
