"""Polite and safe HTTP fetching for feeds and article pages: robots.txt, per-host delay, caps, no private hosts."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

log = logging.getLogger(__name__)

USER_AGENT = "newsbot/0.1 (news archive bot; feed reader)"
ROBOTS_AGENT = "newsbot"  # the product token robots.txt groups are matched against
ALLOW_PRIVATE_ENV = "NEWSBOT_FETCH_ALLOW_PRIVATE"
PAGE_BYTES = 5 * 1024 * 1024
FEED_BYTES = 10 * 1024 * 1024
ROBOTS_BYTES = 512 * 1024  # RFC 9309 lets a crawler stop parsing past 500 KiB
SCHEMES = ("http", "https")
PRIVATE_HINT = (
    f"newsbot does not fetch from private, loopback, link-local or reserved addresses, so a feed URL cannot "
    f"reach services inside your network; set {ALLOW_PRIVATE_ENV}=1 to allow it (for a feed you host yourself)"
)


class FetchError(Exception):
    """A request that was refused or failed; ``str()`` is the reason, worded for the summary and the log."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class AddressRefused(FetchError):
    """A URL whose host is, or resolves to, a private or reserved address (refused before any request)."""


class BlockedAddress(OSError):
    """A host that resolves to an address newsbot must not connect to (raised from the resolver)."""


@dataclass(slots=True)
class FetchPolicy:
    """How a cycle's requests behave. Tests shorten the delay and timeout; the defaults are for the open web.

    Attributes:
        allow_private: allow private, loopback and link-local addresses (``NEWSBOT_FETCH_ALLOW_PRIVATE=1``).
        host_delay: seconds between two requests to one host.
        timeout: seconds one request may take, body included.
        page_bytes: the most a page may weigh; a bigger one is reported and skipped.
        feed_bytes: the same for a feed document.
        max_redirects: redirects followed (each hop is checked like the first request).
        user_agent: the User-Agent header sent with every request.
    """

    allow_private: bool = False
    host_delay: float = 1.0
    timeout: float = 30.0
    page_bytes: int = PAGE_BYTES
    feed_bytes: int = FEED_BYTES
    max_redirects: int = 5
    user_agent: str = USER_AGENT


@dataclass(slots=True)
class Response:
    """A completed request: the final URL after redirects, status, headers and the body (empty for a 304)."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when the server sent none)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def blocked_ip(address: str) -> bool:
    """True for an address newsbot must not connect to: anything not globally routable, or multicast.

    Args:
        address: an IPv4 or IPv6 address (a zone suffix such as ``%eth0`` is allowed).

    Returns:
        True for private, loopback, link-local, multicast, reserved, unspecified and shared addresses, and for
        IPv4-mapped or NAT64-embedded forms of them; True also for anything that is not an address at all.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return blocked_ip(str(embedded))
    return bool(
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str) -> str:
    """The URL's host when its form is one newsbot fetches (http or https, with a host); else FetchError.

    Raises:
        FetchError: another scheme, no host, or credentials in the URL.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as err:
        raise FetchError(f"not a valid URL ({err})") from None
    if parts.scheme.lower() not in SCHEMES:
        shown = parts.scheme or "no scheme"
        raise FetchError(f"only http and https URLs are fetched, not {shown} (write the full address, https://...)")
    if not host:
        raise FetchError("the URL has no host name")
    if parts.username or parts.password:
        raise FetchError("the URL carries a user name or password; newsbot only fetches public addresses")
    return host


def check_address(host: str, allow_private: bool) -> None:
    """Refuse an IP-literal host in a blocked range (host names are checked when they are resolved).

    Raises:
        FetchError: the host is a blocked address and private addresses are not allowed.
    """
    if allow_private:
        return
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        if blocked_ip(host.strip("[]")):
            raise AddressRefused(f"{host} is a private or reserved address: {PRIVATE_HINT}")


def resolve_and_check(host: str, allow_private: bool) -> None:
    """Resolve ``host`` now and refuse it when any of its addresses is blocked (used when a feed is added).

    A name that does not resolve is let through: the fetch checks it again, on the address it connects to.

    Raises:
        FetchError: the host is, or resolves to, a blocked address.
    """
    check_address(host, allow_private)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    for info in infos:
        address = str(info[4][0])
        if blocked_ip(address):
            raise AddressRefused(f"{host} resolves to {address}, a private or reserved address: {PRIVATE_HINT}")


class CheckedResolver(ThreadedResolver):
    """Resolve a host and refuse it when any address is blocked; the connection then uses these checked addresses.

    The check lives in the resolver aiohttp connects with, so a host name cannot pass a check with one address and
    then be connected to another (DNS rebinding).
    """

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await super().resolve(host, port, family)
        for result in results:
            if blocked_ip(result["host"]):
                raise BlockedAddress(f"{host} resolves to {result['host']}, a private or reserved address")
        return results


class Fetcher:
    """One cycle's HTTP client: a session, robots.txt per host, and a delay between requests to one host.

    Use it as an async context manager; every request goes through :meth:`get`.
    """

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._session: aiohttp.ClientSession | None = None
        self._robots: dict[str, urllib.robotparser.RobotFileParser | bool] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        resolver: Any = ThreadedResolver() if self.policy.allow_private else CheckedResolver()
        connector = aiohttp.TCPConnector(resolver=resolver, limit_per_host=2)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.policy.user_agent},
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
            trust_env=False,  # no proxy from the environment: the address check must see the real peer
            auto_decompress=True,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, url: str, *, headers: dict[str, str] | None = None, max_bytes: int = PAGE_BYTES) -> Response:
        """GET ``url`` politely and safely, following at most ``max_redirects`` redirects, each hop checked.

        Args:
            url: an http or https URL.
            headers: extra request headers (If-None-Match, If-Modified-Since).
            max_bytes: the largest body accepted.

        Returns:
            The final response: 2xx or 304 (a 304 has no body).

        Raises:
            FetchError: refused (scheme, address, robots.txt), too many redirects, an error status, a timeout,
                a network failure or a body over ``max_bytes``; the message says which.
        """
        current = url
        for _ in range(self.policy.max_redirects + 1):
            self._check(current)
            if not await self.allowed_by_robots(current):
                raise FetchError(f"robots.txt of {urlsplit(current).netloc} does not allow newsbot to fetch {current}")
            response = await self._hop(current, headers or {}, max_bytes)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"redirect ({response.status}) without a Location", status=response.status)
                current = urljoin(current, location)
                continue
            if response.status == 304 or 200 <= response.status < 300:
                return response
            raise FetchError(_status_reason(response.status), status=response.status)
        raise FetchError(f"more than {self.policy.max_redirects} redirects (last to {current})")

    def _check(self, url: str) -> None:
        host = check_url(url)
        check_address(host, self.policy.allow_private)

    async def _hop(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        """One request, no redirects followed, after the host's delay; the body read up to ``max_bytes``."""
        assert self._session is not None, "use Fetcher as an async context manager"
        host = (urlsplit(url).hostname or "").lower()
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        async with lock:  # one request at a time per host, spaced by host_delay
            wait = self._last.get(host, -1e9) + self.policy.host_delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await asyncio.wait_for(self._request(url, headers, max_bytes), self.policy.timeout)
            except TimeoutError:
                raise FetchError(f"timed out after {self.policy.timeout:g} s") from None
            finally:
                self._last[host] = time.monotonic()

    async def _request(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        assert self._session is not None
        self.requests += 1
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                got = Response(str(resp.url), resp.status, {k.lower(): v for k, v in resp.headers.items()})
                if not 200 <= resp.status < 300:
                    return got  # redirects, 304 and errors: their bodies are not needed
                declared = resp.content_length
                if declared is not None and declared > max_bytes:
                    raise FetchError(f"too large: {_mb(declared)} (the limit is {_mb(max_bytes)})")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"too large: over {_mb(max_bytes)} (the limit); not read further")
                    chunks.append(chunk)
                got.body = b"".join(chunks)
                return got
        except aiohttp.ClientConnectorError as err:
            cause = err.os_error if isinstance(err.os_error, BlockedAddress) else err.__cause__
            if isinstance(cause, BlockedAddress):
                raise AddressRefused(f"{cause}: {PRIVATE_HINT}") from None
            raise FetchError(f"cannot connect to {err.host}: {err.os_error.strerror or err.os_error}") from None
        except aiohttp.ClientError as err:
            raise FetchError(f"request failed: {type(err).__name__}: {err}") from None

    async def allowed_by_robots(self, url: str) -> bool:
        """Whether the host's robots.txt lets newsbot fetch ``url`` (fetched once per host and cycle).

        A robots.txt that cannot be fetched, or answers 4xx, allows everything; a 5xx answer disallows the whole
        host for this cycle (RFC 9309: the server may be overloaded, so it is left alone).
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._fetch_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(ROBOTS_AGENT, url)

    async def _fetch_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | bool:
        current = f"{origin}/robots.txt"
        try:
            for _ in range(self.policy.max_redirects + 1):
                self._check(current)
                response = await self._hop(current, {}, ROBOTS_BYTES)
                if response.status in (301, 302, 303, 307, 308) and response.headers.get("location"):
                    current = urljoin(current, response.headers["location"])
                    continue
                break
            else:
                return True
        except AddressRefused:
            raise  # the page's own request would be refused for the same reason: say that, not "disallowed"
        except FetchError as err:
            # RFC 9309 2.3.1.4: a robots.txt unreachable through network or server errors means complete disallow.
            log.warning("robots.txt of %s not read (%s): nothing fetched from it this cycle", origin, err)
            return False
        if response.status >= 500:
            log.warning("robots.txt of %s answered %d: nothing fetched from it this cycle", origin, response.status)
            return False
        if response.status >= 400 or response.status == 304:
            return True
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.body.decode("utf-8", "replace").splitlines())
        return parser


def _mb(size: int) -> str:
    return f"{size / 1024**2:.3g} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"


def _status_reason(status: int) -> str:
    if status == 404:
        return "not found (404)"
    if status == 410:
        return "gone (410)"
    if status in (401, 403):
        return f"access refused ({status})"
    if status == 429:
        return "too many requests (429): the server asked us to slow down"
    if status >= 500:
        return f"server error ({status})"
    return f"unexpected status {status}"
