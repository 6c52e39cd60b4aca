"""Usage windows: 5-hour blocks (the active one with its burn rate, projection and limits) and
weekly totals, per model family. Field names as ccusage's `blocks --json` spells them where the
concept is the same (`startTime`, `tokenCounts`, `costUSD`, `burnRate`, `projection`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from claude_code_tracer.index.models.common import CamelModel, UtcDatetime
from claude_code_tracer.index.models.reports import SessionRow, UsageFigures
from claude_code_tracer.transcript.kinds import LimitKind, LimitStatus, ModelFamily, Weekday


class TokenCounts(CamelModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class BurnRate(CamelModel):
    """Over the block, from its first to its last response (as ccusage measures it)."""

    tokens_per_minute: float
    tokens_per_minute_for_indicator: float = Field(description="input and output tokens only")
    cost_per_minute: float
    cost_per_hour: float


class RecentRate(CamelModel):
    """Over the last `minutes` minutes up to now."""

    minutes: int
    tokens: int
    cost: float
    tokens_per_minute: float
    cost_per_minute: float


class Projection(CamelModel):
    """Where the block ends if the block's burn rate holds until its end."""

    total_tokens: int
    total_cost: float
    remaining_minutes: int


class LimitUse(CamelModel):
    kind: LimitKind
    limit: float
    source: Literal["given", "max"] = Field(description="given, or the largest block seen")
    used: float
    percent_used: float
    projected: float | None
    projected_percent: float | None
    status: LimitStatus = Field(description="exceeds past 100 %, warning past 80 % (projected)")


class BlockSession(CamelModel):
    project_path: str = Field(description="the project folder name under projects/")
    session_id: str


class Block(CamelModel):
    id: str
    start_time: UtcDatetime
    end_time: UtcDatetime
    first_activity: UtcDatetime | None
    actual_end_time: UtcDatetime | None = Field(description="the last response in the block")
    is_active: bool
    is_gap: bool
    entries: int = Field(description="billed responses counted in the block")
    token_counts: TokenCounts
    total_tokens: int
    cost_usd: float = Field(alias="costUSD")
    models: list[str]
    sessions: list[BlockSession]
    projects: list[str]
    elapsed_minutes: int | None = Field(description="active block: since its start")
    remaining_minutes: int | None = Field(description="active block: until its end")
    burn_rate: BurnRate | None
    recent: RecentRate | None
    projection: Projection | None
    limits: list[LimitUse]


class BlockList(CamelModel):
    now: UtcDatetime
    timezone: str
    since: dt.date | None
    until: dt.date | None
    blocks: list[Block]
    active: Block | None
    max_block_tokens: int = Field(description="the most tokens of any finished block")
    max_block_cost: float
    token_limit: int | None = Field(description="in force: given, or the largest block's")
    cost_limit: float | None


class FamilyUsage(UsageFigures):
    family: ModelFamily


class WindowTotals(UsageFigures):
    start: UtcDatetime
    end: UtcDatetime
    families: list[FamilyUsage]


class WeekTotals(WindowTotals):
    week: dt.date = Field(description="the week's first local day")


class WeeklyUsage(CamelModel):
    now: UtcDatetime
    timezone: str
    week_start: Weekday
    rolling: WindowTotals = Field(description="the 7 days up to now")
    weeks: list[WeekTotals] = Field(description="calendar weeks, oldest first")


class StatusSummary(CamelModel):
    """`cctracer status --json`: today, this week, the active block and (given by Claude Code)
    this session."""

    timezone: str
    date: dt.date
    week_start: Weekday
    today: UsageFigures
    week: UsageFigures
    session: SessionRow | None
    block: Block | None = Field(description="the active 5-hour block, if any")
