"""Where the search postings live beside the database, and which generation is in service (no numpy needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path

INDEX_SUFFIX = ".index"
CURRENT_FILE = "CURRENT"
GEN_RE = re.compile(r"gen-(\d+)")


def index_dir(db_path: str | os.PathLike[str]) -> Path:
    """The folder beside the database that holds the postings generations (``<db>.index``)."""
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
