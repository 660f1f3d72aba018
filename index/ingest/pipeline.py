"""Ingest: walk input paths, read changed files in worker processes, and write articles and passages to the store."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import sqlite3
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import store
from index.ingest.split import SPLIT_VERSION, split_article
from index.models import Article, Passage, Problem, ProblemFolder
from index.tokenize import TOKENIZER_VERSION, tokenize, tokens_to_text

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# The readers (and the process pool) are imported where files are read, not here: a repeat run over unchanged
# files, and every other command that imports this module, should not pay for loading them.

log = logging.getLogger(__name__)

# Small files are read in batches so a folder of thousands costs a few dozen round trips to the workers; each
# batch is written in one transaction, so a batch is also the unit an interruption can lose.
BATCH_FILES = 64
BATCH_BYTES = 4_000_000
# A JSON-lines file bigger than this is cut into chunks of lines that the workers read in parallel.
CHUNK_FILE_BYTES = 4_000_000
CHUNK_LINES = 500
CHUNK_BYTES = 4_000_000
# Below this many bytes to read, starting worker processes costs more than it saves.
IN_PROCESS_BYTES = 2_000_000
# Problems and duplicates kept in the summary (all of them go to the ingest log in the database).
SUMMARY_LIST_MAX = 1000
LOG_PER_KIND = 20  # problems of one kind in one file logged one by one; the rest are counted in one row

# Meta keys: the versions the stored passages were made with, and a counter of content changes that the
# postings compare with the content they were built from.
META_TOKENIZER = "tokenizer_version"
META_SPLIT = "split_version"
META_GENERATION = "content_generation"
META_POSTINGS_FOR = "postings_built_for"


class IngestError(Exception):
    """The run could not start (bad arguments, database busy); the message says what to do."""


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run; what was committed stays, and ``summary`` says how far it got."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__("ingest interrupted")
        self.summary = summary


@dataclass(slots=True)
class RunSummary:
    """What one ingest run did. Article counts are disjoint: each article read lands in exactly one of
    added, updated, unchanged or duplicates; skipped and failed count records that were not stored."""

    run_id: int | None = None
    status: str = "running"  # ok | failed (some input lost) | interrupted
    paths: list[str] = field(default_factory=list)
    files_seen: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    files_failed: int = 0
    files_removed: int = 0
    files_with_old_problems: int = 0  # unchanged, so not read again, but they had problems when last read
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    duplicate_groups: int = 0
    removed: int = 0
    skipped: int = 0
    failed: int = 0
    passages: int = 0
    retokenized: int = 0
    resplit: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    duplicate_list: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the stored articles or passages changed, so the search postings are out of date."""
        return bool(self.added or self.updated or self.duplicates or self.removed or self.retokenized or self.resplit)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (problems as ``{path, line, level, reason}``)."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["problems_total"] = self.skipped + self.failed
        return data


_COUNTS = tuple(
    name for name, f in RunSummary.__dataclass_fields__.items() if f.type in ("int", int) and name != "run_id"
)


@dataclass(slots=True)
class _Prepared:
    """An article ready to store: everything CPU-heavy (hash, split, tokens) done in a worker."""

    article: Article
    content_hash: str
    title_tokens: str
    passages: list[Passage]
    tokens: list[str]


@dataclass(slots=True)
class _FileTask:
    paths: list[str]


@dataclass(slots=True)
class _ChunkTask:
    path: str
    first_line: int
    lines: list[bytes]


@dataclass(slots=True)
class _Result:
    """A worker's answer for one file (whole) or one chunk of a JSON-lines file."""

    path: str
    items: list[tuple[Any, ...]]  # packed _Prepared (see _pack): plain tuples pickle several times faster
    problems: list[Problem]
    size: int = 0
    mtime_ns: int = 0
    file_hash: str = ""
    reader: str | None = None
    chunk: bool = False


# --- Work done in the worker processes -------------------------------------------------------------------------


def prepare(article: Article) -> _Prepared:
    """Split and tokenize one article (pure CPU; runs in a worker)."""
    passages = split_article(article)
    return _Prepared(
        article=article,
        content_hash=article.content_hash,
        title_tokens=tokens_to_text(tokenize(article.title)),
        passages=passages,
        tokens=[tokens_to_text(tokenize(p.text)) for p in passages],
    )


def _pack(prep: _Prepared) -> tuple[Any, ...]:
    """A prepared article as plain values for the trip back to the main process (passage texts are left out:
    they are slices of the body)."""
    a = prep.article
    spans = [(p.ordinal, p.paragraph, p.paragraph_end, p.char_start, p.char_end) for p in prep.passages]
    return (
        a.source_id,
        a.title,
        a.body,
        a.outlet,
        a.published,
        a.url,
        a.authors,
        a.origin_path,
        a.origin_line,
        a.reader,
        a.extra,
        prep.content_hash,
        prep.title_tokens,
        spans,
        prep.tokens,
    )


def _unpack(packed: tuple[Any, ...]) -> _Prepared:
    """Inverse of :func:`_pack`."""
    (
        sid,
        title,
        body,
        outlet,
        published,
        url,
        authors,
        path,
        line,
        reader,
        extra,
        digest,
        title_tokens,
        spans,
        tokens,
    ) = packed
    article = Article(
        source_id=sid,
        title=title,
        paragraphs=[body],  # the writer needs only .body, and joining one string returns it as is
        outlet=outlet,
        published=published,
        url=url,
        authors=authors,
        origin_path=path,
        origin_line=line,
        reader=reader,
        extra=extra,
    )
    passages = [Passage(o, body[cs:ce], pa, pe, cs, ce) for o, pa, pe, cs, ce in spans]
    return _Prepared(article, digest, title_tokens, passages, tokens)


def hash_file(path: str | os.PathLike[str]) -> str:
    """The content hash of a file's bytes (as stored, compressed or not)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_file(path: str) -> _Result:
    from index.ingest import readers

    try:
        st = os.stat(path)
        file_hash = hash_file(path)
    except OSError as err:
        return _Result(path, [], [Problem(path, f"cannot read: {err.strerror or err}")])
    items: list[tuple[Any, ...]] = []
    problems = ProblemFolder(LOG_PER_KIND)
    reader = None
    for item in readers.read_path(Path(path)):
        if isinstance(item, Problem):
            problems.add(item)
        else:
            reader = reader or item.reader
            items.append(_pack(prepare(item)))
    if reader is None:
        with contextlib.suppress(Exception):
            reader = readers.reader_for(Path(path))
    return _Result(path, items, problems.problems, st.st_size, st.st_mtime_ns, file_hash, reader)


def _read_chunk(task: _ChunkTask) -> _Result:
    from index.ingest import readers

    items: list[tuple[Any, ...]] = []
    problems = ProblemFolder(LOG_PER_KIND)
    where = task.path
    for number, raw in enumerate(task.lines, start=task.first_line):
        # The readers' own line reading, so a chunk reads as readers.read_jsonl reads a line.
        got = readers.json_line_article(raw, where, number)
        if isinstance(got, Problem):
            problems.add(got)
        elif got is not None:
            items.append(_pack(prepare(got)))
    return _Result(where, items, problems.problems, chunk=True)


def _run_task(task: _FileTask | _ChunkTask) -> list[_Result]:
    """Entry point in a worker: read, clean, split and tokenize one batch of files or one chunk of lines."""
    if isinstance(task, _ChunkTask):
        return [_read_chunk(task)]
    return [_read_file(path) for path in task.paths]


def _worker_init() -> None:
    # Ctrl-C reaches every process in the terminal's group: only the main process handles it, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A pool's workers hold both ends of their task queue, so they never see it close when the main process is
    # killed outright (kill -9, out of memory): watch the parent instead, and leave with it.
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# --- Finding the files -------------------------------------------------------------------------------------------


def walk(
    paths: Iterable[str | os.PathLike[str]],
    *,
    exclude: Iterable[str] = (),
    within: str | os.PathLike[str] | None = None,
) -> tuple[list[str], list[Problem]]:
    """The files under the given paths, resolved, sorted, without hidden files or folders.

    A file named explicitly is kept even when hidden. Every entry that cannot be used (a path that does not exist,
    a link that loops or leads nowhere, a folder that cannot be listed, a device, pipe or socket) is one problem,
    and the walk goes on.

    Args:
        paths: files and folders, as given on the command line.
        exclude: resolved paths never to return (the database itself, when it sits in an input folder).
        within: a folder no returned file may lie outside of once links are followed; a path or link that leads
            out is a problem (which never says what it points at), and nothing outside is looked at.

    Returns:
        ``(files, problems)``, files in a stable order and without repeats.
    """
    found = _Found(set(exclude), Path(within).resolve() if within is not None else None)
    for given in paths:
        path = Path(given).expanduser()
        if found.root is not None and not _inside(path, found.root):
            found.problems.append(Problem(str(path), "outside the archive folder: not read"))
        elif path.is_dir():
            found.folder(path.resolve())
        elif path.exists() or path.is_symlink():
            found.add(path)
        else:
            found.problems.append(Problem(str(path), "no such file or folder"))
    return found.files, found.problems


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop: it leads nowhere, so not inside
        return False


@dataclass(slots=True)
class _Found:
    """What a walk has found so far: the files to read, in order, and a problem per entry it could not use."""

    seen: set[str]
    root: Path | None
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def folder(self, top: Path) -> None:
        for folder, dirs, names in os.walk(top, onerror=lambda err: self.problems.append(_walk_problem(err))):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    self.add(os.path.join(folder, name), resolved=True)

    def add(self, p: Path | str, *, resolved: bool = False) -> None:
        # Inside a walked folder the root is already resolved: only a symlink needs resolving again
        # (Path.resolve costs an lstat per path component, which dominates a repeat run over many files).
        try:
            key = str(p) if resolved and not os.path.islink(p) else str(Path(p).resolve())
            mode = os.stat(key).st_mode
        except RuntimeError:
            self.problems.append(Problem(str(p), "a link that loops back on itself: not read"))
            return
        except OSError as err:
            reason = "a link to nothing" if os.path.islink(p) else f"cannot be read ({err.strerror or err})"
            self.problems.append(Problem(str(p), f"{reason}: not read"))
            return
        if self.root is not None and not Path(key).is_relative_to(self.root):
            self.problems.append(Problem(str(p), "leads outside the archive folder: not read"))
        elif not stat.S_ISREG(mode):
            # A pipe would block the reader for ever, a device could stream without end.
            self.problems.append(Problem(str(p), "not a regular file (a device, pipe or socket): not read"))
        elif key not in self.seen:
            self.seen.add(key)
            self.files.append(key)


def _walk_problem(err: OSError) -> Problem:
    return Problem(str(err.filename), f"cannot list folder: {err.strerror or err}")


def _jsonl_chunks(path: str) -> Iterator[_ChunkTask | Problem | int]:
    """Cut a JSON-lines file into chunks of raw lines; also yields Problems, and compressed bytes read so far."""
    from index.ingest import readers
    from index.ingest.readers.io import Source

    with Source(Path(path)) as src:
        first = 1
        lines: list[bytes] = []
        size = 0
        held: list[Problem] = []  # yielded after the chunk of the lines before them, so they log in file order
        for line in readers.jsonl_lines(src.stream, path):
            if isinstance(line, Problem):
                held.append(line)
                continue
            number, raw = line
            # An over-long line is left out (it is a Problem): blank lines keep the chunk's numbering contiguous.
            lines.extend([b""] * (number - first - len(lines)))
            lines.append(raw)
            size += len(raw)
            if len(lines) >= CHUNK_LINES or size >= CHUNK_BYTES:
                yield _ChunkTask(path, first, lines)
                yield from held
                yield src.raw.tell()
                first, lines, size, held = number + 1, [], 0, []
        if lines:
            yield _ChunkTask(path, first, lines)
        yield from held
        yield src.raw.tell()


# --- The run -------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _FileState:
    """A file being written: its row, the articles it held before, and the ones written in this run."""

    file_id: int
    before: dict[str, int]
    written: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    articles: int = 0


class _Run:
    """One ingest run over an open connection: the writer side, in the main process."""

    def __init__(self, conn: sqlite3.Connection, summary: RunSummary, bar: Any) -> None:
        self.conn = conn
        self.summary = summary
        self.bar = bar
        self.run_id = summary.run_id or 0
        self.pending_log: list[tuple[str, int | None, str, str]] = []
        self.logged: dict[tuple[str, str, str], int] = {}  # problems logged one by one, per file and kind
        self.folded: dict[tuple[str, str, str], int] = {}  # lines of a kind past LOG_PER_KIND, not yet logged
        self.groups: set[int] = set()
        self.batch = 0

    # -- problems and the log --

    def problem(self, p: Problem) -> None:
        if p.level == "skip":
            self.summary.skipped += p.count
        else:
            self.summary.failed += p.count
        key = (p.path, p.level, p.kind)
        logged = self.logged.get(key, 0)
        if logged >= LOG_PER_KIND:
            # The file has shown this kind of problem often enough: count the rest, one row per batch.
            self.folded[key] = self.folded.get(key, 0) + p.count
            return
        self.logged[key] = logged + 1
        if len(self.summary.problems) < SUMMARY_LIST_MAX:
            self.summary.problems.append(p)
        reason = p.reason if p.count == 1 else f"{p.reason} (and {p.count - 1:,} more lines like it)"
        self.pending_log.append((p.path, p.line, p.level, reason))

    def flush_log(self) -> None:
        for (path, level, kind), count in self.folded.items():
            self.pending_log.append((path, None, level, f"{count:,} more lines like the ones above: {kind}"))
        self.folded = {}
        if self.pending_log:
            store.log_entries(self.conn, self.run_id, self.pending_log)
            self.pending_log = []

    def bump_generation(self) -> None:
        self.batch += 1
        store.set_meta(self.conn, META_GENERATION, f"{self.run_id}.{self.batch}")

    @contextlib.contextmanager
    def batch_transaction(self) -> Iterator[None]:
        """One write transaction whose counts reach the summary only if it commits (a rolled-back batch is
        read again by the next run, and counted then)."""
        s = self.summary
        saved = {name: getattr(s, name) for name in _COUNTS}
        n_problems, n_duplicates, groups = len(s.problems), len(s.duplicate_list), set(self.groups)
        logged, folded = dict(self.logged), dict(self.folded)
        try:
            with store.transaction(self.conn):
                yield
        except BaseException:
            for name, value in saved.items():
                setattr(s, name, value)
            del s.problems[n_problems:]
            del s.duplicate_list[n_duplicates:]
            self.groups = groups
            self.logged, self.folded = logged, folded
            self.pending_log = []
            raise

    # -- articles --

    def write_article(self, state: _FileState, prep: _Prepared) -> None:
        """Store one article of the file being written: added, updated, unchanged or a duplicate."""
        row = self._claim_id(state, prep.article)
        state.articles += 1
        if row is None:
            state.written[prep.article.source_id] = self._insert(state, prep)
            return
        state.written[prep.article.source_id] = row["id"]
        if row["file_id"] == state.file_id and store.same_article(row, prep.article):
            self.summary.unchanged += 1
            return
        self._update(state, prep, row)

    def _claim_id(self, state: _FileState, article: Article) -> sqlite3.Row | None:
        """The stored row under the article's id, after giving it an id of its own if another article holds it."""
        sid = article.source_id
        row = store.article_for_update(self.conn, sid)
        if sid in state.written or (row is not None and row["file_id"] not in (state.file_id, None)):
            # The id is taken (repeated in this file, or another file holds it): keep both, under a key that
            # says where this one came from, so neither is lost and re-runs find it again.
            alt = f"{sid}@{article.origin_path}:{article.origin_line or len(state.written) + 1}"
            self.pending_log.append(
                (article.origin_path, article.origin_line, "info", f"id {sid!r} is taken; stored as {alt!r}")
            )
            article.source_id = alt
            row = store.article_for_update(self.conn, alt)
        return row

    def _insert(self, state: _FileState, prep: _Prepared) -> int:
        """Store a new article (as a duplicate when its text is stored already); returns its id."""
        original = store.find_original(self.conn, prep.content_hash)
        article_id = store.insert_article(
            self.conn,
            prep.article,
            file_id=state.file_id,
            content_hash=prep.content_hash,
            title_tokens=prep.title_tokens,
            duplicate_of=original["id"] if original else None,
        )
        if original is not None:
            self.duplicate(prep.article, original)
        else:
            self.summary.added += 1
            self.summary.passages += store.replace_passages(self.conn, article_id, prep.passages, prep.tokens)
        return article_id

    def _update(self, state: _FileState, prep: _Prepared, row: sqlite3.Row) -> None:
        """Rewrite a stored article that changed (or moved file); its duplicates are promoted if its text changed."""
        conn, article, article_id = self.conn, prep.article, row["id"]
        was_duplicate = row["duplicate_of"] is not None
        duplicate_of = row["duplicate_of"]
        if row["content_hash"] != prep.content_hash:
            if not was_duplicate:
                self.index_promoted(store.release_duplicates(conn, article_id))
            original = store.find_original(conn, prep.content_hash, exclude=article_id)
            duplicate_of = original["id"] if original else None
        else:
            original = store.get_article(conn, duplicate_of) if duplicate_of is not None else None
        store.update_article(
            conn,
            article_id,
            article,
            file_id=state.file_id,
            content_hash=prep.content_hash,
            title_tokens=prep.title_tokens,
            duplicate_of=duplicate_of,
        )
        if duplicate_of is not None:
            if not was_duplicate:
                store.replace_passages(conn, article_id, [], [])
            self.duplicate(article, original)
            return
        self.summary.updated += 1
        if was_duplicate or row["body"] != article.body:
            self.summary.passages += store.replace_passages(conn, article_id, prep.passages, prep.tokens)

    def duplicate(self, article: Article, original: sqlite3.Row | None) -> None:
        s = self.summary
        s.duplicates += 1
        if original is None:
            return
        self.groups.add(original["id"])
        s.duplicate_groups = len(self.groups)
        reason = f"same text as article {original['id']} ({original['source_id']})"
        self.pending_log.append((article.origin_path, article.origin_line, "duplicate", reason))
        if len(s.duplicate_list) < SUMMARY_LIST_MAX:
            s.duplicate_list.append(
                {
                    "path": article.origin_path,
                    "line": article.origin_line,
                    "source_id": article.source_id,
                    "original_id": original["id"],
                    "original_source_id": original["source_id"],
                }
            )

    def index_promoted(self, article_ids: int | list[int] | None) -> None:
        """Write passages for duplicates that became originals (their text is in the store; no file is read)."""
        if article_ids is None:
            return
        for article_id in [article_ids] if isinstance(article_ids, int) else article_ids:
            self.summary.passages += resplit_article(self.conn, article_id)

    def delete_stale(self, state: _FileState, path: str) -> None:
        """Remove the file's earlier articles that this read did not find, unless the read had errors."""
        stale = [aid for sid, aid in state.before.items() if state.written.get(sid) != aid]
        if not stale:
            return
        if state.errors:
            # A broken line or a cut-off file may hide them: bad input never deletes what was indexed before.
            # They go once the file reads without errors (or with --prune, once it is gone).
            reason = f"kept {len(stale)} earlier articles not found in this read, because the file had errors"
            self.pending_log.append((path, None, "info", reason))
            return
        self.index_promoted(store.delete_articles(self.conn, stale))
        self.summary.removed += len(stale)

    # -- files --

    def open_file(self, result: _Result, status: str) -> _FileState:
        conn = self.conn
        known = store.find_file_id(conn, result.path)
        before = store.file_article_ids(conn, known) if known is not None else {}
        file_id = store.upsert_file(
            conn,
            result.path,
            size=result.size,
            mtime_ns=result.mtime_ns,
            file_hash=result.file_hash if status != store.FILE_PENDING else "",
            reader=result.reader,
            status=status,
        )
        return _FileState(file_id, before)

    def close_file(
        self, state: _FileState, path: str, *, size: int, mtime_ns: int, file_hash: str, reader: str | None
    ) -> None:
        self.delete_stale(state, path)
        if state.errors and not state.articles:
            status, self.summary.files_failed = "failed", self.summary.files_failed + 1
        else:
            status = "partial" if state.errors else "ok"
        store.upsert_file(
            self.conn, path, size=size, mtime_ns=mtime_ns, file_hash=file_hash, reader=reader, status=status
        )

    def write_whole(self, results: list[_Result]) -> None:
        """Write whole files in one transaction: each file's articles, stale ones removed, status final."""
        with self.batch_transaction():
            for result in results:
                for p in result.problems:
                    self.problem(p)
                if not result.file_hash:  # could not even be opened: nothing to record but the problem
                    self.summary.files_failed += 1
                    continue
                state = self.open_file(result, store.FILE_PENDING)
                state.errors = sum(p.level != "skip" for p in result.problems)
                for packed in result.items:
                    self.write_article(state, _unpack(packed))
                self.close_file(
                    state,
                    result.path,
                    size=result.size,
                    mtime_ns=result.mtime_ns,
                    file_hash=result.file_hash,
                    reader=result.reader,
                )
                self.summary.files_read += 1
            self.flush_log()
            self.bump_generation()

    def write_chunk(self, state: _FileState, result: _Result) -> None:
        with self.batch_transaction():
            for p in result.problems:
                self.problem(p)
            state.errors += sum(p.level != "skip" for p in result.problems)
            for packed in result.items:
                self.write_article(state, _unpack(packed))
            self.flush_log()
            self.bump_generation()


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@contextlib.contextmanager
def _ingest_lock(db_path: store.Locator) -> Iterator[None]:
    """One ingest at a time per database (readers such as the bot are never blocked by it)."""
    with store.ingest_lock(db_path) as got:
        if not got:
            raise IngestError(
                f"another `newsbot index` is writing {store.display(db_path)}; wait for it to finish, "
                "then run this again"
            )
        yield


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C for the run's duration, so `kill` also ends with a consistent, marked run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    db_path: str | os.PathLike[str],
    *,
    prune: bool = False,
    progress: bool = True,
    workers: int | None = None,
    within: str | os.PathLike[str] | None = None,
) -> RunSummary:
    """Read new and changed files under ``paths`` into the store at ``db_path``.

    Unchanged files (same size and modification time, or same content hash) are not read again. Files are read
    in worker processes and written in batched transactions, so an interruption loses at most the batch in
    flight and the next run redoes it. Every problem is reported in the summary and the ingest log.

    Args:
        paths: files and folders (folders are walked recursively; hidden entries are skipped).
        db_path: the SQLite database (created and migrated when needed).
        prune: also delete stored files under ``paths``, and their articles, that no longer exist on disk.
        progress: show a progress bar on stderr.
        workers: reader processes (default: one per CPU; 0 reads in this process).
        within: read no file outside this folder, links included (the bot's archive); None: no such limit.

    Returns:
        The run's summary; ``status`` is "ok", or "failed" when some input could not be used.

    Raises:
        IngestError: the database is busy with another ingest.
        IngestInterrupted: Ctrl-C or SIGTERM; the summary of what was committed is attached.
    """
    started = time.perf_counter()
    db_path = store.locate(db_path)
    paths = [str(p) for p in paths]
    summary = RunSummary(paths=paths)
    with _ingest_lock(db_path):
        conn = store.connect(db_path)
        store.tune_for_bulk_load(conn)
        if store.is_write_locked(conn):
            # Another process (a long write, a shell with an open transaction) holds the lock: say who, then wait.
            holders = ", ".join(store.lock_holders(db_path)) or "another process"
            log.warning("%s is locked by %s; waiting up to 30 s for it", store.display(db_path), holders)
        try:
            store.close_stale_runs(conn)
            summary.run_id = store.start_run(conn, paths)
            with _sigterm_as_interrupt(), _ending_early(conn, summary, started):
                _ingest(conn, paths, summary, prune=prune, progress=progress, workers=workers, within=within)
            _finish(conn, summary, "failed" if summary.failed else "ok", started)
        finally:
            conn.close()
    return summary


@contextlib.contextmanager
def _ending_early(conn: sqlite3.Connection, summary: RunSummary, started: float) -> Iterator[None]:
    """Mark the run interrupted (raising IngestInterrupted) or failed when the block raises."""
    try:
        yield
    except KeyboardInterrupt as err:
        _finish(conn, summary, "interrupted", started)
        raise IngestInterrupted(summary) from err
    except BaseException:
        # What was committed stays; the run is marked so `newsbot stats` does not show it running.
        with contextlib.suppress(*store.db_errors()):
            _finish(conn, summary, "failed", started)
        raise


def _finish(conn: sqlite3.Connection, summary: RunSummary, status: str, started: float) -> None:
    summary.status = status
    summary.seconds = time.perf_counter() - started
    store.finish_run(conn, summary.run_id, status, _stored_summary(summary))


def _stored_summary(summary: RunSummary) -> dict[str, Any]:
    data = summary.as_dict()
    # The full lists are in ingest_log; the run row keeps counts.
    data.pop("problems")
    data.pop("duplicate_list")
    return data


def _ingest(
    conn: sqlite3.Connection,
    paths: list[str],
    summary: RunSummary,
    *,
    prune: bool,
    progress: bool,
    workers: int | None,
    within: str | os.PathLike[str] | None = None,
) -> None:
    run = _Run(conn, summary, None)
    refresh_derived(conn, summary, progress=progress)
    files = _walk_inputs(run, paths, within)
    known = store.file_rows(conn)
    if prune:
        # Only paths that are there now: a missing or unreadable top (an unmounted disk, a renamed folder) says
        # nothing about its files, and must not empty the archive of them.
        tops = [str(Path(p).expanduser().resolve()) for p in paths if _present(Path(p).expanduser())]
        _prune(run, {path: row for path, row in known.items() if _under(path, tops)})
        known = store.file_rows(conn)
    to_read = _changed_files(conn, files, known, summary)
    if to_read:
        _read_changed(run, to_read, workers, progress)


def _walk_inputs(run: _Run, paths: list[str], within: str | os.PathLike[str] | None) -> list[str]:
    """The files to consider, without the database's own files; the paths' problems are logged."""
    db_file = store.database_file(run.conn)  # "" for a server (or in-memory) database: no file to leave out
    own = (
        [str(Path(db_file).resolve()) + suffix for suffix in ("", "-wal", "-shm", "-journal", ".lock")]
        if db_file
        else []
    )
    files, problems = walk(paths, exclude=own, within=within)
    run.summary.files_seen = len(files)
    with run.batch_transaction():
        for p in problems:
            run.problem(p)
        run.flush_log()
    return files


def _changed_files(
    conn: sqlite3.Connection, files: list[str], known: dict[str, sqlite3.Row], summary: RunSummary
) -> list[tuple[str, int]]:
    """The files to read, as ``(path, size)``; the unchanged ones are counted, and re-stamped when only touched."""
    to_read: list[tuple[str, int]] = []
    unchanged_ids: list[int] = []
    touched: list[tuple[int, int, int]] = []
    for path in files:
        key = _stat_key(path)
        row = known.get(path)
        if key is None:
            to_read.append((path, 0))  # the worker reports why it cannot be read
            continue
        if row is not None and row["status"] != store.FILE_PENDING and row["size"] == key[0]:
            if row["mtime_ns"] == key[1]:
                unchanged_ids.append(row["id"])
                continue
            # Touched but maybe not changed (a copy, a checkout): the hash decides, and is only computed here.
            with contextlib.suppress(OSError):
                if hash_file(path) == row["file_hash"]:
                    unchanged_ids.append(row["id"])
                    touched.append((row["id"], *key))
                    continue
        to_read.append((path, key[0]))
    if touched:
        with store.transaction(conn):
            for file_id, size, mtime_ns in touched:
                store.touch_file(conn, file_id, size=size, mtime_ns=mtime_ns)
    summary.files_unchanged = len(unchanged_ids)
    unchanged = set(unchanged_ids)
    summary.files_with_old_problems = sum(
        1 for row in known.values() if row["id"] in unchanged and row["status"] in ("partial", "failed")
    )
    summary.unchanged, _ = store.count_file_articles(conn, unchanged_ids)
    return to_read


def _read_changed(run: _Run, to_read: list[tuple[str, int]], workers: int | None, progress: bool) -> None:
    """Read and write the changed files, in worker processes unless there is too little to read."""
    total_bytes = sum(size for _, size in to_read)
    n_workers = _cpus() if workers is None else max(0, workers)
    if workers is None and total_bytes < IN_PROCESS_BYTES:
        n_workers = 0
    bar = _progress_bar(total_bytes, progress)
    run.bar = bar
    try:
        _read_and_write(run, to_read, n_workers)
    finally:
        if bar is not None:
            bar.close()


def _cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _progress_bar(total: int, enabled: bool, *, unit: str = "B", desc: str = "indexing") -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, leave=False, dynamic_ncols=True)


@contextlib.contextmanager
def _closing_bar(total: int, enabled: bool, *, unit: str, desc: str) -> Iterator[Any]:
    """A progress bar (or None when disabled) that is closed however the block ends."""
    bar = _progress_bar(total, enabled, unit=unit, desc=desc)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _plan(to_read: list[tuple[str, int]]) -> Iterator[_FileTask | tuple[str, int]]:
    """Batches of small files, and ``(path, size)`` for each big JSON-lines file (read in chunks)."""
    from index.ingest import readers

    batch: list[str] = []
    batch_bytes = 0
    for path, size in to_read:
        if size > CHUNK_FILE_BYTES and readers.reader_for(Path(path)) == "jsonl":
            if batch:
                yield _FileTask(batch)
                batch, batch_bytes = [], 0
            yield (path, size)
            continue
        batch.append(path)
        batch_bytes += size
        if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
            yield _FileTask(batch)
            batch, batch_bytes = [], 0
    if batch:
        yield _FileTask(batch)


_OnDone = Callable[[list[_Result]], None]


@contextlib.contextmanager
def _worker_death() -> Iterator[None]:
    """A reader process that died (killed, out of memory) as an IngestError that says what to do, wherever the
    pool notices it: when a task is queued or when its result is awaited."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool as err:
        raise IngestError(
            f"a reader process died ({err}); what was read before is stored. Run again with --workers 0 "
            "to read in one process and see which file causes it"
        ) from err


class _Scheduler:
    """Runs read tasks in a pool of worker processes (or in this process when there are none), a bounded number
    at a time, and hands their results to the writer in submission order.

    Used as a context manager: leaving normally waits for the pool to shut down; leaving with an exception (an
    error, Ctrl-C) stops the workers at once, and nothing they did is committed.
    """

    def __init__(self, n_workers: int) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        self.pool: ProcessPoolExecutor | None = None
        if n_workers > 0:
            self.pool = ProcessPoolExecutor(
                max_workers=n_workers, mp_context=get_context("spawn"), initializer=_worker_init
            )
        # Enough tasks in flight to keep every worker busy, few enough that results never pile up in memory.
        self.window = max(2, 2 * n_workers) if self.pool is not None else 1
        self.pending: deque[tuple[Future[list[_Result]] | list[_Result], _OnDone]] = deque()

    def __enter__(self) -> _Scheduler:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self.pool is None:
            return
        if exc_type is None:
            self.pool.shutdown(wait=True)
            return
        # Stop at once: queued tasks are dropped and running workers killed; nothing they did is committed.
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        # Let the pool's manager thread see its workers gone and finish now: left running, it races the
        # interpreter's exit hook for the pool's wakeup pipe ("Bad file descriptor" at exit, or a hang).
        if manager is not None:
            manager.join(timeout=10)
        self.pool = None

    def submit(self, task: _FileTask | _ChunkTask, on_done: _OnDone) -> None:
        """Queue a task; writes the oldest results first whenever the window is full."""
        if self.pool is None:
            self.pending.append((_run_task(task), on_done))
        else:
            with _worker_death():
                self.pending.append((self.pool.submit(_run_task, task), on_done))
        while len(self.pending) >= self.window:
            self.drain_one()

    def add_done(self, results: list[_Result], on_done: _OnDone) -> None:
        """Queue results already known (a problem found while cutting a file), to be written in order."""
        self.pending.append((results, on_done))

    def drain_one(self) -> None:
        """Wait for the oldest task and write its results."""
        work, on_done = self.pending.popleft()
        with _worker_death():
            results = work.result() if isinstance(work, Future) else work
        on_done(results)

    def drain(self) -> None:
        """Write the results of every task queued so far."""
        while self.pending:
            self.drain_one()


def _read_and_write(run: _Run, to_read: list[tuple[str, int]], n_workers: int) -> None:
    """Read the files in tasks (batches of small files, chunks of big JSON-lines files) and write the results."""
    sizes = dict(to_read)

    def whole_done(results: list[_Result]) -> None:
        run.write_whole(results)
        if run.bar is not None:
            run.bar.update(sum(sizes.get(r.path, 0) for r in results))

    with _Scheduler(n_workers) as scheduler:
        for step in _plan(to_read):
            if isinstance(step, _FileTask):
                scheduler.submit(step, whole_done)
            else:
                _chunked_file(run, step[0], scheduler)
        scheduler.drain()


def _chunked_file(run: _Run, path: str, scheduler: _Scheduler) -> None:
    """Read one big JSON-lines file as parallel chunks; its status is final only after the last chunk is written."""
    from index.ingest import readers

    try:
        st = os.stat(path)
        file_hash = hash_file(path)
        reader = readers.reader_for(Path(path))
    except OSError as err:
        with run.batch_transaction():
            run.problem(Problem(path, f"cannot read: {err.strerror or err}"))
            run.flush_log()
        return
    with run.batch_transaction():
        state = run.open_file(_Result(path, [], [], st.st_size, st.st_mtime_ns, "", reader), store.FILE_PENDING)

    def chunk_done(results: list[_Result]) -> None:
        for result in results:
            run.write_chunk(state, result)

    try:
        _submit_chunks(run, path, scheduler, chunk_done)
    except OSError as err:
        problem = Problem(path, f"cannot read: {err.strerror or err}")
        scheduler.add_done([_Result(path, [], [problem], chunk=True)], chunk_done)
    # Everything of this file must be written before its status becomes final.
    scheduler.drain()
    with run.batch_transaction():
        run.close_file(state, path, size=st.st_size, mtime_ns=st.st_mtime_ns, file_hash=file_hash, reader=reader)
        run.flush_log()
        run.bump_generation()
    run.summary.files_read += 1


def _submit_chunks(run: _Run, path: str, scheduler: _Scheduler, chunk_done: _OnDone) -> None:
    """Cut the file into chunks and queue them, and its problems, in file order; advances the progress bar."""
    position = 0
    for step in _jsonl_chunks(path):
        if isinstance(step, int):
            if run.bar is not None:
                run.bar.update(step - position)
            position = step
        elif isinstance(step, Problem):
            # Queued like a chunk's result, so it is written (and counted) in file order with the rest.
            scheduler.add_done([_Result(path, [], [step], chunk=True)], chunk_done)
        else:
            scheduler.submit(step, chunk_done)


def _under(stored: str, tops: list[str]) -> bool:
    """Whether a stored file lies under one of the resolved walked paths (or is one): what --prune may remove."""
    return any(stored == top or stored.startswith(top.rstrip(os.sep) + os.sep) for top in tops)


def _present(top: Path) -> bool:
    """Whether a walked path is there to judge its files by: a file, or a folder this process can list."""
    if top.is_file():
        return True
    try:
        with os.scandir(top):
            return True
    except OSError:
        return False


def _gone(path: str) -> bool:
    """Whether a stored file is gone for sure (not merely unreadable right now)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _prune(run: _Run, known: dict[str, sqlite3.Row]) -> None:
    """Delete stored files that are gone from disk, with their articles (duplicates of them are promoted)."""
    gone = [row for path, row in known.items() if _gone(path)]
    if not gone:
        return
    with run.batch_transaction():
        for row in gone:
            count, promoted = store.delete_file(run.conn, row["id"])
            run.index_promoted(promoted)
            run.summary.removed += count
            run.summary.files_removed += 1
            run.pending_log.append((row["path"], None, "info", f"file is gone: removed with its {count} articles"))
        run.flush_log()
        run.bump_generation()


# --- Derived data: passages and tokens rebuilt from stored text ------------------------------------------------------


def resplit_article(conn: sqlite3.Connection, article_id: int) -> int:
    """Rewrite one stored article's passages from its stored body (no file is read); returns how many."""
    row = store.article_text(conn, article_id)
    if row is None:
        return 0
    article = Article(source_id=row["source_id"], title=row["title"], paragraphs=row["body"].split("\n\n"))
    prep = prepare(article)
    return store.replace_passages(conn, article_id, prep.passages, prep.tokens)


def refresh_derived(conn: sqlite3.Connection, summary: RunSummary | None = None, *, progress: bool = False) -> bool:
    """Bring stored passages up to the code's splitter and tokenizer versions, from stored text.

    A splitter change re-splits every original's body; a tokenizer change re-tokenizes every passage and
    headline. Work is committed in batches and the versions recorded last, so an interrupted refresh is redone.

    Args:
        conn: open connection.
        summary: where to count the work (``resplit``, ``retokenized``), if given.
        progress: show a progress bar on stderr (a whole archive is redone, in this process: minutes when large).

    Returns:
        True when anything was rebuilt (the search postings are then out of date).
    """
    summary = summary or RunSummary()
    has_data = store.has_articles(conn)
    split_v = store.get_meta(conn, META_SPLIT)
    token_v = store.get_meta(conn, META_TOKENIZER)
    if has_data and split_v != str(SPLIT_VERSION):
        log.warning("splitter changed (%s -> %s): re-splitting stored articles", split_v, SPLIT_VERSION)
        total = store.count_originals(conn)
        with _closing_bar(total, progress, unit=" articles", desc="re-splitting") as bar:
            after = 0
            while ids := store.original_ids(conn, after=after):
                with store.transaction(conn):
                    for article_id in ids:
                        resplit_article(conn, article_id)
                summary.resplit += len(ids)
                after = ids[-1]
                if bar is not None:
                    bar.update(len(ids))
        _retokenize_titles(conn)
    elif has_data and token_v != str(TOKENIZER_VERSION):
        log.warning("tokenizer changed (%s -> %s): re-tokenizing stored passages", token_v, TOKENIZER_VERSION)
        total = store.count_passages(conn)
        with _closing_bar(total, progress, unit=" passages", desc="re-tokenizing") as bar:
            after = 0
            while rows := store.passage_texts(conn, after=after):
                with store.transaction(conn):
                    store.set_passage_tokens(conn, [(tokens_to_text(tokenize(text)), pid) for pid, text in rows])
                summary.retokenized += len(rows)
                after = rows[-1][0]
                if bar is not None:
                    bar.update(len(rows))
        _retokenize_titles(conn)
    rebuilt = bool(summary.resplit or summary.retokenized)
    if split_v != str(SPLIT_VERSION) or token_v != str(TOKENIZER_VERSION):
        with store.transaction(conn):
            store.set_meta(conn, META_SPLIT, str(SPLIT_VERSION))
            store.set_meta(conn, META_TOKENIZER, str(TOKENIZER_VERSION))
            if rebuilt:
                store.set_meta(conn, META_GENERATION, f"refresh.{time.time_ns()}")
    return rebuilt


def _retokenize_titles(conn: sqlite3.Connection) -> None:
    after = 0
    while rows := store.article_titles(conn, after=after):
        with store.transaction(conn):
            store.set_title_tokens(conn, [(tokens_to_text(tokenize(title)), aid) for aid, title in rows])
        after = rows[-1][0]


def postings_outdated(conn: sqlite3.Connection) -> bool:
    """True when the stored content changed since the search postings were last built (and marked) by update_index."""
    return store.get_meta(conn, META_GENERATION) != store.get_meta(conn, META_POSTINGS_FOR)


def content_generation(conn: sqlite3.Connection) -> str:
    """The stored content's generation (it changes with every committed batch of changes)."""
    return store.get_meta(conn, META_GENERATION) or ""


def mark_postings_built(conn: sqlite3.Connection, built_for: str | None = None) -> None:
    """Record that the postings match the stored content as of generation ``built_for`` (default: now).

    Args:
        conn: open connection.
        built_for: :func:`content_generation` read before the build started, so content written while it ran
            leaves the postings stale rather than being taken as included.
    """
    with store.transaction(conn):
        store.set_meta(conn, META_POSTINGS_FOR, content_generation(conn) if built_for is None else built_for)
