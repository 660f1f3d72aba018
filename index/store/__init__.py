"""The system of record: schema, ordered migrations and every SQL statement (one module per backend)."""

from index.store.records import ArticleRef, IngestRun, OutletStats, StoredArticle, StoreStats  # noqa: F401
from index.store.sqlite import *  # noqa: F403
