"""What the API returns: one pydantic model per response, so `/docs` documents every field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from claude_code_tracer.transcript.kinds import (
    AGENT_KINDS,
    ENTRY_TYPES,
    ERROR_CATEGORIES,
    KINDS,
    ChangeType,
    CommandSource,
    SessionStatus,
    spelled,
)


def _utc(value: datetime) -> datetime:
    """Index timestamps are naive UTC; the API always says so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---------------------------------------------------------------------------------------------
# errors, info, health


class ErrorBody(Model):
    status: int = Field(description="HTTP status code")
    code: str = Field(description="machine-readable error code, e.g. not_found")
    message: str = Field(description="what went wrong, for people")
    details: list[dict[str, Any]] = Field(default_factory=list, description="invalid parameters")


class ErrorResponse(Model):
    """The one shape of every error answer."""

    error: ErrorBody


class ApiInfo(Model):
    name: str
    version: str
    docs: str
    dashboard: str
    health: str


class DataDir(Model):
    path: str
    exists: bool


class BadFile(Model):
    path: str
    bad_lines: int
    reasons: dict[str, int]


class IndexProgress(Model):
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


class IndexHealth(Model):
    state: Literal["starting", "indexing", "ready", "error"]
    ready: bool
    files: int
    lines: int
    bad_lines: int
    bad_files: list[BadFile]
    projects: int
    sessions: int
    last_sync: str | None
    last_sync_seconds: float | None
    progress: IndexProgress
    error: str | None = None


class Health(Model):
    status: Literal["ok", "indexing", "error"]
    version: str
    demo: bool
    data_dirs: list[DataDir]
    index: IndexHealth


# ---------------------------------------------------------------------------------------------
# shared pieces


class TokenUsage(Model):
    """The four token counts, always in this order."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class Tokens(TokenUsage):
    """input, output, cache creation and cache read tokens; `total_tokens` is their sum."""

    total_tokens: int = 0


class ModelUsage(Model):
    model: str
    priced: bool
    tokens: Tokens
    cost: float
    messages: int = 0


class NamedCount(Model):
    value: str
    count: int


# ---------------------------------------------------------------------------------------------
# projects


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


class Metrics(Model):
    """Totals over a set of sessions (a project, a session, everything)."""

    tokens: Tokens
    cost: float
    cache_hit_rate: float | None
    sessions: int
    messages: int
    prompts: int
    tool_calls: int
    errors: int
    errors_by_category: dict[str, int]
    subagents: int
    subagent_tokens: Tokens
    subagent_cost: float
    lines_added: int
    lines_removed: int
    files_changed: int
    compactions: int
    first_activity: UtcDatetime | None
    last_activity: UtcDatetime | None
    models: list[ModelUsage]
    unpriced_models: list[str]


class ProjectMetrics(Metrics):
    path_hash: str
    project_path: str | None


class SessionMetrics(Metrics):
    session_id: str
    project_hash: str
    duration_seconds: float | None
    kinds: dict[str, int]


# ---------------------------------------------------------------------------------------------
# messages


class ToolCallBrief(Model):
    tool_use_id: str
    name: str
    key_arg: str | None
    is_error: bool | None
    error_kind: str | None
    duration_ms: int | None
    has_result: bool
    subagent_id: str | None = None


class MessageSummary(Model):
    index: int = Field(description="position in the list's stable order, from 0")
    uuid: str
    parent_uuid: str | None
    entry_type: str = Field(description=spelled(ENTRY_TYPES))
    kind: str = Field(description=spelled(KINDS))
    subtype: str | None
    timestamp: UtcDatetime | None
    agent_id: str | None
    is_sidechain: bool
    is_meta: bool
    model: str | None
    text: str
    text_length: int
    text_truncated: bool
    thinking: str | None
    tool_names: list[str]
    tool_calls: list[ToolCallBrief]
    has_error: bool
    error_category: str | None
    tokens: Tokens | None
    cost: float | None
    line_count: int


class MessageList(Model):
    messages: list[MessageSummary]
    total: int
    page: int
    per_page: int
    pages: int


class FilterOptions(Model):
    total: int
    types: list[NamedCount]
    tools: list[NamedCount]
    models: list[NamedCount]
    errors: int


class ToolCallDetail(Model):
    tool_use_id: str
    name: str
    key_arg: str | None
    input: Any
    result: str | None
    result_truncated: bool
    result_uuid: str | None
    is_error: bool | None
    error_kind: str | None
    duration_ms: int | None
    tool_use_result: Any = None
    subagent_id: str | None = None


class MessageDetail(MessageSummary):
    session_id: str
    project_hash: str
    message_id: str | None
    request_id: str | None
    cwd: str | None
    git_branch: str | None
    version: str | None
    blocks: list[Any]
    tool_details: list[ToolCallDetail]
    tool_use_result: Any = None
    usage: dict[str, Any] | None
    source_available: bool


# ---------------------------------------------------------------------------------------------
# session sections


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


class SkillCall(Model):
    skill: str
    tool_use_id: str
    timestamp: UtcDatetime | None
    message_uuid: str
    agent_id: str | None
    is_error: bool | None
    duration_ms: int | None


class SkillStat(Model):
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


class CommandList(Model):
    commands: list[CommandEntry]
    total: int
    by_name: list[NamedCount]


class Compaction(Model):
    trigger: str | None
    pre_tokens: int | None
    post_tokens: int | None
    timestamp: UtcDatetime | None
    message_uuid: str


# ---------------------------------------------------------------------------------------------
# metrics


class DayModel(Model):
    model: str
    tokens: Tokens
    cost: float


class Day(Model):
    date: date
    tokens: Tokens
    cost: float
    sessions: int
    messages: int
    models: list[DayModel]


class DailyMetrics(Model):
    path_hash: str | None
    timezone: str
    start_date: date | None
    end_date: date | None
    days: list[Day]
    tokens: Tokens
    cost: float


class ActivityCell(Model):
    weekday: int = Field(description="0 = Monday")
    hour: int
    messages: int
    cost: float


class AggregateMetrics(Metrics):
    project_hash: str | None
    projects: int
    timezone: str
    since: date | None
    until: date | None
    activity: list[ActivityCell]


class ModelPriceInfo(Model):
    """Prices in dollars per million tokens."""

    model: str
    input: float
    output: float
    cache_write_5m: float | None
    cache_write_1h: float | None
    cache_read: float | None
    input_above_200k: float | None
    output_above_200k: float | None
    fast_multiplier: float | None
    us_multiplier: float | None


class ModelInUse(Model):
    model: str
    price_key: str | None
    priced: bool
    derived_prices: list[str]
    tokens: Tokens
    cost: float
    sessions: int


class PricingInfo(Model):
    source: Literal["snapshot", "cache", "live"]
    url: str
    fetched_at: str
    age_seconds: float | None
    offline: bool
    last_error: str | None
    prices: list[ModelPriceInfo]
    models_in_use: list[ModelInUse]
    unpriced_models: list[ModelInUse]


# ---------------------------------------------------------------------------------------------
# project sections


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


class ModelOrder(Model):
    """Every model of the history in the order it first answered."""

    models: list[str]
