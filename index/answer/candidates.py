"""Candidate answers in a sentence: names (people, places, organisations), numbers, money, percentages and dates."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection
from functools import lru_cache
from typing import NamedTuple

from index.answer.question import DATE, MONEY, NAME, NUMBER, ORG, PERCENT, PERSON, PLACE, THING
from index.tokenize import STOPWORDS, fold, tokenize


def _words(text: str, sep: str | None = None) -> frozenset[str]:
    """A word list written as one string (easier to read and edit than a list of quoted words), lower-cased."""
    return frozenset(w.strip().lower() for w in text.split(sep) if w.strip())


_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|bn|mn|m|k)\b)?"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?)"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|dozens|hundreds"
    r"|thousands|millions"
)
# A count's unit may be two words, a modifier and its plural noun: "77 Christmas trees", "130 school districts",
# "38,388 career points"; not "75 arrests across": a lower-case unit already plural is whole, and these words are
# no nouns.
_HEAD = (
    r"(?:\s(?-i:(?!(?:across|towards|besides|unless|perhaps|always|sometimes|afterwards|whereas|thus|plus|less"
    r"|minus|versus|was|has|is|does|says|its|his|hers|this|these|those|as|us|yes|ours|theirs|yours)\b)[a-z]{2,}s)\b)?"
)
_UNIT = rf"(?:(?-i:[A-Z][a-z]{{2,}})\b{_HEAD}|(?-i:[a-z]{{2,}}[a-rt-z])\b{_HEAD}|[a-z]{{3,}})"
# Ordered: earlier patterns claim their text first (money before plain numbers, dates before years).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Each figure pattern opens with a lookahead for the characters its matches can start with: most positions
    # of a sentence then fail at once, instead of trying every alternative (a third of extraction's regex time).
    (
        MONEY,
        re.compile(
            rf"(?=[\dU$£€¥])(?:(?:US)?[$£€¥]\s?(?:{_NUM}){_SCALE}|(?:{_NUM}){_SCALE}\s(?:dollars|pounds|euros|yuan|yen)\b)"
        ),
    ),
    (PERCENT, re.compile(rf"(?=\d)(?:{_NUM})\s?(?:%|percent\b|per cent\b|percentage points?\b)")),
    (
        DATE,
        re.compile(
            # Every alternative starts at a word boundary, with one of these characters.
            r"\b(?=[JFMASONDnltaeyoiwsf\d])(?:"
            rf"{_MONTH}\.?(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s(?:1[6-9]|20)\d{{2}})?\b(?!\s[A-Z])"
            r"|(?:next|last|this|later this|early next) (?:week|month|year|spring|summer|fall|autumn|winter)\b"
            r"|(?:annually|yearly|every year|once a year|twice a year)\b"
            r"|(?:in |within )?(?:a few|a couple of|several|\d+|two|three|four|six) (?:days|weeks|months|years)\b"
            r"|(?:1[6-9]|20)\d0s\b"  # "the 1940s"
            r"|(?:1[6-9]|20)\d{2}\b(?![,.]?\d))"
        ),
    ),
    (
        NUMBER,
        re.compile(
            # At a word boundary: digits, or the first letters of the number words.
            r"\b(?=[\dotfsenhdm])(?:"
            rf"(?:{_NUM}){_SCALE}(?:\s(?!(?:of|and|the|a|to|in|on|at|for|per|percent)\b){_UNIT})?"
            rf"|(?:{_NUMBER_WORDS})(?:[ -](?:{_NUMBER_WORDS}))*"
            rf"(?:\s(?!(?:of|and|the|a|to|in|on|at|for)\b){_UNIT})?\b)",
            re.IGNORECASE,
        ),
    ),
)

# A capitalised word, or one behind a lower-case Arabic or Dutch particle ("al-Qaeda", "el-Sisi").
_CAP_WORD = r"(?:(?:al-|el-|van-|de-)?[A-Z][\w’'&.-]*|\d+[A-Za-z]*)"
# Proper names: capitalised words, joined by a few lower-case particles ("Bank of America", "Jill Biden") or an
# ampersand ("Procter & Gamble"). The lookahead lets most positions fail at once (a capital, a digit, or a
# particle's first letter).
# Names join on "of", "for" and particles; "the" only after "of" ("Bank of the West"): alone it starts
# another name ("told USA TODAY the Department of Education").
_NAME = re.compile(
    rf"(?=[A-Z\daevd]){_CAP_WORD}(?:\s(?:(?:of(?:\sthe)?|for|de|del|da|van|von|der|al|bin|&)\s)?{_CAP_WORD})*"
)
_QUOTED = re.compile(r"[“\"]([A-Z][^“”\"]{1,60})[”\"]")
_TITLES = _words(
    "mr mrs ms dr rep sen gov president prime minister sir dame lord lady king queen prince princess pope judge"
    " justice chancellor secretary senator governor mayor general gen col lt first mp ceo coach professor speaker"
    " attorney sheriff director chief deputy commissioner spokesperson spokesman spokeswoman star singer actor leader"
    " chair chairman chairwoman undersecretary secretary-general ambassador envoy admiral premier"
    " actress rapper quarterback striker"
)
# Words that may start a capitalised run without being part of the name ("Former President ...").
_LEADING = _words(
    "former outgoing incoming late democratic republican tory labour conservative"
    # Words that open a sentence, capitalised only for that: "Many Americans", "Now", "Still".
    " many several another every much now still even yet also already however meanwhile instead today yesterday"
    " tomorrow earlier later since though although despite according prior throughout following during amid"
    " while whether besides beyond nearly almost roughly about"
)
# Capitalised words that are units, not names ("46 degrees Celsius").
_UNIT_NAMES = _words("celsius fahrenheit kelvin richter")
_ORG_ENDS = _words(
    "inc corp corporation co ltd llc plc group company companies airlines airways bank university college motors"
    " times post news party union association institute foundation agency department ministry council committee"
    " commission club fc network studios entertainment technologies systems holdings media organization"
    " organisation league court congress senate parliament police army navy service services board reserve"
    " administration foods brands industries partners energy pharmaceuticals labs laboratories therapeutics"
    " resources enterprises stores restaurants hotels resorts communications networks software electric petroleum"
    " oil steel chemicals insurance financial securities investments ventures pictures records guild alliance"
    " federation coalition society authority bureau assembly corps guard force cabinet academy orchestra tribunal"
    " fund trust caucus grill cafe diner bistro pizzeria bakery pub tavern steakhouse eatery brewery restaurant"
    " watch international global bros worldwide capital movement front brigade brigades militia cf fc sc afc"
    " soccer baseball football hockey basketball tribune journal herald gazette chronicle telegraph technology"
    " aquarium zoo"
)
_PLACE_ENDS = _words(
    "city county island islands state states province republic kingdom valley beach park square bay river mountains"
    " coast street avenue region peninsula sea ocean lake strait gulf falls springs heights hills harbor harbour canyon"
    " creek forest village township strip castle abbey cathedral palace temple mosque chapel stadium arena"
)
# The last words of places that are no city ("Lauderdale County", "Arizona State", "Staten Island"): they answer
# "which city" as seldom as a state does.
NOT_CITY_ENDS = _words(
    "county state states province region republic kingdom coast peninsula island islands valley river lake sea"
    " ocean bay gulf strait mountains forest park"
)
# First words of place names ("Fort Lauderdale", "Mount Everest", "Isle of Wight"): nobody's first name.
_PLACE_STARTS = _words("fort mount mt lake port cape isle")
_PLACE_BEFORE = _words("in from to at across near into throughout outside inside around")
_PERSON_BEFORE_TOO = _words("to from at")
_NOT_PERSON = _words(
    "house court open cup world national international day week award awards act bill war games olympics"
    " center centre museum hospital school airport station office building street tower bridge program programme"
    " project initiative fund month year season series prize festival championship report review plan policy"
    " quarters coin index summit conference forum treaty accord agreement deal law rule order"
    " hurricane typhoon cyclone storm marathon tournament derby senate majority minority opposition best"
)
# Words that make a name an event's or a document's ("World War II", "Super Bowl", "Paris Agreement"): never
# a place, even after "in" ("served in World War II"), nor a person.
_EVENTS = _words(
    "war wars olympics paralympics games cup bowl series championship championships tournament open marathon tour"
    " derby festival summit conference awards prix expo act treaty accord agreement protocol plan"
)
_COUNTRIES = _words(
    # Countries, US states and a few regions and cities: a small, general gazetteer (names, not answers).
    "Afghanistan|Albania|Algeria|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|"
    "Belarus|Belgium|Bhutan|Bolivia|Bosnia|Brazil|Britain|Bulgaria|Burkina Faso|Cambodia|Cameroon|Canada|Chad|"
    "Chile|China|Colombia|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Denmark|Dominican Republic|Ecuador|"
    "Egypt|El Salvador|England|Eritrea|Estonia|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|"
    "Greece|Guatemala|Guinea|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|"
    "Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kosovo|Kuwait|Laos|Latvia|Lebanon|Liberia|Libya|Lithuania|"
    "Madagascar|Malawi|Malaysia|Mali|Malta|Mexico|Moldova|Mongolia|Morocco|Mozambique|Myanmar|Namibia|Nepal|"
    "Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|Norway|Oman|Pakistan|Palestine|Panama|Paraguay|"
    "Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|Samoa|Saudi Arabia|Scotland|Senegal|Serbia|"
    "Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|South Sudan|Spain|Sri Lanka|Sudan|"
    "Sweden|Switzerland|Syria|Taiwan|Tanzania|Thailand|Tonga|Tunisia|Turkey|Uganda|Ukraine|United Arab Emirates|"
    "United Kingdom|United States|UK|US|USA|Uruguay|Uzbekistan|Venezuela|Vietnam|Wales|Yemen|Zambia|Zimbabwe",
    "|",
)
_STATES = _words(
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|"
    "Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|"
    "Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|"
    "Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|"
    "Virginia|Washington|West Virginia|Wisconsin|Wyoming|Puerto Rico",
    "|",
)
_OTHER_PLACES = _words(
    "Europe|Africa|Asia|Antarctica|"
    "Latin America|Middle East|Gaza|Gaza Strip|West Bank|Crimea|Kyiv|Moscow|Beijing|London|Paris|Tokyo|"
    # Cities of two words or more that read like a person's name.
    "Los Angeles|San Francisco|San Diego|San Jose|San Antonio|Las Vegas|New Orleans|Des Moines|St. Louis|"
    "Santa Monica|Santa Barbara|Santa Fe|Tel Aviv|Buenos Aires|Rio de Janeiro|Sao Paulo|São Paulo|New Delhi|"
    "Abu Dhabi|Kuala Lumpur|Khan Younis|Camp David|Palm Springs|Baton Rouge|El Paso|Corpus Christi|"
    # Cities whose names teams carry ("Seattle Storm", "Chicago Sky").
    "Seattle|Chicago|Atlanta|Dallas|Houston|Phoenix|Miami|Orlando|Boston|Denver|Detroit|Toronto|Portland|"
    "Sacramento|Memphis|Charlotte|Cleveland|Milwaukee|Philadelphia|Brooklyn|Pittsburgh|Baltimore|Tampa Bay|"
    "Southwest|Northwest|Southeast|Northeast|Midwest|Pacific Northwest|Deep South|Great Plains|New England",
    "|",
)
_PLACES = _COUNTRIES | _STATES | _OTHER_PLACES
_CITIES_TOO = _words("new york|washington|singapore|hong kong", "|")
_WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
_MONTHS_DAYS = _words(
    "january february march april may june july august september october november december monday tuesday"
    " wednesday thursday friday saturday sunday jan feb mar apr aug sept oct nov dec"
)


class Candidate(NamedTuple):
    """A phrase that may answer a question.

    Attributes:
        text: the phrase as written ("$44 billion", "Rafael Nadal").
        kind: one of the answer kinds of ``index.answer.question`` (person, place, organisation, name, number,
            money, percent, date).
        start: offset of the phrase in the text it was found in.
        end: offset just past it.
        key: the form variants are merged under: folded, lower case, no possessive or leading "the".
        near: (open-class phrases) within a few words of a word the question holds: the answer to "stealing
            what?" stands next to "steal"; a phrase far from every question word is seldom what is asked.
    """

    text: str
    kind: str
    start: int
    end: int
    key: str
    near: bool = True


def extract(
    text: str, known: Collection[str] = frozenset(), *, pairs: bool = False, kinds: Collection[str] | None = None
) -> list[Candidate]:
    """Find candidate answers in a sentence (or any short text), rule-based.

    Args:
        text: the sentence.
        known: terms (``index.tokenize.tokenize``) of the question: a candidate made only of these is what the
            question already says, not an answer, and is left out.
        pairs: also give "X and Y" for two names of one kind joined by "and" or "&" (for questions asking
            for two things).
        kinds: only these kinds are wanted (None: all); whole families the question cannot use (names for "how
            many", figures for "who") are not looked for, which saves most of the time.

    Returns:
        Candidates in text order; they do not overlap (a few of other kinds may come along).
    """
    if not isinstance(known, frozenset):
        known = frozenset(known)  # hashable: whether a candidate is known is cached by it
    if kinds is not None and THING in kinds:
        # Open-class questions want phrases only: names, figures and dates are capitalised or digits, which
        # end a phrase anyway, so their patterns are not run (most of extraction's cost).
        return phrases(text, known)
    found: list[Candidate] = []
    # "WASHINGTON (CNN) —": a dateline names where the story was filed, not an answer.
    dateline = _dateline(text)
    taken: list[tuple[int, int]] = [(0, dateline)] if dateline else []
    if "%" in text:
        # "members%27 duty", "Oct. 1%3B": a page's URL-encoded apostrophes and semicolons are no figures.
        taken += [m.span() for m in _ENCODED.finditer(text)]
    figures = kinds is None or not _FIGURES.isdisjoint(kinds)
    for kind, pattern in _PATTERNS:
        if kind != DATE and not figures:
            continue  # dates stay: they keep "March 3" from being read as a name
        for m in pattern.finditer(text):
            if _overlaps(m.start(), m.end(), taken) or m.end() <= dateline:
                continue
            phrase = m.group(0).strip()
            if kind == NUMBER:
                phrase = _drop_stop_unit(phrase)
            taken.append((m.start(), m.start() + len(phrase)))
            found.append(_candidate(phrase, kind, m.start()))
    if kinds is None or not _NAMES.isdisjoint(kinds):
        for start, end, kind in _names(text, taken):
            found.append(_candidate(text[start:end], kind, start))
    found.sort(key=lambda c: c.start)
    # Known by its key or as written: "UK" in the question rules out "UK", though its key is "united kingdom".
    out = [
        c
        for c in found
        if not (_known(c.key, known) or _known(c.text, known) or (c.kind == PERSON and _known_person(c.key, known)))
        and c.key not in _NOT_COUNTS
    ]
    return out + _pairs(text, out) if pairs else out


_FIGURES = frozenset({NUMBER, MONEY, PERCENT})
_ENCODED = re.compile(r"(?<=\S)%[0-9A-F]{2}|%[0-9A-F]{2}(?=[A-Za-z])")

# Open-class candidates: runs of lower-case content words (noun phrases, roughly) between stopwords,
# punctuation, names, figures and the question's own words.
_PHRASE_WORD = re.compile(r"[A-Za-z][a-z’'-]*[a-z]")
_PHRASE_WORDS = 3  # a longer run keeps its last words: an English noun phrase ends with its head
# Words news prose uses everywhere: never what a question asks for on their own, nor at a phrase's edge.
_GENERIC = _words(
    "said says say told according added new week weeks month months year years day days time times people"
    " percent million billion including like just many much also first last report reports reported news"
    " statement official officials thing things way ways part lot number according recently recent latest"
    " announced announcement week's today yesterday earlier later least several since early late well even"
    " still per cent around amid among told asked called called make made set could would may might including"
    " new york cnn reuters ap statement spokesperson spokesman spokeswoman interview monday tuesday wednesday"
    " thursday friday saturday sunday home according across data company companies group groups state states"
    " country countries government world high low big small large major long end start use used using"
)


def phrases(text: str, known: frozenset[str] = frozenset()) -> list[Candidate]:
    """Open-class candidates in a sentence: runs of lower-case content words ("dry shampoo", "organic carbon")
    and quoted titles ("“Squid Game”").

    A run ends at punctuation, a stopword, a capitalised word, a figure and a word the question holds (its
    stems in ``known``); generic news words ("said", "officials"), adverbs and a trailing participle are
    trimmed from its edges, and a run over three words keeps its last three.

    Args:
        text: the sentence.
        known: the question's terms.

    Returns:
        Candidates of kind ``THING``, keyed by their stems (so "chicken nuggets" and "chicken nugget" vote
        together), each marked ``near`` or not.
    """
    out: list[_Phrase] = []
    run: list[tuple[int, int, int, str]] = []
    asked: list[int] = []  # word numbers of the question's words in the sentence
    last = -1
    n = -1
    for m in _PHRASE_WORD.finditer(text):
        n += 1
        start, end = m.span()
        if run and (start - last != 1 or text[last] not in " -"):
            _close(text, run, out)
            run = []
        last = end
        word = m.group()
        stems = _word_terms(word)
        content = bool(stems) and known.isdisjoint(stems)
        if stems and not content:
            asked.append(n)
        if content and (word[0].islower() or (n == 0 and _OPENER.fullmatch(word))):
            # "Dinosaur tracks were found ...": a sentence's first word is capitalised for being first.
            run.append((n, start, end, word))
        elif run:
            _close(text, run, out)
            run = []
    if run:
        _close(text, run, out)
    found = [_near(c, asked) for c in out]
    for m in _QUOTED.finditer(text):  # a quoted title counts as near wherever it stands
        key = " ".join(_terms(m.group(1).lower()))
        if key and not all(t in known for t in key.split()):
            found.append(Candidate(m.group(1), THING, m.start(1), m.end(1), key))
    return found


# A phrase found, before it is known whether a question word stands near it: first and last word numbers, text,
# offsets and key.
_Phrase = tuple[int, int, str, int, int, str]


@lru_cache(maxsize=65536)
def _word_terms(word: str) -> tuple[str, ...]:
    """A word's terms (its stem), none for a stopword or a past form ("saw", "found": verbs, which end a
    phrase): what a phrase's words are read by."""
    low = word.lower()
    return () if low in STOPWORDS or low in _IRREGULAR else _terms(low)


def _near(c: _Phrase, asked: list[int]) -> Candidate:
    first, last, phrase, start, end, key = c
    near = any(first - _NEAR <= n <= last + _NEAR for n in asked)
    return Candidate(phrase, THING, start, end, key, near)


_OPENER = re.compile(r"[A-Z][a-z]+")
_NEAR = 3  # words between an open-class phrase and a question word for it to count as near


def _adverb(word: str) -> bool:
    return len(word) >= 6 and word.endswith("ly") and word.lower() not in _LY_NOUNS


def _verb(word: str) -> bool:
    """A participle ending a run ("tracks found", "prices rising") is the clause's verb, not the phrase's head."""
    low = word.lower()
    if low in _IRREGULAR:
        return True
    return (len(low) > 5 and low.endswith("ing")) or (len(low) >= 5 and low.endswith("ed") and not low.endswith("eed"))


# Past forms that do not end in -ed ("tracks found in the riverbed", "bumblebees kept").
_IRREGULAR = _words(
    "found made took left gave came went began held kept became brought won lost put saw met led paid sold built"
    " sent spent ran rose fell grew drew shown seen known given taken done gone told thought caught bought"
)


_LY_NOUNS = _words("family supply assembly butterfly rally belly jelly anomaly monopoly")


def _close(text: str, run: list[tuple[int, int, int, str]], out: list[_Phrase]) -> None:
    """Trim a run of content words (word number, start, end, word) to its phrase and add it to ``out`` (nothing
    when nothing is left)."""
    i, j = 0, len(run)
    while i < j and _cut_before(run[i][3]):
        i += 1
    while j > i and _cut_after(run[j - 1][3]):
        j -= 1
    i = max(i, j - _PHRASE_WORDS)
    if i >= j or (j - i == 1 and run[i][0] == 0 and not run[i][3][0].islower()):
        return  # a capitalised first word alone ("Netflix said ...") is more likely a name than a thing
    start, end = run[i][1], run[j - 1][2]
    phrase = text[start:end]
    if j - i == 1 and len(phrase) < 4:
        return
    out.append((run[i][0], run[j - 1][0], phrase, start, end, " ".join(_terms(phrase.lower()))))


@lru_cache(maxsize=65536)
def _cut_before(word: str) -> bool:
    """True for a word a phrase does not start with: generic, an adverb, an irregular past form."""
    low = word.lower()
    return low in _GENERIC or _adverb(word) or low in _IRREGULAR


@lru_cache(maxsize=65536)
def _cut_after(word: str) -> bool:
    """True for a word a phrase does not end with: generic, an adverb, a participle."""
    return word.lower() in _GENERIC or _adverb(word) or _verb(word)


def _drop_stop_unit(phrase: str) -> str:
    """ "5 are" -> "5", "40 more trucks" -> "40": the number pattern takes the next words as its unit, and a
    stopword is never part of one."""
    words = phrase.split(" ")
    cut = next((i for i in range(1, len(words)) if words[i].lower() in STOPWORDS), len(words))
    return " ".join(words[:cut])


_NAMES = frozenset({PERSON, PLACE, ORG, NAME})


def _pairs(text: str, found: list[Candidate]) -> list[Candidate]:
    """ "Kroger and Albertsons": two neighbouring names of one kind joined by "and" or "&", as one candidate."""
    out = []
    for a, b in itertools.pairwise(found):
        if a.kind == b.kind and a.kind not in (NUMBER, MONEY, PERCENT, DATE) and _AND.fullmatch(text[a.end : b.start]):
            out.append(_candidate(text[a.start : b.end], a.kind, a.start))
    return out


_AND = re.compile(r",?\s+(?:and|&)\s+")


def _candidate(phrase: str, kind: str, start: int) -> Candidate:
    key = variant_key(phrase)
    if kind in (NUMBER, MONEY, PERCENT):
        # "700 people" and "700" are one answer: numbers are keyed by their figure (and scale).
        m = _FIGURE.search(key)
        if m:
            key = m.group(0).replace(",", "").replace("per cent", "%").replace("percent", "%").replace(" ", "")
    return Candidate(phrase, kind, start, start + len(phrase), key)


# "one" is mostly a pronoun or an article ("one of the ..."); "millions", "thousands" ... give no figure.
_NOT_COUNTS = _words("one hundred hundreds thousand thousands million millions billion billions dozen dozens")
_FIGURE = re.compile(
    rf"[$£€¥]?(?:{_NUM})\s?(?:million|billion|trillion|thousand|bn|%|percent|per cent)?"
    rf"|(?:{_NUMBER_WORDS})(?:[ -](?:{_NUMBER_WORDS}))*"
)


_OF = ("of ", "of the ")
_TITLE_OF = re.compile(r"\b([A-Z][a-z]+) of (?:the )?$")


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def _names(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of proper names outside ``taken``: quoted titles, then capitalised runs."""
    out: list[tuple[int, int, str]] = []
    for m in _QUOTED.finditer(text):
        words = m.group(1).split()
        if len(words) <= 8 and sum(w[:1].isupper() for w in words) * 2 >= len(words):
            # "beating “Oppenheimer.”": American quotes close after the sentence's stop, which is not the title's.
            end = m.start(1) + len(m.group(1).rstrip(".,;:"))
            out.append((m.start(1), end, NAME))
            taken = [*taken, (m.start(), m.end())]
    for m in _NAME.finditer(text):
        at, run = m.start(), m.group()
        # The cheap test first: most names follow no "of".
        title = _TITLE_OF.search(text, max(0, at - 24), at) if text.endswith(_OF, 0, at) else None
        if title and _is_title(title.group(1).lower()) and run.count(" ") >= 2:
            # "Speaker of the House Kevin McCarthy": the run starts with the title's portfolio, not the name.
            cut = run.index(" ") + 1
            at, run = at + cut, run[cut:]
        for lo, hi, kind, short, late, country in _run_names(run):
            start, end = at + lo, at + hi
            if _overlaps(start, end, taken):
                continue
            kind = _settled(text, start, kind, short, late)
            # "Iranian lawmakers" says Iran as plainly as "Iran's lawmakers": the country's name is the word's
            # start, so the candidate is that part of the text, a place.
            out.append((start, start + country, PLACE) if country and kind == NAME else (start, end, kind))
    return out


_RunName = tuple[int, int, str | None, bool, str, int]


@lru_cache(maxsize=65536)
def _run_names(run: str) -> tuple[_RunName, ...]:
    """The names in one capitalised run, as far as the run's own words tell (names recur, so this is cached).

    Each is ``(start, end, kind, short, late, country)`` with offsets into the run: ``kind`` is None when the
    word before the name decides it (:func:`_classify`: a place after "in" when ``short``, else ``late``);
    ``country`` is the length of the country a demonym starts with, for a name that stays ``NAME``.
    """
    if _lone_filler(run):
        return ()  # "The", "But", "Monday": what _trim would drop, found without cutting and trimming
    # A run may cross a sentence end ("in Melbourne. Alphabet Inc."): cut after a word of 3+ letters and a dot.
    cuts = [0, *(c.end() for c in _SENTENCE_END.finditer(run)), len(run)]
    out: list[_RunName] = []
    for lo, hi in _pieces(run, cuts):
        span = _trim(run, lo, hi)
        if span is None:
            continue
        start, end, titled = span
        if not _LETTER.search(run, start, end) or _ORDINAL.fullmatch(run, start, end):
            continue  # "22" of "22,000 cases", "700", "10th": figures the name pattern's digit words let in
        kind, short, late = _kind_parts(run[start:end], titled)
        country = _demonym_country(run[start:end]) if NAME in (kind, late) else 0
        out.append((start, end, kind, short, late, country))
    return tuple(out)


def _demonym_country(word: str) -> int:
    """The length of the country a one-word demonym starts with ("Iranian" -> 4, "Russian" -> 6), else 0."""
    low = word.lower()
    if " " in low or not _DEMONYM.search(low):
        return 0
    for suffix in ("ian", "n", "ese"):
        stem = low[: -len(suffix)]
        if low.endswith(suffix) and stem in _COUNTRIES:
            return len(stem)
    return 0


def _lone_filler(run: str) -> bool:
    """True for a one-word run that :func:`_trim` drops whole (a stopword, month, weekday or leading word)."""
    if " " in run:
        return False
    low = _POSS.sub("", run.lower()).rstrip(".")
    return low in STOPWORDS or low in _MONTHS_DAYS or low in _LEADING or low in _UNIT_NAMES


def _pieces(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """Cut runs again after a possessive ("Roger Maris’ record"), before a title inside ("Oregon Gov. Kate
    Brown" -> "Oregon", "Gov. Kate Brown") and at the "of" after a person's name ("Tessa Arlund of Millbrook")."""
    out: list[tuple[int, int]] = []
    for lo, hi in itertools.pairwise(cuts):
        start = lo
        for w in _WORD.finditer(text, lo, hi):  # offsets into text, as if text[lo:hi] were searched
            word = w.group(0)
            ws, we = w.start(), w.end()
            if ws > start and _is_title(word.lower().rstrip(".")) and not _surname_after(text, we, hi):
                out.append((start, ws))
                start = ws
            if (word.endswith(("’s", "'s", "’", "'")) and we < hi and word[:-2].lower() not in _PLURAL_OWNERS) or (
                word == "of" and _named_person(text[start:ws])
            ):
                out.append((start, we))
                start = we
        out.append((start, hi))
    return [(a, b) for a, b in out if text[a:b].strip()]


def _named_person(piece: str) -> bool:
    """True when a piece of a run reads as a person's whole name ("Tessa Arlund"), so an "of" after it says
    where the person is from, not a longer name ("Bank of America", "Federal Reserve Bank of New York")."""
    words = piece.split()
    if not 2 <= len(words) <= 3 or not all(w[:1].isupper() for w in words):
        return False
    low = [w.lower().strip(".,’'") for w in words]
    return not (set(low) & (_ORG_ENDS | _PLACE_ENDS | _NOT_PERSON)) and " ".join(low) not in _PLACES


_WORD = re.compile(r"\S+")
_ABBREVIATED = frozenset(["jr", "sr", "inc", "co", "corp", "ltd", "bros"])
# "Women's World Cup", "Children's Hospital", "People's Republic": a plural's possessive inside a name.
_PLURAL_OWNERS = frozenset(["women", "men", "children", "people"])
# "Microsoft-owned LinkedIn", "Iran-backed rebels": a name made an adjective says who, not what is named.
_ADJECTIVE = re.compile(
    r"-(?:based|backed|owned|led|born|made|run|funded|controlled|linked|allied|aligned|style|era|bound|friendly"
    r"|focused|sponsored|affiliated|held|occupied|annexed|supported|registered|flagged)$"
)
_COUNT = re.compile(r"\d{1,3}(?:,\d{3})*")
_LETTER = re.compile(r"[^\W\d_]")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")
_DATELINE = re.compile(r"^([^—–\n]{1,60}?)\s[—–]+\s")


def _dateline(text: str) -> int:
    """Where a dateline ("WILMINGTON, Del. (AP) — ") ends, else 0: a few capitalised words before a dash."""
    m = _DATELINE.match(text)
    if not m:
        return 0
    words = m.group(1).split()
    return m.end() if len(words) <= 6 and all(w[0].isupper() or w[0] == "(" for w in words) else 0


_SENTENCE_END = re.compile(r"(?<=[a-z]{3})\.\s+")


def _trim(text: str, start: int, end: int) -> tuple[int, int, bool] | None:
    """The name inside a capitalised run: leading stopwords ("The", "But") and titles ("President") dropped."""
    words = list(_WORD.finditer(text, start, end))
    titled = False
    i = 0
    while i < len(words):
        low = _POSS.sub("", words[i].group(0).lower()).rstrip(".")
        if _is_title(low) and _org_word_after(text, words[i].end(), end):
            break  # "General Motors", "UN General Assembly": a firm's or a body's word, not a title
        if _is_title(low):
            if i + 1 == len(words):
                return None  # a title alone ("Attorney" of "Attorney General ..."): nobody named
            titled = True
            i = _past_portfolio(words, i + 1) - 1
        elif not (
            low in STOPWORDS
            or low in _MONTHS_DAYS
            or low in _LEADING
            or low in _UNIT_NAMES
            or low.replace(",", "").isdigit()  # "227 of Iran's ...", "the 2022 World Cup"
            or _ADJECTIVE.search(low)
        ):
            break  # a count ahead of a name is not part of it: "227 of Iran's 290 lawmakers"
        i += 1
    j = len(words)
    # "Wimbledon Tuesday", "COVID-19 Friday": a weekday after a name says when, not who or what.
    while j > i and (
        words[j - 1].group(0).lower().rstrip(".’'s") in ("of", "the", "and", "for", "de")
        or _POSS.sub("", words[j - 1].group(0).lower()).rstrip(".,") in _WEEKDAYS
    ):
        j -= 1
    if i >= j:
        return None
    s, e = words[i].start(), words[j - 1].end()
    while e > s and text[e - 1] in ".,’'-":
        e -= 1
    if text[e : e + 1] == "." and text[s:e].rsplit(None, 1)[-1].lower() in _ABBREVIATED:
        e += 1  # "Ferdinand Marcos Jr.", "Jelly Belly Candy Co.": the full stop is the name's
    phrase = text[s:e]
    if phrase.endswith(("’s", "'s")):
        e -= 2
    if e <= s or text[s:e].lower() in STOPWORDS or len(text[s:e]) < 2:
        return None
    return s, e, titled


def _past_portfolio(words: list[re.Match[str]], i: int) -> int:
    """Where the name starts after a title's "of" and its one-word portfolio ("Secretary of State Antony Blinken",
    "Chancellor of the Exchequer Jeremy Hunt"); ``i`` itself when no name follows them."""
    j = i
    if j < len(words) and words[j].group(0) == "of":
        j += 1 + (j + 1 < len(words) and words[j + 1].group(0) == "the")
        if j + 1 < len(words):  # the portfolio, then at least one word of a name
            return j + 1
    return i


def _surname_after(text: str, at: int, end: int) -> bool:
    """True when a title word ending at ``at`` is someone's surname: the run's last word ("Stephen King"), or
    before "Jr." ("Martin Luther King Jr.")."""
    m = _WORD.search(text, at, end)
    return m is None or m.group(0).lower().rstrip(".,") in ("jr", "sr")


def _org_word_after(text: str, at: int, end: int) -> bool:
    """True when the word after ``at`` (before ``end``) ends an organisation's name ("Motors", "Assembly")."""
    m = _WORD.search(text, at, end)
    return m is not None and m.group(0).lower().rstrip(".,’'") in _ORG_ENDS


def _is_title(word: str) -> bool:
    """A title before a name, elected ones too ("Mayor-elect", "President-elect"), lower-cased."""
    return word in _TITLES or (word.endswith("-elect") and word[:-6] in _TITLES)


def _classify(text: str, start: int, end: int, titled: bool) -> str:
    """Person, place or organisation for a capitalised name, from its words and what stands before it."""
    return _settled(text, start, *_kind_parts(text[start:end], titled))


def _settled(text: str, start: int, kind: str | None, short: bool, late: str) -> str:
    """A name's kind (:func:`_kind_parts`' parts): its own words' when they tell, else a place when a short name
    follows "in", "from" ... ("in Tonga": the word before is outside the name's run), else ``late``."""
    if kind is not None:
        return kind
    before = text[max(0, start - 13) : start].split()
    # After "to", "from" or "at" a person's name stays one ("awarded the prize to Narges Mohammadi", "a letter
    # from Joe Biden"); one word ("flew to Kyiv") or a name no person has ("to Fort Myers") is a place.
    if (
        short
        and before
        and before[-1].lower() in _PLACE_BEFORE
        and not (late == PERSON and before[-1].lower() in _PERSON_BEFORE_TOO)
        and [w.lower() for w in before[-2:]] != ["according", "to"]  # a source: "according to Pollstar"
    ):
        return PLACE
    return late


def _kind_parts(name: str, titled: bool) -> tuple[str | None, bool, str]:
    """What a name's own words say of its kind: ``(kind, short, late)``, ``kind`` None when the word before
    it decides (a place after "in", for a name of at most three words: ``short``), else ``late``."""
    phrase = fold(name)
    words = phrase.split()
    low = [w.lower().strip(".’'") for w in words]
    acronym = len(words) == 1 and words[0].isupper() and words[0].isalpha() and 2 <= len(words[0]) <= 5
    if len(low) == 1 and (low[0] in _ORG_ENDS or low[0] in _PLACE_ENDS) and not acronym:
        return NAME, False, NAME  # "News outlets", "Cabinet positions": the word alone names no one body
    if low[-1] in _ORG_ENDS or acronym or any("&" in w for w in low):  # "Procter & Gamble", "U.S. News & World Report"
        return (PLACE if phrase.lower() in _PLACES else ORG), False, ORG
    of = low.index("of") if "of" in low[1:-1] else 0
    if of and (low[of - 1] in _ORG_ENDS or low[of - 1] in ("museum", "office")):
        return ORG, False, ORG  # "Department of Education", "Federal Reserve Bank of New York"
    if of and low[of - 1] in _PLACE_ENDS:
        return PLACE, False, PLACE  # "Gulf of Mexico", "Republic of Korea"
    if phrase.lower() in _PLACES or low[-1] in _PLACE_ENDS or (len(low) > 1 and low[0] in _PLACE_STARTS):
        return PLACE, False, PLACE
    if _team(low):
        return ORG, False, ORG
    if not set(low).isdisjoint(_EVENTS):
        return NAME, False, NAME
    if len(words) == 1 and _DEMONYM.search(low[0]):
        return NAME, False, NAME  # "Iranian", "Japanese": about a place, not the place
    if titled:
        return PERSON, False, PERSON
    # "East Wing", "North Field": a compass point is nobody's first name; "GAME RECAP", "LAST DANCE": words in
    # capitals are a label or a headline's, not how prose writes a person.
    personal = (
        2 <= len(words) <= 4
        and not set(low) & _NOT_PERSON
        and low[0] not in _COMPASS
        and _personal(words)
        and not phrase.isupper()
    )
    # "U.S. Mint", "UK Border Force": a country's abbreviation is nobody's first name.
    late = PERSON if personal and low[0].replace(".", "") not in _STATE_ABBREVIATIONS else NAME
    return None, len(words) <= 3, late


def _team(low: list[str]) -> bool:
    """True for a place of two words or more and a plural: how teams are named ("Green Bay Packers", "New England
    Patriots", "Kansas City Chiefs"). One word is not enough: "Georgia Adams", "Jordan Williams" are people; a
    team's own name after any place is ("Boston Celtics", "Los Angeles Lakers")."""
    if len(low) >= 2 and (low[-1] in _TEAM_NAMES or (low[-1] in _TEAM_WORDS and " ".join(low[:-1]) in _PLACES)):
        return True
    if len(low) < 3 or not low[-1].endswith("s") or low[-1].endswith("ss"):
        return False
    head = low[:-1]
    return " ".join(head) in _PLACES or head[-1] in _PLACE_ENDS


def _personal(words: list[str]) -> bool:
    """Capitalised words, but for a surname's particles ("Ayman al-Zawahiri", "Ludwig van Beethoven"): how a
    person's name is written."""
    return words[0][:1].isupper() and all(w[:1].isupper() or w.split("-")[0] in _PARTICLES for w in words[1:])


_STATE_ABBREVIATIONS = _words("us usa uk eu un")
# Major North American teams' own names (a plural after the place: "Browns", not the surname "Brown").
_TEAM_NAMES = _words(
    "celtics lakers bulls cowboys broncos rockets seahawks packers steelers ravens patriots chargers raiders"
    " dolphins colts titans jaguars texans bengals vikings falcons panthers buccaneers commanders eagles chiefs"
    " warriors knicks nets pistons pacers cavaliers bucks hawks hornets wizards raptors sixers 76ers nuggets"
    " clippers mavericks spurs grizzlies pelicans timberwolves yankees mets dodgers astros braves cubs phillies"
    " padres mariners orioles brewers rockies marlins diamondbacks guardians canucks canadiens bruins blackhawks"
    " penguins flyers leafs oilers flames capitals islanders devils predators avalanche lightning"
    " 49ers niners browns giants jets bills saints rams bears lions kings reds twins tigers cardinals rangers royals"
    " pirates nationals angels athletics suns sharks"
)
# Teams' own names that are also words ("Seattle Storm", "Miami Heat"; not "Tropical Storm"): after a place only.
_TEAM_WORDS = _words("storm heat magic sky sun liberty fever dream mercury lynx sparks mystics wings aces thunder jazz")
_COMPASS = _words("north south east west northern southern eastern western central")

# Lower-case particles inside people's names (Arabic, Dutch, German, Iberian, Italian; not "de", which starts many
# Romance firms' names).
_PARTICLES = _words("al el bin ibn abu van von der den da del della dos das di du")


def full_name(word: str, texts: Collection[str]) -> str | None:
    """The fuller name a one-word name stands for in these texts ("Steven Spielberg" for "Spielberg"): the
    person's name most often written ending in it, titles left out; None when no text writes one.

    Args:
        word: a one-word name, as written ("Spielberg").
        texts: the passages to look in.

    Returns:
        The fuller name as written, or None.
    """
    pattern = re.compile(rf"(?:[A-Z][\w’'.-]*\s){{1,3}}{re.escape(word)}\b")
    counts: dict[str, int] = {}
    for text in texts:
        for m in pattern.finditer(text):
            span = _trim(text, m.start(), m.end())
            if span is None or span[1] - span[0] <= len(word):
                continue
            start, end, titled = span
            first = text[start:end].split()[0].lower()
            if first in _PLACES or first in _PLACE_BEFORE:
                continue  # "Spain Nadal", "In Melbourne Nadal": a place or a preposition, not a first name
            if text[start:end].endswith(word) and _classify(text, start, end, titled) == PERSON:
                counts[text[start:end]] = counts.get(text[start:end], 0) + 1
    return max(counts, key=lambda k: (counts[k], -len(k))) if counts else None


def on_the_calendar(text: str) -> bool:
    """True for a date candidate that names its day, month or year ("March 1", "2022"); False for one that counts
    from the day it was written ("this week", "next month", "in a few days") or says how often ("annually")."""
    return _CALENDAR.search(text) is not None


_CALENDAR = re.compile(rf"\b{_MONTH}\b|\b(?:1[6-9]|20)\d{{2}}\b")


_DURATION = re.compile(r"(?:in |within )?\d[\d,]* (?:days|weeks|months|years)")


def title_before(text: str, start: int) -> str | None:
    """The title that stands just before a name at ``start`` ("Russian President Vladimir Putin": "president"),
    lower-cased, else None."""
    m = _WORD_BEFORE.search(text, max(0, start - 24), start)
    word = m.group(1).lower().rstrip(".") if m else ""
    return word if word and _is_title(word) else None


_WORD_BEFORE = re.compile(r"([A-Za-z.-]+)\s+$")


def is_event(key: str) -> bool:
    """True for a name an event's or a document's word makes ("world cup", "super bowl", "paris agreement")."""
    return not _EVENTS.isdisjoint(key.split())


def as_count(c: Candidate) -> Candidate:
    """A span of time written with a figure ("25 years", "within 30 days") as the count it also is; any other
    candidate as it is."""
    return c._replace(kind=NUMBER) if c.kind == DATE and _DURATION.fullmatch(c.text) else c


def place_type(key: str) -> str | None:
    """What the gazetteer knows a place key as: "country", "state", "both" (Georgia) or None (not listed).

    Args:
        key: a candidate's key (:func:`variant_key`: "united kingdom" for "UK").

    Returns:
        The place's type, or None when the small gazetteer does not list it.
    """
    if key in _CITIES_TOO:
        return None  # "New York", "Singapore": a city as well, whatever else the name is
    country, state = key in _COUNTRIES, key in _STATES
    if country and state:
        return "both"
    return "country" if country else ("state" if state else None)


@lru_cache(maxsize=65536)
def _known(key: str, known: frozenset[str]) -> bool:
    """True when every term of ``key`` is one of ``known`` (a question's terms: each question's set is one
    object, whose hash Python keeps, and a passage names the same things again and again)."""
    terms = _terms(key)
    return bool(terms) and all(t in known for t in terms)


@lru_cache(maxsize=65536)
def _known_person(key: str, known: frozenset[str]) -> bool:
    """True when a person's full name is the question's short one: the same surname, and each first name
    starting with one the question gives ("Ashton Carter" for a question about "Ash Carter")."""
    terms = _terms(key)
    if len(terms) < 2 or terms[-1] not in known:
        return False
    short = [k for k in known if len(k) >= 3 and k.isalpha()]
    return all(t in known or any(t.startswith(k) for k in short) for t in terms[:-1])


@lru_cache(maxsize=65536)
def _terms(key: str) -> tuple[str, ...]:
    return tuple(tokenize(key))


_DEMONYM = re.compile(r"(?:ian|ean|ese|ish)$")
_THE = re.compile(r"^(?:the|a|an)\s+")
_POSS = re.compile(r"[’']s?\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")
_INITIALS = re.compile(r"\b(?:[a-z]\.){2,}(?![a-z])")
_NOT_KEY = re.compile(r"[^\w$%.]+")


@lru_cache(maxsize=65536)
def variant_key(phrase: str) -> str:
    """The form variants of a phrase share: folded, lower case, no possessive or leading article, single spaces.

    Args:
        phrase: a candidate as written ("Tonga's", "The New York Times").

    Returns:
        Its key ("tonga", "new york times").
    """
    s = fold(phrase).lower()
    s = _INITIALS.sub(lambda m: m.group(0).replace(".", ""), s)  # "U.S. Open" is the "US Open" others write
    s = _POSS.sub("", s)
    s = _THOUSANDS.sub("", s)
    s = _NOT_KEY.sub(" ", s).strip(" .")
    s = _THE.sub("", s)
    return _ALIASES.get(s, s)


# Names of one country written several ways, so their votes add up, and the name a short answer gives it
# whichever way the passages wrote it ("Britain" answers "which country" as "United Kingdom").
CANONICAL = {"united kingdom": "United Kingdom", "united states": "United States"}
_ALIASES = {
    alias: name
    for name, aliases in (
        ("united kingdom", ("uk", "britain", "great britain")),
        ("united states", ("us", "usa", "america")),
    )
    for alias in aliases
}
