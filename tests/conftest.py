"""Shared fixtures: temporary databases and the optional ../shared/data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
CORPUS = ROOT / "corpus"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a skip that says why: the real-news data is not part of the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-news data not found at {SHARED_DATA} (it sits beside the project in ../shared/data)")
    return SHARED_DATA


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database path in a temporary folder (the file is created on first connect)."""
    return tmp_path / "news.db"
