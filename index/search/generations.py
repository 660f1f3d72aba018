"""The postings generations on disk: their folder beside the database, the CURRENT pointer, the switch, cleanup."""

# Standard library only: `newsbot index` and `newsbot stats` read CURRENT without loading numpy.

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import zlib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".index"
URL_INDEX_ROOT = "data/index"  # where a PostgreSQL database's index folders live, under the working folder
CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
GEN_RE = re.compile(r"gen-(\d+)")
FORMAT_VERSION = 1  # of a generation's files; a reader refuses any other
# Past this share of the live passages in a grown generation's segment (or dead in its base), a merge is due.
MERGE_SHARE = 0.05
KEEP_GENERATIONS = 2  # the current one and the one before, which a reader that has not reloaded may still use
MANIFEST_FILE = "manifest.json"  # every file of a generation with its size and checksum, written last
# CRC-32 catches accidental damage (torn writes, bad sectors, a stray write) at ~3 GB/s, four times blake2b: what the
# manifest guards against is a bad disk day, not an attacker, who could rewrite the manifest as easily as the files.
CHECKSUM = "crc32"
_READ_CHUNK = 1 << 20
# Set by an entry point (NEWSBOT_INDEX_DIR): this process's index lives there, not beside its database, so that
# nodes on several machines can serve one index from a shared mount.
_explicit_dir: Path | None = None


def use_index_dir(folder: str | os.PathLike[str] | None) -> None:
    """Keep this process's postings generations in ``folder`` instead of beside the database (None: beside it).

    Args:
        folder: the index folder, e.g. a mount every node shares; None to go back to ``<db>.index``.
    """
    global _explicit_dir
    _explicit_dir = Path(folder) if folder is not None else None


def explicit_index_dir() -> Path | None:
    """The folder :func:`use_index_dir` set, or None (worker processes are handed it when they start)."""
    return _explicit_dir


def index_dir(db_path: str | os.PathLike[str]) -> Path:
    """The folder that holds the postings generations: the one set with :func:`use_index_dir` (a shared folder for a
    cluster), else ``<db>.index`` beside a SQLite file, and ``data/index/<host>-<port>-<dbname>`` under the working
    folder for a PostgreSQL URL.

    Args:
        db_path: the database the index belongs to (a SQLite path or a ``postgresql://`` URL).

    Returns:
        The folder's path (it may not exist yet).
    """
    if _explicit_dir is not None:
        return _explicit_dir
    if isinstance(db_path, str) and db_path.startswith(("postgresql://", "postgres://")):
        # A server database has no folder of its own here: its index lives under the working folder, one folder per
        # database. (The one place that decides where a URL's index goes; keep any other choice here too.)
        from index.store import url_folder_name

        return Path(URL_INDEX_ROOT) / url_folder_name(db_path)
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


def merge_due(db_path: str | os.PathLike[str], share: float = MERGE_SHARE) -> bool:
    """True when the generation in service is grown (index.search.grow) and its segment plus its dead passages
    passed ``share`` of its live passages: a merge should fold them into a full-quality generation.

    Reads ``params.json`` only (no numpy), so an update that changed nothing stays cheap.

    Args:
        db_path: the SQLite database the index belongs to.
        share: the threshold (default :data:`MERGE_SHARE`).

    Returns:
        Whether to merge.
    """
    name = current_generation(db_path)
    if name is None:
        return False
    try:
        params = json.loads((index_dir(db_path) / name / "params.json").read_text(encoding="utf-8"))
        seg = params.get("segment")
        if not seg:
            return False
        extra = int(seg["segment_passages"]) + int(seg["dead_passages"])
        return extra > share * max(int(seg["live_passages"]), 1)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


REBUILD_ADVICE = "run `newsbot index PATH` to rebuild it"


def damaged_message(generation: str, problem: str) -> str:
    """The one line that reports a damaged generation and what to run.

    Args:
        generation: its name.
        problem: what is wrong, naming the file (``"offsets.npy: checksum mismatch"``).

    Returns:
        The message.
    """
    return f"search index {generation} is damaged ({problem}); {REBUILD_ADVICE}"


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
    for pointer in root.glob(f".{CURRENT_FILE}.tmp-*"):  # a switch that crashed before its rename
        pointer.unlink(missing_ok=True)


def next_generation(root: Path) -> str:
    """The name the next generation gets: one more than the highest there (or named by ``CURRENT``).

    Args:
        root: the index folder.

    Returns:
        A name such as ``gen-000008`` (``gen-000001`` in an empty folder).
    """
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := GEN_RE.fullmatch(p.name))]
    # Also past the one CURRENT names even if its folder was lost: a reader still holding that name must see a change.
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if m := GEN_RE.fullmatch((root / CURRENT_FILE).read_text(encoding="utf-8").strip()):
            numbers.append(int(m.group(1)))
    return f"gen-{max(numbers, default=0) + 1:06d}"


@contextlib.contextmanager
def writing(root: Path, name: str, carry: dict[str, tuple[int, dict[str, Any]]] | None = None) -> Iterator[Path]:
    """A temp folder to write generation ``name`` into, renamed to ``root/name`` once the block completes.

    On any error (Ctrl-C included) the temp folder is removed and nothing else changes.

    Args:
        root: the index folder.
        name: the new generation's name (from :func:`next_generation`).
        carry: filled during the block by :func:`link_files`: manifest entries of hard-linked files, reused.

    Yields:
        The temp folder to write the generation's files into.
    """
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir()
    try:
        yield tmp
        write_manifest(tmp, carry)  # last: it vouches for every file written before it
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


def generation_folders(root: Path) -> list[Path]:
    """The generation folders in ``root``, newest first.

    Args:
        root: the index folder.

    Returns:
        Their paths, highest number first (none when ``root`` does not exist).
    """
    if not root.is_dir():
        return []
    gens = [(int(m.group(1)), p) for p in root.iterdir() if (m := GEN_RE.fullmatch(p.name)) and p.is_dir()]
    return [p for _, p in sorted(gens, reverse=True)]


def prune(root: Path, current: str) -> None:
    """Remove old generations: keep the current one and the newest older one whose files are intact.

    The one kept besides the current serves readers that have not reloaded yet, and is what the bot falls back on
    if the current one is found damaged later; a damaged older one is no use for either.

    Args:
        root: the index folder.
        current: the generation in service.
    """
    kept = 1
    in_service = _inodes(root / current)
    for path in generation_folders(root):
        if path.name == current:
            continue
        # Files hard-linked into the current generation are the current one's own: their checksums would tell
        # nothing about this one as a fallback (and reading them costs most of a grown generation's prune).
        shared = [name for name, ino in _inodes(path).items() if ino == in_service.get(name)]
        if kept < KEEP_GENERATIONS and verify_files(path, checksums=True, skip=shared) is None:
            kept += 1
            continue
        shutil.rmtree(path, ignore_errors=True)


def _inodes(folder: Path) -> dict[str, int]:
    """A folder's files by name -> inode (empty when it cannot be read)."""
    try:
        return {p.name: p.stat().st_ino for p in folder.iterdir() if p.is_file()}
    except OSError:
        return {}


def file_checksum(path: Path) -> str:
    """The manifest's checksum of one file (CRC-32, hex).

    Args:
        path: the file.

    Returns:
        Eight hex digits.
    """
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def link_files(src: Path, dst: Path, names: Iterable[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """Hard-link files of generation ``src`` into the folder ``dst`` (a copy where links are not possible).

    Args:
        src: a generation folder whose files are intact (sizes checked against its manifest).
        dst: the folder being written.
        names: the files to link.

    Returns:
        For :func:`writing`'s ``carry``: name -> (inode, ``src``'s manifest entry), so the new manifest reuses the
        checksum of a file that is the same inode instead of reading it again.
    """
    try:
        manifest = read_manifest(src) or {}
    except (ValueError, OSError):
        manifest = {}
    carry = {}
    for name in names:
        try:
            os.link(src / name, dst / name)
        except OSError:  # another file system or no hard links: a copy, checksummed like any written file
            shutil.copyfile(src / name, dst / name)
            continue
        if name in manifest:
            carry[name] = (os.stat(dst / name).st_ino, manifest[name])
    return carry


def write_manifest(folder: Path, carry: dict[str, tuple[int, dict[str, Any]]] | None = None) -> None:
    """Record every file of a generation folder with its size and checksum in ``manifest.json``, durably.

    Args:
        folder: a complete generation folder (its other files are final).
        carry: entries to reuse for hard-linked files (see :func:`link_files`), when the inode and size still match.
    """
    files = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name == MANIFEST_FILE:
            continue
        st = p.stat()
        known = (carry or {}).get(p.name)
        if known is not None and known[0] == st.st_ino and known[1].get("bytes") == st.st_size:
            files[p.name] = dict(known[1])  # the same file the old manifest vouched for: not read again
        else:
            files[p.name] = {"bytes": st.st_size, CHECKSUM: file_checksum(p)}
    data = json.dumps({"checksum": CHECKSUM, "files": files}, indent=1).encode("utf-8")
    with open(folder / MANIFEST_FILE, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def read_manifest(folder: Path) -> dict[str, dict[str, Any]] | None:
    """The files a generation's manifest lists, or None when it has none (built before manifests existed).

    Args:
        folder: a generation folder.

    Returns:
        File name -> {"bytes": size, "crc32": checksum}, or None.

    Raises:
        ValueError: the manifest exists but cannot be read as one.
    """
    try:
        raw = (folder / MANIFEST_FILE).read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        files = data["files"]
        if data.get("checksum") != CHECKSUM or not isinstance(files, dict):
            raise ValueError("unknown checksum")
        for entry in files.values():
            if not (isinstance(entry["bytes"], int) and isinstance(entry[CHECKSUM], str)):
                raise ValueError("bad entry")
        return files
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise ValueError(f"{MANIFEST_FILE}: unreadable ({e})") from e


def verify_files(folder: Path, *, checksums: bool, skip: Collection[str] = ()) -> str | None:
    """Check a generation's files against its manifest: sizes always, contents too when ``checksums``.

    A generation without a manifest (built before they existed) passes: its structure is checked when it is loaded.

    Args:
        folder: a generation folder.
        checksums: also read every file and compare its checksum (about 70 ms per 200 MB).
        skip: files whose checksum is not read (their sizes are still checked).

    Returns:
        None when the files match, else what is wrong, such as ``"offsets.npy: checksum mismatch"``.
    """
    if not folder.is_dir():
        return "its folder is missing"
    try:
        files = read_manifest(folder)
    except (ValueError, OSError) as e:
        return str(e)
    if files is None:
        return None
    for name, want in files.items():
        path = folder / name
        # The manifest came from disk too: a damaged one must not make this look outside the folder.
        if "/" in name or "\\" in name or name.startswith("."):
            return f"{MANIFEST_FILE}: bad file name"
        try:
            size = path.stat().st_size
        except OSError:
            return f"{name}: missing"
        if size != want.get("bytes"):
            return f"{name}: {size:,} bytes, expected {want['bytes']:,}"
        if checksums and name not in skip:
            try:
                got = file_checksum(path)
            except OSError as e:
                return f"{name}: unreadable ({e.strerror or e})"
            if got != want[CHECKSUM]:
                return f"{name}: checksum mismatch"
    return None
