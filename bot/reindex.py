"""Re-indexing from the bot: ingest and postings rebuild in a background thread while questions keep coming."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.engine import in_daemon_thread
from bot.errors import BadInput
from index import store

log = logging.getLogger(__name__)

Work = Callable[..., Any]  # (paths, db_path, prune, phase, *, within) -> a run summary

NO_ARCHIVE = (
    "No archive folder is configured, so /reindex is off. The bot's owner can set NEWSBOT_ARCHIVE in the bot's "
    ".env to the folder of news it should read, then restart the bot."
)
OUTSIDE = (
    "`path` must name a folder or file inside the archive, written relative to it (for example `2024/`); "
    "leave it out to re-read the whole archive."
)


def archive_target(path: str | None, archive: Path | None) -> Path:
    """The resolved file or folder a /reindex may read: ``archive`` itself, or ``path`` inside it.

    ``path`` is taken relative to the archive (never to the bot's working folder) and checked after every link is
    followed. Whether something outside the archive exists is never revealed: every outside path gets the same
    answer, before anything is looked up there.

    Raises:
        BadInput: no archive is configured, ``path`` leads outside it, or it is not in the archive.
    """
    if archive is None:
        raise BadInput(NO_ARCHIVE)
    root = archive.resolve()
    if not path:
        return root
    if "\0" in path:
        raise BadInput(OUTSIDE)
    try:
        target = (root / path).resolve()  # an absolute `path` replaces root here, and is then checked like any other
    except (OSError, RuntimeError):  # a link loop, outside or in: the same answer as any path that leads out
        raise BadInput(OUTSIDE) from None
    if not target.is_relative_to(root):
        raise BadInput(OUTSIDE)
    if not target.exists():
        shown = str(target.relative_to(root)).replace("`", "")[:200]
        raise BadInput(f"`{shown}` is not in the archive. Leave `path` out to re-read the whole archive.")
    return target


def run_reindex(
    paths: Sequence[Path],
    db_path: store.Locator,
    prune: bool,
    phase: Callable[[str], None],
    *,
    within: Path | None = None,
) -> Any:
    """Bring the index up to date from ``paths`` (runs in a worker thread); returns the ingest's run summary.

    Postings are rebuilt only when stale, exactly as `newsbot index` does. The searcher in service keeps its
    generation until the bot reloads after this returns, so questions asked meanwhile are answered from the
    complete old index, never from a half-built one. With ``within``, no file outside that folder is read, even
    through a link inside it.
    """
    from index.ingest.update import update_index

    # One reader process: the bot keeps the other core for answering questions meanwhile.
    # A merge the growth makes due runs in the background: the job reports done once the new articles are searchable.
    result = update_index(
        paths, db_path, prune=prune, within=within, progress=False, workers=1, phase=phase, merge="background"
    )
    return result.summary


def summarise(summary: Any) -> str:
    """A run summary's counts as "articles_added 12 · passages 340 …" (whatever counts it has)."""
    if summary is None:
        return ""
    if dataclasses.is_dataclass(summary):
        items = dataclasses.asdict(summary).items()
    elif isinstance(summary, dict):
        items = summary.items()
    else:
        return str(summary)[:300]
    counts = [f"{k.replace('_', ' ')} {v:,}" for k, v in items if isinstance(v, int) and not isinstance(v, bool)]
    return " · ".join(counts[:8])


class ReindexJob:
    """One re-index: the work runs in a daemon thread (so a shutdown never waits for it) and reports its phase."""

    def __init__(
        self,
        paths: Sequence[Path],
        db_path: store.Locator,
        *,
        prune: bool = False,
        within: Path | None = None,
        work: Work = run_reindex,
    ) -> None:
        self.paths = list(paths)
        self.db_path = db_path
        self.prune = prune
        self.within = within
        self.phase = "starting"
        self.started = time.monotonic()
        self._work = work
        self._future: asyncio.Future[Any] | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _set_phase(self, phase: str) -> None:
        self.phase = phase

    def start(self) -> asyncio.Future[Any]:
        """Start the thread; the returned future resolves (on the loop) with the run summary or its exception."""
        self._future = in_daemon_thread(
            lambda: self._work(self.paths, self.db_path, self.prune, self._set_phase, within=self.within),
            "newsbot-reindex",
        )
        return self._future

    @property
    def running(self) -> bool:
        return self._future is not None and not self._future.done()
