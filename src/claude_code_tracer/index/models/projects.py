"""Projects: the list, and a project's subagents and skills over a date range."""

from __future__ import annotations

from pydantic import Field

from claude_code_tracer.index.models.common import Model, Tokens, UtcDatetime
from claude_code_tracer.index.models.sessions import SkillStat
from claude_code_tracer.transcript.kinds import AGENT_KINDS, spelled


class ProjectSummary(Model):
    path_hash: str = Field(description="the project folder name under projects/")
    project_path: str | None = Field(description="real path, from the cwd of the entries")
    session_count: int
    message_count: int
    tool_calls: int
    errors: int
    tokens: Tokens
    total_cost: float
    cache_hit_rate: float | None
    first_activity: UtcDatetime | None
    last_activity: UtcDatetime | None
    models: list[str]


class ProjectList(Model):
    projects: list[ProjectSummary]
    total: int
    tokens: Tokens
    total_cost: float


class SubagentTypeStat(Model):
    agent_type: str = Field(description="the subagent type, or the kind for unnamed ones")
    kind: str = Field(description=spelled(AGENT_KINDS))
    count: int
    sessions: int
    errors: int
    tool_calls: int
    tokens: Tokens
    cost: float
    mean_duration_seconds: float | None


class SubagentTypeList(Model):
    types: list[SubagentTypeStat]
    total: int
    tokens: Tokens
    cost: float


class ProjectSkill(SkillStat):
    sessions: int


class ProjectSkillList(Model):
    skills: list[ProjectSkill]
    total: int
