"""A project's page: its sessions (sorted, searched, paged), figures, charts, its most
expensive prompts, tools, subagents, skills, commands and git branches over a date range."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.web import charts, render
from claude_code_tracer.web.deps import SessionQueryDep, StoreDep, ViewDep
from claude_code_tracer.web.templating import hx_target, page_response, palette

router = APIRouter()

SESSIONS_PER_PAGE = 25
TOP_PROMPTS = 10  # the costliest prompts shown on the project page and the overview


@router.get("/projects/{path_hash}", response_class=HTMLResponse, include_in_schema=False)
def project_page(
    path_hash: str, request: Request, store: StoreDep, view: ViewDep, sq: SessionQueryDep
) -> Response:
    rng = view.range.rng
    sessions = store.sessions(
        path_hash,
        page=sq.page,
        per_page=SESSIONS_PER_PAGE,
        sort=sq.sort,
        order=sq.order,
        search=sq.search,
        rng=rng,
    )
    project_path = store.project_path(path_hash)
    context: dict[str, Any] = {
        "view": view,
        "path_hash": path_hash,
        "project_path": project_path,
        "sessions": sessions,
        "sq": sq,
        "pages": max(1, -(-sessions.total // SESSIONS_PER_PAGE)),
    }
    if hx_target(request) == "sessions":
        return page_response(request, "project/_sessions.html", context)
    view.palette = palette(store)
    metrics = store.project_metrics(path_hash, rng)
    daily = store.daily(path_hash, rng)
    name = render.project_name(project_path, path_hash)
    context.update(
        title=f"{name} · claude-code-tracer",
        name=name,
        metrics=metrics,
        cost_chart=charts.cost_chart(daily, view.palette),
        tokens_chart=charts.tokens_chart(daily),
        tools=store.project_tools(path_hash, rng),
        agent_types=store.project_subagents(path_hash, rng),
        skills=store.project_skills(path_hash, rng),
        commands=store.project_commands(path_hash, rng),
        branches=store.project_branches(path_hash, rng),
        top_prompts=store.prompts(path_hash, None, rng, sort="cost", limit=TOP_PROMPTS),
        crumbs=[(name, None)],
        live={"scope": "project", "project": path_hash},
    )
    return page_response(request, "project/page.html", context)
