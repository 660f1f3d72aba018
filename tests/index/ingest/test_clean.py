"""Tests for text normalisation and boilerplate removal (clean.py, clean_scrape.py)."""

from __future__ import annotations

import pytest

from index.ingest.clean.scrape import clean_page, is_credit_line
from index.ingest.clean.text import (
    clean_paragraphs,
    drop_title_repeat,
    is_boilerplate_line,
    normalise,
    split_paragraphs,
    take_copyright,
)

STORY = [
    "The county council approved the new bus routes on Wednesday after a long debate about costs.",
    "Residents of the northern villages said the changes would cut their journey to the hospital by half.",
    "The first buses on the new routes will run in September, the council said in a statement.",
    "Opposition members argued that the money should have gone to repairing rural roads instead.",
]


def test_normalise_whitespace_and_invisible_characters() -> None:
    raw = "  Head\u00a0line \r\n\r\n\r\nBody\u200b text\tends\u00ad here.  \n \n\nLast\x07 line "
    assert normalise(raw) == "Head line\n\nBody text ends here.\n\nLast line"


def test_normalise_composes_accents() -> None:
    assert normalise("Cafe\u0301") == "Café"


def test_split_paragraphs_blank_lines_then_newlines() -> None:
    assert split_paragraphs("One\nstill one.\n\nTwo.") == ["One still one.", "Two."]
    assert split_paragraphs("Line one.\nLine two.") == ["Line one.", "Line two."]
    assert split_paragraphs("") == []


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Skip to main content",
        "Enlarge Icon",
        "toggle caption",
        "Hide Caption",
        "Share this article",
        "Sign up for our daily newsletter to get the latest news.",
        "Need a break? Play the USA TODAY Daily Crossword Puzzle.",
        "Read more",
        "— Advertisement —",
        "Heard on Morning Edition",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        *STORY,
        "Sign up sheets were posted at the town hall, where volunteers gathered on Monday.",
        "Advertisement revenue at the newspaper fell by a third last year, its owners said.",
        "Share prices rose.",
        "Subscribers to the service will pay more from March, the company said.",
        "Michigan",
    ],
)
def test_not_boilerplate_lines(line: str) -> None:
    assert not is_boilerplate_line(line)


@pytest.mark.parametrize(
    ("paragraph", "rest", "owner", "year"),
    [
        ("Earlier this month the base was expanded. [Copyright 2019 NPR]", "Earlier this month the base was expanded.",
         "NPR", 2019),
        ("Copyright © 2024 Example Radio. All rights reserved.", "", "Example Radio", 2024),
        ("© 2021 The Daily Planet", "", "The Daily Planet", 2021),
        ("The court ruled on a copyright dispute between two publishers.",
         "The court ruled on a copyright dispute between two publishers.", None, None),
        ("No note here.", "No note here.", None, None),
    ],
)  # fmt: skip
def test_take_copyright(paragraph: str, rest: str, owner: str | None, year: int | None) -> None:
    assert take_copyright(paragraph) == (rest, owner, year)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("AP", True),
        ("Getty Images", True),
        ("John Doe/AP", True),
        ("Jane Roe/Getty Images", True),
        ("Photo: Sam Lee", True),
        ("Mara Lindqvist for The New York Times", True),
        ("Courtesy of the family", True),
        ("Claire Harbage/NPR", True),
        ("Sam Lee via Example Wire", True),
        ("Paris is a city of light", False),
        ("Half-Life 2 is out now for the PC", False),
        ("The AP reported the figures on Monday.", False),
        ("Apple", False),
    ],
)
def test_credit_lines(line: str, expected: bool) -> None:
    assert is_credit_line(line) is expected


def test_clean_paragraphs_is_light() -> None:
    paragraphs = ["Advertisement", *STORY, "Sign up for our newsletter here", "Contributing: The Associated Press"]
    cleaned = clean_paragraphs(paragraphs)
    assert cleaned.paragraphs == [*STORY, "Contributing: The Associated Press"]


def test_clean_paragraphs_puts_a_lone_dateline_back() -> None:
    assert clean_paragraphs(["Washington CNN —", STORY[0], STORY[1]]).paragraphs == [
        f"Washington CNN — {STORY[0]}",
        STORY[1],
    ]


def test_clean_paragraphs_moves_copyright_to_metadata() -> None:
    cleaned = clean_paragraphs([STORY[0], STORY[1] + " [Copyright 2020 Example News]"])
    assert cleaned.paragraphs == STORY[:2]
    assert cleaned.outlet == "Example News" and cleaned.extra == {"copyright_year": 2020}


def test_drop_title_repeat() -> None:
    assert drop_title_repeat("Bus routes approved", ["Bus routes approved.", *STORY]) == STORY
    assert drop_title_repeat("Bus routes approved", STORY) == STORY


def test_clean_page_seed_format() -> None:
    text = "\n".join(
        [
            "Skip to main content",
            "",
            "New Bus Routes Approved For Northern Villages",
            "",
            "caption: Passengers wait at the bus station in Northfield on Tuesday.",
            "Enlarge Icon",
            "Passengers wait at the bus station in Northfield on Tuesday.",
            "Kim Lee/AP",
            "",
            STORY[0],
            "",
            STORY[1],
            "",
            "Advertisement",
            "",
            STORY[2],
            "",
            STORY[3] + " [Copyright 2022 Example Public Radio]",
            "",
            "Why you can trust WXYZ",
        ]
    )
    page = clean_page(text)
    assert page.title == "New Bus Routes Approved For Northern Villages"
    assert page.paragraphs == STORY
    assert page.outlet == "Example Public Radio"
    assert page.extra == {"copyright_year": 2022, "publisher": "WXYZ"}


def test_clean_page_caption_is_not_the_headline() -> None:
    text = "Skip to main content\n\ncaption: A crowd outside the court.\nAP\n\nCourt Rules On Bus Plan\n\n" + STORY[0]
    page = clean_page(text)
    assert page.title == "Court Rules On Bus Plan"
    assert page.paragraphs == [STORY[0]]


def test_clean_page_headline_without_blank_line() -> None:
    page = clean_page("Skip to main content\nBus Routes Approved\n" + "\n".join(STORY))
    assert page.title == "Bus Routes Approved"
    assert page.paragraphs == STORY


def test_clean_page_clean_file_is_intact() -> None:
    text = "Bus routes approved\n\n" + "\n\n".join(STORY) + "\n\nSaltmarsh v Herons Bay\n\nK Clark"
    page = clean_page(text)
    assert page.title == "Bus routes approved"
    # Short lines in their own paragraphs (team lists, referees) belong to the story in a clean file.
    assert page.paragraphs == [*STORY, "Saltmarsh v Herons Bay", "K Clark"]


def test_clean_page_whole_page_dump_keeps_the_story() -> None:
    menu = ["Home", "News", "Sport", "Weather", "Business", "Opinion", "Subscribe", "Sign In"]
    related = [
        "Ten things to do this weekend in the city",
        "Mayor opens the new library wing",
        "Local team wins the regional cup final",
    ]
    footer = ["Privacy Policy", "Terms of Use", "© 2022 The Northfield Courier. All rights reserved."]
    lines = [
        *menu,
        "New bus routes approved for the northern villages",
        "By Dana Whitfield",
        "March 3, 2022",
        *STORY,
        "Share",
        "Related stories",
        *related,
        *footer,
    ]
    page = clean_page("\n".join(lines))
    assert page.paragraphs == STORY
    assert page.title == "New bus routes approved for the northern villages"
    assert page.outlet == "The Northfield Courier"


def test_clean_page_rejoins_sentences_split_at_links() -> None:
    text = "Bus plan\n\nThe council said the plan was\nfinanced by a state grant\n, officials confirmed on Monday."
    page = clean_page(text)
    assert page.paragraphs == [
        "The council said the plan was financed by a state grant, officials confirmed on Monday."
    ]


def test_clean_page_repeated_long_line_dropped_short_kept() -> None:
    text = "\n\n".join(["Cup results", STORY[0], "Winners meet in final", STORY[1], "Winners meet in final", STORY[0]])
    page = clean_page(text)
    assert page.paragraphs == [STORY[0], "Winners meet in final", STORY[1], "Winners meet in final"]


def test_clean_page_empty_and_boilerplate_only() -> None:
    assert clean_page("").paragraphs == []
    page = clean_page("Skip to main content\n\nAdvertisement\n\nShare")
    assert page.paragraphs == [] and page.title == ""


def test_clean_page_keeps_non_english_prose() -> None:
    story = [
        "El ayuntamiento aprobó el miércoles las nuevas líneas de autobús tras un largo debate sobre los costes.",
        "Los vecinos de los pueblos del norte dijeron que los cambios reducirán a la mitad el viaje al hospital.",
    ]
    text = "\n".join(["Inicio", "Noticias", "Deportes", "Tiempo", "Opinión", "Nuevas líneas de autobús", *story])
    assert clean_page(text).paragraphs == story


def test_clean_page_syndicated_station_variant() -> None:
    text = "\n".join(
        [
            "Skip to main content",
            "",
            "Northern Villages Get New Bus Routes",
            "",
            "Listen · 3:52",
            "3:52",
            "Toggle more options",
            "Download",
            "Embed",
            '<iframe src="https://player.example.org/embed" width="100%"></iframe>',
            "",
            STORY[0],
            "",
            "toggle caption",
            "Dana Whitfield/Example Public Radio",
            "",
            STORY[1],
            "",
            "Sponsor Message",
            "",
            STORY[2],
            "",
            "More:Mayor opens the new library wing",
            "",
            STORY[3] + " Copyright 2021 NPR. To see more, visit https://www.npr.org.",
        ]
    )
    page = clean_page(text)
    assert page.title == "Northern Villages Get New Bus Routes"
    assert page.paragraphs == STORY
    assert page.outlet == "NPR" and page.extra["copyright_year"] == 2021
