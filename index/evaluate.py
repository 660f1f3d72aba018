"""Evaluation: Recall@1/5/10 and MRR@10 over distinct articles, and quote@1, pass@3, short@1 of the composed answer."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from index.answer.compose import ask
from index.models import Answer, Hit, Results
from index.search.query import parse_date
from index.search.timeparse import find_time_expressions, warm_up

log = logging.getLogger(__name__)

CUTOFFS = (1, 5, 10)


class SearchesText(Protocol):
    """What evaluation needs of a searcher (``index.search.searcher.Searcher`` fits).

    It is called with ``as_of``, ``annotate=False`` (no highlights are needed) and, when a sort is asked for,
    ``sort``; for questions with answer strings, also as ``newsbot ask`` calls it (``index.answer.compose.ask``,
    which needs ``idf`` too).
    """

    def search(self, query: str, k: int = 10, *, as_of: Any = None, **options: Any) -> Results: ...

    def idf(self, terms: list[str]) -> dict[str, float]: ...


@dataclass(slots=True)
class Question:
    """One evaluation question and the articles that answer it."""

    qid: str
    question: str
    gold_ids: frozenset[str]  # source ids (the JSONL ``id``, else the file path)
    gold_urls: frozenset[str]  # normalised with normalise_url()
    as_of: date | None = None
    line: int = 0
    answers: tuple[str, ...] = ()  # gold answer strings ("answer" in the file), for the answer metrics

    @property
    def has_gold(self) -> bool:
        return bool(self.gold_ids or self.gold_urls)


@dataclass(slots=True)
class AnswerOutcome:
    """How the composed answer (as ``newsbot ask`` gives it) fared against the gold answer strings."""

    quote: str | None  # the quoted sentence(s), or None
    quote_ok: bool  # the quote holds a gold string (and is at most 400 characters)
    passages_ok: bool  # one of the cited passages holds one
    short: str | None  # the short answer, or None
    short_ok: bool  # the short answer is right (see short_answer_matches)


@dataclass(slots=True)
class Outcome:
    """How one question fared: the 1-based rank of its first gold article among distinct articles, or None."""

    qid: str
    question: str
    rank: int | None
    took_ms: float
    time_words: bool  # the question has a time expression (the parser set Query.window, or timeparse finds one)
    top: list[dict[str, Any]] = field(default_factory=list)  # the first distinct articles returned
    answers: tuple[str, ...] = ()  # the gold answer strings
    answer: AnswerOutcome | None = None  # None when the question has no answer strings


@dataclass(slots=True)
class Metrics:
    """Averages over a set of outcomes."""

    n: int
    recall: dict[int, float]  # cutoff -> share of questions with a gold article at or above it
    mrr: float  # mean reciprocal rank at k (0 for a miss)
    mean_ms: float
    answered: int = 0  # questions with answer strings (the answer metrics are over these)
    quote: float = 0.0  # quote@1: share whose quote holds a gold answer string
    passages: float = 0.0  # pass@3: share whose cited passages hold one
    short: float = 0.0  # short@1: share with a right short answer


@dataclass(slots=True)
class Run:
    """One pass over the questions (with or without as-of dates) and its metrics, overall and by subset."""

    label: str
    k: int
    as_of: bool
    outcomes: list[Outcome]
    metrics: Metrics
    subsets: dict[str, Metrics]
    sort: str | None = None  # None: the searcher's default

    @property
    def missed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank is None]

    @property
    def answer_misses(self) -> list[Outcome]:
        """Questions whose quote holds no gold answer string, or whose short answer is shown and wrong."""
        return [o for o in self.outcomes if o.answer is not None and _missed_answer(o.answer)]


@dataclass(slots=True)
class Report:
    """Every run, plus the questions that could not be scored."""

    path: str
    scored: int
    no_gold: list[Question]
    runs: list[Run]


def _missed_answer(a: AnswerOutcome) -> bool:
    return not a.quote_ok or (a.short is not None and not a.short_ok)


def normalise_url(url: str) -> str:
    """The form URLs are compared in: no scheme, ``www.``, query, fragment, trailing slash or ``index.html``.

    Args:
        url: any URL as found in an article or a question file.

    Returns:
        Host (lower case) and path, e.g. ``cnn.com/2022/01/02/world/sudan``.
    """
    url = url.strip()
    parts = urlsplit(url if "://" in url else "//" + url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    path = re.sub(r"/index\.html?$", "", path).rstrip("/")
    return host + path


# --- answer strings ------------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_answer(text: str) -> str:
    """The form answer strings are compared in: NFKD, accents dropped, lower case, punctuation to spaces.

    Args:
        text: any text (a gold answer, a quote, a passage).

    Returns:
        Words separated by single spaces, e.g. ``"“Thor: Love and Thunder”"`` -> ``"thor love and thunder"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain.lower()).split())


def answer_matches(text: str | None, answers: Iterable[str]) -> bool:
    """True when ``text`` holds one of the gold ``answers`` as whole words, after :func:`normalise_answer`.

    Args:
        text: what was shown (a quote, a passage, a short answer); None or empty never matches.
        answers: the gold answer strings.

    Returns:
        Whether any normalised answer occurs in the normalised text, bounded by spaces or the ends.
    """
    if not text:
        return False
    hay = f" {normalise_answer(text)} "
    return any(gold and f" {gold} " in hay for gold in map(normalise_answer, answers))


def short_answer_matches(short: str | None, answers: Iterable[str]) -> bool:
    """True when a short answer holds a gold string (:func:`answer_matches`), or is most of one: a gold string
    holds it as whole words and it has at least two thirds of that string's words ("Tony Awards" for "The Tony
    Awards"; "Nadal" is not "Rafael Nadal").

    Args:
        short: the short answer shown; None or empty never matches.
        answers: the gold answer strings.

    Returns:
        Whether it counts as right.
    """
    if not short:
        return False
    answers = list(answers)
    if answer_matches(short, answers):
        return True
    words = normalise_answer(short).split()
    return any(
        words and answer_matches(g, [short]) and len(words) * 3 >= len(normalise_answer(g).split()) * 2 for g in answers
    )


def score_answer(answer: Answer, answers: Sequence[str]) -> AnswerOutcome:
    """Score a composed answer against gold answer strings: quote@1, pass@k (its cited passages), short@1.

    Args:
        answer: the answer as ``newsbot ask`` composes it.
        answers: the gold answer strings.

    Returns:
        The outcome; a quote longer than 400 characters counts as a miss (a quote is at most two sentences).
    """
    quote = answer.quote.text if answer.quote is not None else None
    return AnswerOutcome(
        quote=quote,
        quote_ok=quote is not None and len(quote) <= 400 and answer_matches(quote, answers),
        passages_ok=any(answer_matches(p.hit.text, answers) for p in answer.passages),
        short=answer.short_answer,
        short_ok=short_answer_matches(answer.short_answer, answers),
    )


def load_questions(path: str | os.PathLike[str]) -> list[Question]:
    """Read questions from JSONL: ``question`` plus ``gold_article_ids`` / ``gold_source_ids`` and/or ``gold_urls``.

    ``qid`` (or ``id``) names a question (default: its line number) and ``date`` (or ``as_of``: YYYY-MM-DD or
    YYYY/MM/DD) is its as-of date. Blank lines are skipped.

    Args:
        path: the JSONL file.

    Returns:
        The questions in file order.

    Raises:
        ValueError: a line is not a JSON object with a ``question`` (the message names the line).
    """
    out: list[Question] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("question"), str):
                raise ValueError(f'{path}:{n}: expected a JSON object with a "question" string')
            ids = _strings(rec, "gold_article_ids", "gold_source_ids", "gold_ids", "gold_article_id")
            answers = _strings(rec, "answer", "answers")
            urls = _strings(rec, "gold_urls", "gold_url")
            when = rec.get("date") or rec.get("as_of")
            as_of = parse_date(str(when)[:10]) if when else None
            if when and (as_of is None or len(str(when)) < 10):
                log.warning("%s:%d: date %r is not YYYY-MM-DD; the question has no as-of date", path, n, when)
                as_of = None
            out.append(
                Question(
                    qid=str(rec.get("qid") or rec.get("id") or n),
                    question=rec["question"],
                    gold_ids=frozenset(ids),
                    gold_urls=frozenset(normalise_url(u) for u in urls if u),
                    as_of=as_of,
                    line=n,
                    answers=tuple(answers),
                )
            )
    return out


def _strings(rec: dict[str, Any], *keys: str) -> list[str]:
    """The strings under the first of ``keys`` present (a single string counts as a list of one)."""
    for key in keys:
        value = rec.get(key)
        if value:
            return [value] if isinstance(value, str) else [str(v) for v in value if v]
    return []


def distinct_articles(hits: Iterable[Hit], k: int) -> list[Hit]:
    """The first hit of each article, in rank order, at most ``k`` of them."""
    seen: set[int] = set()
    out: list[Hit] = []
    for hit in hits:
        if hit.article_id in seen:
            continue
        seen.add(hit.article_id)
        out.append(hit)
        if len(out) == k:
            break
    return out


def is_gold(hit: Hit, question: Question) -> bool:
    """True when the hit's article, or a copy of the same story folded into it, is a gold article."""
    if _id_matches(hit.source_id, question.gold_ids) or (hit.url and normalise_url(hit.url) in question.gold_urls):
        return True
    for other in hit.also_in:
        sid, url = other.get("source_id"), other.get("url")
        if (sid and _id_matches(sid, question.gold_ids)) or (url and normalise_url(url) in question.gold_urls):
            return True
    return False


def _id_matches(source_id: str, gold_ids: frozenset[str]) -> bool:
    """Equal ids, or a file path id that ends with a gold relative path ("corpus/a.txt" matches "/x/corpus/a.txt")."""
    if source_id in gold_ids:
        return True
    if "/" not in source_id:
        return False
    return any("/" in g and source_id.endswith("/" + g.lstrip("./")) for g in gold_ids)


def gold_rank(hits: Sequence[Hit], question: Question) -> int | None:
    """The 1-based rank of the first gold hit in ``hits`` (already distinct articles), or None."""
    for rank, hit in enumerate(hits, 1):
        if is_gold(hit, question):
            return rank
    return None


def has_time_words(question: Question) -> bool:
    """True when the question has a time expression ("this week", "in March"), read against its as-of date."""
    return bool(find_time_expressions(question.question, question.as_of or date.today()))


def metrics(outcomes: Sequence[Outcome], k: int) -> Metrics:
    """Recall at each cutoff up to ``k`` and MRR@k over the outcomes (zeros for an empty set)."""
    n = len(outcomes)
    cutoffs = [c for c in CUTOFFS if c < k] + [k]
    if not n:
        return Metrics(0, dict.fromkeys(cutoffs, 0.0), 0.0, 0.0)
    recall = {c: sum(1 for o in outcomes if o.rank is not None and o.rank <= c) / n for c in cutoffs}
    mrr = sum(1 / o.rank for o in outcomes if o.rank is not None) / n
    out = Metrics(n, recall, mrr, sum(o.took_ms for o in outcomes) / n)
    scored = [o.answer for o in outcomes if o.answer is not None]
    if scored:
        out.answered = len(scored)
        out.quote = sum(a.quote_ok for a in scored) / len(scored)
        out.passages = sum(a.passages_ok for a in scored) / len(scored)
        out.short = sum(a.short_ok for a in scored) / len(scored)
    return out


def run(
    searcher: SearchesText,
    questions: Sequence[Question],
    *,
    k: int = 10,
    use_as_of: bool = True,
    sort: str | None = None,
) -> Run:
    """Ask every question with gold articles and score where the first gold article ranks, and for those with
    answer strings, the answer ``newsbot ask`` composes (:func:`index.answer.compose.ask`, same as-of, same sort).

    Args:
        searcher: anything with ``search(text, k, as_of=..., annotate=False) -> Results``.
        questions: the questions; those without gold are skipped.
        k: how many distinct articles count (Recall@k, MRR@k).
        use_as_of: pass each question's date as the as-of moment (else None: the searcher's "now").
        sort: the result order to ask for ("blend", "relevance", ...); None leaves the searcher's default.

    Returns:
        The run with its outcomes and metrics, overall and for questions with and without time words.
    """
    outcomes: list[Outcome] = []
    options: dict[str, Any] = {"annotate": False}
    if sort is not None:
        options["sort"] = sort
    for q in questions:
        if not q.has_gold:
            continue
        as_of = q.as_of if use_as_of else None
        t0 = time.perf_counter()
        # Ask for more than k so that k distinct articles remain even if a searcher repeats one.
        results = searcher.search(q.question, k=2 * k, as_of=as_of, **options)
        took = (time.perf_counter() - t0) * 1000
        top = distinct_articles(results.hits, k)
        answer = None
        if q.answers:
            answer = score_answer(_ask(searcher, q.question, as_of, sort), q.answers)
        outcomes.append(
            Outcome(
                qid=q.qid,
                question=q.question,
                rank=gold_rank(top, q),
                took_ms=took,
                time_words=results.query.window is not None or has_time_words(q),
                top=[{"article_id": h.source_id, "title": h.title, "date": h.published} for h in top[:3]],
                answers=q.answers,
                answer=answer,
            )
        )
    subsets = {
        "with time words": metrics([o for o in outcomes if o.time_words], k),
        "without time words": metrics([o for o in outcomes if not o.time_words], k),
    }
    label = "with as-of dates" if use_as_of else "without as-of dates"
    return Run(label, k, use_as_of, outcomes, metrics(outcomes, k), subsets, sort)


def _ask(searcher: SearchesText, question: str, as_of: date | None, sort: str | None) -> Answer:
    """The answer exactly as ``newsbot ask`` composes it."""
    options = {"sort": sort} if sort is not None else {}
    return ask(searcher, question, as_of=as_of, **options)


def evaluate(
    searcher: SearchesText,
    path: str | os.PathLike[str],
    *,
    k: int = 10,
    use_as_of: bool = True,
    sorts: Sequence[str | None] = (None,),
) -> Report:
    """Evaluate a searcher on a question file; with as-of dates (when the questions have them) and without.

    Args:
        searcher: see :func:`run`.
        path: the questions (JSONL; see :func:`load_questions`).
        k: how many distinct articles count.
        use_as_of: also run with each question's date as its as-of moment (the first run of each sort).
        sorts: result orders to compare, each run with and without as-of dates (None: the searcher's default).

    Returns:
        The report: for each sort, one run with as-of dates (when asked for and available), then one without.
    """
    questions = load_questions(path)
    scored = [q for q in questions if q.has_gold]
    warm_up()  # load the date parser now, not inside the first timed question
    runs: list[Run] = []
    for sort in sorts:
        if use_as_of and any(q.as_of for q in scored):
            runs.append(run(searcher, scored, k=k, use_as_of=True, sort=sort))
        runs.append(run(searcher, scored, k=k, use_as_of=False, sort=sort))
    return Report(str(Path(path)), len(scored), [q for q in questions if not q.has_gold], runs)


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""

    def m(x: Metrics) -> dict[str, Any]:
        d = {f"recall@{c}": round(v, 4) for c, v in x.recall.items()}
        out = {"n": x.n, **d, f"mrr@{k}": round(x.mrr, 4), "mean_ms": round(x.mean_ms, 3)}
        if x.answered:
            out |= {"answered": x.answered, "quote@1": round(x.quote, 4), "pass@3": round(x.passages, 4)}
            out["short@1"] = round(x.short, 4)
        return out

    out: dict[str, Any] = {
        "questions": report.path,
        "scored": report.scored,
        "no_gold": [{"qid": q.qid, "question": q.question} for q in report.no_gold],
        "runs": [],
    }
    for r in report.runs:
        k = r.k
        out["runs"].append(
            {
                "label": r.label,
                "as_of": r.as_of,
                "sort": r.sort,
                "k": k,
                **m(r.metrics),
                "subsets": {name: m(x) for name, x in r.subsets.items()},
                "missed": [asdict(o) for o in r.missed],
                "ranks": {o.qid: o.rank for o in r.outcomes},
                "answer_misses": [_answer_miss(o) for o in r.answer_misses],
            }
        )
    return out


def format_report(report: Report, *, missed: int = 50) -> str:
    """The report as a table for the terminal, then the questions missed in the first run.

    With answer strings in the question file, the table also has quote@1, pass@3 and short@1, and the
    questions whose quote or short answer missed are listed with their gold answers.

    Args:
        report: the evaluation report.
        missed: list at most this many missed questions (of each list).

    Returns:
        The text, ending with a newline.
    """
    lines = [f"{report.scored} questions with gold articles in {report.path}"]
    if report.no_gold:
        lines.append(
            f"{len(report.no_gold)} without gold articles, not scored: " + ", ".join(q.qid for q in report.no_gold)
        )
    if not report.runs:
        return "\n".join(lines) + "\n"
    lines += ["", *_table(report.runs), ""]
    if any(not r.as_of for r in report.runs):
        lines.append("Without as-of dates each question is asked as of now, and its time words are read against today.")
    lines.append("ms/q: mean search time per question, without highlights.")
    if any(r.metrics.answered for r in report.runs):
        lines.append(ANSWER_RULE)
    first = report.runs[0]
    k = first.k
    if first.missed:
        lines += ["", f"Missed ({_name(first)}): gold not in the top {k} distinct articles"]
        for o in first.missed[:missed]:
            lines.append(f"  {o.qid}  {_clip(o.question, 90)}")
            if o.top:
                lines.append(f"      top: {_clip(o.top[0]['title'] or '(untitled)', 80)} [{o.top[0]['article_id']}]")
        if len(first.missed) > missed:
            lines.append(f"  ... and {len(first.missed) - missed} more (--json lists them all)")
    lines += _answer_miss_lines(first, missed)
    return "\n".join(lines) + "\n"


ANSWER_RULE = (
    "quote@1: the quote (at most two sentences, 400 characters) holds a gold answer; pass@3: a cited passage does;\n"
    "short@1: the short answer is right. Matching: NFKD with accents folded, lower case, punctuation to spaces,\n"
    "whole-word containment of the gold string (a short answer may also be two thirds of a gold string's words)."
)


def _table(runs: Sequence[Run]) -> list[str]:
    """The metrics table: one row per run and subset; answer columns when any run has answer strings."""
    k = runs[0].k
    cutoffs = list(runs[0].metrics.recall)
    answers = any(r.metrics.answered for r in runs)
    head = f"{'':34}{'n':>5}" + "".join(f"{'R@' + str(c):>8}" for c in cutoffs) + f"{'MRR@' + str(k):>9}{'ms/q':>8}"
    if answers:
        head += f"{'quote@1':>9}{'pass@3':>8}{'short@1':>9}"

    def row(name: str, x: Metrics) -> str:
        cells = "".join(f"{x.recall[c]:>8.3f}" for c in cutoffs)
        line = f"{name:34}{x.n:>5}{cells}{x.mrr:>9.3f}{x.mean_ms:>8.2f}"
        if answers and x.answered:
            line += f"{x.quote:>9.3f}{x.passages:>8.3f}{x.short:>9.3f}"
        return line

    lines = [head]
    for r in runs:
        lines.append(row(_name(r), r.metrics))
        lines.extend(row("  " + name, x) for name, x in r.subsets.items() if x.n)
    return lines


def _answer_miss_lines(run: Run, limit: int) -> list[str]:
    """The questions whose quote or short answer missed: the question, its gold answers, what was shown."""
    misses = run.answer_misses
    if not misses:
        return []
    lines = ["", f"Answer misses ({_name(run)}): a quote without a gold answer, or a wrong short answer"]
    for o in misses[:limit]:
        a = o.answer
        assert a is not None  # answer_misses only lists questions with an answer outcome
        lines.append(f"  {o.qid}  {_clip(o.question, 90)}")
        lines.append(f"      gold:  {' | '.join(o.answers)}")
        short = "(none)" if a.short is None else f"{a.short!r}" + ("" if a.short_ok else " (wrong)")
        lines.append(f"      short: {short}")
        quote = "(none)" if a.quote is None else _clip(a.quote, 160)
        lines.append(f"      quote: {'ok  ' if a.quote_ok else ''}{quote}")
    if len(misses) > limit:
        lines.append(f"  ... and {len(misses) - limit} more (--json lists them all)")
    return lines


def _answer_miss(o: Outcome) -> dict[str, Any]:
    a = o.answer
    assert a is not None  # answer_misses only lists questions with an answer outcome
    return {
        "qid": o.qid,
        "question": o.question,
        "answers": list(o.answers),
        "quote": a.quote,
        "quote_ok": a.quote_ok,
        "short_answer": a.short,
        "short_ok": a.short_ok,
        "passages_ok": a.passages_ok,
    }


def _name(r: Run) -> str:
    return f"{r.label}, {r.sort}" if r.sort else r.label


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
