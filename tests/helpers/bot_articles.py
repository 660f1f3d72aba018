"""The bot tests' small archive: made-up articles in several scripts, hostile markup and enormous passages."""

from __future__ import annotations

from index.models import Article

LIBRARY = Article(
    source_id="gazette-1",
    title="Council approves budget for a new central library",
    paragraphs=[
        "The city council voted 7-2 on Monday to approve a budget of 12 million dollars for a new central library.",
        "Mayor Ana Ruiz said the library would open in 2026 and include a maker space for students.",
        "Two council members said the money should go to road repairs instead.",
    ],
    outlet="Springfield Gazette",
    published="2024-03-04",
    url="https://gazette.example/2024/03/library-budget",
)
SANCTIONS = Article(
    source_id="wire-2",
    title="Kim says sanctions will not stop missile tests",
    paragraphs=[
        "North Korean leader Kim Jong Un said on Friday that new sanctions would not stop the country's missile tests.",
        "Kim spoke at a military parade in Pyongyang, according to the state news agency.",
    ],
    outlet="Example Wire",
    published="2024-03-01",
    url="https://wire.example/kim-sanctions",
)
STORM = Article(
    source_id="herald-3",
    title="Storm closes coastal highway for two days",
    paragraphs=[
        "A winter storm closed the coastal highway for two days as waves washed sand and rocks onto the road.",
        "Crews reopened both lanes on Thursday evening.",
    ],
    outlet="Coast Herald",
    published="2024-02-20",
    url="https://herald.example/storm-highway",
)
TOKYO = Article(
    source_id="tokyo-4",
    title="東京で桜の開花を発表",
    paragraphs=["気象庁は東京で桜が開花したと発表しました。平年より五日早い開花です。"],
    outlet="Tokyo Daily",
    published="2024-03-02",
    url="https://tokyo.example/sakura",
)
ARABIC = Article(
    source_id="arabic-5",
    title="افتتاح مكتبة جديدة في المدينة",
    paragraphs=["افتتحت البلدية مكتبة جديدة في وسط المدينة يوم الاثنين."],
    outlet="Arabic Times",
    published="2024-03-03",
    url="https://arabic.example/library",
)
HOSTILE = Article(
    source_id="hostile-6",
    title="**Breaking** @everyone [click here](https://evil.example) `code` __library__",
    paragraphs=[
        "Library fans @everyone @here <@123456789012345678> should visit https://evil.example/phish now.",
        "> quoted # not a header ||spoiler|| ~~strike~~ library",
    ],
    outlet="@everyone Weekly",
    published="2024-03-05",
    url="https://evil.example/library?x=(1)",
)
# Passages far longer than any Discord field: one without a single sentence end, one of very long words.
ENORMOUS = {
    "glacier-7": [
        " ".join(["the glacier retreated further up the valley while researchers measured the ice"] * 60),
        "Glacier " + " ".join(["supercalifragilisticexpialidocious" * 3] * 80) + ".",
    ]
}
GLACIER = Article(
    source_id="glacier-7",
    title="Glacier retreat measured across the range",
    paragraphs=ENORMOUS["glacier-7"],
    outlet="Mountain Report",
    published="2024-01-15",
    url="https://mountain.example/glacier",
)
FUTURE = Article(
    source_id="gazette-8",
    title="Council reverses library budget decision",
    paragraphs=["The city council reversed its library budget decision after a review of road repair costs."],
    outlet="Springfield Gazette",
    published="2024-06-01",
    url="https://gazette.example/2024/06/library-reversal",
)
ARTICLES = [LIBRARY, SANCTIONS, STORM, TOKYO, ARABIC, HOSTILE, GLACIER, FUTURE]
