"""The usage reports: tokens and cost by day, week, month, session and project.

Their JSON spells fields the way ccusage's `--json` reports do where the concept is the same
(`inputTokens`, `totalCost`, `modelBreakdowns`, ...), so scripts written for it read ours.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from claude_code_tracer.index.models.common import CamelModel, UtcDatetime
from claude_code_tracer.index.queries import SortOrder
from claude_code_tracer.transcript.kinds import (
    AGENT_KINDS,
    COST_DRIVERS,
    CostDriver,
    PromptKind,
    PromptSort,
    Weekday,
    spelled,
)


class ModelBreakdown(CamelModel):
    model_name: str
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost: float


class UsageFigures(CamelModel):
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    total_tokens: int
    total_cost: float
    responses: int = Field(description="billed responses counted (each once)")


class UsageRow(UsageFigures):
    models_used: list[str]
    model_breakdowns: list[ModelBreakdown]


class DailyRow(UsageRow):
    date: dt.date = Field(description="the local day, in the report's time zone")


class WeeklyRow(UsageRow):
    week: dt.date = Field(description="the week's first local day")


class MonthlyRow(UsageRow):
    month: str = Field(description="YYYY-MM")


class SessionRow(UsageRow):
    session_id: str
    project_path: str = Field(description="the project folder name under projects/")
    project: str | None = Field(description="the project's real path")
    title: str | None
    first_activity: UtcDatetime | None
    last_activity: UtcDatetime | None


class ProjectRow(UsageRow):
    project_path: str = Field(description="the project folder name under projects/")
    project: str | None = Field(description="the project's real path")
    sessions: int
    first_activity: UtcDatetime | None
    last_activity: UtcDatetime | None


class ReportScope(CamelModel):
    timezone: str
    since: dt.date | None
    until: dt.date | None
    project_path: str | None = Field(description="the one project reported, None: all")
    week_start: Weekday | None = Field(description="weekly reports: the first day of a week")


class DailyReport(CamelModel):
    scope: ReportScope
    daily: list[DailyRow]
    totals: UsageFigures


class WeeklyReport(CamelModel):
    scope: ReportScope
    weekly: list[WeeklyRow]
    totals: UsageFigures


class MonthlyReport(CamelModel):
    scope: ReportScope
    monthly: list[MonthlyRow]
    totals: UsageFigures


class SessionReport(CamelModel):
    scope: ReportScope
    sessions: list[SessionRow]
    totals: UsageFigures


class ProjectReport(CamelModel):
    scope: ReportScope
    projects: list[ProjectRow]
    totals: UsageFigures


UsageReport = DailyReport | WeeklyReport | MonthlyReport | SessionReport | ProjectReport


class PromptTool(CamelModel):
    name: str
    calls: int


class PromptModel(ModelBreakdown):
    responses: int


class PromptAgent(CamelModel):
    """A subagent a prompt started (compaction calls and warmups too), with its own cost."""

    agent_id: str
    kind: str | None = Field(description=spelled(AGENT_KINDS))
    agent_type: str | None
    description: str | None
    responses: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    total_tokens: int
    cost: float


class CostDrivers(CamelModel):
    """Where a prompt's cost came from: the main thread's tokens of each kind, and its
    subagents (all of their tokens). The five add up to the prompt's cost."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    subagents: float
    largest: CostDriver | None = Field(
        description=f"the largest of {spelled(COST_DRIVERS)}; None: the prompt cost nothing"
    )
    largest_share: float | None = Field(description="the largest's share of the prompt's cost")
    summary: str | None = Field(
        description="the largest in words: `81% cache reads of a 180k context over 41 responses`"
    )


class PromptRow(UsageFigures):
    """One prompt (or slash command) and everything billed after it until the next, its
    subagents included; `kind` before_first_prompt: what came before the session's first."""

    project_path: str = Field(description="the project folder name under projects/")
    project: str | None = Field(description="the project's real path")
    session_id: str
    session_title: str | None
    uuid: str | None = Field(description="the prompt's line; None before the first prompt")
    kind: PromptKind
    text: str | None = Field(description="the prompt, at most 300 characters")
    time: UtcDatetime | None
    last_activity: UtcDatetime | None = Field(
        description="its last response, tool result or subagent entry"
    )
    duration_seconds: float | None = Field(description="from the prompt to its last activity")
    subagents: int
    subagent_cost: float
    interrupted: bool = Field(description="the person interrupted its work")
    tool_calls: int
    tools: list[PromptTool] = Field(description="its tool calls by tool, subagents' included")
    models: list[PromptModel] = Field(description="its cost by model, the costliest first")
    agents: list[PromptAgent] = Field(description="its subagents, the costliest first")
    first_context: int | None = Field(
        description="input + cache write + cache read tokens of its first main-thread response"
    )
    last_context: int | None = Field(description="the same, of its last main-thread response")
    cache_hit_rate: float | None = Field(
        description="cache reads / (input + cache writes + cache reads)"
    )
    output_share: float | None = Field(description="output tokens / all its tokens")
    drivers: CostDrivers


class PromptReport(CamelModel):
    scope_project: str | None
    scope_session: str | None
    timezone: str
    since: dt.date | None
    until: dt.date | None
    sort: PromptSort
    order: SortOrder
    min_cost: float | None = Field(description="only prompts that cost at least this")
    offset: int
    limit: int | None
    total: int = Field(description="prompts in scope (all pages)")
    prompts: list[PromptRow]
    totals: UsageFigures
