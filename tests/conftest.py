"""Shared fixtures: temporary databases and the optional ../shared/data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import pg, stores

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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server for the session: `.ci/run`'s (NEWSBOT_TEST_PG), else one started from the local install.

    Without PostgreSQL on the machine the tests that need it are skipped with a message, except where
    NEWSBOT_REQUIRE_PG=1 (CI), where that is a failure.
    """
    if not os.environ.get(pg.URL_ENV) and pg.binaries() is None:
        message = "PostgreSQL is not installed here (no initdb): install it or set NEWSBOT_TEST_PG=postgresql://…"
        if os.environ.get(pg.REQUIRE_ENV) == "1":
            pytest.fail(message)
        pytest.skip(message)
    with pg.server() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database for one test (dropped afterwards)."""
    with pg.fresh_database(pg_server) as url:
        yield url


@pytest.fixture(params=stores.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> stores.StoreUnderTest:
    """A fresh, empty archive store on each backend in turn: a SQLite file, then a PostgreSQL database (``pg_url``)."""
    if request.param == "sqlite":
        return stores.StoreUnderTest("sqlite", tmp_path / "news.db")
    return stores.StoreUnderTest("postgresql", request.getfixturevalue("pg_url"))
