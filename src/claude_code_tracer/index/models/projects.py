"""Projects: the list, and a project's subagents and skills over a date range."""

from __future__ import annotations

from pydantic import Field

from claude_code_tracer.index.models.common import Model, Tokens, UtcDatetime
from claude_code_tracer.index.models.sessions import CostStat, SkillStat
from claude_code_tracer.transcript.kinds import AGENT_KINDS, CommandSource, spelled


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
    skills: list[ProjectSkill] = Field(description="the costliest first")
    total: int
    total_cost: float


class CommandStat(CostStat):
    """A command's uses over a range: how often, in how many sessions, at what cost."""

    name: str
    source: CommandSource
    count: int
    sessions: int
    first_used: UtcDatetime | None
    last_used: UtcDatetime | None


class CommandStatList(Model):
    commands: list[CommandStat] = Field(description="the costliest first")
    total: int
    total_cost: float


class BranchStat(Model):
    """A git branch's share of a project: the responses recorded on it."""

    branch: str | None = Field(
        description="the `gitBranch` of the responses; None: not a git repository, or not said"
    )
    sessions: int = Field(description="sessions with a response on it")
    prompts: int = Field(description="prompts with a response on it")
    responses: int
    tokens: Tokens
    cost: float
    first_activity: UtcDatetime | None
    last_activity: UtcDatetime | None


class BranchList(Model):
    branches: list[BranchStat] = Field(description="the costliest first")
    total: int
    tokens: Tokens
    cost: float
