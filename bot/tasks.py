"""The bot's background tasks: stopping one the same way everywhere."""

from __future__ import annotations

import asyncio
import contextlib


async def stop(task: asyncio.Task[object] | None) -> None:
    """Cancel ``task`` (None: nothing) and wait until it has ended, its cancellation swallowed."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
