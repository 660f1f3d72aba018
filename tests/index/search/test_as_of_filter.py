"""The as-of filter: published by the cutoff second, undated always, read from days and the cutoff day's times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import numpy as np

from index.search.build import parse_published
from index.search.postings import UNDATED_DAY, UNDATED_TS
from index.search.searcher import _Filters

PUBLISHED = [
    "2022-03-01",  # the cutoff's day, at midnight
    "2022-03-01T11:59:59+00:00",
    "2022-03-01T12:00:00+00:00",  # the cutoff second itself
    "2022-03-01T12:00:01+00:00",
    "2022-03-01T23:59:59+00:00",
    "2022-03-02T01:00:00+03:00",  # 22:00 UTC on the 1st
    "2022-02-28T23:59:59+00:00",
    "2022-03-02",
    "1969-12-31T23:00:00+00:00",  # before the epoch: negative times
    None,  # undated
]


def _state() -> SimpleNamespace:
    pairs = [parse_published(p) for p in PUBLISHED]
    day = np.array([d for d, _ in pairs], np.int32)
    ts = np.array([t for _, t in pairs], np.int64)
    return SimpleNamespace(arrays={"doc_day": day, "doc_ts": ts}, latest_ts=int(ts[ts != UNDATED_TS].max()))


def test_as_of_filter_matches_the_publication_times() -> None:
    st = _state()
    docs = np.arange(len(PUBLISHED), dtype=np.int32)
    ts = st.arrays["doc_ts"]
    assert st.arrays["doc_day"][-1] == UNDATED_DAY
    for as_of in (
        datetime(2022, 3, 1, 12, tzinfo=UTC),
        datetime(2022, 3, 1, 23, 59, 59, tzinfo=UTC),
        datetime(2022, 3, 1, tzinfo=UTC),
        date(2022, 3, 1),
        date(2022, 2, 28),
        datetime(1970, 1, 1, tzinfo=UTC),
    ):
        flt = _Filters(st)  # type: ignore[arg-type]
        flt.add_as_of(as_of)
        moment = as_of if isinstance(as_of, datetime) else datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59)
        cutoff = int(moment.replace(tzinfo=UTC).timestamp())
        expected = (ts <= cutoff) | (ts == UNDATED_TS)
        assert flt(docs).tolist() == expected.tolist(), as_of
        # Any subset, in any order, gets the same answer per passage.
        some = docs[[9, 2, 5, 3]]
        assert flt(some).tolist() == expected[some].tolist(), as_of
