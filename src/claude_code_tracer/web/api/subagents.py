"""/api/subagents: one subagent, its tools and its messages."""

from __future__ import annotations

from fastapi import APIRouter

from claude_code_tracer.index.models.messages import MessageList
from claude_code_tracer.index.models.sessions import SubagentDetail, ToolStats
from claude_code_tracer.web.deps import MessageFilterDep, Page, PerPage, StoreDep

router = APIRouter(prefix="/api/subagents", tags=["subagents"])


@router.get("/{path_hash}/{agent_id}", response_model=SubagentDetail, summary="Subagent details")
def subagent_detail(path_hash: str, agent_id: str, store: StoreDep) -> SubagentDetail:
    return store.subagent(path_hash, agent_id)


# declared before the three-segment route below, which would otherwise take ".../tools"
@router.get(
    "/{path_hash}/{agent_id}/tools", response_model=ToolStats, summary="Subagent tool usage"
)
def subagent_tools(path_hash: str, agent_id: str, store: StoreDep) -> ToolStats:
    agent = store.subagent(path_hash, agent_id)
    return store.tools(path_hash, agent.session_id, agent_id)


@router.get(
    "/{path_hash}/{session_id}/{agent_id}",
    response_model=SubagentDetail,
    summary="Subagent within session context",
)
def subagent_in_session(
    path_hash: str, session_id: str, agent_id: str, store: StoreDep
) -> SubagentDetail:
    return store.subagent(path_hash, agent_id, session_id)


@router.get(
    "/{path_hash}/{session_id}/{agent_id}/messages",
    response_model=MessageList,
    summary="Subagent messages",
)
def subagent_messages(
    path_hash: str,
    session_id: str,
    agent_id: str,
    store: StoreDep,
    flt: MessageFilterDep,
    page: Page = 1,
    per_page: PerPage = 50,
) -> MessageList:
    store.require_subagent(path_hash, session_id, agent_id)
    return store.messages(path_hash, session_id, agent_id).page(flt, page, per_page)
