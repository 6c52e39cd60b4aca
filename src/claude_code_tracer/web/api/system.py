"""/health, the live event stream, and the offline API docs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from claude_code_tracer import __version__
from claude_code_tracer.index.models.system import (
    ApiInfo,
    Health,
    IndexHealth,
    IndexProgress,
)
from claude_code_tracer.web.deps import RuntimeDep, search_state

router = APIRouter(tags=["health"])

KEEPALIVE_S = 15.0


def api_info() -> ApiInfo:
    return ApiInfo(
        name="claude-code-tracer",
        version=__version__,
        docs="/docs",
        dashboard="/",
        health="/health",
    )


@router.get("/api", response_model=ApiInfo, summary="API info")
def info() -> ApiInfo:
    return api_info()


@router.get("/health", response_model=Health, summary="Health check")
def health(runtime: RuntimeDep) -> Health:
    """From memory only: it answers at once, even while the index is busy."""
    status = runtime.status
    files, lines, bad, projects, sessions = status.counts
    ready = status.state == "ready"
    return Health(
        status="ok" if ready else ("error" if status.state == "error" else "indexing"),
        version=__version__,
        demo=runtime.settings.demo,
        data_dirs=runtime.data_dirs(),
        index=IndexHealth(
            state=status.state,
            ready=ready,
            files=files,
            lines=lines,
            bad_lines=bad,
            bad_files=status.bad_files,
            projects=projects,
            sessions=sessions,
            last_sync=status.last_sync,
            last_sync_seconds=status.last_duration_s,
            progress=IndexProgress(
                files_done=status.files_done,
                files_total=status.files_total,
                bytes_done=status.bytes_done,
                bytes_total=status.bytes_total,
            ),
            error=status.error,
        ),
        search=search_state(runtime),
    )


@router.get(
    "/api/events",
    summary="Server-sent events: what changed (project, session, agent)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(request: Request, runtime: RuntimeDep) -> StreamingResponse:
    queue = runtime.broker.subscribe()

    async def stream() -> AsyncIterator[bytes]:
        try:
            hello = {"type": "hello", "state": runtime.status.state}
            yield b"retry: 2000\nevent: hello\ndata: " + orjson.dumps(hello) + b"\n\n"
            while not runtime.stop_event.is_set():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=1.0)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                kind = str(event.get("type", "change")).encode()
                yield b"event: " + kind + b"\ndata: " + orjson.dumps(event) + b"\n\n"
        finally:
            runtime.broker.unsubscribe(queue)

    async def with_keepalive() -> AsyncIterator[bytes]:
        source = stream().__aiter__()
        while True:
            try:
                chunk = await asyncio.wait_for(source.__anext__(), timeout=KEEPALIVE_S)
            except StopAsyncIteration:
                return
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            yield chunk

    return StreamingResponse(
        with_keepalive(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


SWAGGER = "swagger_ui_bundle"


def swagger_dir() -> str | None:
    with contextlib.suppress(ModuleNotFoundError, FileNotFoundError):
        base = resources.files(SWAGGER).joinpath("vendor")
        for entry in base.iterdir():
            if entry.name.startswith("swagger-ui-"):
                return str(entry)
    return None


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    html = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>claude-code-tracer API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body></html>"""
    return HTMLResponse(html)
