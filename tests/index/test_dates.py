"""The one date home: publication dates read, the as-of day (UTC), ages, and one age in every front end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.render import format as fmt
from index.answer.compose import cite
from index.cli.render import citation_line
from index.dates import (
    age,
    as_of_day,
    normalise_published,
    parse_typed_date,
    published_day,
    published_moment,
)
from index.ingest.readers.fields import parse_date as reader_parse_date
from index.models import Hit
from index.search.build import parse_published as postings_published
from index.search.query import parse_date as query_parse_date
from index.search.recency import as_of_day as recency_as_of_day

OFFSET = "2024-03-01T23:30:00-05:00"  # 04:30 on 2 March in UTC


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2022/01/07", "2022-01-07"),
        ("2022-01-07T10:00:00Z", "2022-01-07T10:00:00+00:00"),
        (OFFSET, OFFSET),
        ("Fri, 07 Jan 2022 10:00:00 +0000", "2022-01-07T10:00:00+00:00"),
        (1641549600, "2022-01-07T10:00:00+00:00"),
        (date(2022, 1, 7), "2022-01-07"),
        ("", None),
        (True, None),
    ],
)
def test_normalise_published_reads_what_sources_give(raw: object, stored: str | None) -> None:
    assert normalise_published(raw) == stored
    assert reader_parse_date(raw) == stored  # the readers use this very parser


@pytest.mark.parametrize(
    ("stored", "day"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("2024/03/01", date(2024, 3, 1)),
        ("2024-03-01T10:00:00", date(2024, 3, 1)),  # no offset: UTC
        (OFFSET, date(2024, 3, 2)),
        ("2024-03-02T01:00:00+09:00", date(2024, 3, 1)),
        (None, None),
        ("soon", None),
    ],
)
def test_published_day_is_the_utc_day(stored: str | None, day: date | None) -> None:
    assert published_day(stored) == day


def test_postings_count_the_same_utc_day() -> None:
    moment = published_moment(OFFSET)
    assert moment == datetime(2024, 3, 2, 4, 30, tzinfo=UTC)
    assert postings_published(OFFSET) == (date(2024, 3, 2).toordinal(), int(moment.timestamp()))


@pytest.mark.parametrize(
    ("as_of", "day"),
    [
        (date(2024, 3, 10), date(2024, 3, 10)),
        (datetime(2024, 3, 10, 23, 30), date(2024, 3, 10)),  # naive: UTC
        (datetime(2024, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=-5))), date(2024, 3, 11)),
        (datetime(2024, 3, 11, 1, 0, tzinfo=ZoneInfo("Asia/Tokyo")), date(2024, 3, 10)),
    ],
)
def test_as_of_day_is_the_utc_day(as_of: date | datetime, day: date) -> None:
    assert as_of_day(as_of) == day
    assert recency_as_of_day(as_of) == day  # the search's blend uses the same rule


def test_age_counts_utc_days() -> None:
    as_of = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)
    assert age(OFFSET, as_of) == "2 days earlier"
    assert age(date(2024, 3, 2), as_of) == "2 days earlier"
    assert age(None, as_of) == "undated"
    assert age("2024-03-05", as_of) == "after the question's date"


def test_a_date_with_an_offset_gets_one_day_and_age_in_terminal_and_discord() -> None:
    hit = Hit(1, 1, "s", "Headline", "Outlet", OFFSET, None, 1, 1, "Text.", 1.0)
    as_of = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
    cited = cite(hit, 1, as_of)  # composed once, rendered twice
    assert cited.day == date(2024, 3, 2) and cited.age == "2 days earlier"
    terminal = citation_line(cited)
    discord = fmt.citation(cited, 400)
    assert "2024-03-02 (2 days earlier)" in terminal
    assert "2 Mar 2024 (2 days earlier)" in discord


@pytest.mark.parametrize(
    ("typed", "start", "after_end"),
    [
        ("2022-01-07", date(2022, 1, 7), date(2022, 1, 8)),
        ("2022/01", date(2022, 1, 1), date(2022, 2, 1)),
        ("2022.12", date(2022, 12, 1), date(2023, 1, 1)),
        ("2022", date(2022, 1, 1), date(2023, 1, 1)),
        ("2022-02-30", None, None),
        ("soon", None, None),
    ],
)
def test_parse_typed_date(typed: str, start: date | None, after_end: date | None) -> None:
    assert parse_typed_date(typed) == start and query_parse_date(typed) == start
    assert parse_typed_date(typed, end=True) == after_end
