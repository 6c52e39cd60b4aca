"""The app factory. No module-level state: everything hangs off `create_app(settings)`."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from claude_code_tracer import __version__
from claude_code_tracer.config import RELOAD_HOST_ENV, Settings
from claude_code_tracer.runtime import Runtime
from claude_code_tracer.web import errors, pages
from claude_code_tracer.web.api import (
    accuracy,
    metrics,
    projects,
    prompts,
    reports,
    search,
    sessions,
    subagents,
    system,
    windows,
)
from claude_code_tracer.web.cache import ResponseCache
from claude_code_tracer.web.guard import GuardedApp, allowed_hosts
from claude_code_tracer.web.templating import STATIC_DIR, make_templates


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
    app.state.templates = make_templates()
    errors.register(app, rt)
    for router in (
        projects.router,
        sessions.router,
        subagents.router,
        metrics.router,
        accuracy.router,
        reports.router,
        windows.router,
        prompts.router,
        search.router,
    ):
        app.include_router(router, responses=errors.API_ERRORS)
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
