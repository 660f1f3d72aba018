"""Time expressions: windows resolved against the as-of day, false positives refused, time words removed."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.search.timeparse import (
    FUTURE_RUNUP_DAYS,
    RECENT_DAYS,
    TimeExpression,
    find_time_expressions,
    ranking_window,
    resolve_window,
    warm_up,
)

FRI = date(2022, 1, 7)  # a Friday, the day a weekly news quiz is published
THU = date(2022, 9, 15)
MON = date(2023, 3, 6)
SUN = date(2023, 3, 12)


def d(text: str) -> date:
    return date.fromisoformat(text)


# (question, as-of day, expected window of the single expression found, its kind)
CASES = [
    # days
    ("What happened today?", FRI, ("2022-01-07", "2022-01-07"), "day"),
    ("Who spoke tonight?", FRI, ("2022-01-07", "2022-01-07"), "day"),
    ("What did the mayor say this morning?", FRI, ("2022-01-07", "2022-01-07"), "day"),
    ("What happened yesterday?", FRI, ("2022-01-06", "2022-01-06"), "day"),
    ("What happened yesterday afternoon in Paris?", date(2022, 3, 1), ("2022-02-28", "2022-02-28"), "day"),
    ("Who won last night?", FRI, ("2022-01-06", "2022-01-07"), "day"),
    ("What happened the day before yesterday?", FRI, ("2022-01-05", "2022-01-05"), "day"),
    ("Who was arrested earlier today?", FRI, ("2022-01-07", "2022-01-07"), "day"),
    # weeks: "this week" is the 7 days ending on the as-of day; "last/next week" are ISO calendar weeks
    ("Who resigned this week?", FRI, ("2022-01-01", "2022-01-07"), "relative_week"),
    ("Who resigned this week?", MON, ("2023-02-28", "2023-03-06"), "relative_week"),
    ("Who resigned this past week?", FRI, ("2022-01-01", "2022-01-07"), "rolling"),
    ("What changed over the past week?", FRI, ("2022-01-01", "2022-01-07"), "rolling"),
    ("What did the council decide last week?", FRI, ("2021-12-27", "2022-01-02"), "calendar_week"),
    ("What did the council decide last week?", MON, ("2023-02-27", "2023-03-05"), "calendar_week"),
    ("What is planned for next week?", FRI, ("2022-01-10", "2022-01-16"), "calendar_week"),
    ("What was agreed earlier this week?", FRI, ("2022-01-03", "2022-01-07"), "relative_week"),
    # months and years
    ("What did the council decide last month?", date(2022, 1, 14), ("2021-12-01", "2021-12-31"), "month"),
    ("Who tested positive for the second time this month?", FRI, ("2022-01-01", "2022-01-31"), "month"),
    ("What happened last year?", FRI, ("2021-01-01", "2021-12-31"), "year"),
    ("How many trees are in the White House this year?", FRI, ("2022-01-01", "2022-12-31"), "year"),
    ("What was announced earlier this year?", date(2022, 5, 2), ("2022-01-01", "2022-05-02"), "year"),
    ("What happened in 2021?", FRI, ("2021-01-01", "2021-12-31"), "year"),
    ("What did they sign during 2019?", FRI, ("2019-01-01", "2019-12-31"), "year"),
    ("What happened in early 2021?", FRI, ("2021-01-01", "2021-04-30"), "year"),
    ("Music of the 1990s: what sold in the 1990s?", FRI, ("1990-01-01", "1999-12-31"), "decade"),
    ("What happened in March?", FRI, ("2021-03-01", "2021-03-31"), "month"),  # most recent March
    ("What happened in March?", date(2022, 3, 20), ("2022-03-01", "2022-03-31"), "month"),  # the current one
    ("What happened in March 2020?", FRI, ("2020-03-01", "2020-03-31"), "month"),
    ("Sales in May of 2019 rose", FRI, ("2019-05-01", "2019-05-31"), "month"),
    ("what happened in march in ohio", FRI, ("2021-03-01", "2021-03-31"), "month"),  # typed in lower case
    ("who won in may?", FRI, ("2021-05-01", "2021-05-31"), "month"),
    ("What did the panel report in mid-March?", FRI, ("2021-03-11", "2021-03-20"), "month"),
    ("What happened in late March 2020?", FRI, ("2020-03-21", "2020-03-31"), "month"),
    ("Coup d'etat: the military took over last October.", FRI, ("2021-10-01", "2021-10-31"), "month"),
    ("The storm that hit last January", date(2022, 1, 20), ("2021-01-01", "2021-01-31"), "month"),
    ("What happened this June?", FRI, ("2022-06-01", "2022-06-30"), "month"),
    # weekdays: the most recent one on or before the as-of day
    ("Apple on Monday released iOS 16.", THU, ("2022-09-12", "2022-09-12"), "weekday"),
    ("SpaceX launched a rocket Wednesday.", THU, ("2022-09-14", "2022-09-14"), "weekday"),
    ("Flooding early Thursday left dozens missing.", THU, ("2022-09-15", "2022-09-15"), "weekday"),
    ("What happened last Thursday?", THU, ("2022-09-08", "2022-09-08"), "weekday"),
    ("What did he say on Monday night?", MON, ("2023-03-06", "2023-03-06"), "weekday"),
    # recency and "ago"
    ("Which show was recently renewed?", THU, ("2022-08-17", "2022-09-15"), "recent"),
    ("What has she been doing lately?", THU, ("2022-08-17", "2022-09-15"), "recent"),
    ("According to a recent ruling, is a bee a fish?", THU, ("2022-08-17", "2022-09-15"), "recent"),
    ("In recent weeks, which states banned the app?", THU, ("2022-08-19", "2022-09-15"), "recent"),
    ("What happened two weeks ago?", THU, ("2022-08-29", "2022-09-04"), "ago"),
    ("What happened 3 days ago?", THU, ("2022-09-12", "2022-09-12"), "ago"),
    ("What happened a month ago?", THU, ("2022-07-31", "2022-08-30"), "ago"),
    ("What happened a couple of weeks ago?", THU, ("2022-08-29", "2022-09-04"), "ago"),
    ("What happened 48 hours ago?", THU, ("2022-09-13", "2022-09-13"), "ago"),
    # rolling spans
    ("What happened in the past 48 hours?", THU, ("2022-09-13", "2022-09-15"), "rolling"),
    ("What happened in the last 24 hours?", THU, ("2022-09-14", "2022-09-15"), "rolling"),
    ("How many books were banned over the last year?", THU, ("2021-09-16", "2022-09-15"), "rolling"),
    ("What happened over the past few days?", THU, ("2022-09-12", "2022-09-15"), "rolling"),
    ("What rose in the last three months?", THU, ("2022-06-16", "2022-09-15"), "rolling"),
    ("What will happen in the coming weeks?", THU, ("2022-09-16", "2022-09-22"), "rolling"),
    # weekends
    ("What happened over the weekend?", MON, ("2023-03-04", "2023-03-05"), "weekend"),
    ("What happened over the weekend?", SUN, ("2023-03-11", "2023-03-12"), "weekend"),
    ("What happened at the weekend?", FRI, ("2022-01-01", "2022-01-02"), "weekend"),
    ("What happened this weekend?", MON, ("2023-03-04", "2023-03-05"), "weekend"),  # the one just gone
    ("What is on this weekend?", FRI, ("2022-01-08", "2022-01-09"), "weekend"),  # the coming one
    ("What happened last weekend?", SUN, ("2023-03-04", "2023-03-05"), "weekend"),
    ("What happened this past weekend?", MON, ("2023-03-04", "2023-03-05"), "weekend"),
    # seasons (northern meteorological)
    ("What happened last summer?", FRI, ("2021-06-01", "2021-08-31"), "season"),
    ("What happened last summer?", date(2022, 10, 1), ("2022-06-01", "2022-08-31"), "season"),
    ("How warm will homes be this winter?", date(2022, 9, 29), ("2022-12-01", "2023-02-28"), "season"),
    ("What happened this winter?", date(2022, 1, 20), ("2021-12-01", "2022-02-28"), "season"),
    ("What happened in the spring?", FRI, ("2021-03-01", "2021-05-31"), "season"),
    ("What happened in the summer of 2019?", FRI, ("2019-06-01", "2019-08-31"), "season"),
    ("What will change this fall?", FRI, ("2022-09-01", "2022-11-30"), "season"),
    # since and ranges
    ("What has changed since January?", date(2022, 4, 1), ("2022-01-01", "2022-04-01"), "since"),
    ("What has changed since 2020?", FRI, ("2020-01-01", "2022-01-07"), "since"),
    ("What has happened since last week?", FRI, ("2021-12-27", "2022-01-07"), "since"),
    ("Prices between March and May 2021", FRI, ("2021-03-01", "2021-05-31"), "range"),
    ("Growth from 2019 to 2021", FRI, ("2019-01-01", "2021-12-31"), "range"),
    # explicit calendar dates (dateparser): the year defaults to the most recent one not after the as-of day
    ("What happened on March 3?", FRI, ("2021-03-03", "2021-03-03"), "date"),
    ("What happened on 3 March 2021?", FRI, ("2021-03-03", "2021-03-03"), "date"),
    ("What happened on the 3rd of March?", FRI, ("2021-03-03", "2021-03-03"), "date"),
    ("What happened on 2021-03-03?", FRI, ("2021-03-03", "2021-03-03"), "date"),
    ("What happened on 12/25/2021?", FRI, ("2021-12-25", "2021-12-25"), "date"),
    ("The insurrection on January 6, 2021", FRI, ("2021-01-06", "2021-01-06"), "date"),
    ("The Jan. 6 hearings", FRI, ("2022-01-06", "2022-01-06"), "date"),
    ("The Sept. 11 memorial", FRI, ("2021-09-11", "2021-09-11"), "date"),
    ("What happened on Monday, Dec. 6?", FRI, ("2021-12-06", "2021-12-06"), "date"),
    ("Who was born on Feb 29?", FRI, ("2020-02-29", "2020-02-29"), "date"),  # last leap year
]


@pytest.mark.parametrize(("question", "as_of", "expected", "kind"), CASES)
def test_find_time_expressions_resolves_window(
    question: str, as_of: date, expected: tuple[str, str], kind: str
) -> None:
    found = find_time_expressions(question, as_of)
    assert [(e.window, e.kind) for e in found] == [((d(expected[0]), d(expected[1])), kind)]
    assert question[found[0].start : found[0].end] == found[0].text


# Ordinary words that dateparser (or a naive grammar) would read as dates.
NOT_TIME = [
    "May I ask who won the second round?",
    "Theresa May resigned as prime minister",
    "What did the 1975 treaty say?",
    "Which teams faced off in the 2022 World Cup final?",
    "Who led the March on Washington?",
    "Thousands in march on the capital",
    "Rules in may be changed",
    "Which deals were best on Cyber Monday?",
    "What did the Sunday Times report?",
    "Who played on Monday Night Football?",
    "What was the fall of Kabul?",
    "Who won gold in the Winter Olympics?",
    "What happened at Mar-a-Lago?",
    "How many people died in 2,000 attacks?",
    "Which movie drew 10 million viewers?",
    "What did Jan say to the press?",
    "Aaron Judge hit his 62nd home run",
    "What happened on 9/11?",
    "He spent his last week in office abroad",
    "What happened on the last day of the trial?",
    "Who was the second person on the moon?",
    "The Arab Spring began in Tunisia",
    "He was released and flew home the next day",
    "Ancient ruins: what happened 5000 years ago?",
    "BEST OF MAY\n\n11 people were hurt",
    "Which new treat did McDonald's add for the fall?",
]


@pytest.mark.parametrize("question", NOT_TIME)
def test_find_time_expressions_refuses_false_positives(question: str) -> None:
    assert find_time_expressions(question, FRI) == []
    assert resolve_window(question, FRI) == (None, question)


def test_find_time_expressions_reports_spans_and_kept_names() -> None:
    q = "The prime minister resigned this week after a coup last October."
    this_week, october = find_time_expressions(q, FRI)
    start = q.index("this week")
    assert this_week == TimeExpression("this week", start, start + 9, (d("2022-01-01"), FRI), "relative_week", ())
    assert october.text == "last October" and q[slice(*october.kept[0])] == "October"


def test_as_of_datetime_counts_by_its_own_calendar_day() -> None:
    late_evening = datetime(2022, 1, 7, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert find_time_expressions("what happened yesterday", late_evening)[0].window == (d("2022-01-06"),) * 2
    assert find_time_expressions("what happened yesterday", datetime(2022, 1, 8, 4, 30))[0].window == (FRI, FRI)


def test_resolve_window_removes_relative_words_and_keeps_content() -> None:
    window, text = resolve_window(
        "The prime minister of this country resigned this week as violence persists after a takeover last October.",
        FRI,
    )
    assert window == (d("2022-01-01"), FRI)  # the latest-ending expression wins over "last October"
    assert text == "The prime minister of this country resigned as violence persists after a takeover October."
    assert resolve_window("Who won the Philippines presidential election recently?", FRI)[1] == (
        "Who won the Philippines presidential election?"
    )
    assert resolve_window("In recent weeks, at least seven states banned which app?", THU)[1] == (
        ", at least seven states banned which app?"
    )


def test_resolve_window_keeps_calendar_names_as_search_words() -> None:
    assert resolve_window("What happened in March 2020 in Italy?", FRI)[1] == "What happened March 2020 in Italy?"
    assert resolve_window("Apple on Monday released iOS 16.", THU) == (
        (d("2022-09-12"),) * 2,
        "Apple Monday released iOS 16.",
    )
    window, text = resolve_window("The anniversary of the January 6 Capitol insurrection this week", FRI)
    assert window == (d("2022-01-01"), FRI)
    assert text == "The anniversary of the January 6 Capitol insurrection"


def test_resolve_window_without_time_words() -> None:
    assert resolve_window("Which car company unveiled the EQXX?", FRI) == (None, "Which car company unveiled the EQXX?")
    assert resolve_window("", FRI) == (None, "")


def test_resolve_window_cuts_at_as_of_and_maps_the_future_to_the_run_up() -> None:
    assert resolve_window("How many trees this year?", d("2022-12-22"))[0] == (d("2022-01-01"), d("2022-12-22"))
    runup = (FRI - timedelta(days=FUTURE_RUNUP_DAYS - 1), FRI)
    assert resolve_window("Which supermarkets plan to merge in 2024?", FRI)[0] == runup
    assert resolve_window("What is planned for next week?", FRI)[0] == runup
    assert ranking_window((d("2021-03-01"), d("2021-03-31")), FRI) == (d("2021-03-01"), d("2021-03-31"))


def test_resolve_window_prefers_the_narrowest_of_windows_ending_together() -> None:
    q = "Gas prices fell from recent record levels; how much have they risen over the past year?"
    assert resolve_window(q, THU)[0] == (THU - timedelta(days=RECENT_DAYS - 1), THU)


def test_year_boundaries() -> None:
    new_year = date(2022, 1, 3)
    assert find_time_expressions("last month", new_year)[0].window == (d("2021-12-01"), d("2021-12-31"))
    assert find_time_expressions("last week", new_year)[0].window == (d("2021-12-27"), d("2022-01-02"))
    assert find_time_expressions("on December 31", new_year)[0].window == (d("2021-12-31"),) * 2
    assert find_time_expressions("next month", d("2022-12-15"))[0].window == (d("2023-01-01"), d("2023-01-31"))
    assert find_time_expressions("a month ago", d("2022-03-31"))[0].window[0] < d("2022-02-28")


def test_several_expressions_in_order_without_overlap() -> None:
    found = find_time_expressions("Yesterday, and on Monday, and in 2020 and two weeks ago", THU)
    assert [e.kind for e in found] == ["day", "weekday", "year", "ago"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_unicode_apostrophe_and_possessive() -> None:
    found = find_time_expressions("What was this year’s most-watched show?", FRI)
    assert found[0].kind == "year" and found[0].text == "this year’s"


def test_dev_questions_this_week_is_the_seven_days_to_the_question_date(shared_data: Path) -> None:
    lines = (shared_data / "realtimeqa" / "dev_questions.jsonl").read_text().splitlines()
    seen = 0
    for line in lines:
        q = json.loads(line)
        as_of = date.fromisoformat(q["date"].replace("/", "-"))
        window, text = resolve_window(q["question"], as_of)
        if " this week" in q["question"].lower() and "weekend" not in q["question"].lower():
            seen += 1
            assert window == (as_of - timedelta(days=6), as_of), q["question"]
            assert "this week" not in text.lower()
    assert seen >= 30


def test_warm_up_leaves_results_unchanged() -> None:
    warm_up()
    assert find_time_expressions("on March 3", FRI)[0].window == (d("2021-03-03"),) * 2
