"""The pricing page: the price table in use and the models of the history."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.web.deps import StoreDep, ViewDep, lenient_text
from claude_code_tracer.web.templating import hx_target, page_response, palette

router = APIRouter()


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/pricing", response_class=HTMLResponse, include_in_schema=False)
def pricing_page(request: Request, store: StoreDep, view: ViewDep) -> Response:
    info = store.pricing()
    view.palette = palette(store)
    search = lenient_text(view.params.get("q"))
    prices = [p for p in info.prices if not search or search.lower() in p.model.lower()]
    context = {"view": view, "info": info, "prices": prices, "search": search}
    context["fetched"] = parse_time(info.fetched_at)
    if hx_target(request) == "price-table":
        return page_response(request, "_price_table.html", context)
    context.update(
        title="Pricing · claude-code-tracer",
        crumbs=[("Pricing", None)],
        live={"scope": "pricing"},
    )
    return page_response(request, "pricing.html", context)
