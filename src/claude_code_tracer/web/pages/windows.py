"""The usage-windows page: the 5-hour blocks of the range (the active one with its gauge,
burn rate, projection and limits) and the weekly totals per model family; and the header
gauge as a fragment, for live updates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.web.deps import RuntimeDep, StoreDep, ViewDep
from claude_code_tracer.web.gauge import active_block
from claude_code_tracer.web.templating import page_response, palette

router = APIRouter()

WEEKS_SHOWN = 12


@router.get("/windows", response_class=HTMLResponse, include_in_schema=False)
def windows_page(request: Request, store: StoreDep, runtime: RuntimeDep, view: ViewDep) -> Response:
    settings = runtime.settings
    report = store.blocks(
        view.range.rng, token_limit=settings.token_limit, cost_limit=settings.cost_limit
    )
    weekly = store.weekly(view.tz, settings.week_start, WEEKS_SHOWN)
    view.palette = palette(store)
    busiest = max((b.total_tokens for b in report.blocks), default=0)
    week_top = max((w.total_cost for w in weekly.weeks), default=0.0)
    context = {
        "view": view,
        "report": report,
        "weekly": weekly,
        "busiest": busiest,
        "week_top": week_top,
        "title": "Usage windows · claude-code-tracer",
        "crumbs": [("Usage windows", None)],
        "live": {"scope": "windows"},
    }
    return page_response(request, "windows.html", context)


@router.get("/windows/gauge", response_class=HTMLResponse, include_in_schema=False)
def gauge_fragment(request: Request, runtime: RuntimeDep, view: ViewDep) -> Response:
    """The header gauge alone (hidden when no block is active)."""
    return page_response(request, "_gauge.html", {"view": view, "gauge": active_block(runtime)})
