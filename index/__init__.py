"""newsbot's library: read, clean, split, tokenize and store news articles, then search them and compose answers."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

logging.getLogger(__name__).addHandler(logging.NullHandler())

# What other code (the bot, scripts) may use, and where it lives. Loaded on first use, so `import index` stays
# cheap: a command that only reads the store never pays for numpy or the date parser.
_API = {
    "update_index": "index.ingest.update",
    "UpdateResult": "index.ingest.update",
    "Searcher": "index.search.searcher",
    "SearchError": "index.search.searcher",
    "IndexMissing": "index.search.searcher",
    "compose": "index.answer.compose",
    "open_store": "index.store",
    "Article": "index.models",
    "Answer": "index.models",
    "Hit": "index.models",
    "Results": "index.models",
    "Problem": "index.models",
}
__all__ = [
    "Answer",
    "Article",
    "Hit",
    "IndexMissing",
    "Problem",
    "Results",
    "SearchError",
    "Searcher",
    "UpdateResult",
    "compose",
    "open_store",
    "update_index",
]

if TYPE_CHECKING:
    from index.answer.compose import compose
    from index.ingest.update import UpdateResult, update_index
    from index.models import Answer, Article, Hit, Problem, Results
    from index.search.searcher import IndexMissing, Searcher, SearchError
    from index.store import connect as open_store


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), "connect" if name == "open_store" else name)
    globals()[name] = value
    return value
