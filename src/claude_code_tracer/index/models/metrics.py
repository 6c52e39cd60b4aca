"""Totals over a set of sessions, daily series, activity, prices."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import Field

from claude_code_tracer.index.models.common import Model, ModelUsage, Tokens, UtcDatetime

# Where the price table in use came from: the package's snapshot, the cache, or the network.
PriceSource = Literal["snapshot", "cache", "live"]
PRICE_SOURCES: tuple[PriceSource, ...] = get_args(PriceSource)


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
    source: PriceSource
    url: str
    fetched_at: str
    age_seconds: float | None
    offline: bool
    last_error: str | None
    prices: list[ModelPriceInfo]
    models_in_use: list[ModelInUse]
    unpriced_models: list[ModelInUse]


class ModelOrder(Model):
    """Every model of the history in the order it first answered."""

    models: list[str]
