"""Drive NewsBot offline through discord.py's own code: Discord-shaped payloads in, HTTP requests recorded.

Used by the tests and the latency benchmark (bench/bot_latency.py); it lives with the tests, so it is never
installed with the package. It relies on the discord.py internals listed in ``INTERNALS`` below, and on nothing
else that discord.py does not document; tests/bot/test_driver_internals.py checks that each is still there, so a
discord.py release that moves one fails in one place with its name (pyproject.toml pins discord.py below 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import discord
from discord.http import HTTPClient
from discord.utils import time_snowflake
from discord.webhook.async_ import AsyncWebhookAdapter

# The discord.py internals this driver uses: (module, attribute path, what for).
INTERNALS: tuple[tuple[str, str, str], ...] = (
    ("discord.http", "HTTPClient.request", "every REST request goes through it: replaced to record and answer"),
    ("discord.webhook.async_", "AsyncWebhookAdapter.request", "interaction responses and follow-ups go through it"),
    (
        "discord.state",
        "ConnectionState.parse_interaction_create",
        "feeds an INTERACTION_CREATE payload in",
    ),
    ("discord.state", "ConnectionState.parse_message_create", "feeds a MESSAGE_CREATE payload in"),
    ("discord.state", "ConnectionState._add_guild_from_data", "caches a guild as GUILD_CREATE would"),
    ("discord.http", "Route", "recorded calls read its method, path, url, channel_id and webhook_id"),
    (
        "discord.http",
        "handle_message_parameters",
        "uploads reach the recorder as its multipart list (payload_json, then files[n] parts)",
    ),
)
# Names discord.py gives the tasks it starts for dispatched events, interactions and views (see settle()).
_DISPATCH_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord.py: ",
    "discord-ui-dynamic",
    "discord-ui-modal",
)

APP_ID = 900000000000000001  # the application and its bot user share this id, as on Discord
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
OTHER_CHANNEL_ID = 900000000000000201
USER_ID = 900000000000000300
OTHER_USER_ID = 900000000000000301
# Shaped like a real token (base64 of the bot id, then two more parts), not a real one.
TOKEN = "OTAwMDAwMDAwMDAwMDAwMDAx.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"

# Discord's limits, restated here so the tests check the bot against the documentation, not against itself.
LIMITS = {"content": 2000, "title": 256, "description": 4096, "field_name": 256, "field_value": 1024}
MAX_FIELDS, MAX_FOOTER, MAX_TOTAL, MAX_EMBEDS, MAX_CUSTOM_ID = 25, 2048, 6000, 10, 100
MAX_UPLOAD = 8 * 1024 * 1024  # the attachment_size_limit the driver's interactions carry (Discord's smallest)
MAX_ALT_TEXT = 1024  # an attachment's description

_ids = itertools.count(1)


def snowflake(at: datetime | None = None) -> int:
    """A fresh snowflake for ``at`` (default now); its timestamp is what discord.py reads as ``created_at``."""
    at = at or datetime.now(UTC)
    return time_snowflake(at) + next(_ids)


def user_payload(user_id: int = USER_ID, name: str = "reader", bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


def member_payload(user_id: int = USER_ID, permissions: int = 0) -> dict[str, Any]:
    return {
        "user": user_payload(user_id),
        "roles": [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def channel_payload(channel_id: int = CHANNEL_ID, guild: bool = True) -> dict[str, Any]:
    if not guild:
        return {"id": str(channel_id), "type": 1, "recipients": [user_payload()]}
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": "news",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def message_payload(
    message_id: int,
    *,
    content: str = "",
    author: dict[str, Any] | None = None,
    channel_id: int = CHANNEL_ID,
    guild: bool = True,
    mentions: Iterable[dict[str, Any]] = (),
    components: list[dict[str, Any]] | None = None,
    embeds: list[dict[str, Any]] | None = None,
    flags: int = 0,
    webhook_id: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author or user_payload(APP_ID, "newsbot", bot=True),
        "content": content,
        "timestamp": discord.utils.snowflake_time(message_id).isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": components or [],
    }
    if guild:
        data["guild_id"] = str(GUILD_ID)
    if webhook_id:
        data["webhook_id"] = str(webhook_id)
    return data


def guild_payload() -> dict[str, Any]:
    """A GUILD_CREATE payload for the test server with its two text channels, as the gateway sends at startup."""
    return {
        "id": str(GUILD_ID),
        "name": "Newsroom",
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
            }
        ],
        "emojis": [],
        "features": [],
        "member_count": 2,
        "members": [member_payload(APP_ID)],
        "channels": [channel_payload(CHANNEL_ID), dict(channel_payload(OTHER_CHANNEL_ID), name="other")],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stickers": [],
        "unavailable": False,
    }


def _interaction_base(
    kind: int,
    *,
    user_id: int,
    guild: bool,
    at: datetime | None,
    permissions: int,
    channel_id: int = CHANNEL_ID,
) -> dict[str, Any]:
    iid = snowflake(at)
    data: dict[str, Any] = {
        "id": str(iid),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"interaction-token-{iid}",
        "version": 1,
        "channel_id": str(channel_id),
        "channel": channel_payload(channel_id, guild),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 8 * 1024 * 1024,
        "app_permissions": str(discord.Permissions.all().value),
    }
    if guild:
        data["guild_id"] = str(GUILD_ID)
        data["guild_locale"] = "en-US"
        data["member"] = member_payload(user_id, permissions)
        data["context"] = 0
        data["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
    else:
        data["user"] = user_payload(user_id)
        data["context"] = 1
        data["authorizing_integration_owners"] = {"1": str(user_id)}
    return data


def _option(name: str, value: Any, focused: bool = False) -> dict[str, Any]:
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    opt = {"name": name, "type": kind, "value": value}
    if focused:
        opt["focused"] = True
    return opt


def slash(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    user_id: int = USER_ID,
    guild: bool = True,
    at: datetime | None = None,
    permissions: int = 0,
    resolved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a slash command (type 2) with its options."""
    data = _interaction_base(2, user_id=user_id, guild=guild, at=at, permissions=permissions)
    data["data"] = {
        "id": str(snowflake()),
        "name": name,
        "type": 1,
        "options": [_option(k, v) for k, v in (options or {}).items()],
    }
    if resolved:
        data["data"]["resolved"] = resolved
    return data


def message_menu(name: str, message: dict[str, Any], *, user_id: int = USER_ID, at: datetime | None = None) -> dict:
    """An INTERACTION_CREATE payload for a message context-menu command (type 3) on ``message``."""
    data = _interaction_base(2, user_id=user_id, guild=True, at=at, permissions=0)
    data["data"] = {
        "id": str(snowflake()),
        "name": name,
        "type": 3,
        "target_id": message["id"],
        "resolved": {"messages": {message["id"]: message}},
    }
    return data


def autocomplete(name: str, options: dict[str, Any], focused: str, *, user_id: int = USER_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for autocomplete (type 4): ``focused`` is the option being typed."""
    data = _interaction_base(4, user_id=user_id, guild=True, at=None, permissions=0)
    data["data"] = {
        "id": str(snowflake()),
        "name": name,
        "type": 1,
        "options": [_option(k, v, focused=k == focused) for k, v in options.items()],
    }
    return data


def component(custom_id: str, message: dict[str, Any], *, user_id: int = USER_ID, guild: bool = True) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a button press (type 3) on ``message``."""
    data = _interaction_base(3, user_id=user_id, guild=guild, at=None, permissions=0)
    data["data"] = {"custom_id": custom_id, "component_type": 2}
    data["message"] = message
    return data


def modal_submit(custom_id: str, components: list[dict[str, Any]], *, user_id: int = USER_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a submitted modal (type 5): ``components`` as Discord sends them back."""
    data = _interaction_base(5, user_id=user_id, guild=True, at=None, permissions=0)
    data["data"] = {"custom_id": custom_id, "components": components}
    return data


def mention_message(
    text: str,
    *,
    author_id: int = USER_ID,
    bot_author: bool = False,
    channel_id: int = CHANNEL_ID,
    guild: bool = True,
    mention_bot: bool = True,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload: "<@bot> text" in a server channel, or ``text`` in a DM."""
    content = f"<@{APP_ID}> {text}" if mention_bot and guild else text
    data = message_payload(
        snowflake(at),
        content=content,
        author=user_payload(author_id, "reader" if not bot_author else "otherbot", bot=bot_author),
        channel_id=channel_id,
        guild=guild,
        mentions=[user_payload(APP_ID, "newsbot", bot=True)] if mention_bot and guild else [],
    )
    if guild:
        data["member"] = {k: v for k, v in member_payload(author_id).items() if k != "user"}
    return data


def reply_message(
    text: str,
    to: dict[str, Any],
    *,
    ping: bool = True,
    author_id: int = USER_ID,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload replying to message ``to`` (type 19), the replied-to author pinged if ``ping``."""
    channel_id = int(to["channel_id"])
    data = mention_message(text, author_id=author_id, channel_id=channel_id, mention_bot=False, at=at)
    data["type"] = 19
    data["message_reference"] = {"message_id": to["id"], "channel_id": to["channel_id"], "guild_id": str(GUILD_ID)}
    data["referenced_message"] = to
    if ping:
        data["mentions"] = [to["author"]]
    return data


def thread_payload(thread_id: int, parent_id: int, name: str, auto_archive_duration: int = 1440) -> dict[str, Any]:
    """A public thread (type 11) as Discord returns it when one is started from a message."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
        "owner_id": str(APP_ID),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": datetime.now(UTC).isoformat(),
            "locked": False,
        },
    }


@dataclass
class Call:
    """One request the bot made: route method and path template, the formatted URL, and its JSON body."""

    method: str
    path: str
    url: str
    json: dict[str, Any] | list[Any] | None
    params: dict[str, Any] | None = None
    at: float = 0.0
    files: list[dict[str, Any]] = field(default_factory=list)  # uploads: filename and data (bytes)

    @property
    def kind(self) -> str:
        """callback, followup, edit_original, delete_original, edit_followup, send, edit, thread, sync or other."""
        p = self.path
        if p.endswith("/callback"):
            return "callback"
        if p == "/webhooks/{webhook_id}/{webhook_token}" and self.method == "POST":
            return "followup"
        if "@original" in self.url:
            return "edit_original" if self.method == "PATCH" else "delete_original"
        if p.startswith("/webhooks/") and self.method == "PATCH":
            return "edit_followup"
        if p == "/channels/{channel_id}/messages" and self.method == "POST":
            return "send"
        if p == "/channels/{channel_id}/messages/{message_id}" and self.method == "PATCH":
            return "edit"
        if p == "/channels/{channel_id}/messages/{message_id}/threads" and self.method == "POST":
            return "thread"
        if "/commands" in p and self.method == "PUT":
            return "sync"
        return "other"

    @property
    def interaction_id(self) -> int | None:
        m = re.search(r"/interactions/(\d+)/", self.url) or re.search(r"interaction-token-(\d+)", self.url)
        return int(m.group(1)) if m else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        body = self.json if isinstance(self.json, dict) else {}
        body = body.get("data", body) if self.kind == "callback" else body
        return list(body.get("embeds") or [])

    @property
    def body(self) -> dict[str, Any]:
        """The message part of the request (a callback's ``data``)."""
        body = self.json if isinstance(self.json, dict) else {}
        return (body.get("data") or {}) if self.kind == "callback" else body


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    code: int = 0
    times: int = 1


@dataclass
class Recorder:
    """Stands in for Discord's HTTP API at discord.py's two request functions and records every call."""

    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    changed: asyncio.Event | None = None

    def fail(self, method: str, pattern: str, status: int = 500, *, code: int = 0, times: int = 1) -> None:
        """Make the next ``times`` requests whose URL contains ``pattern`` fail with ``status``."""
        self.failures.append(Failure(method, pattern, status, code, times))

    def _maybe_fail(self, method: str, url: str) -> None:
        for f in self.failures:
            if f.times > 0 and f.method == method and f.pattern in url:
                f.times -= 1
                response = SimpleNamespace(status=f.status, reason="Injected failure")
                err = {"code": f.code, "message": "injected"}
                if f.status == 404:
                    raise discord.NotFound(response, err)
                if f.status == 403:
                    raise discord.Forbidden(response, err)
                if f.status >= 500:
                    raise discord.DiscordServerError(response, err)
                raise discord.HTTPException(response, err)

    def _record(
        self, route: Any, body: Any, params: dict[str, Any] | None, multipart: list[dict[str, Any]] | None = None
    ) -> Call:
        loop = asyncio.get_running_loop()
        files: list[dict[str, Any]] = []
        for part in multipart or []:  # an upload: the JSON body travels as payload_json beside the files
            if part["name"] == "payload_json":
                body = json.loads(part["value"])
            else:
                fp = part["value"]
                data = fp.getvalue() if hasattr(fp, "getvalue") else fp.read()
                files.append({"filename": part.get("filename"), "data": data})
        call = Call(route.method, route.path, route.url, body, params, loop.time(), files)
        self.calls.append(call)
        if self.changed is None:
            self.changed = asyncio.Event()
        self.changed.set()
        self._maybe_fail(route.method, route.url)
        return call

    def _message(self, body: dict[str, Any] | None, channel_id: int = CHANNEL_ID, mid: int | None = None) -> dict:
        body = body or {}
        mid = mid or snowflake()
        msg = message_payload(
            mid,
            content=body.get("content") or "",
            channel_id=channel_id,
            components=body.get("components"),
            embeds=body.get("embeds"),
            flags=int(body.get("flags") or 0),
            webhook_id=APP_ID,
        )
        self.messages[mid] = msg
        return msg

    async def http_request(self, route: Any, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        call = self._record(route, kwargs.get("json"), kwargs.get("params"), form)
        await asyncio.sleep(0)
        path, method = route.path, route.method
        if path == "/users/@me":
            return user_payload(APP_ID, "newsbot", bot=True)
        if path == "/oauth2/applications/@me":
            return {
                "id": str(APP_ID),
                "name": "newsbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_payload(USER_ID),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        if call.kind == "sync":
            # Discord answers with every command, context menus with an empty description.
            return [
                {"description": "", **c, "id": str(snowflake()), "application_id": str(APP_ID), "version": "1"}
                for c in call.json or []
            ]
        if call.kind == "thread":  # a thread started from a message has the message's id
            body = call.json if isinstance(call.json, dict) else {}
            duration = body.get("auto_archive_duration") or 1440
            return thread_payload(int(route.url.split("/")[-2]), int(route.channel_id), body.get("name", ""), duration)
        if method in ("POST", "PATCH") and path.startswith("/channels/{channel_id}/messages"):
            mid = int(route.url.rsplit("/", 1)[-1]) if method == "PATCH" else None
            return self._message(call.json if isinstance(call.json, dict) else {}, int(route.channel_id), mid)
        return None

    async def webhook_request(self, route: Any, session: Any = None, *, payload: Any = None, **kw: Any) -> Any:
        call = self._record(route, payload, kw.get("params"), kw.get("multipart"))
        await asyncio.sleep(0)
        if call.kind == "callback":
            mid = snowflake()
            body = payload or {}
            message = self._message(body.get("data"), mid=mid) if body.get("type") in (4, 5, 7) else None
            return {
                "interaction": {
                    "id": str(route.webhook_id),
                    "type": 2,
                    "response_message_id": str(mid),
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(((body.get("data") or {}).get("flags") or 0) & 64),
                },
                "resource": {"type": body.get("type", 4), "message": message} if message else None,
            }
        if call.kind in ("followup", "edit_original", "edit_followup"):
            return self._message(call.json if isinstance(call.json, dict) else payload)
        return None

    # Queries --------------------------------------------------------------------------------------------------

    def of(self, kind: str, interaction: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.kind == kind and (interaction is None or c.interaction_id == interaction)]

    def for_interaction(self, payload: dict[str, Any]) -> list[Call]:
        iid = int(payload["id"])
        token = payload["token"]
        return [c for c in self.calls if c.interaction_id == iid or token in c.url]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked after every recorded call)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if self.changed is None:
                self.changed = asyncio.Event()
            self.changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out; calls so far: {[(c.kind, c.path) for c in self.calls]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=min(left, 0.05))


def install(monkeypatch: Any, recorder: Recorder) -> None:
    """Route discord.py's REST and webhook requests to ``recorder``."""

    async def http_request(self: HTTPClient, route: Any, **kwargs: Any) -> Any:
        return await recorder.http_request(route, **kwargs)

    async def webhook_request(self: AsyncWebhookAdapter, route: Any, session: Any = None, **kwargs: Any) -> Any:
        return await recorder.webhook_request(route, session, **kwargs)

    monkeypatch.setattr(HTTPClient, "request", http_request)
    monkeypatch.setattr(AsyncWebhookAdapter, "request", webhook_request)


async def settle(timeout: float = 20.0) -> None:
    """Wait until every task discord.py started for dispatched events and interactions has finished."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    me = asyncio.current_task()
    while True:
        pending = [
            t for t in asyncio.all_tasks() if t is not me and not t.done() and t.get_name().startswith(_DISPATCH_TASKS)
        ]
        if not pending:
            return
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"tasks still running: {[t.get_name() for t in pending]}")
        await asyncio.wait(pending, timeout=left)


def check_limits(call: Call) -> None:
    """Assert one outgoing message is within every Discord limit and pings nobody."""
    body = call.body
    content = body.get("content") or ""
    assert len(content) <= LIMITS["content"], f"content {len(content)} > 2000"
    embeds = body.get("embeds") or []
    assert len(embeds) <= MAX_EMBEDS
    total = 0
    for e in embeds:
        title, desc = e.get("title") or "", e.get("description") or ""
        assert len(title) <= LIMITS["title"], f"title {len(title)}"
        assert len(desc) <= LIMITS["description"], f"description {len(desc)}"
        fields = e.get("fields") or []
        assert len(fields) <= MAX_FIELDS
        for f in fields:
            assert len(f["name"]) <= LIMITS["field_name"], f"field name {len(f['name'])}"
            assert len(f["value"]) <= LIMITS["field_value"], f"field value {len(f['value'])}"
            assert f["name"].strip() and f["value"].strip(), "empty field"
        footer = (e.get("footer") or {}).get("text") or ""
        assert len(footer) <= MAX_FOOTER
        author = (e.get("author") or {}).get("name") or ""
        total += len(title) + len(desc) + len(footer) + len(author)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= MAX_TOTAL, f"embeds total {total} > 6000"
    for f in call.files:
        assert len(f["data"]) <= MAX_UPLOAD, f"upload {f['filename']} of {len(f['data'])} bytes"
    for a in body.get("attachments") or []:
        assert len(a.get("description") or "") <= MAX_ALT_TEXT, "alt text over 1024"
    if call.files:
        assert len(body.get("attachments") or []) == len(call.files), "every upload is described in attachments"
        assert all(a.get("description") for a in body["attachments"]), "every upload has alt text"
    for row in body.get("components") or []:
        for comp in row.get("components") or []:
            if "custom_id" in comp:
                assert len(comp["custom_id"]) <= MAX_CUSTOM_ID
    if call.kind in ("followup", "send", "edit", "edit_original", "edit_followup") or (
        call.kind == "callback" and (call.json or {}).get("type") == 4
    ):
        assert body.get("allowed_mentions") == {"parse": []} or body.get("allowed_mentions", {}).get("parse") == [], (
            f"allowed_mentions {body.get('allowed_mentions')} on {call.kind}"
        )


def custom_ids(call: Call) -> list[str]:
    return [c["custom_id"] for row in call.body.get("components") or [] for c in row.get("components") or []]


@contextlib.contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Route discord.py's requests to ``recorder`` for the duration (for scripts; tests use :func:`install`)."""
    saved = HTTPClient.request, AsyncWebhookAdapter.request

    async def http_request(self: HTTPClient, route: Any, **kwargs: Any) -> Any:
        return await recorder.http_request(route, **kwargs)

    async def webhook_request(self: AsyncWebhookAdapter, route: Any, session: Any = None, **kwargs: Any) -> Any:
        return await recorder.webhook_request(route, session, **kwargs)

    HTTPClient.request, AsyncWebhookAdapter.request = http_request, webhook_request  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        HTTPClient.request, AsyncWebhookAdapter.request = saved  # type: ignore[method-assign]
