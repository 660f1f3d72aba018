"""A small news site on 127.0.0.1 for the feed tests: a feed, article pages, robots.txt, and misbehaving routes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web


@dataclass
class Route:
    """What the server answers on one path.

    ``etag``/``last_modified`` make it answer 304 to a matching conditional request; ``hang`` never answers (until
    the server stops); ``stream`` sends that many bytes without a Content-Length; ``redirect`` answers 302.
    """

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    hang: bool = False
    stream: int = 0
    redirect: str | None = None


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class NewsServer:
    """Runs an aiohttp app in its own thread and loop, so synchronous code under test can call it."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Seen(request.path_qs, dict(request.headers)))
        route = self.routes.get(request.path_qs) or self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.hang:
            await self._release.wait()
            return web.Response(status=503)
        if route.redirect:
            raise web.HTTPFound(route.redirect)
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if _not_modified(route, request):
            return web.Response(status=304, headers=headers)
        if route.stream:
            return await self._stream(request, route)
        return web.Response(
            body=route.body, status=route.status, headers={**headers, "Content-Type": route.content_type}
        )

    async def _stream(self, request: web.Request, route: Route) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": route.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        with contextlib.suppress(ConnectionError, RuntimeError):
            for _ in range(route.stream // len(chunk)):
                await response.write(chunk)
        return response

    @contextlib.contextmanager
    def running(self) -> Iterator[NewsServer]:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.5)

        async def start() -> None:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield self
        finally:

            async def stop() -> None:
                self._release.set()
                await runner.cleanup()

            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


def _not_modified(route: Route, request: web.Request) -> bool:
    """As RFC 9110 says: If-None-Match decides when sent; If-Modified-Since only without it."""
    if "If-None-Match" in request.headers:
        return route.etag is not None and request.headers["If-None-Match"] == route.etag
    since = request.headers.get("If-Modified-Since")
    return route.last_modified is not None and since == route.last_modified


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def rss(title: str, items: list[dict[str, Any]]) -> bytes:
    """An RSS 2.0 document; each item has title, link, and optionally description, content, date."""
    parts = [
        f"<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>{escape(title)}</title><link>http://example.invalid/</link><description>test</description>"
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>")
        parts.append(f"<guid>{escape(item['link'])}</guid>")
        if item.get("description"):
            parts.append(f"<description>{escape(item['description'])}</description>")
        if item.get("content"):
            parts.append(f"<content:encoded>{escape(item['content'])}</content:encoded>")
        if item.get("date"):
            parts.append(f"<pubDate>{http_date(item['date'])}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def article_page(title: str, paragraphs: list[str]) -> bytes:
    """An article page with a site header, navigation and footer around the story, as news sites have."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | Test Times</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main>"
        "<footer>Copyright Test Times. All rights reserved.</footer></body></html>"
    ).encode()
