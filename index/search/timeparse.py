"""Time expressions in questions ("this week", "in March 2020", "two days ago") resolved to date windows."""

# A question is read against its as-of moment (when it was asked). :func:`find_time_expressions` returns every
# expression found with the inclusive date window it means; :func:`resolve_window` merges them into the one window
# a search boosts and returns the question with the relative time words taken out, so "this week" is not scored as
# a BM25 term.
#
# How it reads time (decisions the issue left open):
#
# - Relative expressions go through a small grammar over the question's words with ``dateutil.relativedelta``
#   arithmetic; explicit calendar dates ("March 3", "3rd of March 2021", "2021-03-03", "12/25/2021") are handled
#   by ``dateparser``, which is only called once such a date is seen, and whose answers are cached.
# - "this week" / "this past week" / "the past week" are the 7 days ending on the as-of day (asked on a Friday:
#   Saturday to Friday), because news quizzes published at the end of a week ask about the days just gone.
#   "last week" and "next week" are the previous and next ISO calendar weeks (Monday to Sunday).
# - "this month" / "this year" are the calendar month and year; "last month" / "last year" the previous ones;
#   "the past month", "over the last year", "the past 48 hours" count back from the as-of day.
# - "in March" is the most recent March not after the as-of day; "last October" the most recent October before
#   the current month; "this March" / "next March" that of the current and the coming year.
# - A month name needs an anchor: a preposition ("in", "on", "since", "during", "until", "through",
#   "throughout", "from", "between"), "this/last/next", "early/mid/late", or an adjacent day or year. So "May I
#   ask", "Theresa May" and "the March on Washington" are not dates. Lower-case "may"/"march" after a preposition
#   count only before the end of a clause or a function word ("in may.", "in march in ohio") or beside a day or
#   year; abbreviations ("Jan", "Sept") need a day, a year or a full stop.
# - A bare year is not a window ("what did the 1975 treaty say"); it is one with "in", "during", "since",
#   "throughout", "until", "through", "from" or "between" ("in 2021"), with "early/mid/late", or with a month.
# - A weekday ("Monday", "on Monday") is the most recent such day on or before the as-of day; "last Monday" the
#   most recent before it; holiday names ("Cyber Monday", "Good Friday") and titles ("Sunday Times") are not days.
# - "recently", "lately", "recent" mean the last 30 days; "in recent days/weeks/months/years" 7 days, 4 weeks,
#   3 months, 3 years.
# - "N days ago" is that day; "N weeks/months/years ago" a window one unit wide centred on that point.
# - Weekends are Saturday and Sunday. "over the weekend" is the most recent one that has started; "last weekend"
#   the most recent one that has ended; "this weekend" is the past one when asked on a Monday or Tuesday, the
#   coming one from Wednesday to Friday, the current one on Saturday and Sunday.
# - Seasons are the northern-hemisphere meteorological ones (spring March-May, summer June-August, autumn/fall
#   September-November, winter December-February, named by the year it starts in). "fall" needs "this/last/next"
#   or a year, as "in the fall" usually means a downfall.
# - Not read: "before/after X" in prose (use the ``before:``/``after:`` filters), "the end of March", clock times,
#   and a year given elsewhere in the question does not bind a bare "in March".
#
# The merged window: windows that reach past the as-of day are cut at it; a window wholly after it (the question
# is about the future: "next week", "in 2024" asked in 2022) becomes the 7 days before the as-of day, when such
# coverage is published. Of several expressions the one ending latest wins, the narrowest on a tie: a question's
# news hook ("this week") is usually its latest time, while named dates ("last October", "January 6") describe
# the background. The text returned keeps the calendar names (months, weekdays, seasons, years, dates) because
# stories contain them too ("since October's coup"); only the relative words ("this", "week", "ago",
# "recently") are taken out.

from __future__ import annotations

import calendar
import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

log = logging.getLogger(__name__)

RECENT_DAYS = 30  # "recently", "lately", "a recent ruling"
FUTURE_RUNUP_DAYS = 7  # a question about the future is answered by what was published in the days before

Window = tuple[date, date]


@dataclass(frozen=True, slots=True)
class TimeExpression:
    """One time expression found in a question.

    Attributes:
        text: the words as they appeared ("last week").
        start: offset of the first character in the question.
        end: offset just past the last character.
        window: inclusive first and last day the words refer to; may lie after the as-of day ("next week").
        kind: what was said: "day", "relative_week", "calendar_week", "weekend", "weekday", "month", "year",
            "decade", "season", "date", "rolling" ("the past 48 hours"), "ago", "recent", "since" or "range".
        kept: spans of the calendar names inside the expression ("October" in "last October", "2021" in
            "in 2021"): they are real words of the story, so they stay in the text that is scored.
    """

    text: str
    start: int
    end: int
    window: Window
    kind: str
    kept: tuple[tuple[int, int], ...] = ()


# Tokens: dates written with digits, numbers (a thousands comma makes a quantity, never a day or a year), words
# (hyphens and apostrophes inside: "mid-March", "Mar-a-Lago", "year's") and single punctuation marks.
_TOKEN = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}/\d{1,2}/\d{2,4}\b|\d+(?:[.,]\d+)*[a-zA-Z]*|[^\W\d_]+(?:['’-][^\W\d_]+)*|\S"
)
_NUMERIC_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}")
_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
_YEAR = re.compile(r"[12]\d{3}")
_DECADE = re.compile(r"[12]\d{2}0s")

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
               "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month of each
_UNITS = {"hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week",
          "fortnight": "fortnight", "month": "month", "months": "month", "year": "year", "years": "year",
          "decade": "decade", "decades": "decade"}  # fmt: skip
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "few": 3, "several": 5, "couple": 2,
           "dozen": 12}  # fmt: skip
_DAYPARTS = {"morning", "afternoon", "evening", "night"}
# Prepositions that may lead any expression ("over the weekend", "in the past year") and are taken with it.
_LEADS = {"in", "on", "over", "during", "within", "at", "throughout", "until", "till", "through", "from"}
# Prepositions that turn a bare month, year or season into a time ("in March", "since 2020").
_ANCHORS = {"in", "on", "since", "during", "until", "till", "through", "throughout", "from", "between"}
_OWNERS = {"his", "her", "their", "its", "my", "our", "your", "the", "a", "an", "whose"}  # "his last week"
_HOLIDAYS = {"cyber", "black", "good", "super", "ash", "easter", "palm", "fat", "holy", "maundy", "giving",
             "bloody", "shrove", "blue", "whit", "low"}  # fmt: skip
_TITLES = {"times", "telegraph", "mirror", "express", "post", "herald", "people", "sport", "independent"}
_QUANTITIES = {"million", "billion", "trillion", "thousand", "hundred", "percent", "per", "%", "people"}
_VERB_AFTER_MAY = {"be", "have", "not", "also", "well", "still", "never", "soon", "need", "want", "take"}
# What may follow a lower-case "may"/"march" that is a month: the end of a clause or a function word ("in march
# in ohio"); "in may be", "in march on" are a verb and a noun.
_AFTER_LOWER_MONTH = {".", ",", ";", ":", "?", "!", ")", "in", "at", "and", "or", "but", "when", "while", "after",
                      "before", "with", "by", "this", "last"}  # fmt: skip
_SEASON_NOUNS = {"olympics", "games", "storm", "storms", "break", "camp", "solstice", "equinox", "training"}

# Words that can start or anchor an expression; a question with none of them (and no digit) is not scanned.
_TRIGGERS = frozenset(
    {"today", "tonight", "yesterday", "tomorrow", "recently", "lately", "recent", "weekend", "ago", "since"}
    | set(_MONTHS) | set(_MONTH_ABBR) | set(_WEEKDAYS) | set(_SEASONS) | set(_UNITS) | _DAYPARTS
)  # fmt: skip


# Every word at which _Scan.match can find an expression (besides a digit or a "mid-" word): the scan passes over
# any other word without calling it, as match would return None there anyway (a third of the scan's time).
_HEADS = frozenset(
    {"today", "tonight", "yesterday", "tomorrow", "this", "last", "next", "past", "coming", "earlier", "later",
     "the", "since", "between", "recently", "lately", "recent", "early", "mid", "late"}
    | _LEADS | set(_WEEKDAYS) | set(_MONTHS) | set(_MONTH_ABBR) | set(_SEASONS) | set(_COUNTS)
)  # fmt: skip


class _M(NamedTuple):
    """A match: tokens [start, end), its window and kind, and the token indexes of calendar names it holds."""

    start: int
    end: int
    window: Window
    kind: str
    names: tuple[int, ...] = ()


# --- calendar arithmetic -------------------------------------------------------------------------------------


def _month_window(year: int, month: int) -> Window:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _year_window(year: int) -> Window:
    return date(year, 1, 1), date(year, 12, 31)


def _iso_week(day: date) -> Window:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _on_or_before(today: date, weekday: int) -> date:
    return today - timedelta(days=(today.weekday() - weekday) % 7)


def _recent_weekend(today: date) -> Window:
    """The most recent weekend that has started (this one on Saturday and Sunday)."""
    saturday = _on_or_before(today, 5)
    return saturday, saturday + timedelta(days=1)


def _last_weekend(today: date) -> Window:
    """The most recent weekend that has ended before today."""
    sunday = _on_or_before(today - timedelta(days=1), 6)
    return sunday - timedelta(days=1), sunday


def _this_weekend(today: date) -> Window:
    weekday = today.weekday()
    if weekday <= 1 or weekday >= 5:  # Monday/Tuesday: the one just gone; Saturday/Sunday: this one
        return _recent_weekend(today)
    saturday = today + timedelta(days=5 - weekday)
    return saturday, saturday + timedelta(days=1)


def _season_window(season: str, year: int) -> Window:
    first = date(year, _SEASONS[season], 1)
    last = first + relativedelta(months=3) - timedelta(days=1)
    return first, last


def _season_occurrences(season: str, today: date) -> list[Window]:
    return [_season_window(season, year) for year in range(today.year - 2, today.year + 2)]


def _delta(unit: str, n: int) -> relativedelta:
    if unit == "fortnight":
        return relativedelta(weeks=2 * n)
    if unit == "decade":
        return relativedelta(years=10 * n)
    return relativedelta(**{unit + "s": n})


def _rolling(today: date, n: int, unit: str) -> Window:
    """The past n units ending today. Days and hours reach back into the day the count starts on."""
    if unit == "hour":
        return today - timedelta(days=math.ceil(n / 24)), today
    if unit == "day":
        return today - timedelta(days=n), today
    return today - _delta(unit, n) + timedelta(days=1), today


def _coming(today: date, n: int, unit: str) -> Window:
    if unit == "hour":
        return today, today + timedelta(days=math.ceil(n / 24))
    return today + timedelta(days=1), today + _delta(unit, n)


def _ago(today: date, n: int, unit: str) -> Window:
    """N units before today: that day for days and hours, else a window one unit wide centred on it."""
    if unit == "hour":
        point = today - timedelta(days=round(n / 24))
        return point, point
    point = today - _delta(unit, n)
    if unit == "day":
        return point, point
    half = {"week": 3, "fortnight": 7, "month": 15, "year": 182, "decade": 1826}[unit]
    return point - timedelta(days=half), point + timedelta(days=half)


def _latest_month(today: date, month: int, strictly_before: bool = False) -> int:
    """The year of the most recent given month not after today (before the current month if strictly)."""
    if month < today.month or (month == today.month and not strictly_before):
        return today.year
    return today.year - 1


def _period(today: date, unit: str, which: str) -> tuple[Window, str]:
    """'this', 'last' or 'next' week, weekend, month, year or decade."""
    if unit == "weekend":
        fn = {"this": _this_weekend, "last": _last_weekend}.get(which)
        if fn is not None:
            return fn(today), "weekend"
        saturday = _iso_week(today)[0] + timedelta(days=12)
        return (saturday, saturday + timedelta(days=1)), "weekend"
    step = {"this": 0, "last": -1, "next": 1}[which]
    if unit == "week":
        if which == "this":
            return (today - timedelta(days=6), today), "relative_week"
        monday = _iso_week(today)[0] + timedelta(weeks=step)
        return (monday, monday + timedelta(days=6)), "calendar_week"
    if unit == "month":
        first = today.replace(day=1) + relativedelta(months=step)
        return _month_window(first.year, first.month), "month"
    if unit == "year":
        return _year_window(today.year + step), "year"
    if unit == "decade":
        start = today.year // 10 * 10 + 10 * step
        return (date(start, 1, 1), date(start + 9, 12, 31)), "decade"
    raise ValueError(f"not a calendar period: {unit!r}")


# --- explicit dates (dateparser) -----------------------------------------------------------------------------

_parser_lock = threading.Lock()
_parser = None


@lru_cache(maxsize=4096)
def _calendar_date(span: str) -> tuple[int, int, int | None] | None:
    """Month, day and year (None when not written) of an explicit date such as "Sept. 11" or "3/4/2021"."""
    global _parser
    with _parser_lock:  # one parser object, shared by the bot's worker threads
        if _parser is None:
            # Imported on first use: dateparser costs ~90 ms to import and ~200 ms to warm up its English data.
            from dateparser.date import DateDataParser

            # A leap-year base keeps "Feb 29" valid; the year is resolved against the as-of day afterwards.
            settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": datetime(2024, 12, 31), "DATE_ORDER": "MDY"}
            _parser = DateDataParser(languages=["en"], settings=settings)
        data = _parser.get_date_data(span)
    parts = getattr(data, "parts", None) or ()
    if data.date_obj is None or "day" not in parts or "month" not in parts:
        log.debug("not a calendar date: %r", span)
        return None
    return data.date_obj.month, data.date_obj.day, data.date_obj.year if "year" in parts else None


def warm_up() -> None:
    """Load dateparser now (about half a second), so the first question with a calendar date does not wait.

    Call it where the process starts (the bot's setup hook, a batch run); it is optional.
    """
    _calendar_date("March 3")


def _resolve_date(today: date, month: int, day: int, year: int | None) -> date | None:
    if year is not None:
        return date(year, month, day)
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    for y in range(year, year - 8, -1):  # Feb 29 goes back to the last leap year
        if day <= calendar.monthrange(y, month)[1]:
            return date(y, month, day)
    return None


# --- the grammar -----------------------------------------------------------------------------------------------


class _Scan:
    """The question's tokens and the rules that match expressions over them; each rule returns an _M or None."""

    def __init__(self, text: str, today: date) -> None:
        self.text = text
        self.today = today
        self.raw: list[str] = []
        self.low: list[str] = []
        self.spans: list[tuple[int, int]] = []
        for m in _TOKEN.finditer(text):
            raw = m.group()
            low = raw.lower().replace("’", "'")
            if low.endswith("'s"):  # "this year's", "Monday's"
                low = low[:-2]
            self.raw.append(raw)
            self.low.append(low)
            self.spans.append(m.span())

    def w(self, i: int) -> str:
        return self.low[i] if 0 <= i < len(self.low) else ""

    def worth_scanning(self) -> bool:
        return any(w in _TRIGGERS or w[:1].isdigit() or w.startswith("mid-") for w in self.low)

    def scan(self) -> list[_M]:
        found: list[_M] = []
        low = self.low
        i = 0
        while i < len(low):
            w = low[i]
            if w not in _HEADS and not w[:1].isdigit() and not w.startswith("mid-"):
                i += 1
                continue
            try:
                m = self.match(i)
            except (ValueError, OverflowError):  # "5000 years ago" reaches before year 1
                log.debug("time expression out of range at %r", self.text[self.spans[i][0] :][:40])
                m = None
            if m is None:
                i += 1
            else:
                found.append(m)
                i = m.end
        return found

    # Entry point at one token: the head word decides which rules can apply.
    def match(self, i: int) -> _M | None:
        w = self.w(i)
        today = self.today
        if w in ("today", "tonight"):
            return _M(i, i + 1, (today, today), "day")
        if w in ("yesterday", "tomorrow"):
            day = today + timedelta(days=-1 if w == "yesterday" else 1)
            return _M(i, i + 1 + (self.w(i + 1) in _DAYPARTS), (day, day), "day")
        if w in ("this", "last", "next", "past", "coming"):
            if self.w(i - 1) in _OWNERS:  # "his last week in office", "the last year of the war"
                return None
            return self.determiner(i)
        if w in ("earlier", "later"):
            return self.earlier_later(i)
        if w == "the":
            return self.the(i)
        if w in ("since", "between") or w in _LEADS:
            return self.lead(i)
        if w in ("recently", "lately", "recent"):
            return self.recent(i)
        if w in ("early", "mid", "late") or w.startswith("mid-"):
            return self.part(i)
        if w in _WEEKDAYS:
            return self.weekday(i, bare=True)
        if w in _MONTHS or w in _MONTH_ABBR:
            return self.month(i, anchored=False)
        if w in _SEASONS:
            return self.season_of_year(i, i)
        if w[:1].isdigit():
            return self.number(i)
        if w in _COUNTS:
            return self.ago(i)
        return None

    # --- pieces ---

    def count(self, i: int) -> tuple[int, int] | None:
        """A count at i ("3", "two", "a few", "a couple of", "several"): (n, index after it)."""
        w = self.w(i)
        if w.isdigit():
            return int(w), i + 1
        if w in ("a", "an") and self.w(i + 1) in ("few", "couple", "dozen"):
            i += 1
            w = self.w(i)
        if w not in _COUNTS:
            return None
        n, i = _COUNTS[w], i + 1
        if w == "couple" and self.w(i) == "of":
            i += 1
        return n, i

    def unit(self, i: int) -> str | None:
        return _UNITS.get(self.w(i))

    def day_at(self, i: int) -> bool:
        m = _DAY.fullmatch(self.w(i))
        return m is not None and 1 <= int(m.group(1)) <= 31 and self.w(i + 1) not in _QUANTITIES

    def year_at(self, i: int) -> int | None:
        w = self.w(i)
        return int(w) if _YEAR.fullmatch(w) else None

    def month_at(self, i: int) -> tuple[int, int] | None:
        """A month name at i: (month, index after it, a full stop after an abbreviation included)."""
        w = self.w(i)
        if w in _MONTHS:
            return _MONTHS[w], i + 1
        if w in _MONTH_ABBR:
            return _MONTH_ABBR[w], i + 1 + (self.w(i + 1) == ".")
        return None

    def date_match(self, i: int, j: int, names: tuple[int, ...]) -> _M | None:
        """Tokens [i, j) hold an explicit calendar date: ask dateparser, resolve the year against today."""
        span = self.text[self.spans[i][0] : self.spans[j - 1][1]]
        if "\n" in span:  # a heading "MAY" above a paragraph starting "11 people..." is not a date
            return None
        parsed = _calendar_date(span)
        if parsed is None:
            return None
        day = _resolve_date(self.today, *parsed)
        return None if day is None else _M(i, j, (day, day), "date", names)

    def with_year(self, i: int, j: int, names: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        """Extend a date ending at j by ", 2021" or " 2021" when a year follows."""
        k = j + (self.w(j) == ",")
        if self.year_at(k) is not None:
            return k + 1, (*names, k)
        return j, names

    # --- rules ---

    def determiner(self, i: int) -> _M | None:
        """this/last/next/past/coming + unit, weekday, month, season or count ("last 3 days")."""
        today, which, j = self.today, self.w(i), i + 1
        nxt = self.w(j)
        if which == "this" and nxt == "past":  # "this past week/weekend"
            which, j, nxt = "past", j + 1, self.w(j + 1)
        if which == "coming":
            which = "next"
        if which == "this" and nxt in _DAYPARTS - {"night"}:
            return _M(i, j + 1, (today, today), "day")
        if which == "last" and nxt == "night":
            return _M(i, j + 1, (today - timedelta(days=1), today), "day")
        if which == "past":
            if nxt == "weekend":
                return _M(i, j + 1, _recent_weekend(today), "weekend")
            return self.rolling(i, j, future=False)
        unit = "weekend" if nxt == "weekend" else self.unit(j)
        if unit is not None and nxt in ("week", "weekend", "month", "year", "decade"):
            if which == "last" and unit == "decade":
                return _M(i, j + 1, _rolling(today, 1, "decade"), "rolling")
            window, kind = _period(today, unit, which)
            return _M(i, j + 1, window, kind)
        if nxt in _WEEKDAYS:
            return self.weekday_with(i, j, which)
        month = self.month_at(j)
        if month is not None:
            mon, end = month
            if which == "this":
                window = _month_window(today.year, mon)
            elif which == "last":
                window = _month_window(_latest_month(today, mon, strictly_before=True), mon)
            else:
                window = _month_window(today.year + (mon <= today.month), mon)
            return _M(i, end, window, "month", (j,))
        if nxt in _SEASONS:
            return self.season(i, j, which)
        if which in ("last", "next") and self.count(j) is not None:  # "last 3 days", "next few weeks"
            return self.rolling(i, j, future=which == "next")
        return None

    def rolling(self, i: int, j: int, future: bool) -> _M | None:
        """[count] unit(s) from j ("week", "48 hours", "few days"); not a unit "of" something ("the last day of")."""
        counted = self.count(j)
        n, j = counted if counted is not None else (1, j)
        unit = self.unit(j)
        if unit is None or (counted is None and self.w(j + 1) == "of"):
            return None
        window = _coming(self.today, n, unit) if future else _rolling(self.today, n, unit)
        return _M(i, j + 1, window, "rolling")

    def earlier_later(self, i: int) -> _M | None:
        """earlier/later today, earlier/later this week/month/year."""
        today, early = self.today, self.w(i) == "earlier"
        if self.w(i + 1) == "today":
            return _M(i, i + 2, (today, today), "day")
        if self.w(i + 1) != "this" or self.w(i + 2) not in ("week", "month", "year"):
            return None
        (first, last), kind = _period(today, self.w(i + 2), "this")
        if self.w(i + 2) == "week":
            first, last = _iso_week(today)
        window = (first, today) if early else (today + timedelta(days=1), last)
        if window[0] > window[1]:
            window = (today, today)
        return _M(i, i + 3, window, kind)

    def the(self, i: int) -> _M | None:
        """the past/last/next/coming [count] unit(s); the day before yesterday; the 3rd of March."""
        nxt = self.w(i + 1)
        if nxt in ("past", "last", "next", "coming"):
            if self.w(i + 2) == "weekend":
                if nxt in ("past", "last"):
                    return _M(i, i + 3, _recent_weekend(self.today), "weekend")
                m = self.determiner(i + 1)
                return None if m is None else m._replace(start=i)
            if nxt == "next" and self.count(i + 2) is None:  # "the next day he left": a story's time, not ours
                return None
            return self.rolling(i, i + 2, future=nxt in ("next", "coming"))
        if nxt == "day" and self.w(i + 2) == "before" and self.w(i + 3) == "yesterday":
            day = self.today - timedelta(days=2)
            return _M(i, i + 4, (day, day), "day")
        if self.day_at(i + 1):
            m = self.number(i + 1)
            if m is not None and m.kind == "date":
                return m._replace(start=i)
        if nxt in _SEASONS:
            return self.season_of_year(i, i + 1)
        return None

    def lead(self, i: int) -> _M | None:
        """A preposition and what follows: "since X", "between X and Y", "from X to Y", "in/on/over X"."""
        p = self.w(i)
        inner = self.anchored(i + 1, p)
        if inner is None:
            return None
        if p == "since":
            return _M(i, inner.end, (inner.window[0], max(inner.window[0], self.today)), "since", inner.names)
        if p in ("between", "from") and self.w(inner.end) in ("and", "to", "until", "till", "through", "-", "–"):
            second = self.anchored(inner.end + 1, p)
            if second is not None and second.window[1] >= inner.window[0]:
                return _M(i, second.end, (inner.window[0], second.window[1]), "range", inner.names + second.names)
        if p == "between":
            return None
        return inner._replace(start=i)

    def anchored(self, j: int, prep: str) -> _M | None:
        """What may follow a preposition: bare months, years, decades, seasons and "the weekend" are allowed."""
        w = self.w(j)
        if prep in _ANCHORS:
            if self.month_at(j) is not None:
                return self.month(j, anchored=True)
            year = self.year_at(j)
            if year is not None:
                return _M(j, j + 1, _year_window(year), "year", (j,))
            if w in _SEASONS or (w == "the" and self.w(j + 1) in _SEASONS):
                return self.season(j, j + (w == "the"), "in")
            if w == "the" and _DECADE.fullmatch(self.w(j + 1)):
                start = int(self.w(j + 1)[:4])
                return _M(j, j + 2, (date(start, 1, 1), date(start + 9, 12, 31)), "decade", (j + 1,))
        if w == "the" and self.w(j + 1) == "weekend" and prep in ("over", "at", "during", "on", "in", "since"):
            return _M(j, j + 2, _recent_weekend(self.today), "weekend")
        if w in _LEADS or w in ("since", "between"):  # "in on" is not an expression
            return None
        return self.match(j)

    def recent(self, i: int) -> _M | None:
        """recently, lately, a recent X, in recent days/weeks/months/years."""
        today = self.today
        unit = self.unit(i + 1)
        if self.w(i) == "recent" and unit in ("day", "week", "month", "year") and self.w(i + 1).endswith("s"):
            n = {"day": 7, "week": 4, "month": 3, "year": 3}[unit]
            return _M(i, i + 2, _rolling(today, n, unit), "recent")
        return _M(i, i + 1, (today - timedelta(days=RECENT_DAYS - 1), today), "recent")

    def part(self, i: int) -> _M | None:
        """early/mid/late + month or year ("early March", "mid-2021", "late 2020"), early/late + weekday."""
        w, j = self.w(i), i + 1
        if w.startswith("mid-"):  # "mid-March" is one token
            month = _MONTHS.get(w[4:]) or _MONTH_ABBR.get(w[4:])
            if month is None:
                return None
            first, last = _month_window(_latest_month(self.today, month), month)
            return _M(i, j, (first.replace(day=11), first.replace(day=20)), "month", (i,))
        if w == "mid" and self.w(j) == "-":
            j += 1
        if self.w(j) in _WEEKDAYS and w != "mid":
            m = self.weekday(j, bare=False)
            return None if m is None else m._replace(start=i)
        year = self.year_at(j)
        if year is not None:
            first, last = {"early": ((1, 1), (4, 30)), "mid": ((5, 1), (8, 31)), "late": ((9, 1), (12, 31))}[w]
            return _M(i, j + 1, (date(year, *first), date(year, *last)), "year", (j,))
        month = self.month_at(j)
        if month is None:
            return None
        mon, end = month
        k, names = self.with_year(j, end, (j,))
        year = self.year_at(k - 1) if k > end else None
        first, last = _month_window(_latest_month(self.today, mon) if year is None else year, mon)
        days = {"early": (1, 10), "mid": (11, 20), "late": (21, last.day)}[w]
        return _M(i, k, (first.replace(day=days[0]), first.replace(day=days[1])), "month", names)

    def weekday(self, i: int, bare: bool) -> _M | None:
        """Monday: the most recent one on or before today; "Monday, March 3" is that date."""
        if bare and (self.w(i - 1) in _HOLIDAYS or self.w(i + 1) in _TITLES):
            return None
        if self.w(i + 1) == "night" and self.w(i + 2) == "football":
            return None
        j = i + 1 + (self.w(i + 1) == ",")
        dated = self.month(j, anchored=False) if self.month_at(j) is not None else None
        if dated is not None and dated.kind == "date":
            return _M(i, dated.end, dated.window, "date", (i, *dated.names))
        return self.weekday_with(i, i, "on")

    def weekday_with(self, i: int, j: int, which: str) -> _M:
        """The weekday at j, read with which = "on" (on or before today), "last", "this" or "next"."""
        today, weekday = self.today, _WEEKDAYS[self.w(j)]
        if which == "on":
            day = _on_or_before(today, weekday)
        elif which == "last":
            day = _on_or_before(today - timedelta(days=1), weekday)
        else:
            day = _iso_week(today)[0] + timedelta(days=weekday, weeks=which == "next")
        end = j + 1 + (self.w(j + 1) in _DAYPARTS)
        return _M(i, end, (day, day), "weekday", (j,))

    def month(self, i: int, anchored: bool) -> _M | None:
        """A month name: with a day it is a date, with a year that month, alone only after a preposition."""
        month = self.month_at(i)
        if month is None:
            return None
        mon, j = month
        if self.day_at(j):
            k, names = self.with_year(i, j + 1, (i, j))
            return self.date_match(i, k, names)
        k = j + (self.w(j) in (",", "of"))
        year = self.year_at(k)
        if year is not None:
            return _M(i, k + 1, _month_window(year, mon), "month", (i, k))
        if not anchored:
            return None
        raw, after = self.raw[i], self.w(j)
        if self.w(i) in _MONTH_ABBR and j == i + 1:  # "Jan" without a full stop: a name, not a month
            return None
        if raw.islower() and self.w(i) in ("may", "march") and after and after not in _AFTER_LOWER_MONTH:
            return None
        if self.w(i) == "may" and after in _VERB_AFTER_MAY:
            return None
        return _M(i, j, _month_window(_latest_month(self.today, mon), mon), "month", (i,))

    def season(self, i: int, j: int, which: str) -> _M | None:
        """A season at j read with which = "in" (current or past), "last", "this", "next" or "past"."""
        name, today = self.w(j), self.today
        dated = self.season_of_year(i, j)
        if dated is not None:
            return dated
        following = self.raw[j + 1] if j + 1 < len(self.raw) else ""
        if which == "in" and (name == "fall" or self.w(j + 1) in _SEASON_NOUNS or following[:1].isupper()):
            return None  # "in the fall" is usually a downfall; "in the Winter Olympics" is an event
        occurrences = _season_occurrences(name, today)
        if which == "in":
            window = max(w for w in occurrences if w[0] <= today)
        elif which in ("last", "past"):
            window = max(w for w in occurrences if w[1] < today)
        elif which == "this":
            start_year = today.year - (name == "winter" and today.month <= 2)
            window = _season_window(name, start_year)
        else:
            window = min(w for w in occurrences if w[0] > today)
        return _M(i, j + 1, window, "season", (j,))

    def season_of_year(self, i: int, j: int) -> _M | None:
        """A season with its year: "summer 2021", "the summer of 2021", "fall, 2020"."""
        name = self.w(j)
        if name not in _SEASONS:
            return None
        k = j + 1 + (self.w(j + 1) in (",", "of"))
        year = self.year_at(k)
        if year is None:
            return None
        return _M(i, k + 1, _season_window(name, year), "season", (j, k))

    def number(self, i: int) -> _M | None:
        """A token starting with a digit: a numeric date, "3 March (2021)", "3rd of March", or "3 days ago"."""
        w = self.w(i)
        if _NUMERIC_DATE.fullmatch(w):
            return self.date_match(i, i + 1, (i,))
        if self.day_at(i):
            j = i + 1 + (self.w(i + 1) == "of")
            month = self.month_at(j)
            if month is not None:
                k, names = self.with_year(i, month[1], (i, j))
                return self.date_match(i, k, names)
        return self.ago(i)

    def ago(self, i: int) -> _M | None:
        """[count] unit(s) ago: "two weeks ago", "a month ago", "48 hours ago"."""
        counted = self.count(i)
        if counted is None:
            return None
        n, j = counted
        unit = self.unit(j)
        if unit is None or self.w(j + 1) != "ago":
            return None
        return _M(i, j + 2, _ago(self.today, n, unit), "ago")


def _as_day(as_of: datetime | date) -> date:
    return as_of.date() if isinstance(as_of, datetime) else as_of


def find_time_expressions(text: str, as_of: datetime | date) -> list[TimeExpression]:
    """Find the time expressions in a question and the date window each refers to.

    Args:
        text: the question as the user wrote it.
        as_of: when it was asked; a datetime counts by its own calendar date (the caller picks the time zone).

    Returns:
        The expressions in the order they appear, not overlapping; empty when the question has none.
    """
    scan = _Scan(text, _as_day(as_of))
    if not scan.worth_scanning():
        return []
    out = []
    for m in scan.scan():
        start, end = scan.spans[m.start][0], scan.spans[m.end - 1][1]
        kept = tuple(scan.spans[k] for k in m.names)
        out.append(TimeExpression(text[start:end], start, end, m.window, m.kind, kept))
    return out


def ranking_window(window: Window, as_of: datetime | date) -> Window:
    """The window of publication dates to favour for a time the question refers to.

    Args:
        window: the window an expression refers to.
        as_of: when the question was asked.

    Returns:
        The window cut at the as-of day; for a window wholly after it, the ``FUTURE_RUNUP_DAYS`` days up to it.
    """
    today = _as_day(as_of)
    if window[0] > today:
        return today - timedelta(days=FUTURE_RUNUP_DAYS - 1), today
    return window[0], min(window[1], today)


_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:?!])")


def resolve_window(text: str, as_of: datetime | date) -> tuple[Window | None, str]:
    """Resolve a question's time expressions into one window and the question without its relative time words.

    Args:
        text: the question as the user wrote it.
        as_of: when it was asked (a date, or a datetime counted by its own calendar date).

    Returns:
        ``(window, remaining_text)``. ``window`` is the inclusive range of publication dates to favour (see
        :func:`ranking_window`; the latest-ending expression wins, then the narrowest), or None without time
        words. ``remaining_text`` is the question with each expression removed except its calendar names
        ("in March 2020" keeps "March 2020"; "last October" keeps "October"; "this week" goes entirely).
    """
    found = find_time_expressions(text, as_of)
    if not found:
        return None, text
    windows = [ranking_window(e.window, as_of) for e in found]
    window = max(windows, key=lambda w: (w[1], -(w[1] - w[0]).days))
    pieces, pos = [], 0
    for e in found:
        pieces.append(text[pos : e.start])
        pieces.extend(" " + text[s:t] + " " for s, t in e.kept)
        pos = e.end
    pieces.append(text[pos:])
    remaining = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", "".join(pieces))).strip()
    return window, remaining
