"""/api/prompts, and a project's and a session's: what each prompt cost."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from claude_code_tracer.index.models.reports import PromptReport
from claude_code_tracer.transcript.kinds import PromptSort
from claude_code_tracer.web.deps import RangeDep, StoreDep

router = APIRouter(tags=["prompts"])

SortParam = Annotated[PromptSort, Query(description="time: as typed; cost: the costliest first")]
LimitParam = Annotated[int, Query(ge=1, le=5000, description="at most this many prompts")]


@router.get("/api/prompts", response_model=PromptReport, summary="Every prompt and its cost")
def all_prompts(
    store: StoreDep, rng: RangeDep, sort: SortParam = "cost", limit: LimitParam = 100
) -> PromptReport:
    return store.prompts(None, None, rng, sort=sort, limit=limit)


@router.get(
    "/api/projects/{path_hash}/prompts",
    response_model=PromptReport,
    summary="A project's prompts and their cost",
)
def project_prompts(
    path_hash: str,
    store: StoreDep,
    rng: RangeDep,
    sort: SortParam = "cost",
    limit: LimitParam = 100,
) -> PromptReport:
    return store.prompts(path_hash, None, rng, sort=sort, limit=limit)


@router.get(
    "/api/sessions/{path_hash}/{session_id}/prompts",
    response_model=PromptReport,
    summary="A session's prompts, in order, and what each cost",
)
def session_prompts(
    path_hash: str,
    session_id: str,
    store: StoreDep,
    sort: SortParam = "time",
    limit: LimitParam = 5000,
) -> PromptReport:
    store.require_session(path_hash, session_id)
    return store.prompts(path_hash, session_id, sort=sort, limit=limit)
