"""Sessions and their sections: tools, subagents, skills, code changes, errors, commands."""

from __future__ import annotations

from pydantic import Field

from claude_code_tracer.index.models.common import (
    Model,
    ModelUsage,
    NamedCount,
    Tokens,
    UtcDatetime,
)
from claude_code_tracer.transcript.kinds import (
    AGENT_KINDS,
    ERROR_CATEGORIES,
    ChangeType,
    CommandSource,
    SessionStatus,
    spelled,
)


class SessionSummary(Model):
    session_id: str
    project_hash: str
    title: str | None
    title_source: str | None
    first_prompt: str | None
    start_time: UtcDatetime | None
    end_time: UtcDatetime | None
    duration_seconds: float | None
    message_count: int
    prompt_count: int
    tool_calls: int
    tokens: Tokens
    cost: float
    subagent_tokens: Tokens
    subagent_cost: float
    cache_hit_rate: float | None
    errors: int
    subagent_count: int
    models: list[str]
    unpriced_models: list[str]
    git_branch: str | None
    version: str | None
    status: SessionStatus


class SessionList(Model):
    sessions: list[SessionSummary]
    total: int
    page: int
    per_page: int


class SessionDetail(SessionSummary):
    project_path: str | None
    cwd: str | None
    compactions: int
    bad_lines: int
    last_activity: UtcDatetime | None
    model_usage: list[ModelUsage]


class ToolStat(Model):
    name: str
    count: int
    errors: int
    error_rate: float
    total_duration_ms: int
    mean_duration_ms: float | None


class ToolStats(Model):
    tools: list[ToolStat]
    total_calls: int
    total_errors: int


class SubagentSummary(Model):
    agent_id: str
    session_id: str
    project_hash: str
    kind: str = Field(description=spelled(AGENT_KINDS))
    agent_type: str | None
    description: str | None
    spawn_tool_use_id: str | None
    spawn_message_uuid: str | None
    is_async: bool
    start_time: UtcDatetime | None
    end_time: UtcDatetime | None
    duration_seconds: float | None
    message_count: int
    tool_calls: int
    errors: int
    tokens: Tokens
    cost: float
    models: list[str]


class SubagentList(Model):
    subagents: list[SubagentSummary]
    total: int
    tokens: Tokens
    cost: float


class SubagentDetail(SubagentSummary):
    session_title: str | None
    project_path: str | None
    prompt: str | None
    model_usage: list[ModelUsage]


SKILL_COST = (
    "what its prompt's work cost after the call: the main thread's later responses and the "
    "subagents started after it (a call a subagent made: that subagent's later responses); "
    "None where the call's response is a copy that does not count"
)
COMMAND_COST = (
    "a slash command typed as a prompt: what that prompt cost, its subagents included; None "
    "for a local or `!` command, which starts no work of the model"
)


class SkillCall(Model):
    skill: str
    tool_use_id: str
    timestamp: UtcDatetime | None
    message_uuid: str
    agent_id: str | None
    is_error: bool | None
    duration_ms: int | None
    cost: float | None = Field(description=SKILL_COST)


class CostStat(Model):
    """What a set of uses cost: in all, and on average over the uses that have a cost."""

    total_cost: float
    mean_cost: float | None


class SkillStat(CostStat):
    skill: str
    count: int
    errors: int
    first_used: UtcDatetime | None
    last_used: UtcDatetime | None


class SkillList(Model):
    skills: list[SkillStat]
    calls: list[SkillCall]
    total: int


class CodeChange(Model):
    file_path: str
    change_type: ChangeType
    tool_name: str
    lines_added: int
    lines_removed: int
    timestamp: UtcDatetime | None
    message_uuid: str
    tool_use_id: str
    agent_id: str | None


class FileChangeStat(Model):
    file_path: str
    changes: int
    lines_added: int
    lines_removed: int
    created: bool


class CodeChangeList(Model):
    changes: list[CodeChange]
    files: list[FileChangeStat]
    total: int
    lines_added: int
    lines_removed: int


class ErrorEntry(Model):
    category: str = Field(description=spelled(ERROR_CATEGORIES))
    message: str
    timestamp: UtcDatetime | None
    tool_name: str | None
    tool_use_id: str | None
    message_uuid: str
    agent_id: str | None
    status: int | None


class ErrorList(Model):
    errors: list[ErrorEntry]
    total: int
    by_category: dict[str, int]


class CommandEntry(Model):
    name: str
    args: str
    source: CommandSource
    timestamp: UtcDatetime | None
    message_uuid: str
    agent_id: str | None
    cost: float | None = Field(description=COMMAND_COST)


class CommandCount(NamedCount, CostStat):
    """A command's uses in a session, and what they cost."""


class CommandList(Model):
    commands: list[CommandEntry]
    total: int
    by_name: list[CommandCount] = Field(description="by name, the most used first")


class Compaction(Model):
    trigger: str | None
    pre_tokens: int | None
    post_tokens: int | None
    timestamp: UtcDatetime | None
    message_uuid: str
