"""What a question asks for: the kind of answer it wants (person, place, organisation, number, date ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.tokenize import tokenize

# Answer kinds. Candidates (index.answer.candidates) carry the same names; "name" is any proper name, the
# fallback for questions after a named thing whose type the rules cannot tell (a show, a storm, a rule).
# "thing" is the open class: "which menu item", "what did the rover find": a noun phrase of any kind.
PERSON, PLACE, ORG, NAME = "person", "place", "organisation", "name"
NUMBER, MONEY, PERCENT, DATE, THING, OTHER = "number", "money", "percent", "date", "thing", "other"
KINDS = (PERSON, PLACE, ORG, NAME, NUMBER, MONEY, PERCENT, DATE, THING, OTHER)

# Head nouns after "which/what ..." or "this ...", by the kind they ask for. Each maps to (kind, detail).
_NOUNS: dict[str, tuple[str, str]] = {}
for _kind, _detail, _words in (
    (
        PERSON,
        "person",
        "person people man woman who actor actress singer rapper star celebrity director player athlete"
        " president minister leader politician senator governor mayor member mp lawmaker ceo founder billionaire"
        " visionary author writer artist musician comedian host judge official candidate quarterback coach footballer"
        " royal prince princess king queen pope journalist investor chef model scientist doctor economist activist"
        " entrepreneur executive lawyer attorney commander officer astronaut golfer boxer swimmer gymnast cyclist"
        " secretary undersecretary adviser advisor aide diplomat ambassador envoy admiral chancellor premier monarch"
        " emperor dictator tycoon mogul banker whistleblower hacker influencer heir"
        " nominee winner champion suspect presenter anchor composer designer novelist poet filmmaker producer"
        " administrator suffragist justice donor megadonor philanthropist businessman businesswoman congressman"
        " congresswoman spokesman spokeswoman chairman chairwoman superstar co-founder cofounder democrat republican"
        " boss chief manager referee umpire pilot soldier nurse teacher student priest rabbi imam bishop cardinal"
        " archbishop legislator representative delegate commissioner inventor explorer mountaineer climber runner"
        " sprinter skier skater pitcher goalkeeper striker defender captain owner heiress socialite magnate"
        " youtuber podcaster comedienne dancer painter sculptor photographer architect engineer physicist chemist"
        " biologist historian professor researcher analyst expert prosecutor detective sheriff contender challenger"
        " incumbent survivor victim hostage prisoner defendant plaintiff gunman shooter attacker killer assassin spy"
        " veteran sergeant lieutenant colonel marshal negotiator sultan emir sheikh duke duchess grandson"
        " granddaughter son daughter wife husband widow mother father brother sister boy girl teen teenager"
        " protester campaigner reporter columnist editor correspondent critic blogger icon legend idol guitarist"
        " drummer pianist violinist conductor rocker songwriter vocalist frontman screenwriter playwright showrunner"
        " cartoonist illustrator restaurateur baker farmer worker employee staffer consultant strategist pollster"
        " lobbyist surgeon physician psychologist cosmonaut sailor crooner personality entertainer performer creator"
        " dj scholar academic ruler lady laureate astronomer racer driver jockey rookie outfielder shortstop"
        " linebacker midfielder winger pioneer hero heroine villain chair hopeful frontrunner contestant"
        " appointee newcomer",
    ),
    (PLACE, "country", "country countries nation nations"),
    (PLACE, "city", "city cities town towns capital village"),
    (PLACE, "state", "state states province provinces"),
    (PLACE, "islands", "island islands archipelago"),
    (
        PLACE,
        "place",
        "place region area continent county district park destination location airport port river"
        " lake mountain sea ocean attraction landmark glacier volcano shelf canal desert forest peninsula strait"
        " bay gulf water waters waterway neighborhood neighbourhood borough suburb territory enclave emirate"
        " kingdom republic valley canyon coast coastline beach resort stadium venue arena prison base campus"
        " street road highway bridge tunnel harbor harbour",
    ),
    (
        ORG,
        "company",
        "company companies firm firms automaker carmaker retailer bank airline brand business"
        " supermarket supermarkets chain manufacturer maker startup giant network newspaper broadcaster publisher"
        " platform app university college school agency service streamer website magazine studio carrier"
        " insurer lender chipmaker provider operator developer exchange conglomerate outlet store restaurant hotel"
        " station label lab laboratory institute",
    ),
    (ORG, "team", "team teams club clubs side"),
    (NUMBER, "count", "population toll tally"),  # "What is the population of ...", "the death toll"
    (
        ORG,
        "group",
        "group groups organisation organization party union movement militia institution museum aquarium zoo"
        " hospital charity nonprofit foundation church band duo trio choir department ministry body legislature"
        " parliament commission committee bureau regulator watchdog tribunal league alliance coalition cartel"
        " gang",
    ),
    (
        NAME,
        "title",
        "movie film show series book song album game tournament event award awards festival storm"
        " hurricane typhoon virus variant rule law bill program programme mission character podcast novel painting"
        " musical opera documentary sculpture ship vessel spacecraft rocket satellite drug vaccine nickname"
        " codename slogan motto hashtag planet moon asteroid comet title journal",
    ),
):
    for _w in _words.split():
        _NOUNS[_w] = (_kind, _detail)

# A lookahead, so that "this week at which show" still finds "which" after "this".
_WH = re.compile(r"\b(which|what|whose|this|these)\b(?=((?:\s+[\w’'“”\"-]+){1,5}))", re.IGNORECASE)
_COLLECTIVE = frozenset(["group", "groups", "chain", "set", "pair", "body"])
_AUXILIARIES = frozenset(
    ["did", "does", "do", "will", "would", "can", "could", "should", "has", "have", "had", "may", "might", "must"]
)
_COPULAS = frozenset(["is", "was", "are", "were"])
_MONEY_WORDS = re.compile(
    r"\b(money|cost|costs|worth|pay|paid|spend|spent|price|prices|fund|funding|raise|raised|earn|earned|salary|wage"
    r"|invest|investment|budget|deal|bid|fine|fined|sum|amount|dollars|sell|sold|save|saved|savings|owe|owed|debt"
    r"|revenue|profit|profits|income|earnings|tax|taxes|rent)\b",
    re.IGNORECASE,
)
# Ordered: the first rule that matches decides. Each is (pattern, kind, detail).
_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), k, d)
    for p, k, d in (
        (r"\b(what|which) (percentage|percent|share|proportion|fraction)\b|\bhow much of\b", PERCENT, "percent"),
        (r"\b(what|which)\b[^?.]*\b(rate|percentage)\b", PERCENT, "percent"),
        (r"\b(what|which) (year|decade)\b|\bin what year\b", DATE, "year"),
        (r"\bhow old\b|\b(what|which) age\b|\bage of\b.*\?$", NUMBER, "age"),
        (r"\bhow (much|high|low|expensive)\b", MONEY, "amount"),
        (r"\b(what|which) (hourly |annual |average )?(amount|price|wage|rate|sum|salary)\b", MONEY, "amount"),
        (
            r"\bhow (many|far|long|big|large|tall|fast|deep)\b|\b(what|which) (number|magnitude)\b|\bmagnitude\b",
            NUMBER,
            "count",
        ),
        # "On what date ...": a day of the calendar; "when", "how soon": any time, "next month" too.
        (r"\b(what|which) (day|date)\b", DATE, "day"),
        (r"\bhow (soon|often)\b|\bwhen\b|\b(what|which) (month|time)\b", DATE, "date"),
        (r"\b(what|which)\b[^?.]*\b(price|amount|wage|sum|cost|worth|fine|fee|salary|bail|ransom)\b", MONEY, "amount"),
        # "Who won ...", "... this week. Who was it?", "... named after whom?", not "residents who are".
        (r"(?:^|[.?!:;,]\s*)who(m|se)?\b|\bwho(m|se)?(?=\s*\?)", PERSON, "person"),
        (r"\bwhere\b", PLACE, "place"),
        # "The board named who as its chair?": "who" inside a question that asks nothing else.
        (r"^(?!.*\b(?:what|which|when|where|how|why)\b)(?=[^?]*\?)[^?]*?\bwho(m|se)?\b", PERSON, "person"),
        # "What was the name of the storm?", "... change its name to what?": a proper name is asked for.
        # "What is it now called?": the same.
        (
            r"\b(what|which)\b[^?.]*\b(re)?name[ds]?\b|\b(re)?nam(e|ed|ing)\b[^?.]*\bwhat\b"
            r"|\bwhat\b[^?.]*\b(called|known as)\s*\?",
            NAME,
            "name",
        ),
    )
)
_CHANGE = re.compile(
    r"\b(increase[sd]?|rise[ns]?|rose|grow[ns]?|grew|fall[ens]*|fell|drop(ped|s)?|climb(ed|s)?)\b", re.I
)
# "How much rain fell": a noun after "how much" is what is measured, not a change (a verb or "more" comes there
# in "how much have prices risen", "how much did rents rise", "how much more ...").
_MEASURED = re.compile(
    r"\bhow much (?!(?:did|does|do|has|have|had|is|was|are|were|will|would|could|can|more|less|higher|lower|of)\b)"
    r"[a-z]+\b",
    re.I,
)
_POSSESSIVE = re.compile(r"[’']s?$")
_RATE = re.compile(r"\b(rate|rates|percent|inflation|interest)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """A question read for answering.

    Attributes:
        text: the question as asked.
        kind: the kind of answer wanted (one of ``KINDS``): ``THING`` for an open-class "what/which" question
            whose noun the rules do not know ("which menu item"), ``OTHER`` when there is no such question.
        detail: a finer kind: "country", "city", "state", "islands", "company", "team", "group", "count", "day",
            "amount", "age", "year", ... (equal to ``kind`` when there is nothing finer).
        focus: the question's words that name the kind ("country" in "which country"), left out of ``terms``
            (an open-class focus, "menu item", stays in them, as does "storm" in "the name of the storm").
        terms: the question's content terms (the index's tokenizer), without the focus words; repeats dropped.
        known: every term of the question, focus included, and the terms of the countries its adjectives name
            ("English": England): a candidate made only of these is not an answer.
        context: the terms that occur only in the question's lead-in sentences ("The US marked the
            anniversary this week. How many were arrested?"): they set the scene, the asking sentence says
            what is asked, so answers may weigh them less.
        plural: the question asks for two or more things ("which two ...").
        said: every term the question itself writes (``known`` without the countries it only implies): a count
            whose unit is one of these counts what is asked.
    """

    text: str
    kind: str
    detail: str
    focus: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    known: frozenset[str] = field(default_factory=frozenset)
    context: frozenset[str] = field(default_factory=frozenset)
    plural: bool = False
    said: frozenset[str] = field(default_factory=frozenset)


def analyse(question: str) -> QuestionAnalysis:
    """Read a question into the kind of answer it wants and its content terms.

    Handles wh-questions ("Who won ...", "How much is the deal worth?", "In which state ...") and quiz-style
    statements ("The prime minister of this country resigned ...", "... which group of islands?").

    Args:
        question: the question as asked.

    Returns:
        Its analysis; ``kind`` is ``THING`` for open-class questions ("What did the rover find?"), ``OTHER``
        when nothing is asked for that the rules know.
    """
    parts = _sentences(question)
    ask = _asking(parts)
    # The sentence that asks (the question itself when it is one sentence), read once for the kind and the context.
    kind, detail, focus = _what_is_asked(question, parts[ask] if len(parts) > 1 else question)
    all_terms = tokenize(question)
    # An open-class focus ("menu item") stays among the terms: passages about the thing often say it.
    focus_terms = set(tokenize(" ".join(focus))) if kind != THING else set()
    if kind == NAME and focus[:1] == ["name"] and len(focus) == 2:
        # So does the noun of "the name of the storm": the passages name it with it ("Tropical Storm Nicole").
        focus_terms = {"name"}
    terms = tuple(t for t in dict.fromkeys(all_terms) if t not in focus_terms)
    return QuestionAnalysis(
        question,
        kind,
        detail,
        tuple(focus),
        terms or tuple(dict.fromkeys(all_terms)),
        frozenset(all_terms) | _countries_named(question),
        _context(parts, ask),
        _PLURAL.search(question) is not None or any(_is_plural(w) for w in focus),
        frozenset(all_terms),
    )


def _context(parts: list[str], ask: int) -> frozenset[str]:
    """Terms only in the sentences other than ``parts[ask]``, the one that asks."""
    if len(parts) < 2:
        return frozenset()
    asked = set(tokenize(parts[ask]))
    lead = {t for p in parts[:ask] + parts[ask + 1 :] for t in tokenize(p)}
    return frozenset(lead - asked)


def _sentences(question: str) -> list[str]:
    """The question's sentences (a new one after ".", "?" or "!" and a capital or an opening quote)."""
    return [p for p in _SENTENCES.split(question.strip()) if p.strip()]


_IMPERATIVE = re.compile(r"^(?:name|identify)\s+(?:the|a|an|one)\s+", re.IGNORECASE)


def _asking(parts: list[str]) -> int:
    """Which of a question's sentences asks: the last with "?", a wh-word or "this ..." (the last sentence else)."""
    return next((i for i in range(len(parts) - 1, -1, -1) if _ASKS.search(parts[i])), len(parts) - 1)


_SENTENCES = re.compile(r"(?<=[.?!])\s+(?=[A-Z“\"])")
_ASKS = re.compile(r"\?|\b(who|whom|whose|what|which|when|where|how|this|these)\b", re.IGNORECASE)


def _what_is_asked(question: str, asking: str) -> tuple[str, str, list[str]]:
    """(kind, detail, focus words): from the sentence that asks when it says, else from the whole question.

    A lead-in's words say nothing of what is asked: "The storm, which city officials called the worst in decades,
    flooded the port. How many homes lost power?" asks for a count, not a city; "A 7.2-magnitude earthquake
    struck. How many people were killed?" for people, not a magnitude. Only when the sentence that asks names
    nothing ("What is it?") does the rest decide, by a quiz's "this country" or a rule's words.
    """
    # "Name the country that ...", "Identify the company ...": a command that asks as "which" does.
    asking = _IMPERATIVE.sub("which ", asking, count=1)
    kind, detail, focus = _kind(asking, question)
    if kind != OTHER:
        return kind, detail, focus
    focus = _open_focus(asking)
    if focus and _OPEN.search(asking):
        return THING, THING, focus  # "What foodstuff?": open-class, whatever the lead-in says
    if asking != question:
        # A lead-in's "which" or "what" is a relative ("The law, which state lawmakers passed, ..."): only its
        # "this ..." asks.
        kind, detail, focus = _kind(question, question, only=("this", "these"))
        if kind != OTHER:
            return kind, detail, focus
    if _OPEN.search(question):
        return THING, THING, _open_focus(asking) or _open_focus(question)
    return OTHER, OTHER, []


def _kind(text: str, question: str, only: tuple[str, ...] = ()) -> tuple[str, str, list[str]]:
    """(kind, detail, focus words) of ``text`` (the question, or its sentence that asks) from the head noun after
    which/what/this (only the ``only`` words when given), else the wh-word rules; ``question`` is all of it, for
    the words that say money or a rate."""
    return _by_head_noun(text, only) or _by_rules(text, question)


def _by_head_noun(text: str, only: tuple[str, ...]) -> tuple[str, str, list[str]] | None:
    """(kind, detail, focus words) from the noun after which/what/this ("which state", "this country"), if known."""
    for m in _WH.finditer(text):
        wh = m.group(1).lower()
        if only and wh not in only:
            continue
        written = m.group(2).split()
        if written[0].lower() in _AUXILIARIES:
            continue  # "What did the council decide": the noun after "did" is who acts, not what is asked
        raw = [w.lower().strip('“”"') for w in written]
        words = [_noun(w) for w in raw]
        # "this country" names its noun at once; "which California city" may put words before it.
        found = _head(words, raw, 2 if wh in ("this", "these") else 5)
        if found is None:
            continue
        i, w, hit = found
        if wh in ("this", "these") and hit[0] not in (PERSON, PLACE, ORG):
            continue
        if i > 0 and words[i - 1] == "age":
            continue  # "which age group": an age range, not an organisation
        return hit[0], hit[1], [raw[i] if _is_plural(raw[i]) else w]
    return None


def _head(words: list[str], raw: list[str], reach: int) -> tuple[int, str, tuple[str, str]] | None:
    """The head noun among the first ``reach`` words after which/what/this: ``(index, noun, (kind, detail))``.

    It is the last noun of the table before the phrase ends ("which country music star": a star, "movie
    director": a director), unless one before it is a possessive ("which state's governor" asks for the state);
    "which group of islands" asks for the noun after a collective's "of" (not "the title of Prince Harry's
    memoir", whose noun after "of" is whose it is).
    """
    best = None
    for i, w in enumerate(words[:reach]):
        ends = best is not None and (w in _DETERMINERS or w.endswith("ed"))  # "which team signed the ..."
        if w in _AUXILIARIES or ends or (i and (w in _COPULAS or w in _PHRASE_ENDS)):
            # "What year did President Monroe ...", "what date is the festival ...": the asked-for noun comes
            # before the verb ("What is the largest city ..." puts it after a copula that comes first).
            break
        # "Which 23-year-old ...": a person, whom the passages may call "the 23-year-old" too; so is one who
        # practises an "-ist" or an "-ian" ("suffragist", "technician").
        hit = _NOUNS.get(w) or ((PERSON, "person") if _AGED.fullmatch(w) or _AGENT.fullmatch(w) else None)
        if hit is None:
            continue
        if best is not None and not _same_phrase(words, best[0], i):
            break  # "which union represents Velmont's actors": a verb between, the union is asked for
        if w in _COLLECTIVE and i + 2 < len(words) and words[i + 1] == "of" and words[i + 2] in _NOUNS:
            return i + 2, words[i + 2], _NOUNS[words[i + 2]]
        best = (i, w, hit)
        if _POSSESSIVE.search(raw[i]):
            break
    return best


def _same_phrase(words: list[str], i: int, j: int) -> bool:
    """True when nouns ``i`` and ``j`` are one phrase: next to each other ("team owner"), or with one word between
    that does not end in "s" ("country music star"; "union represents actors" has a verb between)."""
    return j == i + 1 or (j == i + 2 and not words[i + 1].endswith("s"))


# Words that end the noun phrase after "which": a preposition or a relative starts what qualifies it.
_PHRASE_ENDS = frozenset(["of", "in", "on", "at", "to", "for", "from", "with", "by", "that", "who", "which", "and"])
# After the head noun, a determiner or a past tense starts the rest of the clause ("which team beat the champion").
_DETERMINERS = frozenset(["the", "a", "an", "its", "his", "her", "their", "this", "these", "those"])
# One who practises an "-ist" or an "-ian" ("suffragist", "technician", "Olympian"), not a list or a median.
_AGENT = re.compile(
    r"(?!(?:\w*(?:play|check|wait|black|short|wish|watch|set|track|hit|guest|bucket|white)lists?"
    r"|(?:as|in|re|per|con|de|sub)sists?|medians?|meridians?)$)[a-z]{3,}(?:ists?|ians?)"
)
_AGED = re.compile(r"\d+-year-olds?")  # "Which 23-year-old won ...": a person


def _by_rules(text: str, question: str) -> tuple[str, str, list[str]]:
    """(kind, detail, focus words) from the first wh-word rule that matches ``text``; OTHER when none does."""
    for pattern, kind, detail in _RULES:
        m = pattern.search(text)
        if not m:
            continue
        if kind == MONEY and m.group(0).lower().startswith("how"):
            return _how_much(text, question, m.group(0).split())
        words = m.group(0).split()
        if detail == "count" and words[-1].lower() in ("large", "big") and _MONEY_WORDS.search(text):
            return MONEY, "amount", words  # "How large is the budget?": an amount of money
        if kind == NAME and words[-1].lower().startswith("renam"):
            return kind, detail, [words[0]]  # "What did it rename Twitter to?": "rename" is a word to search for
        named = _NAME_OF.match(text, m.end()) if kind == NAME else None
        if named:
            noun = _BEFORE_CLAUSE.split(named.group(1).lower())[0].split()
            hit = _NOUNS.get(_noun(noun[-1])) if noun else None
            if hit and hit[0] in (PERSON, PLACE, ORG):
                return hit[0], hit[1], [noun[-1]]  # "the name of the astronaut who ...": a person
            if noun:
                return kind, detail, ["name", noun[-1]]  # "the name of the new storm": a storm's name
        if kind == PERSON:
            return kind, detail, words[-1:]  # "who", not the words before it ("The board named who ...")
        return kind, detail, [words[0], words[-1]]
    return OTHER, OTHER, []


_NAME_OF = re.compile(r"\s+of\s+(?:the|a|an|its|this|that|his|her|their)\s+([A-Za-z-]+(?:\s+[A-Za-z-]+){0,3})")
_BEFORE_CLAUSE = re.compile(r"\s+(?:that|which|who|whose|in|on|at|to|from|for|with|by|was|is|will|has|had)\b")


def _countries_named(question: str) -> frozenset[str]:
    """The terms of the countries the question names by their adjective: "which English national park" already
    says England, so "England" does not answer it."""
    out: set[str] = set()
    for word in _COUNTRY_OF.keys() & set(_LETTERS.findall(question.lower())):
        out.update(tokenize(_COUNTRY_OF[word]))
    return frozenset(out)


# A country's adjective -> its names (as the passages write them; the short answer's key for the US and UK).
_COUNTRY_OF = {
    "american": "United States US",
    "british": "United Kingdom Britain UK",
    "english": "England",
    "scottish": "Scotland",
    "welsh": "Wales",
    "irish": "Ireland",
    "french": "France",
    "german": "Germany",
    "spanish": "Spain",
    "portuguese": "Portugal",
    "italian": "Italy",
    "dutch": "Netherlands",
    "belgian": "Belgium",
    "swiss": "Switzerland",
    "austrian": "Austria",
    "swedish": "Sweden",
    "norwegian": "Norway",
    "danish": "Denmark",
    "finnish": "Finland",
    "polish": "Poland",
    "greek": "Greece",
    "turkish": "Turkey",
    "russian": "Russia",
    "ukrainian": "Ukraine",
    "chinese": "China",
    "japanese": "Japan",
    "korean": "Korea",
    "indian": "India",
    "pakistani": "Pakistan",
    "afghan": "Afghanistan",
    "iranian": "Iran",
    "iraqi": "Iraq",
    "syrian": "Syria",
    "israeli": "Israel",
    "saudi": "Saudi Arabia",
    "egyptian": "Egypt",
    "nigerian": "Nigeria",
    "kenyan": "Kenya",
    "canadian": "Canada",
    "mexican": "Mexico",
    "brazilian": "Brazil",
    "argentine": "Argentina",
    "argentinian": "Argentina",
    "australian": "Australia",
}
_LETTERS = re.compile(r"[a-z]+")

_PLURAL = re.compile(r"\b(which|what) (two|both|three)\b", re.IGNORECASE)
_OPEN = re.compile(r"\b(what|which)\b", re.IGNORECASE)
# "Which menu item did ...", "what foodstuff?", "What is the organic compound in ...": the words after the
# wh-word (and a copula with its article) up to an auxiliary, a preposition, a relative or the end.
_FOCUS = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+(?:the|a|an)\s+)?((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)"
    r"(?=\s*[?.,!]|\s*$|\s+(?:did|does|do|is|was|are|were|has|have|had|will|would|can|could|may|might|should"
    r"|in|of|on|at|for|to|from|that|which|who|with|by|after|before|during)\b)",
    re.IGNORECASE,
)
_NOT_FOCUS = _AUXILIARIES | _COPULAS | {"the", "a", "an", "this", "that", "it", "they", "he", "she"}
_SORTS = frozenset(["type", "kind", "sort", "form", "breed", "species"])
_OF_NOUN = re.compile(r"\s+of\s+(?:the\s+|an?\s+)?([a-z][\w-]*)", re.IGNORECASE)


def _open_focus(question: str) -> list[str]:
    """The open-class question's focus noun phrase ("menu item", "foodstuff"), or none ("what did ... find")."""
    m = _FOCUS.search(question)
    if not m:
        return []
    words = m.group(1).lower().split()
    # "Which disease is spreading?": the phrase ends before a verb the pattern took in ("is spreading").
    # ... or before a past participle after its noun ("What animal escaped from ...").
    cut = next((i for i, w in enumerate(words) if w in _NOT_FOCUS or (i and w.endswith("ed"))), len(words))
    words = words[:cut]
    # "What type of animal escaped?", "what kind of cancer was ...": the animal is what the passages name.
    if len(words) > 2 and words[0] in _SORTS and words[1] == "of":
        return words[2:]
    if cut == len(m.group(1).split()) and words and words[-1] in _SORTS:
        of = _OF_NOUN.match(question, m.end(1))  # the pattern stopped at "of"
        if of:
            return [of.group(1).lower()]
    return words


def _is_plural(word: str) -> bool:
    """True for a plural noun of the table ("teams", "supermarkets"), as the question wrote it."""
    low = _POSSESSIVE.sub("", word.lower())
    return low.endswith("s") and low[:-1] in _NOUNS


def _noun(word: str) -> str:
    """The word as a key of the noun table: no possessive, singular when only the singular is listed, the noun
    of a prefixed one ("ex-president", "vice-chancellor")."""
    word = _POSSESSIVE.sub("", word)
    if word not in _NOUNS and word.endswith("s") and word[:-1] in _NOUNS:
        return word[:-1]
    if word not in _NOUNS and "-" in word:
        last = word.rsplit("-", 1)[1]
        if last in _NOUNS and _NOUNS[last][0] == PERSON:
            return last
    return word


def _how_much(asking: str, question: str, phrase: list[str]) -> tuple[str, str, list[str]]:
    """ "how much/high ...": money when the question talks of money, a percentage for rates, else a number; a
    change only when the sentence that asks is about one ("Prices rose. How much does a gallon cost?": money)."""
    if _RATE.search(question):
        return PERCENT, "percent", phrase
    if _CHANGE.search(asking) and not _MEASURED.search(asking):
        return NUMBER, "change", phrase  # "how much have prices risen": a percentage or an amount
    if _MONEY_WORDS.search(question) or "$" in question or "price" in question.lower():
        return MONEY, "amount", phrase
    return NUMBER, "amount", phrase


# How much a candidate of each kind counts as an answer to each kind of question (1 = exactly what it asks for).
_ACCEPTS: dict[str, dict[str, float]] = {
    PERSON: {PERSON: 1.0, NAME: 0.6},  # a lone capitalised word is often a surname
    PLACE: {PLACE: 1.0, NAME: 0.4},
    ORG: {ORG: 1.0, NAME: 0.5, PERSON: 0.3, PLACE: 0.2},  # "Cleveland Browns" reads like a person's name
    NAME: {NAME: 1.0, ORG: 0.6, PERSON: 0.3, PLACE: 0.3},
    NUMBER: {NUMBER: 1.0, PERCENT: 0.4, MONEY: 0.4},
    MONEY: {MONEY: 1.0, NUMBER: 0.3},
    PERCENT: {PERCENT: 1.0, NUMBER: 0.3},
    DATE: {DATE: 1.0},
    THING: {THING: 1.0},  # phrases, quoted titles among them (index.answer.candidates.phrases)
    OTHER: {},
}


def accepts(analysis: QuestionAnalysis) -> dict[str, float]:
    """How much a candidate of each kind answers this question (kinds absent count 0).

    Args:
        analysis: the question's analysis.

    Returns:
        Candidate kind -> weight in (0, 1]; empty for ``OTHER`` questions.
    """
    if analysis.detail == "change":
        return {PERCENT: 1.0, MONEY: 1.0, NUMBER: 0.5}
    return _ACCEPTS[analysis.kind]
