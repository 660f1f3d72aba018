"""Placeholder: the postings index (search issue) replaces this module."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def rebuild(db_path: Path, *, progress: bool = True) -> None:
    """Rebuild the search postings from the store's passages (not implemented yet)."""
    log.warning("search postings are not built yet (%s)", db_path)
