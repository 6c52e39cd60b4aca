"""The dashboard's templates (Jinja2), how a request wants its answer, and a page's response.

A page URL holds its whole view; htmx requests to the same URL with an `HX-Target` get only
the part they replace, so back and reload keep the view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from claude_code_tracer import __version__
from claude_code_tracer.config import Settings
from claude_code_tracer.index.store import Store
from claude_code_tracer.transcript.content import strip_tags
from claude_code_tracer.transcript.kinds import COST_DRIVER_LABELS, KIND_LABELS
from claude_code_tracer.web import charts, entries, render
from claude_code_tracer.web.gauge import active_block, gauge_share
from claude_code_tracer.web.urls import RANGE_CHOICES, query_string

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
JSON_PATHS = ("/api", "/health", "/openapi.json", "/docs", "/static")
PAGE_PATHS = ("/projects/", "/sessions/", "/subagents/", "/pricing")


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=render.money,
        money_exact=render.money_exact,
        compact=render.compact,
        count=render.count,
        percent=render.percent,
        duration=render.duration,
        duration_ms=render.duration_ms,
        iso=render.iso,
        markdown=render.markdown,
        model_label=render.model_label,
        one_line=render.one_line,
        plain=render.plain,
        untag=strip_tags,
        project_name=render.project_name,
        age=render.age,
        duration_minutes=lambda minutes: "—" if minutes is None else render.duration(minutes * 60),
    )
    env.globals.update(
        TOKEN_KINDS=render.TOKEN_KINDS,
        KIND_LABELS=KIND_LABELS,
        RANGE_CHOICES=RANGE_CHOICES,
        version=__version__,
        absolute=render.absolute,
        relative=render.relative,
        clock=render.clock,
        token_shares=charts.token_shares,
        driver_shares=charts.driver_shares,
        DRIVER_LABELS=COST_DRIVER_LABELS,
        entry_signature=entries.entry_signature,
        call_state=entries.call_state,
        safe_url=render.safe_url,
        clip=render.clip,
        highlight=render.highlight,
        query_string=query_string,
        gauge_share=gauge_share,
    )
    return Jinja2Templates(env=env)


# ---------------------------------------------------------------------------------------------
# how a request wants its answer


def is_json_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in JSON_PATHS)


def wants_html(request: Request) -> bool:
    """Page routes answer in HTML; `/` and unknown paths when the browser asks for it."""
    path = request.url.path
    if is_json_path(path):
        return False
    if path.startswith(PAGE_PATHS) or request.headers.get("hx-request") == "true":
        return True
    return "text/html" in request.headers.get("accept", "")


def is_htmx(request: Request) -> bool:
    """An htmx swap (not a full page load, not a history restore)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and not headers.get("hx-history-restore-request")


def hx_target(request: Request) -> str | None:
    """The element an htmx request replaces; None for full page loads."""
    return (request.headers.get("hx-target") or None) if is_htmx(request) else None


# ---------------------------------------------------------------------------------------------
# a page


def page_response(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    runtime = request.app.state.runtime
    settings: Settings = request.app.state.settings
    base: dict[str, Any] = {
        "index_status": runtime.status,
        "gauge": active_block(runtime),
        "demo": settings.demo,
        "crumbs": [],
        "live": {},
        "title": "claude-code-tracer",
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def palette(store: Store) -> render.Palette:
    """One colour per model, the same on every page."""
    return render.Palette(store.model_order().models)
