"""Bring an index up to date: ingest, then rebuild the search postings when stale and record that they match."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index import store
from index.ingest import pipeline
from index.search import generations, health
from index.search.health import Health

if TYPE_CHECKING:
    from index.search.build import BuildInfo

PHASE_INGEST = "reading and storing articles"
PHASE_POSTINGS = "building the search index"
# When a grown index's segment is due to be merged (index.search.grow.merge): in this call, after the grown
# generation is in service ("now"); in a daemon thread, so the caller returns at once ("background": the bot);
# or not at all, leaving it to a later update ("later").
MERGE_MODES = ("now", "background", "later")


log = logging.getLogger(__name__)


class PostingsNotRebuilt(Exception):
    """The articles were stored but the search postings could not be rebuilt; ``summary`` says what was stored.

    The postings in service (if any) are left as they were, and the next update rebuilds them.
    """

    def __init__(self, summary: pipeline.RunSummary, error: Exception) -> None:
        super().__init__(f"search index not rebuilt: {error}")
        self.summary = summary


@dataclass(slots=True)
class UpdateResult:
    """What one :func:`update_index` did."""

    summary: pipeline.RunSummary
    rebuilt: bool = False  # a new postings generation was built and put in service
    generation: str | None = None  # the generation in service afterwards (None: none built yet)
    build: BuildInfo | None = None  # the rebuild's details, when there was one
    seconds: float = 0.0  # time spent rebuilding the postings
    health: Health | None = None  # the index's health before the update (None when postings were not asked for)
    merged: BuildInfo | None = None  # the merge of a grown index's segment, when one ran in this call
    merge_thread: threading.Thread | None = None  # the background merge, when one was started


def update_index(
    paths: Iterable[str | os.PathLike[str]],
    db_path: str | os.PathLike[str],
    *,
    prune: bool = False,
    within: str | os.PathLike[str] | None = None,
    progress: bool = True,
    workers: int | None = None,
    phase: Callable[[str], None] | None = None,
    postings: bool = True,
    merge: str = "now",
) -> UpdateResult:
    """Ingest ``paths`` into the store at ``db_path``, then bring the search postings up to date if they are stale.

    The postings are updated when the stored content changed (in this run or since they were last built), and
    rebuilt from the store when no generation is in service or the one in service is damaged (its manifest's sizes
    or checksums, or its structure, do not match); otherwise the one in service is kept. A sound index grows by
    what changed (:func:`index.search.grow.update`), or is rebuilt when that is cheaper. After an update the store
    records which content the postings match, so the next update that changes nothing builds nothing.

    Args:
        paths: files and folders to read (see :func:`index.ingest.pipeline.ingest`).
        db_path: the SQLite database (created and migrated when needed).
        prune: also delete stored files under ``paths``, and their articles, that are gone from disk.
        within: read no file outside this folder, links included; None: no such limit.
        progress: show progress bars on stderr.
        workers: reader processes (default: one per CPU; 0 reads in this process).
        phase: called with the name of each phase as it starts (:data:`PHASE_INGEST`, :data:`PHASE_POSTINGS`).
        postings: False only ingests; the postings stay stale until the next update rebuilds them.
        merge: when a grown index's segment is due to be merged (see :data:`MERGE_MODES`): "now" (after the grown
            generation is in service, in this call), "background" (a daemon thread; ``merge_thread``) or "later".

    Returns:
        The ingest's summary, whether the postings were rebuilt, and the generation in service.

    Raises:
        IngestError: the run could not start (the database is busy with another ingest).
        IngestInterrupted: Ctrl-C or SIGTERM during the ingest; the summary of what was committed is attached.
        PostingsNotRebuilt: the articles are stored but the postings rebuild failed.
    """
    db_path = store.locate(db_path)
    report = phase or (lambda _: None)
    report(PHASE_INGEST)
    summary = pipeline.ingest(paths, db_path, prune=prune, progress=progress, workers=workers, within=within)
    result = UpdateResult(summary, generation=generations.current_generation(db_path))
    if not postings:
        return result
    # Sizes and checksums against the manifest: a damaged index is rebuilt even when no article changed.
    result.health = health.check(db_path)
    if result.health.headline:
        log.info("%s; rebuilding it from the stored articles", result.health.headline)
    conn = store.connect(db_path)
    try:
        if not (summary.changed or pipeline.postings_outdated(conn) or result.health.needs_rebuild):
            _merge(db_path, result, merge)
            return result
        report(PHASE_POSTINGS)
        # Read before building: what another ingest commits while the build runs may be missing from it, so the
        # postings must still count as stale afterwards.
        built_for = pipeline.content_generation(conn)
        # Every passage's tokens changed (a new tokenizer or splitter), or the index is damaged or missing: a full
        # rebuild from the store. Otherwise the index grows by what changed (grow rebuilds when that is cheaper).
        full = result.health.needs_rebuild or bool(summary.retokenized or summary.resplit)
        _build(db_path, result, progress, full=full)
        pipeline.mark_postings_built(conn, built_for)
    finally:
        conn.close()
    _merge(db_path, result, merge)
    return result


def _merge(db_path: store.Locator, result: UpdateResult, mode: str) -> None:
    """Fold a grown index's segment into a full-quality generation when it is due (see :data:`MERGE_MODES`)."""
    if mode not in MERGE_MODES:
        raise ValueError(f"unknown merge mode {mode!r}: use one of {', '.join(MERGE_MODES)}")
    if mode == "later" or not generations.merge_due(db_path):
        return
    from index.search import grow  # imported only to merge: it brings numpy

    if mode == "now":
        result.merged = grow.merge(db_path)
        result.generation = generations.current_generation(db_path)
        return
    result.merge_thread = threading.Thread(target=_merge_quietly, args=(db_path,), name="newsbot-merge", daemon=True)
    result.merge_thread.start()


def _merge_quietly(db_path: store.Locator) -> None:
    """A background merge: its failure is logged (the grown generation stays in service; the next update retries)."""
    from index.search import grow

    try:
        info = grow.merge(db_path)
    except Exception:
        log.exception("merging the search index's segment failed; the next update tries again")
        return
    if info is not None:
        log.info("merged the search index's segment into %s in %.1f s", info.generation, info.seconds)


def _build(db_path: store.Locator, result: UpdateResult, progress: bool, *, full: bool) -> None:
    # Imported only to build: it brings numpy, which an update that changed nothing need not load.
    from index.search import build, grow

    started = time.perf_counter()
    try:
        result.build = build.rebuild(db_path, progress=progress) if full else grow.update(db_path, progress=progress)
    except Exception as err:  # the articles are stored; the caller says what failed and how to retry
        raise PostingsNotRebuilt(result.summary, err) from err
    result.seconds = time.perf_counter() - started
    # grow.update answers None when the index in service already matches the store: nothing new was built.
    result.rebuilt = full or result.build is not None
    result.generation = generations.current_generation(db_path)
