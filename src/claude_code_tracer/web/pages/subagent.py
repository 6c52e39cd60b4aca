"""A subagent's page: its timeline (the session page's), its figures and its tools."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.web import render
from claude_code_tracer.web.deps import StoreDep, TimelineQueryDep, ViewDep
from claude_code_tracer.web.pages.session import (
    chunk_response,
    entry_response,
    session_title,
    timeline_context,
)
from claude_code_tracer.web.templating import hx_target, page_response, palette
from claude_code_tracer.web.urls import Stream

router = APIRouter()


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_page(
    path_hash: str,
    session_id: str,
    agent_id: str,
    request: Request,
    store: StoreDep,
    view: ViewDep,
    tq: TimelineQueryDep,
) -> Response:
    agent = store.subagent(path_hash, agent_id, session_id)
    stream = Stream(path_hash, session_id, agent_id)
    view.palette = palette(store)
    context = timeline_context(store, view, stream, tq)
    if hx_target(request) == "timeline":
        return page_response(request, "timeline/_timeline.html", context)
    session_name = session_title(agent.session_title, None)
    project_path = agent.project_path
    name = render.project_name(project_path, path_hash)
    label = agent.agent_type or agent.kind
    context.update(
        agent=agent,
        filters=stream.messages(store).filters(),
        tools=store.tools(path_hash, session_id, agent_id),
        name=name,
        title=f"{label} · claude-code-tracer",
        crumbs=[
            (name, view.project_url(path_hash)),
            (render.one_line(session_name, 40), view.session_url(path_hash, session_id)),
            (label, None),
        ],
        live={
            "scope": "agent",
            "project": path_hash,
            "session": session_id,
            "agent": agent_id,
        },
    )
    return page_response(request, "subagent/page.html", context)


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}/timeline",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_timeline(
    path_hash: str,
    session_id: str,
    agent_id: str,
    store: StoreDep,
    view: ViewDep,
    tq: TimelineQueryDep,
) -> Response:
    store.require_subagent(path_hash, session_id, agent_id)
    return chunk_response(view, store, Stream(path_hash, session_id, agent_id), tq)


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}/entries/{uuid}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_entry(
    path_hash: str, session_id: str, agent_id: str, uuid: str, store: StoreDep, view: ViewDep
) -> Response:
    store.require_subagent(path_hash, session_id, agent_id)
    return entry_response(view, store, Stream(path_hash, session_id, agent_id), uuid)
