"""The postings generations on disk: their folder beside the database, the CURRENT pointer, the switch, cleanup."""

# Standard library only: `newsbot index` and `newsbot stats` read CURRENT without loading numpy.

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".index"
CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
GEN_RE = re.compile(r"gen-(\d+)")
FORMAT_VERSION = 1  # of a generation's files; a reader refuses any other
KEEP_GENERATIONS = 2  # the current one and the one before, which a reader that has not reloaded may still use


def index_dir(db_path: str | os.PathLike[str]) -> Path:
    """The folder beside the database that holds the postings generations (``<db>.index``).

    Args:
        db_path: the SQLite database the index belongs to.

    Returns:
        The folder's path (it may not exist yet).
    """
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + INDEX_SUFFIX)


def current_generation(db_path: str | os.PathLike[str]) -> str | None:
    """The name of the generation in service (``gen-000003``), or None when no index was built yet.

    Args:
        db_path: the SQLite database the index belongs to.

    Returns:
        The generation name read from the ``CURRENT`` pointer file, or None.
    """
    try:
        name = (index_dir(db_path) / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if GEN_RE.fullmatch(name) else None


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (best effort: the rename itself is atomic on every platform).

    Args:
        path: the folder the rename happened in.
    """
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One rebuild at a time per index folder (a second one waits for the first).

    Args:
        root: the index folder (``index_dir``); the lock file is created in it.

    Yields:
        None, while the lock is held.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: builds are not serialised, the atomic CURRENT switch still holds
        log.warning("no file locking on this platform: do not run two index builds at once")
        yield
        return

    with open(root / LOCK_FILE, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def remove_stale(root: Path) -> None:
    """Remove temp folders left by a crashed build (call under :func:`build_lock`: nobody is writing them).

    Args:
        root: the index folder.
    """
    for stale in root.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def next_generation(root: Path) -> str:
    """The name the next generation gets: one more than the highest there.

    Args:
        root: the index folder.

    Returns:
        A name such as ``gen-000008`` (``gen-000001`` in an empty folder).
    """
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := GEN_RE.fullmatch(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


@contextlib.contextmanager
def writing(root: Path, name: str) -> Iterator[Path]:
    """A temp folder to write generation ``name`` into, renamed to ``root/name`` once the block completes.

    On any error (Ctrl-C included) the temp folder is removed and nothing else changes.

    Args:
        root: the index folder.
        name: the new generation's name (from :func:`next_generation`).

    Yields:
        The temp folder to write the generation's files into.
    """
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir()
    try:
        yield tmp
        os.rename(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(root)


def switch_current(root: Path, name: str) -> None:
    """Point ``CURRENT`` at generation ``name`` atomically (temp file + ``os.replace``), durably.

    Args:
        root: the index folder.
        name: a complete generation in ``root``.
    """
    pointer = root / f".{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(pointer, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, root / CURRENT_FILE)
    fsync_dir(root)


def prune(root: Path, current: str) -> None:
    """Remove generations older than the last KEEP_GENERATIONS (never the current one).

    Args:
        root: the index folder.
        current: the generation in service.
    """
    gens = sorted((int(m.group(1)), p) for p in root.iterdir() if (m := GEN_RE.fullmatch(p.name)) and p.is_dir())
    for _, path in gens[:-KEEP_GENERATIONS]:
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)
