"""The one home for dates: reading publication dates, typed query dates, the as-of day (UTC) and ages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_DIGITS = re.compile(r"^-?\d{9,13}(?:\.\d+)?$")
_TYPED = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
# Earliest and latest plausible publication years; outside them an epoch number is more likely an id.
_YEAR_MIN, _YEAR_MAX = 1800, 2200


# --- publication dates as sources give them (ingest) ---------------------------------------------------------


def normalise_published(value: Any) -> str | None:
    """Normalise a publication date from a source to the ISO 8601 text that is stored.

    Accepts "2022/01/07", ISO dates and datetimes ("2022-01-07T10:00:00Z"), RFC 822 ("Fri, 07 Jan 2022
    10:00:00 +0000", as in feeds), epoch seconds (or milliseconds) as number or string, ``date``/``datetime``
    objects, and written dates ("January 7, 2022").

    Args:
        value: the raw value.

    Returns:
        "YYYY-MM-DD" when only the day is known (or the time is exactly midnight without a zone), a datetime
        "YYYY-MM-DDTHH:MM:SS+HH:MM" when the time is known (without offset when the source gives none), or
        None when the value is empty or cannot be read as a plausible date.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    return _normalise_text(text)


@lru_cache(maxsize=4096)
def _normalise_text(text: str) -> str | None:
    """normalise_published for strings; cached because collections repeat the same few thousand dates."""
    m = _YMD.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if _DIGITS.match(text):
        return _from_epoch(float(text))
    try:
        return _iso(datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text))
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():
        try:
            return _iso(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            pass
    return _dateparser(text)


def _dateparser(text: str) -> str | None:
    """Last resort for written dates; dateparser is slow, so it only sees what the fast paths could not read."""
    import dateparser  # imported lazily: it takes a second to load its language data

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"STRICT_PARSING": True, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    return _iso(parsed) if parsed else None


def _from_epoch(seconds: float) -> str | None:
    """An epoch timestamp in seconds (or milliseconds, when it is too big for seconds) as UTC ISO."""
    if abs(seconds) > 1e11:
        seconds /= 1000
    try:
        return _iso(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _iso(moment: datetime) -> str | None:
    """ISO text for a datetime: a plain date when no time is known, else with its offset if it has one."""
    if not _YEAR_MIN <= moment.year <= _YEAR_MAX:
        return None
    if moment.tzinfo is None and moment.time() == time(0, 0):
        return moment.date().isoformat()
    return moment.replace(microsecond=0).isoformat()


# --- stored publication dates --------------------------------------------------------------------------------


def published_moment(published: str | None) -> datetime | None:
    """The UTC moment of a stored publication date or datetime, or None when undated or unreadable.

    Args:
        published: the stored text (see :func:`normalise_published`); "2022/01/07" is read too.

    Returns:
        An aware UTC datetime. A date without a time is the start of that day, and a datetime without an
        offset is taken as UTC, so an as-of moment later that day includes it.
    """
    if not published:
        return None
    text = published.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text[:10].replace("/", "-"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def published_day(published: str | None) -> date | None:
    """The UTC calendar day of a stored publication date or datetime, or None when undated or unreadable.

    "2024-03-01T23:30:00-05:00" is 2 March: the day every front end shows and counts ages from, and the day
    ``after:``/``before:`` filters compare.
    """
    moment = published_moment(published)
    return moment.date() if moment is not None else None


# --- the as-of moment -------------------------------------------------------------------------------------------


def as_of_day(as_of: date | datetime) -> date:
    """The UTC calendar day of an as-of moment (a naive datetime is UTC, as the search's cutoff reads it).

    Args:
        as_of: the moment a question was asked, or a day.

    Returns:
        The day; a date is returned as it is.
    """
    if isinstance(as_of, datetime):
        return (as_of if as_of.tzinfo is None else as_of.astimezone(UTC)).date()
    return as_of


def age(published: str | date | None, as_of: date | datetime) -> str:
    """How long before the as-of moment an article came out: "same day", "3 days earlier", "2 months earlier".

    Args:
        published: the stored publication date (ISO date or datetime, counted by its UTC day), a day, or None.
        as_of: the moment the question was asked (counted by its UTC day, see :func:`as_of_day`).

    Returns:
        The age in the largest whole unit (days, weeks, months of 30 days, years of 365), "undated" without a
        date, or "after the question's date" for an article published later (only without an as-of filter).
    """
    day = published if isinstance(published, date) else published_day(published)
    if day is None:
        return "undated"
    days = (as_of_day(as_of) - day).days
    if days < 0:
        return "after the question's date"
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size:
            n = days // size
            return f"{n} {unit}{'s' if n > 1 else ''} earlier"
    return "same day"


# --- dates typed in queries and options ----------------------------------------------------------------------


def parse_typed_date(value: str, *, end: bool = False) -> date | None:
    """Read YYYY-MM-DD, YYYY-MM or YYYY (also with / or .) as the first day of that period, or None.

    Args:
        value: the date as typed (``after:2022-01``, ``--as-of 2022-01-07``, a slash command option).
        end: return the first day *after* the period instead ("2022-01" -> 2022-02-01).

    Returns:
        The date, or None when the text is not such a date.
    """
    m = _TYPED.fullmatch(value.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        start = date(year, int(month or 1), int(day or 1))
    except ValueError:
        return None
    if not end:
        return start
    if day:
        return date.fromordinal(start.toordinal() + 1)
    if month:
        return date(year + (start.month == 12), start.month % 12 + 1, 1)
    return date(year + 1, 1, 1)
