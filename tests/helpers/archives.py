"""Made-up archives for ingest tests: distinct stories as text files and JSON-lines records, and a hostile folder."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

_PLACES = ["harbour", "airport", "library", "stadium", "market", "museum", "hospital", "railway", "college", "park"]
_ACTS = ["reopened", "expanded", "closed", "was inspected", "was sold", "won funding", "was flooded", "was rebuilt"]
_PEOPLE = ["the mayor", "the council", "local traders", "residents", "engineers", "the minister", "unions"]


def story(n: int, paragraphs: int = 3) -> tuple[str, list[str]]:
    """A made-up article, distinct for each ``n``: (headline, paragraphs)."""
    place = _PLACES[n % len(_PLACES)]
    title = f"The {place} in district {n} {_ACTS[n % len(_ACTS)]}"
    paras = []
    for k in range(paragraphs):
        who = _PEOPLE[(n + k) % len(_PEOPLE)]
        paras.append(
            f"The {place} in district {n} {_ACTS[(n + k) % len(_ACTS)]} on day {k + 1} of the month, and {who} "
            f"said the change would affect about {100 * (n + 1) + k} people living nearby. "
            f"Officials expect a decision on phase {k + 2} of plan {n} before the end of the year."
        )
    return title, paras


def write_text(path: Path, n: int, paragraphs: int = 3) -> Path:
    title, paras = story(n, paragraphs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    return path


def record(n: int, **extra: object) -> dict:
    title, paras = story(n)
    rec = {
        "id": f"rec-{n}",
        "title": title,
        "text": "\n\n".join(paras),
        "source": "Example Post",
        "date": f"2024/01/{n % 28 + 1:02d}",
        "url": f"https://example.org/news/{n}",
    }
    rec.update(extra)
    return rec


def write_jsonl(path: Path, records: list[dict], lines: list[str] | None = None) -> Path:
    body = "".join(json.dumps(r) + "\n" for r in records) + "".join(lines or [])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(body.encode("utf-8")))
    else:
        path.write_text(body, encoding="utf-8")
    return path


def hostile_folder(root: Path) -> dict[str, Path]:
    """Good articles among binary, empty, undecodable, huge and malformed files."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "good1": write_text(root / "good1.txt", 1),
        "good2": write_text(root / "sub" / "good2.txt", 2),
        "png": root / "photo.png",
        "binary_txt": root / "garbage.txt",
        "empty": root / "empty.txt",
        "latin1": root / "latin1.txt",
        "huge": root / "huge.txt",
        "broken": root / "broken.jsonl",
        "truncated": root / "cut.jsonl.gz",
        "docx": root / "notes.docx",
    }
    files["png"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    files["binary_txt"].write_bytes(bytes((i * 37 + 11) % 256 for i in range(20_000)))
    files["empty"].write_bytes(b"")
    title, paras = story(3)
    files["latin1"].write_bytes((title + "\n\n" + "\n\n".join(paras) + " Caf\xe9 cr\xe8me.\n").encode("latin-1"))
    with open(files["huge"], "wb") as f:  # one 50 MB line
        chunk = b"word " * 200_000
        for _ in range(50):
            f.write(chunk)
    write_jsonl(
        files["broken"],
        [record(10), record(11)],
        lines=[
            '{"id": "half", "title": "cut off", "text": "never clos\n',
            "not json at all\n",
            "[1, 2, 3]\n",
            '{"id": "empty", "title": "No body", "text": ""}\n',
            json.dumps(record(12)) + "\n",
        ],
    )
    data = "".join(json.dumps(record(n)) + "\n" for n in range(20, 60)).encode("utf-8")
    files["truncated"].write_bytes(gzip.compress(data)[:-400])
    files["docx"].write_bytes(b"PK\x03\x04" + b"\x00" * 300)
    (root / ".hidden.txt").write_text("a hidden file is never read", encoding="utf-8")
    return files
