"""Field mapping for structured records (JSON, feeds, front matter): ids, dates, outlets, authors, links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

ID_KEYS = ("id", "_id", "guid", "uuid", "article_id", "doc_id")
TEXT_KEYS = ("text", "body", "content", "article", "article_text", "full_text", "maintext", "description", "summary")
OUTLET_KEYS = ("source", "outlet", "publisher", "site", "site_name", "sitename", "source_domain", "domain")
DATE_KEYS = (
    "date",
    "published",
    "published_at",
    "publishedAt",
    "pubDate",
    "pub_date",
    "datePublished",
    "date_published",
    "publish_date",
    "created_at",
    "timestamp",
)
URL_KEYS = ("url", "link", "canonical_url", "canonical", "href", "source_url")
AUTHOR_KEYS = ("authors", "author", "byline", "creator", "creators")
CONTAINER_KEYS = ("articles", "items", "data", "results", "entries", "posts", "documents", "records", "stories", "news")

_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_DIGITS = re.compile(r"^-?\d{9,13}(?:\.\d+)?$")
_BY = re.compile(r"^\s*(?:written\s+)?by[:\s]+", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||,\s*and\s+|\s+and\s+|\s+&\s+|,)\s*")
# Earliest and latest plausible publication years; outside them an epoch number is more likely an id.
_YEAR_MIN, _YEAR_MAX = 1800, 2200


def first_str(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first non-empty string among ``keys`` (numbers are turned into strings).

    Args:
        record: a decoded JSON object.
        keys: field names in order of preference.

    Returns:
        The stripped value, or None.
    """
    for key in keys:
        found = _as_str(record.get(key))
        if found:
            return found
    return None


def _as_str(value: Any) -> str | None:
    """A string or number as a stripped string; None for anything else (booleans too) and blank strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def id_of(record: dict[str, Any]) -> str | None:
    """The record's own id (as a string), or None; a MongoDB export's ``{"$oid": "..."}`` gives its value."""
    for key in ID_KEYS:
        value = record.get(key)
        if isinstance(value, dict) and len(value) == 1:
            value = next(iter(value.values()))
        found = _as_str(value)
        if found:
            return found
    return None


def url_of(record: dict[str, Any]) -> str | None:
    """The record's link; a dict or list of links gives its first "href"/"url"."""
    for key in URL_KEYS:
        value = record.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("href") or value.get("url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def outlet_of(record: dict[str, Any]) -> str | None:
    """The outlet: source/outlet/publisher/site/site_name, taking a dict's "name" (or "title"/"domain")."""
    for key in OUTLET_KEYS:
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("title") or value.get("domain") or value.get("id")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def authors_of(record: dict[str, Any]) -> list[str]:
    """Author names from authors/author/byline: a string ("By A and B"), a list, or dicts with a "name"."""
    for key in AUTHOR_KEYS:
        names = split_authors(record.get(key))
        if names:
            return names
    return []


def split_authors(value: Any) -> list[str]:
    """Author names from one field value (string, list of strings, dict or list of dicts with "name").

    Args:
        value: the raw field.

    Returns:
        Names in order, without "By", duplicates or empty strings.
    """
    raw: list[str] = []
    if isinstance(value, str):
        raw = _AUTHOR_SPLIT.split(_BY.sub("", value.strip()))
    elif isinstance(value, dict):
        raw = [str(value.get("name") or "")]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                raw.append(str(item.get("name") or ""))
            elif isinstance(item, str):
                raw.append(_BY.sub("", item))
    names: list[str] = []
    for name in raw:
        name = " ".join(name.split()).strip(" ,;")
        if name and name not in names and len(name) <= 100:
            names.append(name)
    return names


def published_of(record: dict[str, Any]) -> tuple[str | None, Any]:
    """The record's publication date, normalised, and the raw value it came from.

    Returns:
        ``(iso, raw)``: iso is None when there is no date or it cannot be read; raw is None when the record has
        no date field at all.
    """
    for key in DATE_KEYS:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return parse_date(value), value
    return None, None


def parse_date(value: Any) -> str | None:
    """Normalise a publication date to ISO 8601.

    Accepts "2022/01/07", ISO dates and datetimes ("2022-01-07T10:00:00Z"), RFC 822 ("Fri, 07 Jan 2022
    10:00:00 +0000", as in feeds), epoch seconds (or milliseconds) as number or string, ``date``/``datetime``
    objects, and written dates ("January 7, 2022").

    Args:
        value: the raw value.

    Returns:
        "YYYY-MM-DD" when only the day is known (or the time is exactly midnight without a zone), a datetime
        "YYYY-MM-DDTHH:MM:SS+HH:MM" when the time is known (without offset when the source gives none), or
        None when the value is empty or cannot be read as a plausible date.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    return _parse_date_text(text)


@lru_cache(maxsize=4096)
def _parse_date_text(text: str) -> str | None:
    """parse_date for strings; cached because collections repeat the same few thousand dates."""
    m = _YMD.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if _DIGITS.match(text):
        return _from_epoch(float(text))
    try:
        return _iso(datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text))
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():
        try:
            return _iso(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            pass
    return _dateparser(text)


def _dateparser(text: str) -> str | None:
    """Last resort for written dates; dateparser is slow, so it only sees what the fast paths could not read."""
    import dateparser  # imported lazily: it takes a second to load its language data

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"STRICT_PARSING": True, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    return _iso(parsed) if parsed else None


def _from_epoch(seconds: float) -> str | None:
    """An epoch timestamp in seconds (or milliseconds, when it is too big for seconds) as UTC ISO."""
    if abs(seconds) > 1e11:
        seconds /= 1000
    try:
        return _iso(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _iso(moment: datetime) -> str | None:
    """ISO text for a datetime: a plain date when no time is known, else with its offset if it has one."""
    if not _YEAR_MIN <= moment.year <= _YEAR_MAX:
        return None
    if moment.tzinfo is None and moment.time() == time(0, 0):
        return moment.date().isoformat()
    return moment.replace(microsecond=0).isoformat()


def list_in_container(doc: Any) -> list[Any] | None:
    """The list of records in a JSON document: the document itself, or a list under a usual key.

    Returns:
        The list, or None when the document is a single record (or holds no list of objects).
    """
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        return None
    if any(isinstance(doc.get(k), str) and doc.get(k) for k in TEXT_KEYS[:7]):
        return None  # the document is itself an article
    for key in CONTAINER_KEYS:
        value = doc.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            inner = list_in_container(value)
            if inner is not None:
                return inner
    for value in doc.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:10]):
            return value
    return None
