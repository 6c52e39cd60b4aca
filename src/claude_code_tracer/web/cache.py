"""Answers are facts about the index, so they stay valid until the index changes.

`ResponseCache` keeps successful GET answers (JSON and pages) per index generation, with a
short time-to-live for what depends on the clock (session status, "3 h ago"), and answers
`If-None-Match` revalidations with 304. Live streams, health and static files pass through.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# search follows the index a moment after it changes (and answers in milliseconds)
UNCACHED_PREFIXES = (
    "/api/events",
    "/health",
    "/static",
    "/docs",
    "/openapi.json",
    "/api/search",
    "/search",
)
VARY_HEADERS = (b"accept", b"hx-request", b"hx-target", b"hx-current-url", b"cookie")
MAX_ENTRY_BYTES = 4 * 1024 * 1024


@dataclass
class Entry:
    generation: int
    created: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


class ResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        generation: Callable[[], int],
        *,
        max_bytes: int = 64 * 1024 * 1024,
        ttl_s: float = 10.0,
    ) -> None:
        self.app = app
        self.generation = generation
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.entries: OrderedDict[bytes, Entry] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(scope: Scope) -> bytes:
        parts = [scope["path"].encode(), scope.get("query_string", b"")]
        headers = dict(scope.get("headers", []))
        parts += [headers.get(h, b"") for h in VARY_HEADERS]
        return b"\0".join(parts)

    def _store(self, key: bytes, entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.size > self.max_bytes and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"].startswith(UNCACHED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        generation = self.generation()
        entry = self.entries.get(key)
        if (
            entry is not None
            and entry.generation == generation
            and time.monotonic() - entry.created < self.ttl_s
        ):
            self.entries.move_to_end(key)
            self.hits += 1
            await self._replay(scope, entry, send)
            return
        self.misses += 1
        await self._record(scope, receive, send, key, generation)

    async def _replay(self, scope: Scope, entry: Entry, send: Send) -> None:
        wanted = dict(scope.get("headers", [])).get(b"if-none-match")
        if wanted is not None and entry.etag in [t.strip() for t in wanted.split(b",")]:
            headers = [(b"etag", entry.etag), (b"cache-control", b"no-cache")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
        )
        await send({"type": "http.response.body", "body": entry.body})

    async def _record(
        self, scope: Scope, receive: Receive, send: Send, key: bytes, generation: int
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal start, size, cacheable
            if message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:
                    cacheable = False
                    await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            if not cacheable:
                await send(message)
                return
            body = message.get("body", b"")
            chunks.append(body)
            size += len(body)
            if message.get("more_body", False):
                if size > MAX_ENTRY_BYTES:  # too big to keep: stream the rest through
                    cacheable = False
                    await send(start)
                    await send(
                        {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                    )
                return
            full = b"".join(chunks)
            etag = b'W/"' + hashlib.blake2b(full, digest_size=12).hexdigest().encode() + b'"'
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"etag"]
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                headers.append((b"cache-control", b"no-cache"))  # revalidate with the etag
            headers.append((b"etag", etag))
            if size <= MAX_ENTRY_BYTES:
                self._store(key, Entry(generation, time.monotonic(), 200, headers, full, etag))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": full})

        await self.app(scope, receive, capture)
