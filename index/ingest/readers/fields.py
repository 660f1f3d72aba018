"""Field mapping for structured records (JSON, feeds, front matter): ids, dates, outlets, authors, links."""

from __future__ import annotations

import re
from typing import Any

# The one publication-date parser lives in index.dates; readers know it by this name.
from index.dates import normalise_published as parse_date

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

_BY = re.compile(r"^\s*(?:written\s+)?by[:\s]+", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||,\s*and\s+|\s+and\s+|\s+&\s+|,)\s*")


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
