"""Timelines: every matching article counted per day, week or month; peaks and their top story; the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from helpers.searchdb import Doc, make_store

from index.search.build import rebuild
from index.search.postings import UNDATED_DAY
from index.search.query import parse
from index.search.searcher import Searcher
from index.search.timeline import bucket, match_days, next_period, peaks, summary, timeline, unit_for

DOCS = [
    Doc(
        "Tanner Street Bridge to close",
        ["The Tanner Street Bridge will close for repairs."],
        published="2024-03-01",
        outlet="Gazette",
    ),
    Doc("Bridge repairs start", ["Repairs began on the Tanner Street Bridge."], published="2024-03-04", outlet="Wire"),
    Doc(
        "Bridge repairs cost more",
        ["Tanner Street Bridge repairs will cost more."],
        published="2024-03-04",
        outlet="Gazette",
    ),
    Doc("A bridge elsewhere", ["The Elm Road bridge reopened."], published="2024-03-05", outlet="Gazette"),
    Doc("Street fair on Tanner", ["A street fair filled Tanner Street."], published="2024-03-06", outlet="Gazette"),
    Doc("Undated bridge note", ["Tanner Street Bridge lights were fixed."], published=None, outlet="Gazette"),
    Doc("Tanner Street Bridge reopens", ["The Tanner Street Bridge reopened."], published="2024-06-01", outlet="Wire"),
]


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    path = tmp_path / "tl.db"
    make_store(path, DOCS)
    rebuild(path, progress=False)
    return Searcher.open(path)


def days_of(searcher, text, **kw):
    out = match_days(searcher.postings, parse(text, today=date(2024, 12, 1)), **kw)
    return sorted("undated" if d == UNDATED_DAY else date.fromordinal(int(d)).isoformat() for d in out)


def test_match_days_needs_every_word_and_counts_all_matches(searcher):
    assert days_of(searcher, "tanner street bridge") == [
        "2024-03-01",
        "2024-03-04",
        "2024-03-04",
        "2024-06-01",
        "undated",
    ]
    assert days_of(searcher, "bridge -tanner") == ["2024-03-05"]
    assert days_of(searcher, "tanner bridge source:wire") == ["2024-03-04", "2024-06-01"]
    assert days_of(searcher, "tanner bridge", after=date(2024, 3, 2), before=date(2024, 6, 1)) == [
        "2024-03-04",
        "2024-03-04",
    ]
    assert days_of(searcher, "tanner bridge", as_of=datetime(2024, 3, 2, tzinfo=UTC)) == ["2024-03-01", "undated"]
    assert days_of(searcher, "zeppelin bridge") == []


@pytest.mark.parametrize(("span", "unit"), [(0, "day"), (92, "day"), (93, "week"), (1098, "week"), (3653, "month")])
def test_unit_follows_the_span(span, unit):
    assert unit_for(span) == unit


def test_bucket_fills_empty_periods_and_keeps_every_match():
    days = np.asarray([date(2024, 1, 31).toordinal(), date(2024, 4, 2).toordinal(), UNDATED_DAY], np.int32)
    unit, starts, counts = bucket(days)
    assert unit == "day" and len(starts) == 63 and sum(counts) == 2 and counts[0] == counts[-1] == 1
    decade = np.asarray([date(2014 + i, 5, 5).toordinal() for i in range(11)], np.int32)
    unit, starts, counts = bucket(decade)
    assert unit == "month" and starts[0] == date(2014, 5, 1) and starts[-1] == date(2024, 5, 1)
    assert len(starts) == 121 and sum(counts) == 11
    assert next_period(date(2024, 12, 1), "month") == date(2025, 1, 1)
    assert next_period(date(2024, 3, 4), "week") == date(2024, 3, 11)


def test_peaks_are_local_maxima_that_stand_out():
    starts = [date(2024, 1, d) for d in range(1, 9)]
    got = peaks(starts, [0, 5, 5, 1, 9, 0, 1, 0])
    assert [(p.start.day, p.count) for p in got] == [(5, 9), (2, 5)]  # a plateau is one peak; a lone 1 is none


def test_timeline_and_summary(searcher):
    line = timeline(searcher, "tanner street bridge", as_of=datetime(2024, 12, 1, tzinfo=UTC))
    assert line.unit == "day" and line.total == 4 and line.undated == 1 and len(line.starts) == 93
    assert line.peaks[0].start == date(2024, 3, 4) and line.peaks[0].count == 2
    assert line.peaks[0].top is not None and line.peaks[0].top.published == "2024-03-04"
    text = summary(line, "tanner street bridge")
    assert text.startswith("4 articles about tanner street bridge from 1 Mar 2024 to 1 Jun 2024, counted per day")
    assert "Busiest: 4 Mar 2024 (2)." in text
    assert text.endswith("1 undated article not charted.")


def test_timeline_with_nothing_to_count(searcher):
    assert timeline(searcher, "the of").message.startswith("Give me a word")
    line = timeline(searcher, "zeppelin")
    assert line.total == 0 and line.starts == [] and summary(line, "zeppelin").startswith("No dated article")


@pytest.mark.parametrize("title", ["tanner street bridge", "$x^{ unbalanced maths", "東京 " * 40])
def test_chart_is_a_png_whatever_the_title(searcher, title):
    from index.chart import draw_timeline

    png = draw_timeline(timeline(searcher, "tanner street bridge", as_of=datetime(2024, 12, 1, tzinfo=UTC)), title)
    assert png.startswith(b"\x89PNG") and len(png) < 100_000
    empty = draw_timeline(timeline(searcher, "zeppelin"), title)
    assert empty.startswith(b"\x89PNG")


def test_the_range_asked_for_is_charted_whole(searcher):
    line = timeline(
        searcher, "tanner bridge", after=date(2024, 2, 1), before=date(2024, 3, 31), as_of=date(2024, 12, 1)
    )
    assert line.unit == "day" and line.starts[0] == date(2024, 2, 1) and line.starts[-1] == date(2024, 3, 30)
    assert line.total == 3
    capped = timeline(searcher, "tanner bridge", before=date(2030, 1, 1), as_of=date(2024, 6, 10))
    assert capped.starts[-1] == date(2024, 6, 10)  # never past the as-of day
