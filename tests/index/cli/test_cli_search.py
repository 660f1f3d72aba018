"""The search CLI: batch protocol, output shapes, messages and exit codes (with a stand-in searcher)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from index.answer.compose import annotate
from index.cli import main
from index.cli import search as search_cli
from index.models import Hit, Results
from index.search.query import EMPTY_MESSAGE, parse

TEXT = "Kim Jong Un called the new sanctions an act of war. Officials said 12 firms were named."


def make_hit(n: int = 1, **kw: Any) -> Hit:
    fields: dict[str, Any] = {
        "passage_id": n,
        "article_id": n,
        "source_id": f"rtqa-{n}",
        "title": f"Sanctions story {n}",
        "outlet": "example.com",
        "published": "2022-01-12",
        "url": f"https://example.com/{n}",
        "paragraph": 2,
        "paragraph_end": 2,
        "text": TEXT,
        "score": 10.0 / n,
    }
    fields.update(kw)
    return Hit(**fields)


class FakeSearcher:
    """Answers every query with the same hits; records calls. A query "boom" raises ValueError."""

    def __init__(self, hits: list[Hit] | None = None) -> None:
        self.hits = hits if hits is not None else [make_hit(1), make_hit(2)]
        self.calls: list[dict[str, Any]] = []

    def search(self, query: str, k: int = 10, **kw: Any) -> Results:
        self.calls.append({"query": query, "k": k, **kw})
        if query == "boom":
            raise ValueError("bad query")
        q = parse(query, today=kw.get("as_of"))
        hits = [] if q.empty else [annotate(h, q) for h in self.hits[:k]]
        return Results(query=q, hits=hits, total=len(hits), took_ms=0.5)

    def idf(self, terms: list[str]) -> dict[str, float]:
        return {}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSearcher:
    searcher = FakeSearcher()
    monkeypatch.setattr(search_cli, "_open_searcher", lambda args: searcher)
    return searcher


def test_run_batch_protocol_in_order() -> None:
    lines = io.StringIO(
        "kim sanctions\n"
        "\n"
        '{"query": "storm damage", "as_of": "2022-01-07"}\n'
        "{not json\n"
        '{"as_of": "2022-01-07"}\n'
        '{"query": "late", "as_of": "someday"}\n'
        "boom\n"
        "   \n"
        "last one\n"
    )
    out = io.StringIO()
    searcher = FakeSearcher()
    n = search_cli.run_batch(searcher, lines, out, k=5)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert n == len(records) == 7
    assert [r["query"] for r in records] == [
        "kim sanctions",
        "storm damage",
        "{not json",
        '{"as_of": "2022-01-07"}',
        "late",
        "boom",
        "last one",
    ]
    assert [("error" in r) for r in records] == [False, False, True, True, True, True, False]
    good = records[0]
    assert set(good) == {"query", "took_ms", "results"}
    assert set(good["results"][0]) == {"article_id", "url", "title", "source", "date", "passage", "score"}
    assert good["results"][0]["article_id"] == "rtqa-1"
    assert good["results"][0]["passage"] == TEXT
    assert good["results"][0]["source"] == "example.com"
    # The JSON line's as_of reaches the searcher as a date; plain lines get the command's (none here).
    assert [c["as_of"] for c in searcher.calls] == [None, date(2022, 1, 7), None, None]
    assert all(c["k"] == 5 for c in searcher.calls)


def test_run_batch_default_as_of_and_filters() -> None:
    searcher = FakeSearcher()
    search_cli.run_batch(
        searcher, io.StringIO("a query\n"), io.StringIO(), k=3, as_of=date(2023, 1, 1), sources=["cnn.com"]
    )
    assert searcher.calls == [
        {"query": "a query", "k": 3, "as_of": date(2023, 1, 1), "annotate": False, "sources": ["cnn.com"]}
    ]


def test_cli_batch_from_file_and_stdin(
    fake: FakeSearcher, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "queries.txt"
    path.write_text("first query\nsecond query\n", encoding="utf-8")
    assert main(["search", "--batch", str(path), "--k", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["query"] for line in out] == ["first query", "second query"]
    assert all(len(json.loads(line)["results"]) == 1 for line in out)

    monkeypatch.setattr("sys.stdin", io.StringIO('{"query": "third", "as_of": "2022-02-02"}\n'))
    assert main(["search", "--batch", "-", "--as-of", "2021-01-01"]) == 0
    assert json.loads(capsys.readouterr().out)["query"] == "third"
    assert fake.calls[-1]["as_of"] == date(2022, 2, 2)


def test_cli_batch_missing_file(fake: FakeSearcher, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--batch", str(tmp_path / "nope.txt")]) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_cli_search_text_output(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "kim", "sanctions", "--k", "2", "--source", "cnn.com", "--after", "2022-01"]) == 0
    out = capsys.readouterr().out
    assert " 1. Sanctions story 1 — example.com, 2022-01-12, paragraph 2  [score 10.00]" in out
    assert "**Kim** Jong Un called the new **sanctions**" in out
    assert "https://example.com/2" in out
    assert fake.calls[0] == {
        "query": "kim sanctions",
        "k": 2,
        "as_of": None,
        "sources": ["cnn.com"],
        "after": date(2022, 1, 1),
        "before": None,
    }


def test_cli_search_json(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "foo:bar kim", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "foo:bar kim"
    assert data["notes"] and "foo:" in data["notes"][0]
    first = data["results"][0]
    assert first["article_id"] == "rtqa-1" and first["paragraph"] == 2
    s, e = first["highlights"][0]
    assert TEXT[s:e] == "Kim"
    s, e = first["best_sentence"]
    assert TEXT[s:e] == "Kim Jong Un called the new sanctions an act of war."


def test_cli_search_no_results(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    fake.hits = []
    assert main(["search", "volcano"]) == 0
    assert "couldn't find" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["search", "the of"], ["ask", "what", "is", "it?"]])
def test_cli_empty_query_message(fake: FakeSearcher, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 1
    assert EMPTY_MESSAGE in capsys.readouterr().err
    assert fake.calls == []


def test_cli_search_needs_query_or_batch(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search"]) == 2
    assert main(["search", "x y", "--batch", "-"]) == 2
    assert "not both" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["search", "x", "--after", "soon"], ["ask", "x", "--as-of", "2022-01"]])
def test_cli_bad_flag_dates_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_cli_ask_renders_answer(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "What did Kim call the sanctions?", "--as-of", "2022-01-07"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("“**Kim** Jong Un **called** the new **sanctions** an act of war.” [1]")
    assert "[1] Sanctions story 1 — example.com, 2022-01-12, paragraph 2" in out
    assert fake.calls[0]["as_of"] == date(2022, 1, 7)


def test_cli_ask_json(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "What did Kim call the sanctions?", "--json", "--passages", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["confident"] is True
    assert data["answer"] == "Kim Jong Un called the new sanctions an act of war."
    assert len(data["passages"]) == 1 and data["passages"][0]["url"] == "https://example.com/1"


def test_cli_ask_not_confident(fake: FakeSearcher, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Zelenskyy ceasefire parliament speech", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["confident"] is False and data["passages"] == [] and data["answer"] is None
    assert data["message"] and data["suggestions"]


@pytest.mark.parametrize("command", [["search", "kim"], ["ask", "kim"], ["search", "--batch", "-"]])
def test_cli_not_indexed_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main([*command, "--db", str(tmp_path / "missing.db")]) == 1
    assert capsys.readouterr().err.strip() == "The archive is not indexed yet: run `newsbot index PATH`."


def test_cli_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "none.jsonl")]) == 1
    assert "No question file" in capsys.readouterr().err


def test_cli_eval_with_stand_in(fake: FakeSearcher, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {"qid": "a", "question": "kim sanctions", "gold_article_ids": ["rtqa-2"], "date": "2022/01/07"},
        {"qid": "b", "question": "kim war", "gold_urls": ["http://www.example.com/9/"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["eval", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in data["runs"]] == ["with as-of dates", "without as-of dates"]
    assert data["runs"][1]["ranks"] == {"a": 2, "b": None}
    assert main(["eval", str(path), "--no-as-of"]) == 0
    out = capsys.readouterr().out
    assert "without as-of dates" in out and "with as-of dates" not in out
    assert "b  kim war" in out


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("search", "ask", "eval"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "examples:" in capsys.readouterr().out


# --- end to end: a small store, its postings, and the real Searcher -------------------------------------------


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    from helpers.searchdb import Doc, make_store

    from index.search.build import rebuild

    db = tmp_path / "news.db"
    make_store(
        db,
        [
            Doc(
                "Council votes to replace Tanner Street Bridge",
                [
                    "The Harbor City council voted 6-3 on Tuesday to tear down the Tanner Street Bridge.",
                    "A replacement costing $48.5 million is due to open in late 2028, officials said.",
                ],
                outlet="harborledger.example",
                published="2026-09-09",
                url="https://www.harborledger.example/local/tanner-bridge/index.html",
                source_id="ledger-1",
            ),
            Doc(
                "Storm floods the harbor district",
                ["Heavy rain flooded streets near the harbor on Monday and closed the ferry terminal."],
                outlet="vpr.example",
                published="2026-10-02",
                source_id="vpr-7",
            ),
            Doc(
                "Stadium costs rise again",
                ["The Pier 9 stadium will cost $120 million more than planned, the council heard."],
                outlet="vpr.example",
                published="2026-10-27",
                source_id="vpr-9",
            ),
        ],
    )
    rebuild(db, progress=False)
    return db


def test_e2e_search_text_and_json(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "bridge council", "--db", str(small_db)]) == 0
    out = capsys.readouterr().out
    assert "Council votes to replace Tanner Street Bridge — harborledger.example, 2026-09-09" in out
    assert "**council**" in out and "**Bridge**" in out

    assert main(["search", "council source:vpr.example", "--db", str(small_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["article_id"] for r in data["results"]] == ["vpr-9"]


def test_e2e_search_filters_and_sort(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "council", "--after", "2026-10", "--db", str(small_db), "--json"]) == 0
    assert [r["article_id"] for r in json.loads(capsys.readouterr().out)["results"]] == ["vpr-9"]
    assert main(["search", "council harbor", "--sort", "newest", "--db", str(small_db), "--json"]) == 0
    dates = [r["date"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 3


def test_e2e_batch(small_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO('bridge replacement\n\n{"query": "stadium", "as_of": "2026-10-01"}\n{"query": 5}\nflooded ferry\n'),
    )
    assert main(["search", "--batch", "-", "--db", str(small_db)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["query"] for r in lines] == ["bridge replacement", "stadium", '{"query": 5}', "flooded ferry"]
    assert lines[0]["results"][0]["article_id"] == "ledger-1"
    assert lines[0]["results"][0]["url"] == "https://www.harborledger.example/local/tanner-bridge/index.html"
    assert lines[1]["results"] == []  # the stadium story was published after the as-of day
    assert "error" in lines[2]
    assert lines[3]["results"][0]["article_id"] == "vpr-7"
    assert set(lines[3]["results"][0]) == {"article_id", "url", "title", "source", "date", "passage", "score"}


def test_e2e_ask(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question = ["How", "did", "the", "council", "vote", "on", "the", "Tanner", "bridge?"]
    assert main(["ask", *question, "--db", str(small_db)]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first == (
        "“The Harbor City **council voted** 6-3 on Tuesday to tear down the **Tanner** Street **Bridge**.” [1]"
    )
    # The date comes with its age at the as-of moment (now, as no --as-of is given).
    assert "[1] Council votes to replace Tanner Street Bridge — harborledger.example, 2026-09-09 (" in out
    assert main(["ask", *question, "--db", str(small_db), "--as-of", "2026-09-12"]) == 0
    dated = capsys.readouterr().out
    assert "harborledger.example, 2026-09-09 (3 days earlier), paragraph 1" in dated

    assert main(["ask", "Who won the Zyxwv election?", "--db", str(small_db)]) == 0
    out = capsys.readouterr().out
    assert "Check the spelling of “Zyxwv”." in out and "[1]" not in out


def test_e2e_eval(small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {"question": "Tanner Street Bridge vote", "gold_urls": ["http://harborledger.example/local/tanner-bridge"]},
        {"question": "ferry terminal closed by flooding", "gold_source_ids": ["vpr-7"], "date": "2026-10-05"},
        {"question": "stadium cost", "gold_source_ids": ["vpr-9"], "date": "2026-10-05"},  # published later
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["eval", str(questions), "--db", str(small_db), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert runs[0]["label"] == "with as-of dates"
    assert runs[0]["ranks"] == {"1": 1, "2": 1, "3": None}
    assert runs[1]["ranks"] == {"1": 1, "2": 1, "3": 1}
    assert runs[1]["recall@1"] == 1.0 and runs[1]["mrr@10"] == 1.0


def test_e2e_not_indexed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.searchdb import Doc, make_store

    db = tmp_path / "news.db"
    make_store(db, [Doc("A story", ["Some text about things."])])  # stored, but no postings built
    assert main(["search", "story", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == "The archive is not indexed yet: run `newsbot index PATH`."


def test_search_json_gives_each_result_its_best_sentence(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Search itself marks words only; the CLI (above search and answers) adds the best sentence for --json.
    assert main(["search", "replacement bridge open", "--db", str(small_db), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["results"][0]
    s, e = first["best_sentence"]
    assert first["passage"][s:e].startswith("A replacement costing $48.5 million")


def test_ask_json_short_answer_keys(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question = "How much more will the Pier 9 stadium cost than planned?"
    assert main(["ask", question, "--db", str(small_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"short_answer", "short_answer_citation", "answer", "answer_citation", "answer_spans"} <= set(data)
    assert data["answer"] == "The Pier 9 stadium will cost $120 million more than planned, the council heard."
    assert data["short_answer"] == "$120 million" and data["short_answer_kind"] == "money"
    cited = data["passages"][data["short_answer_citation"] - 1]
    assert "$120 million" in cited["passage"]
