"""/api/projects: projects, their sessions, metrics, tools, subagents, skills, commands and
git branches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from claude_code_tracer.index.models.metrics import ProjectMetrics
from claude_code_tracer.index.models.projects import (
    BranchList,
    CommandStatList,
    ProjectList,
    ProjectSkillList,
    SubagentTypeList,
)
from claude_code_tracer.index.models.sessions import SessionList, ToolStats
from claude_code_tracer.index.queries import ProjectSort, SessionSort, SortOrder
from claude_code_tracer.web.deps import (
    Page,
    PerPage,
    RangeDep,
    SearchParam,
    StoreDep,
)

router = APIRouter(prefix="/api/projects", tags=["projects"])


@router.get("", response_model=ProjectList, summary="List all projects with aggregated metrics")
def list_projects(
    store: StoreDep,
    rng: RangeDep,
    sort: Annotated[ProjectSort, Query()] = "last_activity",
    search: SearchParam = None,
) -> ProjectList:
    return store.projects(rng, sort, search or None)


@router.get(
    "/{path_hash}/sessions", response_model=SessionList, summary="List sessions for a project"
)
def list_sessions(
    path_hash: str,
    store: StoreDep,
    rng: RangeDep,
    page: Page = 1,
    per_page: PerPage = 50,
    sort: Annotated[SessionSort, Query()] = "start",
    order: Annotated[SortOrder, Query()] = "desc",
    search: SearchParam = None,
) -> SessionList:
    return store.sessions(
        path_hash,
        page=page,
        per_page=per_page,
        sort=sort,
        order=order,
        search=search or None,
        rng=rng,
    )


@router.get(
    "/{path_hash}/metrics",
    response_model=ProjectMetrics,
    summary="Aggregated metrics across all sessions",
)
def project_metrics(path_hash: str, store: StoreDep, rng: RangeDep) -> ProjectMetrics:
    return store.project_metrics(path_hash, rng)


@router.get(
    "/{path_hash}/tools", response_model=ToolStats, summary="Tool usage across all sessions"
)
def project_tools(path_hash: str, store: StoreDep, rng: RangeDep) -> ToolStats:
    return store.project_tools(path_hash, rng)


@router.get(
    "/{path_hash}/subagents",
    response_model=SubagentTypeList,
    summary="Subagents used across all sessions, by type",
)
def project_subagents(path_hash: str, store: StoreDep, rng: RangeDep) -> SubagentTypeList:
    return store.project_subagents(path_hash, rng)


@router.get(
    "/{path_hash}/skills",
    response_model=ProjectSkillList,
    summary="Skills invoked across all sessions, and what they cost",
)
def project_skills(path_hash: str, store: StoreDep, rng: RangeDep) -> ProjectSkillList:
    return store.project_skills(path_hash, rng)


@router.get(
    "/{path_hash}/commands",
    response_model=CommandStatList,
    summary="Commands typed across all sessions, and what they cost",
)
def project_commands(path_hash: str, store: StoreDep, rng: RangeDep) -> CommandStatList:
    return store.project_commands(path_hash, rng)


@router.get(
    "/{path_hash}/branches",
    response_model=BranchList,
    summary="Cost, tokens, sessions and prompts per git branch",
)
def project_branches(path_hash: str, store: StoreDep, rng: RangeDep) -> BranchList:
    return store.project_branches(path_hash, rng)
