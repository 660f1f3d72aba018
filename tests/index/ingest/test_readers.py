"""Tests for the readers: every format, field mapping, and bad input reported as Problems, never raised."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from index.ingest.readers import SUPPORTED, extract, read_path, reader_for
from index.ingest.readers.fields import id_of, parse_date
from index.models import Article, Problem

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "readers"


def articles(items: list[Article | Problem]) -> list[Article]:
    return [i for i in items if isinstance(i, Article)]


def problems(items: list[Article | Problem]) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem)]


def only_article(path: Path) -> Article:
    items = extract(path)
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def write_jsonl(path: Path, lines: list[str], gz: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


RECORD = {
    "id": 4217,
    "title": "Ferry timetable changes",
    "text": "The winter ferry timetable starts on Monday.\n\nAdvertisement\n\nEvening crossings move to 19:30.",
    "source": {"name": "Island Post"},
    "date": "2022/01/07",
    "url": "https://islandpost.example/ferry",
    "authors": [{"name": "Rosa Kim"}, "Tom Ade"],
    "category": "transport",
}


# --- dispatch -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text"),
        ("a.HTML", "html"),
        ("a.htm", "html"),
        ("a.json", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.md", "markdown"),
        ("a.markdown", "markdown"),
        ("a.xml", "feed"),
        ("a.rss", "feed"),
        ("a.atom", "feed"),
        ("a.jsonl.gz", "jsonl"),
        ("a.txt.gz", "text"),
    ],
)
def test_reader_for_by_suffix(tmp_path: Path, name: str, expected: str) -> None:
    assert reader_for(tmp_path / name) == expected
    assert expected in SUPPORTED.values()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n', "jsonl"),
        (b'[{"id": 1, "text": "a"}]', "json"),
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "feed"),
        (b"---\ntitle: x\n---\nbody\n", "markdown"),
        (b"Headline\n\nBody text.\n", None),  # plain text under an unknown suffix is not taken for news
        (b"\x00\x01\x02\x03binary\x00", None),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
    ],
)
def test_reader_for_sniffs_unknown_suffix(tmp_path: Path, content: bytes, expected: str | None) -> None:
    path = tmp_path / "download.dat"
    path.write_bytes(content)
    assert reader_for(path) == expected


def test_reader_for_sniffs_gzip_content(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_bytes(gzip.compress(b'{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n'))
    assert reader_for(path) == "jsonl"


# --- text pages -----------------------------------------------------------------------------------------------


def test_text_scraped_page_removes_boilerplate_and_keeps_story() -> None:
    art = only_article(FIXTURES / "radio_page.txt")
    assert art.reader == "text"
    assert art.source_id == str(FIXTURES / "radio_page.txt")
    assert art.origin_path == str(FIXTURES / "radio_page.txt") and art.origin_line is None
    assert art.title == "Harbor Town Votes To Rebuild Its Flooded Ferry Pier Before Summer"
    body = art.body
    for gone in ("Skip to main content", "caption", "Enlarge Icon", "Mara Lindqvist", "Advertisement", "Copyright"):
        assert gone not in body
    assert "Why you can trust" not in body
    # The caption is neither in the body nor taken as the headline.
    assert "Workers inspect the damaged ferry pier" not in body
    assert art.paragraphs[0].startswith("The town council of Port Alder voted 6-1")
    assert art.paragraphs[-1] == (
        "Construction is expected to start in April and take about ten weeks, the harbor master's office said."
    )
    assert len(art.paragraphs) == 5
    assert art.outlet == "Example Radio"
    assert art.extra["copyright_year"] == 2024
    assert art.extra["publisher"] == "KXMP"


def test_text_clean_file_comes_through_intact() -> None:
    path = FIXTURES / "clean_article.txt"
    art = only_article(path)
    headline, *blocks = path.read_text().strip().split("\n\n")
    assert art.title == headline
    assert art.paragraphs == blocks
    assert art.outlet is None and art.extra == {}


def test_text_byline_and_date_line_become_metadata(tmp_path: Path) -> None:
    path = tmp_path / "byline.txt"
    path.write_text(
        "Harbor Pier Reopens\n\nBy Jane Doe and Sam Roe\n\nMarch 3, 2022\n\n"
        "The ferry pier reopened on Thursday after three months of repairs, the harbor master said.\n"
    )
    art = only_article(path)
    assert art.title == "Harbor Pier Reopens"
    assert art.authors == ["Jane Doe", "Sam Roe"]
    assert art.published == "2022-03-03"
    assert art.paragraphs == [
        "The ferry pier reopened on Thursday after three months of repairs, the harbor master said."
    ]
    assert "byline" not in art.extra and "date_line" not in art.extra


def test_json_record_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"id": "big", "title": "Huge", "text": "word " * 1_200_000}))
    [problem] = problems(extract(path))
    assert problem.level == "error" and "too large" in problem.reason


def test_text_non_utf8_is_decoded_and_encoding_recorded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    text = "Café owners protest new rules\n\nThe owners of the café on the square said the rules were unfair to them."
    path.write_bytes(text.encode("cp1252"))
    art = only_article(path)
    assert art.title == "Café owners protest new rules"
    assert "café on the square" in art.body
    # Detection may name any single-byte code page that decodes these bytes alike (cp1250, cp1252, latin-1).
    assert art.extra["encoding"] and "utf" not in art.extra["encoding"].lower()


def test_text_utf8_bom_and_utf16_are_read(tmp_path: Path) -> None:
    text = "Budget passes\n\nThe city budget passed on a narrow vote on Monday evening."
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(text.encode("utf-16"))
    for path in (bom, utf16):
        art = only_article(path)
        assert art.title == "Budget passes"
        assert art.paragraphs == ["The city budget passed on a narrow vote on Monday evening."]


def test_text_gzipped(tmp_path: Path) -> None:
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress((FIXTURES / "clean_article.txt").read_bytes()))
    assert only_article(path).title == "Lighthouse museum reopens after repairs"


# --- HTML -----------------------------------------------------------------------------------------------------


def test_html_main_text_and_metadata() -> None:
    art = only_article(FIXTURES / "page.html")
    assert art.reader == "html"
    assert art.title == "City library extends weekend hours after reader petition"
    assert art.paragraphs[0].startswith("The central branch of the Riverside city library")
    assert len(art.paragraphs) == 4
    for gone in ("Home", "Subscribe", "Privacy policy", "All rights reserved", "Terms of use"):
        assert gone not in art.body
    assert art.outlet == "The Riverside Ledger"
    assert art.published is not None and art.published.startswith("2023-05-14")
    assert art.url == "https://ledger.example.com/2023/05/14/library-hours"
    assert art.authors == ["Priya Natarajan"]


def test_html_without_article_text_is_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "redirect.html"
    path.write_text('<html><head><meta http-equiv="refresh" content="0; url=/x"></head><body></body></html>')
    [problem] = problems(extract(path))
    assert problem.level == "skip" and "no article text" in problem.reason


# --- JSON and JSON lines --------------------------------------------------------------------------------------


def test_json_field_mapping(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(RECORD))
    art = only_article(path)
    assert art.reader == "json"
    assert art.source_id == "4217"  # the record's own id, as a string
    assert art.title == "Ferry timetable changes"
    assert art.paragraphs == ["The winter ferry timetable starts on Monday.", "Evening crossings move to 19:30."]
    assert art.outlet == "Island Post"
    assert art.published == "2022-01-07"
    assert art.url == "https://islandpost.example/ferry"
    assert art.authors == ["Rosa Kim", "Tom Ade"]
    assert art.extra["category"] == "transport"
    assert art.origin_line is None


@pytest.mark.parametrize("key", ["articles", "items", "data"])
def test_json_list_under_a_key_and_ids_by_position(tmp_path: Path, key: str) -> None:
    path = tmp_path / "many.json"
    no_id = {"headline": "Second story", "body": "Line one of the story.\nLine two of the story.", "site_name": "X"}
    path.write_text(json.dumps({key: [RECORD, no_id, "not an object"]}))
    items = extract(path)
    first, second = articles(items)
    assert first.source_id == "4217" and first.origin_line == 1
    assert second.source_id == f"{path}#2" and second.origin_line == 2
    assert second.title == "Second story"
    assert second.paragraphs == ["Line one of the story.", "Line two of the story."]  # split on newlines
    assert second.outlet == "X"
    [bad] = problems(items)
    assert bad.line == 3 and "not an object" in bad.reason


def test_json_top_level_list_plain_and_gz(tmp_path: Path) -> None:
    data = json.dumps([RECORD, {**RECORD, "id": "b"}]).encode()
    plain = tmp_path / "list.json"
    plain.write_bytes(data)
    gz = tmp_path / "list.json.gz"
    gz.write_bytes(gzip.compress(data))
    for path in (plain, gz):
        assert [a.source_id for a in articles(extract(path))] == ["4217", "b"]


def test_json_several_values_in_a_json_file_read_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "actually-lines.json"
    path.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "id": "second"}) + "\n")
    assert [a.source_id for a in articles(extract(path))] == ["4217", "second"]


def test_jsonl_plain_and_gz_ids_lines_and_fallback_ids(tmp_path: Path) -> None:
    lines = [
        json.dumps(RECORD),
        json.dumps({"title": "No id here", "content": "Body of the record without an id."}),
        json.dumps({"_id": "mongo-1", "title": "T", "description": "Described only.", "pubDate": 1641550500}),
    ]
    for gz in (False, True):
        path = write_jsonl(tmp_path / ("a.jsonl.gz" if gz else "a.jsonl"), lines, gz=gz)
        first, second, third = articles(extract(path))
        assert (first.source_id, first.origin_line, first.reader) == ("4217", 1, "jsonl")
        assert second.source_id == f"{path}:2" and second.origin_line == 2
        assert third.source_id == "mongo-1"
        assert third.published == "2022-01-07T10:15:00+00:00"  # epoch seconds, UTC


def test_jsonl_bad_lines_are_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(RECORD),
            '{"id": "broken", "text": ',
            "",
            "[1, 2, 3]",
            json.dumps({"id": "empty", "title": "Only a title", "text": "  "}),
            json.dumps({**RECORD, "id": "last"}),
        ],
    )
    items = extract(path)
    assert [a.source_id for a in articles(items)] == ["4217", "last"]
    by_line = {p.line: p for p in problems(items)}
    assert set(by_line) == {2, 4, 5}
    assert by_line[2].level == "error" and "malformed JSON" in by_line[2].reason
    assert by_line[4].level == "error" and "not an object" in by_line[4].reason
    assert by_line[5].level == "skip" and "no text" in by_line[5].reason


def test_jsonl_undecodable_line_is_decoded_by_detection(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    line = json.dumps({"id": "c", "title": "Café", "text": "Le café est fermé le lundi."}, ensure_ascii=False)
    path.write_bytes(line.encode("cp1252") + b"\n")
    [art] = articles(extract(path))
    assert art.paragraphs == ["Le café est fermé le lundi."]
    assert "utf" not in art.extra["encoding"].lower()


def test_json_document_in_utf16_records_encoding(tmp_path: Path) -> None:
    path = tmp_path / "utf16.json"
    path.write_bytes(json.dumps([{"id": "u", "title": "Café", "text": "Le café est fermé."}]).encode("utf-16"))
    [art] = articles(extract(path))
    assert art.paragraphs == ["Le café est fermé."] and art.extra["encoding"] == "utf-16"


def test_jsonl_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    lines = [json.dumps({**RECORD, "id": f"r{i}", "text": f"Story number {i} " * 50}) for i in range(200)]
    full = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    items = extract(path)
    assert len(articles(items)) > 10
    [problem] = problems(items)
    assert problem.level == "error" and "truncated" in problem.reason and problem.line is not None


def test_jsonl_huge_line_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with open(path, "w") as f:
        f.write(json.dumps({**RECORD, "id": "before"}) + "\n")
        f.write(json.dumps({"id": "huge", "text": "x" * 7_000_000}) + "\n")
        f.write(json.dumps({**RECORD, "id": "after"}) + "\n")
    items = extract(path)
    assert [a.source_id for a in articles(items)] == ["before", "after"]
    [problem] = problems(items)
    assert problem.line == 2 and "too large" in problem.reason


def test_jsonl_odd_record_does_not_stop_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.ingest.readers as readers

    real = readers.record_to_article

    def flaky(record: dict, **kwargs: object) -> Article | Problem:
        if record.get("id") == "odd":
            raise ValueError("unexpected shape")
        return real(record, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(readers, "record_to_article", flaky)
    path = write_jsonl(tmp_path / "odd.jsonl", [json.dumps({**RECORD, "id": i}) for i in ("a", "odd", "b")])
    items = extract(path)
    assert [a.source_id for a in articles(items)] == ["a", "b"]
    [problem] = problems(items)
    assert problem.line == 2 and "reader failed" in problem.reason


def test_mongodb_style_id(tmp_path: Path) -> None:
    path = tmp_path / "mongo.jsonl"
    write_jsonl(path, [json.dumps({**RECORD, "id": None, "_id": {"$oid": "65a1f0c2"}})])
    assert [a.source_id for a in articles(extract(path))] == ["65a1f0c2"]


def test_json_text_field_with_html_is_turned_into_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "html.json"
    path.write_text(json.dumps({"id": 1, "title": "T", "content": "<p>First <b>bold</b> para.</p><p>Second.</p>"}))
    assert only_article(path).paragraphs == ["First bold para.", "Second."]


def test_json_record_boilerplate_is_cleaned_lightly(tmp_path: Path) -> None:
    text = (
        "Sign up for our morning newsletter here.\n\nThe mayor signed the order on Friday.\n\n"
        "Advertisement\n\nSubscribers asked whether the order applies to them, and officials said it did."
    )
    path = tmp_path / "promo.json"
    path.write_text(json.dumps({"id": 1, "title": "T", "text": text}))
    assert only_article(path).paragraphs == [
        "The mayor signed the order on Friday.",
        "Subscribers asked whether the order applies to them, and officials said it did.",
    ]


# --- Markdown and feeds ---------------------------------------------------------------------------------------


def test_markdown_front_matter_and_plain_text_body() -> None:
    art = only_article(FIXTURES / "story.md")
    assert art.reader == "markdown"
    assert art.source_id == "ctw-2021-0042"
    assert art.title == "Night trains return to the coastal line"
    assert art.published == "2021-10-03"
    assert art.outlet == "Coastal Transit Weekly"
    assert art.url == "https://transit.example.org/night-trains"
    assert art.authors == ["Lena Brandt", "Okon Eze"]
    assert art.paragraphs[0] == (
        "After a four-year break, night trains will again run on the coastal line from next month, "
        "the regional rail operator said."
    )
    body = art.body
    for syntax in ("**", "](", "![", "# ", "`", "train.jpg"):
        assert syntax not in body
    assert "Saltmarsh" in art.paragraphs and "Tickets" in art.paragraphs
    assert art.paragraphs[-1] == "Tickets go on sale on Monday at transit.example.org and at station counters."


def test_markdown_without_front_matter_uses_h1(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Storm closes harbour\n\nThe harbour was closed on _Sunday_ as the storm arrived.\n")
    art = only_article(path)
    assert art.title == "Storm closes harbour" and art.source_id == str(path)
    assert art.paragraphs == ["The harbour was closed on Sunday as the storm arrived."]


def test_rss_items() -> None:
    path = FIXTURES / "feed.rss"
    items = extract(path)
    first, second = articles(items)
    assert first.reader == "feed" and first.outlet == "Valley Gazette"
    assert first.source_id == "vg-1001" and first.origin_line == 1
    assert first.title == "Bridge closure extended by two weeks"
    assert first.paragraphs == [  # content:encoded wins over the teaser, HTML turned to text, image dropped
        "The old stone bridge over the Mill River will stay closed for two more weeks while engineers finish "
        "repairs to its central arch.",
        "Drivers are asked to use the ring road.",
    ]
    assert first.published == "2022-01-07T10:15:00+01:00"
    assert first.url == "https://gazette.example.net/bridge-closure"
    assert first.authors == ["Amal Haddad"]
    assert second.source_id == f"{path}#2"
    assert second.paragraphs == [
        "The Valley Primary School choir won first prize at the regional contest on Wednesday evening."
    ]
    [empty] = problems(items)
    assert empty.line == 3 and empty.level == "skip"


def test_atom_entries() -> None:
    [art] = articles(extract(FIXTURES / "feed.atom"))
    assert art.source_id == "urn:example:northern-science:owl-quarry"
    assert art.outlet == "Northern Science Desk"
    assert art.published == "2023-03-01T08:00:00+00:00"
    assert art.url == "https://science.example.org/owl-quarry"
    assert art.authors == ["Ingrid Solberg"]
    assert art.paragraphs == [
        "Volunteers counting birds in a disused quarry found three nests of the rare eagle owl.",
        "It is the first record of the species breeding in the county.",
    ]


def test_broken_feed_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.rss"
    path.write_text("<rss><channel><item><title>unclosed")
    items = extract(path)
    assert all(isinstance(i, Problem) for i in items) or articles(items)  # never raises; reports or salvages


# --- dates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022/01/07", "2022-01-07"),
        ("2022-01-07", "2022-01-07"),
        ("2022-01-07T10:15:00Z", "2022-01-07T10:15:00+00:00"),
        ("2022-01-07T10:15:00+02:00", "2022-01-07T10:15:00+02:00"),
        ("Fri, 07 Jan 2022 10:15:00 +0100", "2022-01-07T10:15:00+01:00"),
        (1641550500, "2022-01-07T10:15:00+00:00"),
        ("1641550500", "2022-01-07T10:15:00+00:00"),
        (1641550500000, "2022-01-07T10:15:00+00:00"),
        ("January 7, 2022", "2022-01-07"),
        ("", None),
        ("   ", None),
        ("not a date", None),
        ("2022/13/45", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_date(raw: object, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_invalid_date_keeps_raw_value(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({**RECORD, "date": "sometime in spring"}))
    art = only_article(path)
    assert art.published is None and art.extra["date_raw"] == "sometime in spring"


# --- bad input never raises -----------------------------------------------------------------------------------


def single_problem(path: Path) -> Problem:
    items = extract(path)
    assert len(items) == 1 and isinstance(items[0], Problem), items
    assert items[0].path == str(path)
    return items[0]


def test_empty_file_is_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    problem = single_problem(path)
    assert problem.level == "skip" and "empty" in problem.reason


def test_whitespace_only_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n\n   \n")
    assert "empty" in single_problem(path).reason


@pytest.mark.parametrize("name", ["photo.txt", "photo.jpg", "report.pdf"])
def test_binary_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    problem = single_problem(path)
    assert problem.level == "error" and "not text" in problem.reason


def test_pdf_is_named(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    assert "PDF" in single_problem(path).reason


def test_binary_data_under_html_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    problem = single_problem(path)
    assert problem.level == "error" and "not text (PDF)" in problem.reason


def test_unknown_extension_with_plain_text_is_reported_not_indexed(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    path.write_text("Council meets\n\nThe council meets on Monday to discuss the budget for next year.")
    problem = single_problem(path)
    assert problem.level == "error" and "unknown file type (.log)" in problem.reason and ".txt" in problem.reason


def test_no_suffix_text_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "council-meets"
    path.write_text("Council meets\n\nThe council meets on Monday to discuss the budget for next year.")
    assert only_article(path).title == "Council meets"


def test_server_side_suffix_with_html_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "story.php"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Council meets</title></head><body><article><h1>Council meets</h1>"
        "<p>The council meets on Monday to discuss the budget for next year, the clerk said in a statement.</p>"
        "<p>Residents may speak for three minutes each at the start of the meeting.</p></article></body></html>"
    )
    assert reader_for(path) == "html"


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(bytes(range(128, 256)) * 40)
    problem = single_problem(path)
    assert problem.level == "error"


def test_truncated_gzip_text(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt.gz"
    data = gzip.compress((FIXTURES / "clean_article.txt").read_bytes() * 50)
    path.write_bytes(data[: len(data) // 2])
    problem = single_problem(path)
    assert "gzip" in problem.reason


def test_malformed_json_document(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": 1, "text": "unterminated')
    problem = single_problem(path)
    assert "malformed JSON" in problem.reason and problem.line == 1


def test_json_scalar_document(tmp_path: Path) -> None:
    path = tmp_path / "scalar.json"
    path.write_text("42")
    assert "not articles" in single_problem(path).reason


def test_directory(tmp_path: Path) -> None:
    assert "directory" in single_problem(tmp_path).reason


def test_missing_file_and_broken_symlink(tmp_path: Path) -> None:
    assert "no such file" in single_problem(tmp_path / "missing.txt").reason
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "gone.txt")
    assert "broken symbolic link" in single_problem(link).reason


def test_permission_denied_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, who can read anything: simulate the denial where the readers open files.
    path = tmp_path / "secret.txt"
    path.write_text("Headline\n\nBody of the story.")

    def deny(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("index.ingest.readers.io.open", deny, raising=False)
    problem = single_problem(path)
    assert "permission denied" in problem.reason


def test_single_line_50mb_text_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        chunk = b"word " * 200_000  # 1 MB
        for _ in range(50):
            f.write(chunk)
    problem = single_problem(path)
    assert "too large" in problem.reason


def test_read_path_is_lazy(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "many.jsonl", [json.dumps({**RECORD, "id": i}) for i in range(1000)])
    first = list(itertools.islice(read_path(path), 3))
    assert [a.source_id for a in first] == ["0", "1", "2"]


# --- shared real data (skipped when ../shared/data is absent) -------------------------------------------------


@pytest.mark.shared
def test_realtimeqa_slice_keeps_ids_and_urls(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "realtimeqa" / "articles.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as f:
        raw = list(itertools.islice(f, 400))
    path = tmp_path / "slice.jsonl.gz"
    path.write_bytes(gzip.compress("".join(raw).encode()))
    records = [json.loads(line) for line in raw]
    items = extract(path)
    assert len(items) == len(records)
    for record, item in zip(records, items, strict=True):
        if not record["text"].strip():
            assert isinstance(item, Problem) and item.level == "skip" and item.reason
            continue
        assert isinstance(item, Article)
        assert item.source_id == record["id"]
        assert item.url == record["url"]
        assert item.outlet == record["source"]
        assert item.title == " ".join(record["title"].split())
        if record["date"]:
            assert item.published == record["date"].replace("/", "-")
    assert any(isinstance(i, Problem) for i in items)  # the slice includes empty-text records


@pytest.mark.shared
def test_bbc_files_intact(shared_data: Path) -> None:
    files = sorted((shared_data / "bbc-news" / "txt").glob("*/*.txt"))[::40]
    assert files
    for path in files:
        art = only_article(path)
        headline, *blocks = path.read_text(encoding="utf-8", errors="replace").strip().split("\n\n")
        assert art.title == " ".join(headline.split())
        # Paragraphs equal the file's paragraphs, up to whitespace inside them.
        assert [" ".join(p.split()) for p in art.paragraphs] == [" ".join(b.split()) for b in blocks if b.strip()]


def test_text_page_published_and_updated_lines_become_metadata(tmp_path: Path) -> None:
    path = tmp_path / "storm.txt"
    path.write_text(
        "Skip to main content\n\nStorm cuts power to thousands in the valley\n\n"
        "Published Nov. 25, 2026 at 6:40 AM PST\nUpdated Nov. 25, 2026 at 2:15 PM PST\nBy Ada Lane\n\n"
        "A fast windstorm cut power to about 12,000 homes overnight, the utility said on Wednesday morning.\n\n"
        "Crews expect to restore most customers by Friday, a spokesperson for the utility said in a statement.\n"
    )
    article = only_article(path)
    assert article.published is not None and article.published.startswith("2026-11-25")
    assert article.authors == ["Ada Lane"]
    assert article.extra.get("updated_line", "").startswith("Nov. 25, 2026")
    assert not any("Updated" in p or "Published" in p for p in article.paragraphs)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": 42}, "42"),
        ({"id": 0}, "0"),
        ({"id": True, "guid": " g-1 "}, "g-1"),
        ({"id": "  ", "_id": {"$oid": "65a1"}}, "65a1"),
        ({"id": [1, 2]}, None),
        ({}, None),
    ],
)
def test_id_of_takes_the_first_usable_id(record: dict[str, object], expected: str | None) -> None:
    assert id_of(record) == expected
