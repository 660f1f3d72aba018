"""Running as a cluster: how fast every bot process moves to a new index, what the alternative costs, per-server costs.

Four measurements, each printed as a markdown table:

- ``switch``: two bot processes' worth of NewsBots (each with its own search worker process) watch one index;
  a new generation is published (hard links of the one in service, then ``CURRENT`` switched, as an index run
  ends) and the time until each answers a question from it is measured, with ``NEWSBOT_SYNC_SECONDS`` = ``--sync``.
- ``rebuild``: the other option, each node building the generation from the store itself: one full build of the
  postings from the store into a scratch folder (time and peak memory, in a child process).
- ``settings``: re-reading every server's settings (what each sync pass does) at 2,500 and 10,000 servers.
- ``guilds``: the bot's own memory per server: discord.py's cache of a server (30 channels, 15 roles, no member
  list: the bot asks for no members intent) and its settings row in memory.

    python bench/cluster_sync.py --db /tmp/shards/rtqa.db            # a COPY: a generation is added and removed
    python bench/cluster_sync.py --db /tmp/shards/rtqa.db --only switch --sync 1 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "tests")]

from helpers.discord_driver import TOKEN, Recorder, guild_payload, recording, settle, slash  # noqa: E402

from bot.bot import NewsBot  # noqa: E402
from bot.config import Secret, Settings  # noqa: E402
from bot.store import AsyncStore  # noqa: E402
from index.search import generations as gens  # noqa: E402


def spread(values: list[float]) -> str:
    return f"{min(values):.0f} / {statistics.median(values):.0f} / {max(values):.0f}"


def publish_copy(db: Path) -> str:
    """A new generation with the same postings (hard links) and its own name, switched in as an index run does."""
    root = gens.index_dir(db)
    current = gens.current_generation(db)
    assert current is not None, f"no index for {db}"
    name = gens.next_generation(root)
    folder = root / name
    folder.mkdir()
    for f in (root / current).iterdir():
        if f.name not in ("params.json", gens.MANIFEST_FILE):
            os.link(f, folder / f.name)
    params = json.loads((root / current / "params.json").read_text())
    (folder / "params.json").write_text(json.dumps(dict(params, generation=name)))  # the name answers show
    gens.write_manifest(folder)
    gens.switch_current(root, name)
    return name


async def switch_times(bot: NewsBot, recorder: Recorder, generation: str, t0: float) -> tuple[float, float, float]:
    """ms from ``t0`` until ``bot`` serves ``generation`` and until it has answered a question from it, and the
    sync pass's own ms (reading CURRENT, opening the generation, re-reading the settings)."""
    while bot.engine.generation != generation:
        bot.cluster.ticked.clear()
        await bot.cluster.ticked.wait()
    serving = (time.perf_counter() - t0) * 1000
    own = bot.cluster.last.seconds * 1000 if bot.cluster.last else float("nan")
    payload = slash("ask", {"question": "Who won the World Cup?"})
    bot._connection.parse_interaction_create(payload)
    await recorder.wait_for(lambda: any(c.kind == "followup" for c in recorder.for_interaction(payload)), 60)
    answer = [c for c in recorder.for_interaction(payload) if c.kind == "followup"]
    assert generation in str(answer[0].embeds), (
        "not answered from the new generation",
        [e.get("footer") for e in answer[0].embeds],
    )
    return serving, (time.perf_counter() - t0) * 1000, own


async def measure_switch(db: Path, sync: float, repeat: int) -> str:
    recorder = Recorder()
    root = gens.index_dir(db)
    original = gens.current_generation(db)
    added: list[str] = []
    detect: list[float] = []
    first: list[float] = []
    passes: list[float] = []
    with recording(recorder):
        bots = []
        for _ in range(2):
            settings = Settings(token=Secret(TOKEN), db=db, cooldown_seconds=0.0, search_workers=1,
                                feed_interval=0, sync_seconds=sync)  # fmt: skip
            bot = NewsBot(settings)
            await bot.login(TOKEN)
            await bot.engine.search("warm up")
            bots.append(bot)
        try:
            for _ in range(repeat):
                # At a random moment of the processes' sync intervals, as an index run would end.
                await asyncio.sleep(random.uniform(0, sync))
                name = publish_copy(db)
                added.append(name)
                t0 = time.perf_counter()
                for serving, answered, own in await asyncio.gather(
                    *(switch_times(b, recorder, name, t0) for b in bots)
                ):
                    detect.append(serving)
                    first.append(answered)
                    passes.append(own)
                await settle(timeout=60)
        finally:
            for bot in bots:
                await bot.close()
            gens.switch_current(root, original)  # type: ignore[arg-type]
            for name in added:
                for f in (root / name).iterdir():
                    f.unlink()
                (root / name).rmdir()
    return "\n".join([
        f"index switch: 2 NewsBots (one search worker process each), NEWSBOT_SYNC_SECONDS={sync}, {repeat} switches",
        "",
        "| from CURRENT switched to | ms (min / median / max) |",
        "|---|---|",
        f"| the bot serving the new generation | {spread(detect)} |",
        f"| its first answer from it | {spread(first)} |",
        f"| the sync pass that switched (read CURRENT, open it, re-read settings) | {spread(passes)} |",
    ])  # fmt: skip


def measure_rebuild(db: Path) -> str:
    """One build of the postings from the store, in a child process (for its own peak memory)."""
    code = (
        "import sys, time, resource, tempfile; sys.path[:0] = [sys.argv[2]]\n"
        "from index.search import generations; from index.search.build import rebuild\n"
        "with tempfile.TemporaryDirectory(dir=sys.argv[3]) as d:\n"
        "    generations.use_index_dir(d); t = time.perf_counter(); rebuild(sys.argv[1], progress=False)\n"
        "    print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", code, str(db), root, str(db.parent)], capture_output=True, text=True,
                         check=True)  # fmt: skip
    seconds, peak_kb = out.stdout.split()
    return (
        "| option (b): build the generation from the store on each node | figure |\n|---|---|\n"
        f"| build time | {float(seconds):.1f} s |\n"
        f"| peak memory of the building process | {int(peak_kb) / 1024:.0f} MB |"
    )


async def measure_settings(sizes: list[int]) -> str:
    rows = ["| servers with settings | reload_settings() ms (min / median / max of 7) | memory per server (bytes) |",
            "|---|---|---|"]  # fmt: skip
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            store = await AsyncStore.open(Path(d) / "s.db")
            try:
                for g in range(n):
                    await store.set_guild_settings(10**17 + g, answer_channels=[10**17 + g + 1], private_default=True)
                times = []
                for _ in range(7):
                    t = time.perf_counter()
                    await store.reload_settings()
                    times.append((time.perf_counter() - t) * 1000)
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
                await store.reload_settings()
                per = (tracemalloc.get_traced_memory()[0] - before) / n
                tracemalloc.stop()
            finally:
                await store.close()
        rows.append(f"| {n:,} | {spread(times)} | {per:.0f} |")
    return "\n".join(rows)


def measure_guilds(count: int = 1000) -> str:
    async def run() -> float:
        with recording(Recorder()):
            bot = NewsBot(Settings(token=Secret(TOKEN), db=Path(tempfile.mkdtemp()) / "g.db", search_workers=0,
                                   feed_interval=0))  # fmt: skip
            await bot.login(TOKEN)
            template = guild_payload()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for g in range(count):
                data = json.loads(json.dumps(template).replace(str(template["id"]), str(10**17 + g * 4096)))
                data["channels"] = [dict(template["channels"][0], id=str(10**16 + g * 64 + c), name=f"c{c}",
                                         guild_id=data["id"]) for c in range(30)]  # fmt: skip
                data["roles"] += [dict(data["roles"][0], id=str(10**15 + g * 64 + r), name=f"r{r}") for r in range(15)]
                bot._connection._add_guild_from_data(data)
            per = (tracemalloc.get_traced_memory()[0] - before) / count
            tracemalloc.stop()
            await bot.close()
            return per

    per = asyncio.run(run())
    return (
        "| discord.py's cache of one server (30 channels, 15 roles, no members) | bytes |\n|---|---|\n"
        f"| per server, {count:,} servers | {per:,.0f} |\n| 2,500 servers (Discord's limit per shard) | "
        f"{per * 2500 / 1e6:.1f} MB |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/shards/rtqa.db", help="an indexed COPY of a store")
    parser.add_argument("--sync", type=float, default=10.0, help="NEWSBOT_SYNC_SECONDS for the switch (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="switches to measure (default 3)")
    parser.add_argument("--only", choices=["switch", "rebuild", "settings", "guilds"], action="append")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)
    wanted = args.only or ["switch", "rebuild", "settings", "guilds"]
    db = Path(args.db)
    if "switch" in wanted:
        print(asyncio.run(measure_switch(db, args.sync, args.repeat)), end="\n\n", flush=True)
    if "rebuild" in wanted:
        print(measure_rebuild(db), end="\n\n", flush=True)
    if "settings" in wanted:
        print(asyncio.run(measure_settings([2500, 10000])), end="\n\n", flush=True)
    if "guilds" in wanted:
        print(measure_guilds(), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(this process's peak RSS: {peak:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
