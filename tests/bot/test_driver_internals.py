"""The discord.py internals the offline test driver relies on are still where it expects them."""

from __future__ import annotations

import asyncio
import importlib

import discord
import pytest
from helpers.discord_driver import _DISPATCH_TASKS, INTERNALS, settle, slash


@pytest.mark.parametrize(("module", "path", "why"), INTERNALS, ids=[f"{m}.{p}" for m, p, _ in INTERNALS])
def test_internal_is_still_there(module: str, path: str, why: str) -> None:
    target: object = importlib.import_module(module)
    for part in path.split("."):
        assert hasattr(target, part), f"discord.py {discord.__version__} has no {module}.{path} (used: {why})"
        target = getattr(target, part)


def test_discord_py_is_the_major_version_the_driver_was_written_for() -> None:
    assert discord.version_info.major == 2


@pytest.mark.asyncio
async def test_dispatched_interactions_run_in_tasks_named_as_settle_expects(newsbot, recorder) -> None:
    seen: set[str] = set()
    newsbot._connection.parse_interaction_create(slash("stats"))
    seen.update(t.get_name() for t in asyncio.all_tasks())
    assert any(name.startswith(_DISPATCH_TASKS) for name in seen), sorted(seen)
    await settle()
    assert recorder.calls, "the interaction was answered"
