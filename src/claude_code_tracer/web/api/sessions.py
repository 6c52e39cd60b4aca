"""/api/sessions/{hash}/{id}: a session, its messages and its sections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from claude_code_tracer.index.messages import Messages
from claude_code_tracer.index.models.messages import FilterOptions, MessageDetail, MessageList
from claude_code_tracer.index.models.metrics import SessionMetrics
from claude_code_tracer.index.models.sessions import (
    CodeChangeList,
    CommandList,
    ErrorList,
    SessionDetail,
    SkillList,
    SubagentList,
    ToolStats,
)
from claude_code_tracer.transcript.kinds import ErrorCategory
from claude_code_tracer.web.deps import MessageFilterDep, Page, PerPage, StoreDep

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


def main_thread(store: StoreDep, path_hash: str, session_id: str) -> Messages:
    store.require_session(path_hash, session_id)
    return store.messages(path_hash, session_id)


@router.get("/{path_hash}/{session_id}", response_model=SessionDetail, summary="Session details")
def session_detail(path_hash: str, session_id: str, store: StoreDep) -> SessionDetail:
    return store.session(path_hash, session_id)


@router.get(
    "/{path_hash}/{session_id}/messages",
    response_model=MessageList,
    summary="Paginated messages (supports filtering)",
)
def session_messages(
    path_hash: str,
    session_id: str,
    store: StoreDep,
    flt: MessageFilterDep,
    page: Page = 1,
    per_page: PerPage = 50,
) -> MessageList:
    return main_thread(store, path_hash, session_id).page(flt, page, per_page)


@router.get(
    "/{path_hash}/{session_id}/messages/filters",
    response_model=FilterOptions,
    summary="Available filter options",
)
def session_message_filters(path_hash: str, session_id: str, store: StoreDep) -> FilterOptions:
    return main_thread(store, path_hash, session_id).filters()


@router.get(
    "/{path_hash}/{session_id}/messages/by-index/{idx}",
    response_model=MessageDetail,
    summary="Message by index",
)
def session_message_by_index(
    path_hash: str,
    session_id: str,
    idx: Annotated[int, Path(ge=0, le=100_000_000)],
    store: StoreDep,
) -> MessageDetail:
    return main_thread(store, path_hash, session_id).by_index(idx)


@router.get(
    "/{path_hash}/{session_id}/messages/{uuid}",
    response_model=MessageDetail,
    summary="Single message detail",
)
def session_message(path_hash: str, session_id: str, uuid: str, store: StoreDep) -> MessageDetail:
    return main_thread(store, path_hash, session_id).by_uuid(uuid)


@router.get(
    "/{path_hash}/{session_id}/metrics", response_model=SessionMetrics, summary="Session metrics"
)
def session_metrics(path_hash: str, session_id: str, store: StoreDep) -> SessionMetrics:
    return store.session_metrics(path_hash, session_id)


@router.get("/{path_hash}/{session_id}/tools", response_model=ToolStats, summary="Tool usage stats")
def session_tools(path_hash: str, session_id: str, store: StoreDep) -> ToolStats:
    store.require_session(path_hash, session_id)
    return store.tools(path_hash, session_id)


@router.get(
    "/{path_hash}/{session_id}/subagents", response_model=SubagentList, summary="Subagents spawned"
)
def session_subagents(path_hash: str, session_id: str, store: StoreDep) -> SubagentList:
    return store.subagents(path_hash, session_id)


@router.get("/{path_hash}/{session_id}/skills", response_model=SkillList, summary="Skills invoked")
def session_skills(path_hash: str, session_id: str, store: StoreDep) -> SkillList:
    return store.skills(path_hash, session_id)


@router.get(
    "/{path_hash}/{session_id}/code-changes", response_model=CodeChangeList, summary="File changes"
)
def session_code_changes(path_hash: str, session_id: str, store: StoreDep) -> CodeChangeList:
    return store.code_changes(path_hash, session_id)


@router.get("/{path_hash}/{session_id}/errors", response_model=ErrorList, summary="Error entries")
def session_errors(
    path_hash: str,
    session_id: str,
    store: StoreDep,
    category: Annotated[ErrorCategory | None, Query()] = None,
) -> ErrorList:
    return store.errors(path_hash, session_id, category)


@router.get(
    "/{path_hash}/{session_id}/commands", response_model=CommandList, summary="User commands"
)
def session_commands(path_hash: str, session_id: str, store: StoreDep) -> CommandList:
    return store.commands(path_hash, session_id)
