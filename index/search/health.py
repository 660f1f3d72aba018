"""Is the search index fit to serve? The current generation's files and structure, and an intact one to fall back on."""

# Standard library at import: `newsbot index` asks this on every run, and with a manifest present the answer needs
# no numpy (the checksums vouch for the files the build checked). Structure checks import the reader only when run.

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from index.search.generations import (
    REBUILD_ADVICE,
    current_generation,
    generation_folders,
    index_dir,
    read_manifest,
    verify_files,
)

log = logging.getLogger(__name__)


OUTDATED = "built by another newsbot version"


@dataclass(frozen=True, slots=True)
class Health:
    """The state of a database's search index.

    ``current`` is the generation ``CURRENT`` names; ``problem`` says why it cannot serve (None when it can, or when
    nothing was ever built); ``serve`` is the generation to answer from: the current one when healthy, else the
    newest other generation that passed the same checks (None when there is none).
    """

    current: str | None
    problem: str | None = None
    serve: str | None = None

    @property
    def built(self) -> bool:
        """True when an index was ever built (healthy or not)."""
        return self.current is not None or self.problem is not None

    @property
    def ok(self) -> bool:
        """True when the current generation can serve."""
        return self.current is not None and self.problem is None

    @property
    def needs_rebuild(self) -> bool:
        """True when ``newsbot index`` must build a generation even if no article changed."""
        return not self.ok

    @property
    def headline(self) -> str | None:
        """What is wrong in a few words ("search index gen-000004 is damaged (offsets.npy: checksum mismatch)")."""
        if self.problem is None:
            return None
        if self.problem == OUTDATED:
            return f"search index {self.current} was {OUTDATED}"
        return f"search index {self.current or 'pointer'} is damaged ({self.problem})"

    @property
    def message(self) -> str | None:
        """The one line to show a user: :attr:`headline` and what to run."""
        return None if self.problem is None else f"{self.headline}; {REBUILD_ADVICE}"


def check(db_path: str | os.PathLike[str], *, checksums: bool = True) -> Health:
    """Check the current generation of a database's index and, when it cannot serve, find one that can.

    With ``checksums``, every file is read and compared with the generation's manifest (about 70 ms per 200 MB of
    index): what ``newsbot index`` and the bot's background check do. Without, sizes and the arrays' structure are
    checked (a few ms): what opening for a search does. A generation without a manifest (built before they existed)
    gets the structure checks either way.

    Args:
        db_path: the SQLite database the index belongs to.
        checksums: read and compare every file's checksum.

    Returns:
        The index's health; ``needs_rebuild`` tells ``newsbot index`` to rebuild it from the store.
    """
    root = index_dir(db_path)
    current = current_generation(db_path)
    folders = generation_folders(root)
    if current is None and not folders:
        return Health(None)  # nothing built yet: missing, not damaged
    problem = "CURRENT names no generation" if current is None else examine(root / current, checksums=checksums)
    if problem is None:
        return Health(current, serve=current)
    serve = next((p.name for p in folders if p.name != current and examine(p, checksums=checksums) is None), None)
    return Health(current, problem, serve)


def examine(folder: Path, *, checksums: bool) -> str | None:
    """What keeps one generation from serving, or None when it can serve.

    Args:
        folder: a generation folder.
        checksums: compare file contents with the manifest (else sizes only, plus the structure checks).

    Returns:
        None, or the problem, naming the file (``"offsets.npy: not ascending"``), or :data:`OUTDATED`.
    """
    problem = verify_files(folder, checksums=checksums)
    if problem:
        return problem
    try:
        vouched = checksums and read_manifest(folder) is not None
    except (ValueError, OSError) as e:  # verify_files read it a moment ago: it changed meanwhile
        return str(e)
    if vouched:
        return None
    # Imported here: the reader brings numpy, which a check vouched for by checksums does not need.
    from index.search.postings import IndexDamaged, IndexOutdated, Postings

    try:
        Postings.load(folder)
    except IndexDamaged as e:
        return e.problem
    except IndexOutdated:
        return OUTDATED
    return None
