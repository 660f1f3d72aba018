"""The store under test, on either backend: its locator, its functions, and raw reads for the tests' assertions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from index import store as _store

BACKENDS = ("sqlite", "postgresql")


@dataclass
class StoreUnderTest:
    """A fresh, empty database of one backend. ``store.find_original(conn, ...)`` and the like reach
    :mod:`index.store` (which dispatches on the connection), so a test reads the same on both backends."""

    kind: str  # "sqlite" | "postgresql"
    locator: Path | str  # the SQLite file, or the postgresql:// URL

    def connect(self, **kwargs: Any) -> Any:
        return _store.connect(self.locator, **kwargs)

    @property
    def module(self) -> ModuleType:
        """The backend module itself (index.store.sqlite or index.store.postgres), e.g. to patch its MIGRATIONS."""
        return _store.backend(self.locator)

    def __getattr__(self, name: str) -> Any:
        return getattr(_store, name)

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one query on a connection of its own; ``?`` placeholders on both backends."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.locator)
            try:
                return [tuple(r) for r in conn.execute(sql, args)]
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(str(self.locator), autocommit=True) as conn:
            cur = conn.execute(sql.replace("?", "%s"), args) if args else conn.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def count(self, table: str, where: str = "TRUE") -> int:
        return int(self.rows(f"SELECT count(*) FROM {table} WHERE {where}")[0][0])

    def schema_version(self) -> int:
        if self.kind == "sqlite":
            return int(self.rows("PRAGMA user_version")[0][0])
        return int(self.rows("SELECT max(version) FROM store_schema")[0][0])

    def tables(self) -> set[str]:
        if self.kind == "sqlite":
            return {r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = self.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in found} - {"store_schema"}

    def set_schema_version(self, version: int) -> None:
        """Mark the database as migrated to ``version`` (as a newer newsbot would have left it)."""
        if self.kind == "sqlite":
            self.rows(f"PRAGMA user_version = {int(version)}")
        else:
            self.rows("UPDATE store_schema SET version = ?", (version,))
