"""File access for the readers: gzip, size caps, binary detection and text decoding."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Any

# One article's text above this is not a news article (a log, a dump, a book); it is reported, not indexed.
MAX_ARTICLE_CHARS = 5_000_000
# Raw bytes read for a one-article file: HTML carries markup, so it may be larger than its text.
MAX_TEXT_BYTES = 5_000_000
MAX_HTML_BYTES = 30_000_000
MAX_FEED_BYTES = 50_000_000
# A JSON document (not JSON lines) must be parsed whole; beyond this it belongs in JSONL.
MAX_JSON_BYTES = 300_000_000
MAX_JSONL_LINE = MAX_ARTICLE_CHARS + 1_000_000

SNIFF_BYTES = 8192
GZIP_MAGIC = b"\x1f\x8b"
# Text encodings announced by a byte-order mark; their NUL bytes do not make a file binary.
_BOMS: list[tuple[bytes, str]] = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]
_MAGIC_KINDS: list[tuple[bytes, str]] = [
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ", "xz archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"SQLite format 3", "SQLite database"),
    (b"\x7fELF", "executable"),
]


class Unreadable(Exception):
    """Raised inside a reader for input that cannot be used at all; read_path turns it into one Problem."""


def read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with open(path, "rb") as raw:
        first = raw.read(size)
    if first.startswith(GZIP_MAGIC):
        with gzip.open(path, "rb") as gz:
            try:
                first = gz.read(size)
            except EOFError:
                first = b""
    return first


def binary_kind(head: bytes) -> str | None:
    """Say what binary data this is ("PDF", "binary data"), or None when it looks like text."""
    if not head:
        return None
    for magic, kind in _MAGIC_KINDS:
        if head.startswith(magic):
            return kind
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    if b"\x00" in head:
        return "binary data"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return "binary data" if controls > len(head) * 0.05 else None


def decode(data: bytes, partial: bool = False) -> tuple[str, str]:
    """Decode bytes: a BOM's encoding, else UTF-8, else what charset-normalizer detects.

    Returns:
        ``(text, encoding)``. Raises UnicodeError when no encoding fits.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace" if partial else "strict"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        # A sniffed head can cut a multi-byte character at its end; that is not an encoding problem.
        if partial and err.start >= len(data) - 4:
            return data[: err.start].decode("utf-8"), "utf-8"
    from charset_normalizer import from_bytes  # only for the rare non-UTF-8 file

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise UnicodeError("not UTF-8 and no other text encoding fits")
    return str(best), best.encoding


class Source:
    """A file opened for reading, gzip or not; closes both layers."""

    def __init__(self, path: Path) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        try:
            magic = self.raw.read(2)
            self.raw.seek(0)
        except BaseException:
            self.raw.close()
            raise
        self.gzip = magic == GZIP_MAGIC
        self.stream: IO[bytes] = gzip.GzipFile(fileobj=self.raw, mode="rb") if self.gzip else self.raw

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.close()


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """The whole (decompressed) content of a file, refusing more than ``limit`` bytes."""
    with Source(path) as src:
        data = src.stream.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"too large: over {limit // 1_000_000} MB for one {what}; split it into smaller files")
    return data


def read_document(path: Path, limit: int, what: str) -> bytes:
    """The whole (decompressed) bytes of a one-document file. Raises Unreadable for too large, empty or binary."""
    data = read_capped(path, limit, what)
    if not data.strip():
        raise Unreadable("empty file")
    kind = binary_kind(data[:SNIFF_BYTES])
    if kind:
        raise Unreadable(f"not text ({kind}); convert it to text, HTML or JSON first")
    return data


def read_text_file(path: Path, limit: int, what: str) -> tuple[str, dict[str, Any]]:
    """Read, check and decode a one-document file. Raises Unreadable for empty, binary or undecodable input."""
    data = read_document(path, limit, what)
    try:
        text, encoding = decode(data)
    except UnicodeError as err:
        raise Unreadable(f"cannot decode the text ({err}); save it as UTF-8") from None
    extra: dict[str, Any] = {}
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        extra["encoding"] = encoding
    return text, extra
