"""Search: BM25 postings, the query language, time expressions, recency and the Searcher (kept import-light)."""
