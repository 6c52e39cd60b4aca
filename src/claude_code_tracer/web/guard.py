"""The first layer of every request: the Host allow-list (no DNS rebinding) and the security
headers on every response.

Starlette's `TrustedHostMiddleware` is not used: it refuses a Host with a plain-text
"Invalid host header", where every error of this app has the API's one JSON shape (the
security tests pin that answer), and this layer would still be needed for the headers.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claude_code_tracer.config import LOOPBACK, Settings
from claude_code_tracer.web.errors import error_response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# a Host header: a name or an IPv4 address, or an IPv6 address in brackets; then a port
HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]]*)(?::[0-9]{1,5})?")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The loopback names, the address served and any extra names (an IPv6 address may come
    in brackets or not)."""
    hosts = {*LOOPBACK, settings.host, *settings.extra_hosts}
    return frozenset(h.lower() for h in hosts if h)


class GuardMiddleware:
    """Host allow-list (no DNS rebinding) and security headers on every response."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    def _host_ok(self, scope: Scope) -> bool:
        for key, value in scope.get("headers", []):
            if key == b"host":
                match = HOST_HEADER.fullmatch(value.decode("latin-1").strip().lower())
                if match is None:
                    return False
                name = match.group(1)
                return name in self.hosts or name.strip("[]") in self.hosts
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if not self._host_ok(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            response = error_response(400, "unknown Host header")
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


class GuardedApp(FastAPI):
    """FastAPI with the guard outside every other layer, so that the Host check comes first
    and the answers of the last-resort error handler carry the security headers too."""

    guard_hosts: frozenset[str] = LOOPBACK

    def build_middleware_stack(self) -> ASGIApp:
        return GuardMiddleware(super().build_middleware_stack(), self.guard_hosts)
