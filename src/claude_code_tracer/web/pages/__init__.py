"""The dashboard: server-rendered pages and the htmx fragments they swap in, one module per
family. Every page is built from the same `Store` calls as the JSON API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from claude_code_tracer.web.pages import (
    accuracy,
    overview,
    pricing,
    project,
    search,
    session,
    subagent,
    windows,
)

# every page route in one router, flat (the security tests and the benchmark list them)
router = APIRouter(
    routes=[
        route
        for family in (overview, project, session, subagent, pricing, accuracy, windows, search)
        for route in family.router.routes
    ]
)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=308)
