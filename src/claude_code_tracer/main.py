"""The app factory. No module-level state: everything hangs off `create_app(settings)`."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from claude_code_tracer import __version__
from claude_code_tracer.cache import ResponseCache
from claude_code_tracer.config import LOOPBACK, RELOAD_HOST_ENV, Settings
from claude_code_tracer.index.models.system import ErrorBody, ErrorResponse
from claude_code_tracer.index.reads import NotFound
from claude_code_tracer.routers import metrics, pages, projects, sessions, subagents, system
from claude_code_tracer.runtime import Runtime

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_parameters",
    500: "internal_error",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_response(
    status: int, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            status=status,
            code=ERROR_CODES.get(status, "error"),
            message=message,
            details=details or [],
        )
    )
    return JSONResponse(body.model_dump(), status_code=status)


def allowed_hosts(settings: Settings) -> frozenset[str]:
    hosts = {*LOOPBACK, settings.host, *settings.extra_hosts}
    return frozenset(h.lower() for h in hosts if h)


# a Host header: a name or an IPv4 address, or an IPv6 address in brackets; then a port
HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]]*)(?::[0-9]{1,5})?")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


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


def create_app(
    settings: Settings, *, runtime: Runtime | None = None, start: bool = True
) -> FastAPI:
    """Build the app for `settings`. `start=False` leaves indexing to the caller (tests)."""
    rt = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt.broker.bind(asyncio.get_running_loop())
        # everything loaded so far lives as long as the app: keep it out of the collector's
        # full scans, which would otherwise pause requests at random
        gc.freeze()
        if start:
            rt.start()
        try:
            yield
        finally:
            rt.stop()

    app = GuardedApp(
        title="claude-code-tracer",
        version=__version__,
        summary="Where the time, tokens and money of Claude Code went.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # an address names a route exactly, or it is a 404
    )
    app.state.runtime = rt
    app.state.settings = settings
    app.state.templates = pages.make_templates()

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if pages.wants_html(request):
            return pages.not_found_page(request, exc.what)
        return error_response(404, f"{exc.what} not found")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint"
        if pages.wants_html(request):
            if exc.status_code == 404:
                return pages.error_page(
                    request, 404, "Page not found", "Nothing is at this address."
                )
            return pages.error_page(request, exc.status_code, "Request failed", message)
        return error_response(exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        if pages.wants_html(request):
            return pages.error_page(
                request, 422, "Invalid address", "Some part of this address is not valid."
            )
        return error_response(422, "invalid parameters", details)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if isinstance(exc, duckdb.Error) and "corrupt" in str(exc).lower():
            rt.request_check()  # a damaged index block: read it all, rebuild if need be
        if pages.wants_html(request):
            return pages.error_page(
                request,
                500,
                "Something went wrong",
                "This page could not be built. The details are in the server log.",
            )
        return error_response(500, "internal error")

    for router in (projects.router, sessions.router, subagents.router, metrics.router):
        app.include_router(
            router, responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
        )
    app.include_router(system.router)
    app.include_router(pages.router)
    swagger = system.swagger_dir()
    if swagger:
        app.mount("/static/swagger", StaticFiles(directory=swagger), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.response_cache:
        app.add_middleware(ResponseCache, generation=lambda: rt.generation)
    app.guard_hosts = allowed_hosts(settings)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used by `cctracer --reload`): settings from the env.

    The address served is `cctracer --host`'s, passed on by the command; the environment
    alone never makes the app answer on another address.
    """
    import os

    return create_app(Settings.from_env(host=os.environ.get(RELOAD_HOST_ENV) or None))
