"""The deployment files, checked as far as this machine allows (no Docker engine runs here: the image is not built).

The Dockerfile's build context (after .dockerignore) must hold what its install step reads, and nothing secret;
its entry point must be a real command; the systemd unit must parse and turn its instance name into shard ids.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import parse_shards

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "newsbot@.service"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]


def in_context(path: str) -> bool:
    """Whether Docker sends ``path`` (relative, with /) in the build context: the last matching rule wins."""
    keep = True
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        loose = pattern.removeprefix("**/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes) or (
            pattern.startswith("**/") and any(fnmatch.fnmatchcase(part, loose) for part in parts)
        ):
            keep = negated
    return keep


def repository_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.split()


def test_the_build_context_holds_what_the_install_reads_and_no_secrets() -> None:
    files = repository_files()
    sent = [f for f in files if in_context(f)]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for needed in ("pyproject.toml", project["readme"]):
        assert needed in sent
    packages = [f for f in files if f.startswith(("index/", "bot/")) and f.endswith(".py")]
    assert packages and all(in_context(f) for f in packages)
    assert not [f for f in sent if f.startswith(("tests/", "corpus/", "bench/", ".git/"))]
    for secret in (".env", "data/newsbot.db", "bot/x.db-wal", "x.db.index/gen-000001/offsets.npy"):
        assert not in_context(secret), secret
    copied = [args.split()[0:-1] for op, args in instructions() if op == "COPY"]
    for sources in copied:
        for source in sources:
            assert any(f == source or f.startswith(source.rstrip("/") + "/") for f in sent), source


def test_the_image_runs_a_real_entry_point_on_a_supported_python() -> None:
    steps = dict(instructions())
    base = re.fullmatch(r"python:(\d+)\.(\d+)-slim", steps["FROM"])
    assert base and (int(base.group(1)), int(base.group(2))) >= (3, 11)
    command = json.loads(steps["ENTRYPOINT"]) + json.loads(steps["CMD"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command == ["newsbot", "run"] and scripts["newsbot"] == "bot.cli:main"
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    runs = [args for op, args in instructions() if op == "RUN"]
    assert any(r.startswith("pip install '.[postgres]'") for r in runs) and steps["USER"] == "newsbot"


def test_the_unit_turns_its_instance_name_into_shard_ids() -> None:
    exec_start = next(ln for ln in UNIT.read_text().splitlines() if ln.startswith("ExecStart="))
    shell = re.search(r"/bin/sh -c '(.*)'$", exec_start)
    assert shell and "newsbot run --shard-ids" in shell.group(1)
    # What systemd runs for newsbot@0_1, with the command swapped for one that prints its arguments.
    script = (
        shell.group(1)
        .replace("%i", "0_1")
        .replace("/opt/newsbot/.venv/bin/newsbot run", f"{sys.executable} -c 'import sys; print(sys.argv[1:])'")
    )
    printed = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "['--shard-ids', '0,1']"
    assert parse_shards("4", "0,1") == (4, (0, 1))


def test_the_unit_parses_without_warnings(tmp_path: Path) -> None:
    text = UNIT.read_text()
    sections = re.findall(r"^\[(\w+)\]$", text, flags=re.M)
    assert sections == ["Unit", "Service", "Install"]
    assert "RestartPreventExitStatus=1 2" in text  # a bad token or setting is not restarted in a loop
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the structural checks above still ran
        return
    instance = tmp_path / "newsbot@0_1.service"
    instance.write_text(text)
    out = subprocess.run([analyze, "verify", str(instance)], capture_output=True, text=True)
    assert out.returncode == 0 and str(instance) not in out.stderr, out.stderr
