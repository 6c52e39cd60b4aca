"""The overview page (`/`): totals, charts, the projects table, the most expensive prompts and
what commands and skills cost over a date range; `/` also answers API clients with the API
info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from claude_code_tracer.index import queries as q
from claude_code_tracer.index.models.system import ApiInfo
from claude_code_tracer.web import charts
from claude_code_tracer.web.api.system import api_info
from claude_code_tracer.web.deps import (
    RuntimeDep,
    StoreDep,
    ViewDep,
    lenient_choice,
    lenient_text,
)
from claude_code_tracer.web.pages.project import TOP_PROMPTS
from claude_code_tracer.web.templating import hx_target, page_response, palette, wants_html
from claude_code_tracer.web.urls import PROJECT_SORT_DEFAULT

router = APIRouter()


@router.get(
    "/",
    response_model=ApiInfo,
    summary="API info (browsers get the dashboard)",
    tags=["health"],
    responses={200: {"content": {"text/html": {}}}},
)
def root(request: Request, runtime: RuntimeDep, store: StoreDep, view: ViewDep) -> Response:
    if not wants_html(request):
        return JSONResponse(api_info().model_dump())
    sort = lenient_choice(view.params.get("sort"), q.PROJECT_SORTS) or PROJECT_SORT_DEFAULT
    search = lenient_text(view.params.get("q"))
    rng = view.range.rng
    projects = store.projects(rng, sort, search)
    context: dict[str, Any] = {
        "view": view,
        "projects": projects,
        "sort": sort,
        "search": search,
    }
    if hx_target(request) == "projects":
        return page_response(request, "overview/_projects.html", context)
    view.palette = palette(store)
    agg = store.aggregate(None, rng)
    daily = store.daily(None, rng)
    files, _lines, bad_lines, all_projects, _sessions = store.index_counts()
    context.update(
        title="Overview · claude-code-tracer",
        agg=agg,
        cost_chart=charts.cost_chart(daily, view.palette),
        tokens_chart=charts.tokens_chart(daily),
        heat=charts.heatmap(agg.activity),
        top_prompts=store.prompts(None, None, rng, sort="cost", limit=TOP_PROMPTS),
        commands=store.project_commands(None, rng),
        skills=store.project_skills(None, rng),
        has_history=all_projects > 0,
        files=files,
        bad_lines=bad_lines,
        data_dirs=runtime.settings.claude_dirs,
        live={"scope": "overview"},
    )
    return page_response(request, "overview/page.html", context)
