"""Feeds: add, list and remove them, and one watch cycle that fetches new items into the spool and the archive."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from index import store
from index.ingest import pipeline
from index.ingest.clean.text import normalise
from index.ingest.fetch import Fetcher, FetchError, FetchPolicy, Response, check_url, resolve_and_check
from index.ingest.readers.fields import split_authors
from index.ingest.readers.web import html_article, html_fragment_paragraphs
from index.models import Article, Problem
from index.search import generations

log = logging.getLogger(__name__)

SPOOL_SUFFIX = ".feeds"
# A feed entry whose own content has at least this many words is taken as the full article; shorter ones are
# teasers, and the item's page is fetched instead.
FULL_TEXT_WORDS = 150
HTML_TYPES = ("text/html", "application/xhtml+xml")
ITEM_ATTEMPTS = 6  # an item that failed this many times is given up (kept in the feed's list with its reason)


@dataclass(slots=True)
class WatchOptions:
    """How a watch cycle runs.

    Attributes:
        policy: the fetching rules (allowed addresses, delays, timeouts, size caps).
        retry_base: seconds before the first retry of a failed feed or item; each failure doubles it.
        max_backoff: the longest wait between retries.
        concurrency: feeds fetched at once (requests to one host are still one at a time).
        max_items: new items read from one feed per cycle; the rest wait for the next cycle.
    """

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    retry_base: float = 300.0
    max_backoff: float = 6 * 3600.0
    concurrency: int = 4
    max_items: int = 100


@dataclass(slots=True)
class FeedReport:
    """What one cycle did with one feed."""

    url: str
    name: str
    status: str = "ok"  # ok | not modified | failed | waiting
    reason: str | None = None
    new: int = 0
    updated: int = 0
    items_failed: list[dict[str, str]] = field(default_factory=list)  # {url, reason}


@dataclass(slots=True)
class CycleReport:
    """One watch cycle: per-feed results, the articles it stored and how the archive was brought up to date.

    ``new_ids`` and ``updated_ids`` are the store ids of the articles that are new or whose text changed in this
    cycle: what a follow-up (alerts for followed topics) looks at.
    """

    feeds: list[FeedReport] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    stored_problems: list[dict[str, str]] = field(default_factory=list)  # records the archive could not use
    ingest_error: str | None = None
    index: str | None = None  # the generation built, when the search index was rebuilt
    seconds: float = 0.0

    @property
    def checked(self) -> int:
        return sum(1 for f in self.feeds if f.status != "waiting")

    @property
    def not_modified(self) -> int:
        return sum(1 for f in self.feeds if f.status == "not modified")

    @property
    def failures(self) -> list[str]:
        """Every failure of the cycle, one line each: feeds, items, records and the archive update."""
        lines = [f"{f.url}: {f.reason}" for f in self.feeds if f.status == "failed"]
        lines += [f"{i['url']}: {i['reason']}" for f in self.feeds for i in f.items_failed]
        lines += [f"{p['url']}: {p['reason']}" for p in self.stored_problems]
        if self.ingest_error:
            lines.append(f"archive not updated: {self.ingest_error}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(checked=self.checked, not_modified=self.not_modified, failed=len(self.failures))
        data["new"], data["updated"] = len(self.new_ids), len(self.updated_ids)
        data["seconds"] = round(self.seconds, 3)
        return data


class FeedError(ValueError):
    """A feed URL that cannot be added or removed; the message says why and what to do."""


# --- managing the list -----------------------------------------------------------------------------------------


def spool_dir(db_path: str | os.PathLike[str]) -> Path:
    """The folder beside the database where fetched items are kept as JSON records (``<db>.feeds``)."""
    if store.is_url(db_path):  # beside the server database's index folder
        root = generations.index_dir(db_path)
        return root.with_name(root.name + SPOOL_SUFFIX)
    db_path = store.locate(db_path)
    return db_path.with_name(db_path.name + SPOOL_SUFFIX)


def normalise_url(url: str) -> str:
    """A URL as stored: scheme and host in lower case, no fragment (one item or feed, one spelling)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def add_feed(
    db_path: str | os.PathLike[str], url: str, name: str | None = None, *, allow_private: bool = False
) -> tuple[dict[str, Any], bool]:
    """Check a feed URL and store it (a second add of the same URL only renames it).

    Args:
        db_path: the database.
        url: the feed's http or https URL.
        name: the outlet name its articles get; None: the feed's own title.
        allow_private: allow hosts on private, loopback or link-local addresses.

    Returns:
        ``(feed, added)``: the stored feed as a dict, and False when it was already there.

    Raises:
        FeedError: the URL is not http/https, has no host, or points at a private address.
    """
    try:
        host = check_url(url.strip())
        resolve_and_check(host, allow_private)
    except FetchError as err:
        raise FeedError(str(err)) from None
    name = normalise(name or "") or None
    conn = store.connect(db_path)
    try:
        row, added = store.add_feed(conn, normalise_url(url), name)
        return dict(row), added
    finally:
        conn.close()


def remove_feed(db_path: str | os.PathLike[str], url: str) -> bool:
    """Forget a feed; its articles already stored stay in the archive. False when no such feed was stored."""
    conn = store.connect(db_path)
    try:
        return store.remove_feed(conn, url.strip()) or store.remove_feed(conn, normalise_url(url))
    finally:
        conn.close()


def list_feeds(db_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every stored feed with its check state and item counts, as dicts."""
    conn = store.connect(db_path)
    try:
        return [dict(row) for row in store.list_feeds(conn)]
    finally:
        conn.close()


# --- one cycle -------------------------------------------------------------------------------------------------


def watch_once(
    db_path: str | os.PathLike[str], options: WatchOptions | None = None, *, now: datetime | None = None
) -> CycleReport:
    """One watch cycle: :func:`poll_feeds`, then :func:`store_spooled`.

    Runs its own event loop (call it from a thread in async code). One bad feed or item is reported and retried
    later with backoff; it never stops the others.

    Args:
        db_path: the database; the spool lives beside it.
        options: fetching and retry settings.
        now: the cycle's clock (tests move it to test backoff); default the current time.

    Returns:
        The cycle's report, with the ids of the new and updated articles.
    """
    started = time.perf_counter()
    report = poll_feeds(db_path, options, now=now)
    store_spooled(db_path, report)
    report.seconds = time.perf_counter() - started
    return report


def poll_feeds(
    db_path: str | os.PathLike[str], options: WatchOptions | None = None, *, now: datetime | None = None
) -> CycleReport:
    """Check every feed that is due and write its new and changed items to the spool (the archive is untouched).

    Runs its own event loop, so call it from a thread in async code.

    Args:
        db_path: the database; the spool lives beside it.
        options: fetching and retry settings.
        now: the cycle's clock; default the current time.

    Returns:
        The report so far: per-feed results (no article ids yet).
    """
    options = options or WatchOptions()
    db_path = store.locate(db_path)
    conn = store.connect(db_path)
    try:
        return asyncio.run(_poll(conn, spool_dir(db_path), options, now or datetime.now(UTC)))
    finally:
        conn.close()


def store_spooled(db_path: str | os.PathLike[str], report: CycleReport) -> None:
    """Bring the archive up to date with every spooled item not stored yet, and note the new and changed articles.

    Items spooled by an earlier cycle whose update failed are stored too. The archive's own lock keeps this from
    running beside another ingest; when it is busy, ``report.ingest_error`` says so and the next cycle retries.

    Args:
        db_path: the database.
        report: the cycle's report; ``new_ids``, ``updated_ids``, ``stored_problems``, ``index`` and
            ``ingest_error`` are filled in.
    """
    db_path = store.locate(db_path)
    conn = store.connect(db_path)
    try:
        pending = store.unstored_feed_items(conn)
    finally:
        conn.close()
    if pending:
        _store_pending(db_path, pending, report)


def _update(spool: Path, db_path: Path) -> tuple[pipeline.RunSummary, str | None]:
    """Bring the archive up to date with the spool, as every update does (:func:`index.ingest.update.update_index`).

    Returns:
        The ingest summary and the generation built (None when the postings were already current).
    """
    from index.ingest.update import update_index

    # A merge the growth makes due runs in a daemon thread: the cycle (and the bot's follow posts) need not wait for
    # it. One cut short by the process exiting (`watch --once`) is redone by a later update.
    result = update_index([spool], db_path, progress=False, workers=0, merge="background")
    return result.summary, result.generation if result.rebuilt else None


def _store_pending(db_path: Path, pending: list[sqlite3.Row], report: CycleReport) -> None:
    """Ingest the spooled items and note which articles are new or changed (compared before and after)."""
    urls = [row["url"] for row in pending]
    conn = store.connect(db_path)
    try:
        before = store.article_versions(conn, urls)
        try:
            summary, report.index = _update(spool_dir(db_path), db_path)
        except pipeline.IngestError as err:  # another ingest holds the archive (Ctrl-C is not caught here)
            # The spooled files stay, still marked unstored: the next cycle ingests them.
            report.ingest_error = str(err)
            log.warning("feed items not stored this cycle: %s", err)
            return
        except Exception as err:  # the articles may be stored but not searchable: said, and retried next cycle
            log.exception("updating the archive from the feed spool failed")
            report.ingest_error = f"{type(err).__name__}: {err}"
            return
        after = store.article_versions(conn, urls)
        for url in urls:
            if url not in after:
                continue
            if url not in before:
                report.new_ids.append(after[url][0])
            elif before[url][:2] != after[url][:2]:
                report.updated_ids.append(after[url][0])
        by_path = {row["spool_path"]: row["url"] for row in pending}
        for problem in summary.problems:
            url = by_path.get(problem.path)
            if url is not None:
                report.stored_problems.append({"url": url, "reason": problem.reason})
        store.mark_feed_items_stored(conn, [row["id"] for row in pending])
    finally:
        conn.close()


async def _poll(conn: sqlite3.Connection, spool: Path, options: WatchOptions, now: datetime) -> CycleReport:
    """Check every feed (a few at a time) with one HTTP session; each feed's failure stays its own."""
    report = CycleReport()
    feeds = store.list_feeds(conn)
    gate = asyncio.Semaphore(max(1, options.concurrency))
    async with Fetcher(options.policy) as fetcher:
        checker = _FeedCheck(conn, fetcher, spool, options, now)

        async def one(feed: sqlite3.Row) -> FeedReport:
            async with gate:
                try:
                    return await checker.run(feed)
                except Exception as err:  # a bug on one feed must not lose the cycle's other feeds
                    log.exception("checking feed %s failed", feed["url"])
                    return FeedReport(feed["url"], _name(feed), "failed", f"{type(err).__name__}: {err}")

        report.feeds = list(await asyncio.gather(*(one(feed) for feed in feeds)))
    return report


def _name(feed: sqlite3.Row | dict[str, Any]) -> str:
    return feed["name"] or feed["title"] or urlsplit(feed["url"]).hostname or feed["url"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class _FeedCheck:
    """Checks feeds for one cycle: conditional GET, new and changed items, retries, backoff."""

    def __init__(
        self, conn: sqlite3.Connection, fetcher: Fetcher, spool: Path, options: WatchOptions, now: datetime
    ) -> None:
        self.conn = conn
        self.fetcher = fetcher
        self.spool = spool
        self.options = options
        self.now = now
        self.stamp = _iso(now)

    def backoff(self, failures: int) -> str:
        delay = min(self.options.retry_base * 2 ** max(0, failures - 1), self.options.max_backoff)
        return _iso(self.now + timedelta(seconds=delay))

    async def run(self, feed: sqlite3.Row) -> FeedReport:
        """Check one feed and read its new items; the feed's row records the outcome."""
        report = FeedReport(feed["url"], _name(feed))
        if feed["next_attempt_at"] and feed["next_attempt_at"] > self.stamp:
            report.status = "waiting"
            report.reason = f"retried after {feed['next_attempt_at']} (last: {feed['last_status']})"
            return report
        headers = {}
        if feed["etag"]:
            headers["If-None-Match"] = feed["etag"]
        if feed["last_modified"]:
            headers["If-Modified-Since"] = feed["last_modified"]
        complete = True
        try:
            response = await self.fetcher.get(feed["url"], headers=headers, max_bytes=self.options.policy.feed_bytes)
            if response.status == 304:
                report.status = "not modified"
            else:
                complete = await self.read_entries(feed, response, report)
        except FetchError as err:
            return self.failed(feed, report, str(err))
        await self.retry_items(feed, report)
        values: dict[str, Any] = {"last_checked": self.stamp, "last_status": report.status}
        values.update(failures=0, next_attempt_at=None)
        if report.status == "ok" and complete:
            # Validators are kept only once every item was read, so a capped cycle fetches the feed again.
            values.update(etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
        store.record_feed_check(self.conn, feed["id"], **values)
        return report

    def failed(self, feed: sqlite3.Row, report: FeedReport, reason: str) -> FeedReport:
        failures = feed["failures"] + 1
        retry = self.backoff(failures)
        log.warning("feed %s failed (%d in a row): %s; next try after %s", feed["url"], failures, reason, retry)
        store.record_feed_check(
            self.conn, feed["id"], last_checked=self.stamp, last_status=reason, failures=failures, next_attempt_at=retry
        )
        report.status, report.reason = "failed", reason
        return report

    async def read_entries(self, feed: sqlite3.Row, response: Response, report: FeedReport) -> bool:
        """Parse the feed and spool its new and changed items; False when some were left for the next cycle.

        Raises:
            FetchError: the document is not a feed.
        """
        parsed = await asyncio.to_thread(_parse_feed, response)
        title = normalise((parsed.get("feed") or {}).get("title") or "") or None
        if title and title != feed["title"]:
            store.record_feed_check(self.conn, feed["id"], title=title)
        name = feed["name"] or title or _name(feed)
        report.name = name
        known = store.feed_items(self.conn, feed["id"])
        seen: list[str] = []
        handled: set[str] = set()
        budget = self.options.max_items
        for entry in parsed.get("entries") or []:
            fields = entry_fields(entry, response.url)
            if fields is None:
                continue
            url, digest = fields["url"], entry_hash(fields)
            if url in seen or url in handled:
                continue  # the same link twice in one feed is one item
            row = known.get(url)
            if row is not None and (row["entry_hash"] == digest or row["status"] != store.FEED_ITEM_SPOOLED):
                seen.append(url)  # unchanged, or failed and retried on its own schedule
                continue
            if budget <= 0:
                return False
            budget -= 1
            handled.add(url)
            outcome = await self.read_item(feed["id"], name, fields, digest, row)
            if outcome == "spooled":
                report.new += row is None
                report.updated += row is not None
            else:
                report.items_failed.append({"url": url, "reason": outcome})
        store.touch_feed_items(self.conn, feed["id"], seen, self.stamp)
        return True

    async def retry_items(self, feed: sqlite3.Row, report: FeedReport) -> None:
        """Try again the feed's items that failed before and whose backoff has passed."""
        done = {i["url"] for i in report.items_failed}
        for row in store.feed_items_to_retry(self.conn, self.stamp):
            if row["feed_id"] != feed["id"] or row["url"] in done:
                continue
            fields = json.loads(row["entry"])
            outcome = await self.read_item(feed["id"], report.name, fields, row["entry_hash"], row)
            if outcome == "spooled":
                report.new += 1
            else:
                report.items_failed.append({"url": row["url"], "reason": outcome})

    async def read_item(
        self, feed_id: int, name: str, fields: dict[str, Any], digest: str, row: sqlite3.Row | None
    ) -> str:
        """Get one item's text (from the feed or its page), spool it; returns "spooled" or the failure reason."""
        url = fields["url"]
        try:
            article = await self.item_text(fields)
        except FetchError as err:
            failures = (row["failures"] if row is not None else 0) + 1
            gave_up = failures >= ITEM_ATTEMPTS
            status = store.FEED_ITEM_GAVE_UP if gave_up else store.FEED_ITEM_FAILED
            retry = None if gave_up else self.backoff(failures)
            log.warning("feed item %s failed (%d): %s", url, failures, err)
            store.save_feed_item(
                self.conn, feed_id, url, entry_hash=digest, entry=fields, status=status, now=self.stamp,
                reason=str(err), failures=failures, next_attempt_at=retry,
            )  # fmt: skip
            return str(err) + (" (given up)" if gave_up else "")
        path = self.spool / str(feed_id) / f"{hashlib.sha1(url.encode()).hexdigest()}.json"
        write_record(path, spool_record(fields, article, name))
        store.save_feed_item(
            self.conn, feed_id, url, entry_hash=digest, entry=fields, status=store.FEED_ITEM_SPOOLED,
            now=self.stamp, spool_path=str(path.resolve()),
        )  # fmt: skip
        return "spooled"

    async def item_text(self, fields: dict[str, Any]) -> Article | list[str]:
        """The item's full text: the feed's own content when it is long enough, else its page, extracted.

        Returns:
            The page's Article, or the feed content's paragraphs.

        Raises:
            FetchError: the page could not be fetched, is not HTML, or has no article text (and the feed has none).
        """
        own = content_paragraphs(fields.get("content") or "")
        if sum(len(p.split()) for p in own) >= FULL_TEXT_WORDS:
            return own
        response = await self.fetcher.get(fields["url"], max_bytes=self.options.policy.page_bytes)
        if response.status == 304 or (response.content_type and response.content_type not in HTML_TYPES):
            raise FetchError(f"not an HTML page ({response.content_type or 'no content type'})")
        got = await asyncio.to_thread(html_article, response.body, fields["url"], url=response.url)
        if isinstance(got, Problem):
            fallback = own or content_paragraphs(fields.get("summary") or "")
            if fallback:
                return fallback  # the page had no readable text: the feed's own words are better than nothing
            raise FetchError(got.reason)
        return got


def _parse_feed(response: Response) -> Any:
    """feedparser's result for a fetched document; FetchError when it is not a feed at all."""
    import feedparser

    # A file-like object: given bytes or a string, feedparser may treat them as a path or URL and open it.
    headers = {"content-type": response.headers.get("content-type", ""), "content-location": response.url}
    parsed = feedparser.parse(io.BytesIO(response.body), response_headers=headers)
    if not parsed.get("entries") and parsed.get("bozo"):
        raise FetchError(f"not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
    return parsed


def entry_fields(entry: Any, base: str) -> dict[str, Any] | None:
    """What is kept of a feedparser entry (JSON-serialisable), with its canonical URL; None when it has no link.

    Args:
        entry: one of feedparser's entries.
        base: the feed's URL, against which relative links are resolved.

    Returns:
        ``{url, title, published, updated, authors, content, summary}``.
    """
    link = entry.get("link") or ""
    if not link and str(entry.get("id") or "").startswith(("http://", "https://")):
        link = entry["id"]
    if not link:
        return None
    url = normalise_url(urljoin(base, link))
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    contents = [c.get("value") or "" for c in entry.get("content") or []]
    # dict.get: feedparser's own get maps a missing "updated" to "published" with a deprecation warning.
    published = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    authors = [a.get("name") for a in entry.get("authors") or [] if a.get("name")] or entry.get("author") or []
    return {
        "url": url,
        "title": normalise(entry.get("title") or ""),
        "published": datetime(*published[:6], tzinfo=UTC).isoformat() if published else None,
        "updated": dict.get(entry, "updated") or None,
        "authors": split_authors(authors),
        "content": max(contents, key=len, default=""),
        "summary": entry.get("summary") or "",
    }


def entry_hash(fields: dict[str, Any]) -> str:
    """A hash of an entry's fields: a change means the item was updated and is read again."""
    return hashlib.sha1(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def content_paragraphs(markup: str) -> list[str]:
    """The paragraphs of a feed entry's content or summary (HTML or plain text)."""
    if not markup.strip():
        return []
    return html_fragment_paragraphs(markup)


def spool_record(fields: dict[str, Any], text: Article | list[str], outlet: str) -> dict[str, Any]:
    """The JSON record the file pipeline reads for one item: its URL is its id, the feed's outlet its source."""
    if isinstance(text, Article):
        paragraphs, title = text.paragraphs, fields["title"] or text.title
        published, authors = fields["published"] or text.published, fields["authors"] or text.authors
    else:
        paragraphs, title, published, authors = text, fields["title"], fields["published"], fields["authors"]
    return {
        "id": fields["url"],
        "url": fields["url"],
        "title": title,
        "text": "\n\n".join(paragraphs),
        "source": outlet,
        "date": published,
        "authors": authors,
    }


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write a JSON record atomically (a temporary file renamed over it), so an ingest never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temp, path)
