"""Readers: turn one input file (text, HTML, JSON/JSONL, Markdown, feed; optionally gzipped) into Articles."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from index.ingest.clean.scrape import clean_page
from index.ingest.clean.text import clean_paragraphs, drop_title_repeat, normalise, split_paragraphs
from index.ingest.readers.fields import (
    TEXT_KEYS,
    authors_of,
    first_str,
    id_of,
    list_in_container,
    outlet_of,
    parse_date,
    published_of,
    split_authors,
    url_of,
)
from index.ingest.readers.io import (
    MAX_ARTICLE_CHARS,
    MAX_JSON_BYTES,
    MAX_JSONL_LINE,
    MAX_TEXT_BYTES,
    Source,
    Unreadable,
    binary_kind,
    decode,
    read_head,
    read_text_file,
)
from index.ingest.readers.web import (  # their parsers (trafilatura, lxml, feedparser) are imported on first use
    html_fragment_paragraphs,
    looks_like_html,
    read_feed,
    read_html,
    read_markdown,
)
from index.models import Article, Problem

log = logging.getLogger(__name__)

SUPPORTED: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}


def _format_suffix(path: Path) -> str:
    """The lower-case suffix that names the format, a trailing ".gz" peeled off ("" when there is none)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def reader_for(path: Path) -> str | None:
    """Name the reader for a file: by suffix, else by sniffing its first bytes.

    Args:
        path: the file; a trailing ".gz" is allowed on any supported suffix.

    Returns:
        "text", "html", "json", "jsonl", "markdown" or "feed"; None for binary data, XML that is not a feed,
        files that cannot be read, and plain text under a suffix we do not know (".csv", ".log", ".py": not
        news pages; rename to .txt to read one). Pages saved with no suffix or a server-side one (".php",
        ".aspx") are still read when their content is HTML, JSON, a feed or Markdown.
    """
    suffix = _format_suffix(path)
    if suffix in SUPPORTED:
        return SUPPORTED[suffix]
    try:
        head = read_head(path)
    except (OSError, EOFError, zlib.error):
        return None
    kind = _sniff(head)
    if kind == "text" and suffix:
        return None
    return kind


def _sniff(head: bytes) -> str | None:
    """Guess the reader from the first bytes; None for binary data."""
    if binary_kind(head):
        return None
    try:
        text = decode(head, partial=True)[0]
    except UnicodeError:
        return None
    start = text.lstrip()[:2000]
    low = start.lower()
    if start.startswith(("{", "[")):
        first = start.split("\n", 1)[0].strip()
        if first.startswith("{") and first.endswith("}") and "\n{" in start:
            return "jsonl"
        return "json"
    if low.startswith("<?xml") or low.startswith(("<rss", "<feed", "<rdf")):
        if "<rss" in low or "<feed" in low or "<rdf:rdf" in low:
            return "feed"
        return "html" if "<html" in low else None
    if low.startswith(("<!doctype html", "<html", "<head", "<body", "<meta", "<!--")) or "<html" in low[:500]:
        return "html"
    if start.startswith("---\n"):
        return "markdown"
    return "text"


def read_path(path: Path) -> Iterator[Article | Problem]:
    """Read every article in one file, and report every problem, without ever raising for bad input.

    Args:
        path: a file with a supported suffix (optionally ending ".gz") or sniffable content.

    Yields:
        Articles in file order, and Problems (level "error" for input that was lost, "skip" for records with
        nothing to index) where something could not be used.
    """
    where = str(path)
    try:
        if path.is_dir():
            yield Problem(where, "is a directory, not a file (pass it to `newsbot index` to read its files)")
            return
        if not path.exists():
            reason = "broken symbolic link" if path.is_symlink() else "no such file"
            yield Problem(where, reason)
            return
        if path.stat().st_size == 0:
            yield Problem(where, "empty file (0 bytes)", level="skip")
            return
        name = reader_for(path)
        if name is None:
            yield Problem(where, _unknown_reason(path))
            return
        yield from _READERS[name](path)
    except Unreadable as err:
        yield Problem(where, str(err))
    except PermissionError:
        yield Problem(where, "permission denied; check the file's read permission")
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        yield Problem(where, f"corrupt or truncated gzip data ({err}); re-download or re-compress the file")
    except OSError as err:
        yield Problem(where, f"cannot read: {err.strerror or err}")
    except Exception as err:  # a reader bug must not stop an ingest run: report it and go on
        log.exception("reader failed on %s", where)
        yield Problem(where, f"reader failed: {type(err).__name__}: {err}")


def _unknown_reason(path: Path) -> str:
    """Why a file has no reader: binary content, or unreadable."""
    try:
        kind = binary_kind(read_head(path))
    except (OSError, EOFError, zlib.error) as err:
        return f"cannot read: {err}"
    suffix = "".join(path.suffixes) or "no suffix"
    if kind:
        return f"not text ({kind}, {suffix}); convert it to text, HTML or JSON first"
    return f"unknown file type ({suffix}); supported: {', '.join(sorted(SUPPORTED))} (optionally .gz)"


def extract(path: Path) -> list[Article | Problem]:
    """Everything :func:`read_path` yields for one file, as a list (for `newsbot clean FILE`).

    Args:
        path: the file.

    Returns:
        Articles and Problems in file order.
    """
    return list(read_path(path))


# --- plain text ---------------------------------------------------------------------------------------------


def read_text(path: Path) -> Iterator[Article | Problem]:
    """One article from a text file: a clean "headline, blank line, body" file or a scraped page."""
    text, extra = read_text_file(path, MAX_TEXT_BYTES, "text page")
    cleaned = clean_page(text)
    if not cleaned.paragraphs:
        what = "only a headline" if cleaned.title else "no text"
        yield Problem(str(path), f"nothing to index: {what} left after cleaning", level="skip")
        return
    extra.update(cleaned.extra)
    # A byline or date line found at the top of the page becomes metadata; the raw date stays if unreadable.
    authors = split_authors(extra.pop("byline", None))
    published = parse_date(extra["date_line"]) if "date_line" in extra else None
    if published is not None:
        del extra["date_line"]
    yield Article(
        source_id=str(path),
        title=cleaned.title,
        paragraphs=cleaned.paragraphs,
        outlet=cleaned.outlet,
        published=published,
        authors=authors,
        origin_path=str(path),
        reader="text",
        extra=extra,
    )


# --- JSON and JSON lines ------------------------------------------------------------------------------------


def record_to_article(
    record: dict[str, Any], *, source_id: str, path: str, line: int | None, reader: str
) -> Article | Problem:
    """Map one JSON record with the usual field names to an Article, or a Problem when it has no text.

    Args:
        record: the decoded object.
        source_id: the id to use when the record has none of its own.
        path: the file it came from.
        line: its line (JSONL) or item number (JSON array), 1-based.
        reader: "json" or "jsonl".

    Returns:
        The Article, or a "skip" Problem for a record without text, or an "error" Problem for one too large.
    """
    body = None
    for key in TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, list):
            value = "\n\n".join(v for v in value if isinstance(v, str))
        if isinstance(value, str) and value.strip():
            body = value
            break
    title = first_str(record, ("title", "headline", "name")) or ""
    if body is None:
        what = f"record {title[:60]!r}" if title else "record"
        return Problem(path, f"{what} has no text (empty text/body/content)", line=line, level="skip")
    if len(body) > MAX_ARTICLE_CHARS:
        return Problem(path, f"too large: {len(body):,} characters of text in one record", line=line)
    paragraphs = html_fragment_paragraphs(body) if looks_like_html(body) else split_paragraphs(normalise(body))
    title = normalise(title)
    cleaned = clean_paragraphs(paragraphs)
    cleaned.paragraphs = drop_title_repeat(title, cleaned.paragraphs)
    if not cleaned.paragraphs:
        return Problem(path, "record has only boilerplate text", line=line, level="skip")
    extra: dict[str, Any] = dict(cleaned.extra)
    published, raw_date = published_of(record)
    if raw_date is not None and published is None:
        extra["date_raw"] = raw_date
    category = record.get("category") or record.get("section")
    if isinstance(category, str | list) and category:
        extra["category"] = category
    return Article(
        source_id=id_of(record) or source_id,
        title=title,
        paragraphs=cleaned.paragraphs,
        outlet=outlet_of(record) or cleaned.outlet,
        published=published,
        url=url_of(record),
        authors=authors_of(record),
        origin_path=path,
        origin_line=line,
        reader=reader,
        extra=extra,
    )


def safe_record(
    record: dict[str, Any], *, source_id: str, path: str, line: int | None, reader: str
) -> Article | Problem:
    """:func:`record_to_article`, with a reader bug on one odd record reported as that record's Problem, so the
    records after it are still read."""
    try:
        return record_to_article(record, source_id=source_id, path=path, line=line, reader=reader)
    except Exception as err:
        log.exception("reader failed on %s:%s", path, line)
        return Problem(path, f"reader failed: {type(err).__name__}: {err}", line=line)


def read_jsonl(path: Path) -> Iterator[Article | Problem]:
    """One article per line of a JSON-lines file, streamed; each bad line is one Problem and reading goes on."""
    where = str(path)
    again: tuple[bytes, Problem] | None = None  # the last bad line: the same bytes again are the same problem
    with Source(path) as src:
        for line in jsonl_lines(src.stream, where):
            if isinstance(line, Problem):
                yield line
                continue
            number, raw = line
            if again is not None and raw == again[0]:
                yield Problem(where, again[1].reason, line=number, level=again[1].level)
                continue
            item = json_line_article(raw, where, number)
            again = (raw, item) if isinstance(item, Problem) else None
            if item is not None:
                yield item


def jsonl_lines(stream: IO[bytes], where: str) -> Iterator[tuple[int, bytes] | Problem]:
    """The raw lines of a JSON-lines stream, numbered, each at most ``MAX_JSONL_LINE`` bytes.

    Args:
        stream: the (decompressed) byte stream.
        where: the file, for Problems.

    Yields:
        ``(number, raw)`` per line (1-based); a Problem in place of an over-long line (reading goes on), and a
        last Problem when gzip data is corrupt or truncated (reading stops).
    """
    number = 0
    while True:
        try:
            raw = stream.readline(MAX_JSONL_LINE)
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            yield Problem(
                where,
                f"corrupt or truncated gzip data after line {number} ({err}); lines after it are lost",
                line=number + 1,
            )
            return
        if not raw:
            return
        number += 1
        if len(raw) >= MAX_JSONL_LINE and not raw.endswith(b"\n"):
            skipped = _skip_rest_of_line(stream)
            size, limit = (len(raw) + skipped) / 1e6, MAX_JSONL_LINE / 1e6
            yield Problem(where, f"too large: the line is {size:,.1f} MB, over the {limit:,.1f} MB limit", line=number)
            continue
        yield number, raw


def json_line_article(raw: bytes, where: str, number: int) -> Article | Problem | None:
    """One JSON-lines line as an Article (noting a non-UTF-8 encoding), a Problem, or None for a blank line.

    Args:
        raw: the line's bytes, newline included or not.
        where: the file, for Problems and the article's source id.
        number: the 1-based line number.

    Returns:
        What :func:`read_jsonl` yields for the line.
    """
    item, encoding = _parse_line(raw, where, number)
    if item is None or isinstance(item, Problem):
        return item
    got = safe_record(item, source_id=f"{where}:{number}", path=where, line=number, reader="jsonl")
    if encoding and isinstance(got, Article):
        got.extra["encoding"] = encoding
    return got


def _skip_rest_of_line(stream: IO[bytes]) -> int:
    """Read past the rest of an over-long line in bounded chunks; returns how many bytes were skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(1 << 20)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _parse_line(raw: bytes, where: str, number: int) -> tuple[dict[str, Any] | Problem | None, str | None]:
    """Decode one JSON-lines line: the object, a Problem or None (blank), and the encoding when not UTF-8."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        return None, None
    encoding = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text, encoding = decode(raw)
        except UnicodeError:
            return Problem(where, "line is not valid text in any encoding", line=number), None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as err:
        return Problem(where, f"malformed JSON: {err.msg} at column {err.colno}", line=number), None
    except RecursionError:
        return Problem(where, "malformed JSON: nested too deeply", line=number), None
    if not isinstance(item, dict):
        return Problem(where, f"line is a JSON {type(item).__name__}, not an object", line=number), None
    return item, encoding


def read_json(path: Path) -> Iterator[Article | Problem]:
    """Articles from a JSON document: one object, a list of objects, or an object holding such a list."""
    where = str(path)
    # note: the file's encoding when it was not UTF-8, copied onto each article.
    text, note = read_text_file(path, MAX_JSON_BYTES, "JSON document (use JSON lines for big collections)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data":
            # Several objects one after another: it is JSON lines under a .json name.
            log.info("%s holds several JSON values; reading it as JSON lines", where)
            yield from read_jsonl(path)
            return
        yield Problem(where, f"malformed JSON: {err.msg} at line {err.lineno} column {err.colno}", line=err.lineno)
        return
    except RecursionError:
        yield Problem(where, "malformed JSON: nested too deeply")
        return
    del text
    items = list_in_container(doc)
    if items is None:
        if isinstance(doc, dict):
            yield _noted(safe_record(doc, source_id=where, path=where, line=None, reader="json"), note)
        else:
            yield Problem(where, f"JSON holds a {type(doc).__name__}, not articles (objects with a text field)")
        return
    if not items:
        yield Problem(where, "JSON holds an empty list of articles", level="skip")
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield _noted(safe_record(item, source_id=f"{where}#{n}", path=where, line=n, reader="json"), note)
        else:
            yield Problem(where, f"item {n} is a JSON {type(item).__name__}, not an object", line=n)


def _noted(item: Article | Problem, note: dict[str, Any]) -> Article | Problem:
    """The item with ``note`` added to an Article's extra (the file's encoding, when it was not UTF-8)."""
    if note and isinstance(item, Article):
        item.extra.update(note)
    return item


_READERS = {
    "text": read_text,
    "json": read_json,
    "jsonl": read_jsonl,
    "html": read_html,
    "markdown": read_markdown,
    "feed": read_feed,
}

__all__ = [
    "MAX_ARTICLE_CHARS",
    "SUPPORTED",
    "extract",
    "parse_date",
    "read_path",
    "reader_for",
    "record_to_article",
]
