"""Readers for web formats: HTML pages (trafilatura), RSS/Atom feeds (feedparser), Markdown with front matter."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.ingest.clean.text import clean_paragraphs, drop_title_repeat, normalise, split_paragraphs
from index.ingest.readers.fields import authors_of, id_of, outlet_of, parse_date, published_of, split_authors, url_of
from index.ingest.readers.io import (
    MAX_ARTICLE_CHARS,
    MAX_FEED_BYTES,
    MAX_HTML_BYTES,
    MAX_TEXT_BYTES,
    Unreadable,
    read_capped,
    read_document,
    read_text_file,
)
from index.models import Article, Problem

log = logging.getLogger(__name__)

# Markup that plain text does not contain: a closing tag, a line break or a paragraph ("a<b and c>d" is not HTML).
_HTML_HINT = re.compile(
    r"</(?:p|div|span|a|li|ul|ol|h[1-6]|figure|blockquote|strong|em|b|i|table)>|<br\s*/?>|<p[\s>]", re.IGNORECASE
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    | {"table", "tr", "td", "th", "section", "article", "header", "footer", "aside", "figure", "figcaption", "hr"}
    | {"address", "main", "nav", "details", "summary"}
)
# Front matter is a few lines of metadata. YAML aliases can make a few hundred bytes expand into gigabytes (an
# "alias bomb"), so front matter that is large or uses more than a handful of aliases is not parsed at all.
FRONT_MATTER_BYTES = 64 * 1024
MAX_YAML_ALIASES = 16
_FRONT_MATTER = re.compile(r"\A-{3,}[ \t]*\r?\n(.*?)^-{3,}[ \t]*$", re.S | re.M)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "template", "button", "form")

# trafilatura's options: no comments (reader comments are not the article), tables kept (results, figures).
# favor_recall: on the newspaper test pages it loses less story text at no cost in precision (macro F1 0.80
# against 0.79 balanced and 0.80 favor_precision; `python bench/boilerplate.py --options` compares them).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_precision": False,
    "favor_recall": True,
}


def looks_like_html(text: str) -> bool:
    """True when a text field holds HTML markup rather than plain text (feeds and some JSON exports do)."""
    return "<" in text and _HTML_HINT.search(text[:5000]) is not None


def html_fragment_paragraphs(markup: str) -> list[str]:
    """Plain-text paragraphs of an HTML fragment: block elements and line breaks separate paragraphs.

    Scripts, styles and embedded objects are dropped, images vanish (they have no text), links keep their text.

    Args:
        markup: an HTML fragment or document.

    Returns:
        Normalised, non-empty paragraphs.
    """
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return split_paragraphs(normalise(re.sub(r"<[^>]+>", " ", markup)))
    for bad in list(root.iter(*_DROP_TAGS)):
        if bad.getparent() is not None:
            bad.drop_tree()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif tag in _BLOCK_TAGS:
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
    text = normalise(root.text_content())
    # Single line breaks inside a paragraph (from <br>) stay separate lines only when there are no blocks.
    return split_paragraphs(text)


# --- HTML pages ---------------------------------------------------------------------------------------------


def read_html(path: Path) -> Iterator[Article | Problem]:
    """One article from an HTML page: main text, title, date, author, URL and site name via trafilatura."""
    data = read_document(path, MAX_HTML_BYTES, "HTML page")  # bytes: trafilatura finds the page's encoding
    yield html_article(data, str(path))


def html_article(data: bytes | str, where: str, *, url: str | None = None) -> Article | Problem:
    """One article from an HTML document held in memory (a saved page, or one fetched from a feed item's link).

    Args:
        data: the page; bytes let trafilatura find its encoding.
        where: the file or URL it came from, for the article's source id and for Problems.
        url: the page's address, used when the page does not name its own canonical URL.

    Returns:
        The Article, or a Problem: "skip" when the page has no article text, "error" when it is too large.
    """
    import trafilatura
    from trafilatura.settings import set_date_params

    # No extensive date search: its last resort runs dateparser over every locale, which costs seconds on a
    # page without a date; the page's meta tags, URL and time elements are still read.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about time zone names it cannot map ("EST")
        doc = trafilatura.bare_extraction(
            data, url=url, with_metadata=True, date_extraction_params=set_date_params(False), **TRAFILATURA_OPTIONS
        )
    text = doc.text if doc is not None else None
    if not text or not text.strip():
        return Problem(
            where, "no article text found in the HTML (a front page, a redirect or a script-only page)", level="skip"
        )
    if len(text) > MAX_ARTICLE_CHARS:
        return Problem(where, f"too large: {len(text):,} characters of text in one page")
    cleaned = clean_paragraphs([normalise(line) for line in text.split("\n") if line.strip()])
    extra: dict[str, Any] = dict(cleaned.extra)
    for key in ("description", "language", "categories", "tags", "hostname", "license", "pagetype"):
        value = getattr(doc, key, None)
        if value:
            extra[key] = value
    title = normalise(doc.title or "")
    cleaned.paragraphs = drop_title_repeat(title, cleaned.paragraphs)
    if not cleaned.paragraphs:
        return Problem(where, "only boilerplate text in the HTML", level="skip")
    return Article(
        source_id=where,
        title=title,
        paragraphs=cleaned.paragraphs,
        outlet=doc.sitename or doc.hostname or cleaned.outlet,
        published=parse_date(doc.date),
        url=doc.url or url or None,
        authors=split_authors(doc.author) if doc.author else [],
        origin_path=where,
        reader="html",
        extra=extra,
    )


# --- Markdown -----------------------------------------------------------------------------------------------


def markdown_paragraphs(text: str) -> tuple[list[str], str | None]:
    """Plain-text paragraphs of a Markdown body, and its first level-1 heading.

    Markup goes (heading marks, emphasis, code marks), links keep their text, images are dropped; each heading,
    list item and paragraph becomes one paragraph.

    Args:
        text: Markdown source without front matter.

    Returns:
        ``(paragraphs, h1)``; h1 is None when the body has no level-1 heading.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    tokens = md.parse(text)
    paragraphs: list[str] = []
    h1: str | None = None
    in_h1 = False
    for tok in tokens:
        if tok.type == "heading_open":
            in_h1 = tok.tag == "h1"
        elif tok.type == "heading_close":
            in_h1 = False
        elif tok.type == "inline":
            piece = _inline_text(tok.children or [])
            piece = normalise(piece)
            if not piece:
                continue
            if in_h1 and h1 is None:
                h1 = piece
                continue
            paragraphs.append(" ".join(piece.split("\n")))
        elif tok.type in ("fence", "code_block"):
            piece = normalise(tok.content)
            if piece:
                paragraphs.append(piece)
        elif tok.type == "html_block":
            paragraphs.extend(html_fragment_paragraphs(tok.content))
    return paragraphs, h1


def _inline_text(children: list[Any]) -> str:
    """The text of an inline token's children: text and code spans kept, images and markup dropped."""
    out: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "html_inline":
            continue
    return "".join(out)


class UnsafeFrontMatter(ValueError):
    """Front matter too large, or with too many YAML aliases, to parse safely."""


def _check_front_matter(text: str) -> None:
    """Refuse front matter that could cost far more to parse than its size suggests (before YAML expands it).

    Raises:
        UnsafeFrontMatter: it is over FRONT_MATTER_BYTES, or uses more than MAX_YAML_ALIASES aliases.
    """
    import yaml

    match = _FRONT_MATTER.match(text)
    if match is None:
        return
    block = match.group(1)
    if len(block) > FRONT_MATTER_BYTES:
        raise UnsafeFrontMatter(f"it is over {FRONT_MATTER_BYTES // 1024} KB")
    aliases = 0
    try:
        # The scanner only tokenizes: nothing is expanded, so counting aliases here is cheap and bounded.
        for token in yaml.scan(block, Loader=yaml.SafeLoader):
            aliases += isinstance(token, yaml.AliasToken)
            if aliases > MAX_YAML_ALIASES:
                raise UnsafeFrontMatter(f"it uses more than {MAX_YAML_ALIASES} YAML aliases")
    except yaml.YAMLError:
        return  # malformed: the YAML parser reports it as usual


def read_markdown(path: Path) -> Iterator[Article | Problem]:
    """One article from Markdown with optional YAML front matter (title, date, source, url, authors, id)."""
    import frontmatter

    text, extra = read_text_file(path, MAX_TEXT_BYTES, "Markdown page")
    try:
        _check_front_matter(text)
        post = frontmatter.loads(text)
        meta: dict[str, Any] = dict(post.metadata)
        body = post.content
    except UnsafeFrontMatter as err:
        yield Problem(str(path), f"front matter not read: {err}; body read without it")
        meta, body = {}, _FRONT_MATTER.sub("", text, count=1)
    except Exception as err:  # YAML errors come in several exception types; the body is still worth reading
        yield Problem(str(path), f"front matter could not be read ({type(err).__name__}); body read without it")
        meta, body = {}, re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    paragraphs, h1 = markdown_paragraphs(body)
    cleaned = clean_paragraphs(paragraphs)
    if not cleaned.paragraphs:
        yield Problem(str(path), "nothing to index: the Markdown body is empty", level="skip")
        return
    title = meta.get("title") or meta.get("headline") or h1 or ""
    published, raw_date = published_of(meta)
    extra.update(cleaned.extra)
    if raw_date is not None and published is None:
        extra["date_raw"] = str(raw_date)
    for key in ("category", "categories", "tags", "description"):
        if meta.get(key):
            extra[key] = _jsonable(meta[key])
    yield Article(
        source_id=id_of(meta) or str(path),
        title=normalise(str(title)),
        paragraphs=cleaned.paragraphs,
        outlet=outlet_of(meta) or cleaned.outlet,
        published=published,
        url=url_of(meta),
        authors=authors_of(meta),
        origin_path=str(path),
        reader="markdown",
        extra=extra,
    )


def _jsonable(value: Any) -> Any:
    """Front matter values as JSON-serialisable data (YAML gives dates and other objects)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# --- RSS / Atom feeds ---------------------------------------------------------------------------------------


def read_feed(path: Path) -> Iterator[Article | Problem]:
    """One article per RSS/Atom item: its content (or summary) as text, date, link, author; feed title as outlet."""
    import feedparser

    where = str(path)
    data = read_capped(path, MAX_FEED_BYTES, "feed")
    if not data.strip():
        raise Unreadable("empty file")
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            reason = f"not a readable RSS/Atom feed ({parsed.get('bozo_exception')})"
            yield Problem(where, reason)
        else:
            yield Problem(where, "feed has no items", level="skip")
        return
    if parsed.get("bozo"):
        log.info("%s: feed is not well-formed (%s); read what could be parsed", where, parsed.get("bozo_exception"))
    feed = parsed.get("feed") or {}
    feed_title = normalise(feed.get("title") or "") or None
    for n, entry in enumerate(entries, start=1):
        try:
            yield _feed_item(entry, n, where, feed_title)
        except Exception as err:  # one odd item must not lose the rest of the feed
            log.exception("feed reader failed on %s item %d", where, n)
            yield Problem(where, f"reader failed: {type(err).__name__}: {err}", line=n)


def _feed_item(entry: Any, n: int, where: str, feed_title: str | None) -> Article | Problem:
    """Map one feedparser entry to an Article (or a skip Problem when it has no text)."""
    title = normalise(entry.get("title") or "")
    candidates: list[tuple[str, str]] = [
        (c.get("value") or "", c.get("type") or "") for c in entry.get("content") or []
    ]
    summary = entry.get("summary") or ""
    if summary:
        candidates.append((summary, (entry.get("summary_detail") or {}).get("type") or "text/html"))
    body, kind = max(candidates, key=lambda c: len(c[0]), default=("", ""))
    if not body.strip():
        what = f"item {title[:60]!r}" if title else "item"
        return Problem(where, f"{what} has no content or summary", line=n, level="skip")
    if len(body) > MAX_ARTICLE_CHARS:
        return Problem(where, f"too large: {len(body):,} characters in one item", line=n)
    if "html" in kind or looks_like_html(body):
        paragraphs = html_fragment_paragraphs(body)
    else:
        paragraphs = split_paragraphs(normalise(body))
    cleaned = clean_paragraphs(paragraphs)
    if not cleaned.paragraphs:
        return Problem(where, "item has only boilerplate text", line=n, level="skip")
    raw_date = entry.get("published") or entry.get("updated") or entry.get("dc_date")
    published = parse_date(raw_date) if raw_date else None
    extra: dict[str, Any] = dict(cleaned.extra)
    if raw_date and published is None:
        extra["date_raw"] = raw_date
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["tags"] = tags
    authors = split_authors([a.get("name") for a in entry.get("authors") or [] if a.get("name")])
    if not authors and entry.get("author"):
        authors = split_authors(entry.get("author"))
    source = entry.get("source") or {}
    return Article(
        source_id=str(entry.get("id") or "").strip() or f"{where}#{n}",
        title=title,
        paragraphs=cleaned.paragraphs,
        outlet=feed_title or normalise(source.get("title") or "") or cleaned.outlet,
        published=published,
        url=entry.get("link") or None,
        authors=authors,
        origin_path=where,
        origin_line=n,
        reader="feed",
        extra=extra,
    )
