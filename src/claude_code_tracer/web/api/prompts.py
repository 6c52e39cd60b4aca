"""/api/prompts, and a project's and a session's: what each prompt cost, and why; and what
the commands and skills of every project cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from claude_code_tracer.index.models.projects import CommandStatList, ProjectSkillList
from claude_code_tracer.index.models.reports import PromptReport
from claude_code_tracer.index.queries import SortOrder
from claude_code_tracer.transcript.kinds import PromptSort
from claude_code_tracer.web.deps import RangeDep, StoreDep

router = APIRouter(tags=["prompts"])

MAX_PROMPTS = 5000


@dataclass(frozen=True)
class PromptQuery:
    sort: PromptSort
    order: SortOrder | None
    limit: int
    offset: int
    min_cost: float | None


def prompt_query(default_sort: PromptSort, default_limit: int) -> Any:
    """The paging and sorting parameters of a prompt list (their defaults differ by list)."""

    def get(
        sort: Annotated[
            PromptSort,
            Query(description="time: as typed; cost, tokens, duration, responses: the most first"),
        ] = default_sort,
        order: Annotated[
            SortOrder | None, Query(description="asc or desc; default: as the sort says")
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PROMPTS, description="at most this many prompts")
        ] = default_limit,
        offset: Annotated[
            int, Query(ge=0, le=10_000_000, description="prompts skipped before the first")
        ] = 0,
        min_cost: Annotated[
            float | None,
            Query(ge=0, le=1e9, allow_inf_nan=False, description="only prompts costing this much"),
        ] = None,
    ) -> PromptQuery:
        return PromptQuery(sort, order, limit, offset, min_cost)

    return Depends(get)


ListQuery = Annotated[PromptQuery, prompt_query("cost", 100)]
SessionListQuery = Annotated[PromptQuery, prompt_query("time", MAX_PROMPTS)]


@router.get("/api/prompts", response_model=PromptReport, summary="Every prompt and its cost")
def all_prompts(store: StoreDep, rng: RangeDep, pq: ListQuery) -> PromptReport:
    return store.prompts(None, None, rng, **asdict(pq))


@router.get(
    "/api/projects/{path_hash}/prompts",
    response_model=PromptReport,
    summary="A project's prompts and their cost",
)
def project_prompts(path_hash: str, store: StoreDep, rng: RangeDep, pq: ListQuery) -> PromptReport:
    return store.prompts(path_hash, None, rng, **asdict(pq))


@router.get(
    "/api/sessions/{path_hash}/{session_id}/prompts",
    response_model=PromptReport,
    summary="A session's prompts, in order, and what each cost",
)
def session_prompts(
    path_hash: str, session_id: str, store: StoreDep, pq: SessionListQuery
) -> PromptReport:
    store.require_session(path_hash, session_id)
    return store.prompts(path_hash, session_id, **asdict(pq))


@router.get(
    "/api/commands",
    response_model=CommandStatList,
    summary="Commands typed in every project, and what they cost",
)
def all_commands(store: StoreDep, rng: RangeDep) -> CommandStatList:
    return store.project_commands(None, rng)


@router.get(
    "/api/skills",
    response_model=ProjectSkillList,
    summary="Skills invoked in every project, and what they cost",
)
def all_skills(store: StoreDep, rng: RangeDep) -> ProjectSkillList:
    return store.project_skills(None, rng)
