"""A session's page and its timeline: the conversation page by page, with filters, each
entry's folded parts on demand, and the session's sections (tools, subagents, skills, code
changes, errors, commands). The timeline parts serve subagent pages too."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from claude_code_tracer.index.messages import Messages
from claude_code_tracer.index.models.messages import MessageDetail, ToolCallDetail
from claude_code_tracer.index.reads import NotFound
from claude_code_tracer.index.store import Store
from claude_code_tracer.transcript.kinds import ERROR_CATEGORIES, PROMPT_SORTS
from claude_code_tracer.web import entries, render
from claude_code_tracer.web.deps import (
    StoreDep,
    TimelineQueryDep,
    ViewDep,
    lenient_choice,
    lenient_flag,
    lenient_text,
)
from claude_code_tracer.web.templating import hx_target, page_response, palette
from claude_code_tracer.web.urls import Stream, TimelineQuery, View

router = APIRouter()

TIMELINE_PER_PAGE = 100
TABS = (
    ("timeline", "Timeline"),
    ("prompts", "Prompts"),
    ("tools", "Tools"),
    ("subagents", "Subagents"),
    ("skills", "Skills"),
    ("changes", "Code changes"),
    ("errors", "Errors"),
    ("commands", "Commands"),
)
TAB_KEYS = tuple(k for k, _ in TABS)
DIRECTIONS = ("up", "down", "both")

# ---------------------------------------------------------------------------------------------
# timelines (a session's main thread, or one subagent)


def timeline_context(
    store: Store, view: View, stream: Stream, tq: TimelineQuery, direction: str = "both"
) -> dict[str, Any]:
    """One page of a timeline, with what its rows link to (subagents, compactions)."""
    messages = stream.messages(store)
    listing = messages.page(tq.filter, tq.page, TIMELINE_PER_PAGE)
    if tq.page > listing.pages and listing.total:
        tq = TimelineQuery(tq.kind, tq.tool, tq.errors, tq.search, listing.pages)
        listing = messages.page(tq.filter, tq.page, TIMELINE_PER_PAGE)
    agents = {a.agent_id: a for a in store.subagents(stream.path_hash, stream.session_id).subagents}
    compactions = (
        {}
        if stream.agent_id
        else {c.message_uuid: c for c in store.compactions(stream.path_hash, stream.session_id)}
    )
    return {
        "view": view,
        "stream": stream,
        "tq": tq,
        "listing": listing,
        "agents": agents,
        "compactions": compactions,
        "direction": direction,
        "per_page": TIMELINE_PER_PAGE,
    }


def chunk_response(view: View, store: Store, stream: Stream, tq: TimelineQuery) -> Response:
    """One page of a timeline, as the fragment that extends it."""
    view.palette = palette(store)
    direction = lenient_choice(view.params.get("dir"), DIRECTIONS) or "down"
    context = timeline_context(store, view, stream, tq, direction)
    return page_response(view.request, "timeline/_chunk.html", context)


def answered(messages: Messages, detail: MessageDetail) -> MessageDetail | None:
    """For a tool result: the entry holding the call it answers (its parent line)."""
    if detail.kind != "tool_result" or not detail.parent_uuid:
        return None
    with contextlib.suppress(NotFound):
        return messages.by_uuid(detail.parent_uuid)
    return None


def resolve_call(
    messages: Messages, uuid: str, tool_use_id: str
) -> tuple[ToolCallDetail, MessageDetail]:
    """The call `tool_use_id` of entry `uuid`, or of the entry a tool result answers."""
    detail = messages.by_uuid(uuid)
    call = entries.find_call(detail, tool_use_id)
    parent = answered(messages, detail) if call is None else None
    if parent is not None:
        call, detail = entries.find_call(parent, tool_use_id), parent
    if call is None:
        raise NotFound("tool call")
    return call, detail


def entry_response(view: View, store: Store, stream: Stream, uuid: str) -> Response:
    """An entry's folded parts, on demand: one tool call's input and output, or the whole
    text of a long entry."""
    messages = stream.messages(store)
    full = lenient_flag(view.params.get("full"))
    tool_use_id = lenient_text(view.params.get("tool"))
    context: dict[str, Any] = {"view": view, "stream": stream, "full": full, "uuid": uuid}
    if tool_use_id:
        call, detail = resolve_call(messages, uuid, tool_use_id)
        agent = None
        if call.subagent_id:
            found = [
                a
                for a in store.subagents(stream.path_hash, stream.session_id).subagents
                if a.agent_id == call.subagent_id
            ]
            agent = found[0] if found else None
        context.update(tv=entries.tool_view(call, full=full), detail=detail, agent=agent)
        return page_response(view.request, "timeline/_tool.html", context)
    detail = messages.by_uuid(uuid)
    context.update(detail=detail, text=entries.entry_text(detail))
    return page_response(view.request, "timeline/_text.html", context)


# ---------------------------------------------------------------------------------------------
# session


def section_context(store: Store, view: View, path_hash: str, session_id: str, tab: str) -> Any:
    if tab == "prompts":
        order = lenient_choice(view.params.get("sort"), PROMPT_SORTS) or "time"
        return store.prompts(path_hash, session_id, sort=order)
    if tab == "tools":
        return store.tools(path_hash, session_id)
    if tab == "subagents":
        return store.subagents(path_hash, session_id)
    if tab == "skills":
        return store.skills(path_hash, session_id)
    if tab == "changes":
        return store.code_changes(path_hash, session_id)
    if tab == "errors":
        category = lenient_choice(view.params.get("category"), ERROR_CATEGORIES)
        return store.errors(path_hash, session_id, category)
    if tab == "commands":
        return store.commands(path_hash, session_id)
    return None


def session_title(title: str | None, first_prompt: str | None) -> str:
    return render.one_line(title or first_prompt or "Untitled session", 140)


@router.get(
    "/sessions/{path_hash}/{session_id}", response_class=HTMLResponse, include_in_schema=False
)
def session_page(
    path_hash: str,
    session_id: str,
    request: Request,
    store: StoreDep,
    view: ViewDep,
    tq: TimelineQueryDep,
) -> Response:
    stream = Stream(path_hash, session_id, "")
    target = hx_target(request)
    tab = lenient_choice(view.params.get("tab"), TAB_KEYS) or "timeline"
    if target == "timeline":
        store.require_session(path_hash, session_id)
        view.palette = palette(store)
        context = timeline_context(store, view, stream, tq)
        return page_response(request, "timeline/_timeline.html", context)
    detail = store.session(path_hash, session_id)
    view.palette = palette(store)
    metrics = store.session_metrics(path_hash, session_id, detail)
    context = {
        "view": view,
        "stream": stream,
        "detail": detail,
        "metrics": metrics,
        "tab": tab,
        "tabs": TABS,
        "section": section_context(store, view, path_hash, session_id, tab),
    }
    if tab == "timeline":
        context["filters"] = stream.messages(store).filters()
        context.update(timeline_context(store, view, stream, tq))
    if target == "tab-panel":
        return page_response(request, "session/_panel.html", context)
    name = render.project_name(detail.project_path, path_hash)
    title = session_title(detail.title, detail.first_prompt)
    context.update(
        title=f"{render.one_line(title, 60)} · claude-code-tracer",
        session_title=title,
        name=name,
        crumbs=[(name, view.project_url(path_hash)), (render.one_line(title, 48), None)],
        live={"scope": "session", "project": path_hash, "session": session_id},
    )
    return page_response(request, "session/page.html", context)


@router.get(
    "/sessions/{path_hash}/{session_id}/timeline",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def session_timeline(
    path_hash: str, session_id: str, store: StoreDep, view: ViewDep, tq: TimelineQueryDep
) -> Response:
    store.require_session(path_hash, session_id)
    return chunk_response(view, store, Stream(path_hash, session_id, ""), tq)


@router.get(
    "/sessions/{path_hash}/{session_id}/entries/{uuid}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def session_entry(
    path_hash: str, session_id: str, uuid: str, store: StoreDep, view: ViewDep
) -> Response:
    store.require_session(path_hash, session_id)
    return entry_response(view, store, Stream(path_hash, session_id, ""), uuid)


@router.get("/sessions/{path_hash}/{session_id}/at/{uuid}", include_in_schema=False)
def session_at(
    path_hash: str, session_id: str, uuid: str, store: StoreDep, view: ViewDep
) -> Response:
    """Where an entry sits: its timeline page, scrolled to it."""
    agent_id = lenient_text(view.params.get("agent")) or ""
    stream = Stream(path_hash, session_id, agent_id)
    if agent_id:
        store.require_subagent(path_hash, session_id, agent_id)
    else:
        store.require_session(path_hash, session_id)
    messages = stream.messages(store)
    detail = messages.by_uuid(uuid)
    detail = answered(messages, detail) or detail
    page = detail.index // TIMELINE_PER_PAGE + 1
    target = view.link(stream.base(), page=page if page > 1 else None)
    return RedirectResponse(f"{target}#e-{detail.index}", status_code=303)
