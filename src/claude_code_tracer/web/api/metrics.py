"""/api/metrics: pricing, daily series, aggregates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query

from claude_code_tracer.index.models.metrics import (
    AggregateMetrics,
    DailyMetrics,
    ModelOrder,
    PricingInfo,
)
from claude_code_tracer.index.reads import TimeRange
from claude_code_tracer.index.store_metrics import MAX_SERIES_DAYS
from claude_code_tracer.web.deps import (
    RangeDep,
    RuntimeDep,
    Since,
    StoreDep,
    TzParam,
    Until,
    resolve_tz,
    time_range,
)

router = APIRouter(prefix="/api/metrics", tags=["metrics"])

Days = Annotated[
    int | None,
    Query(ge=1, le=MAX_SERIES_DAYS, description="the last N days up to today (instead of since)"),
]


@router.get("/pricing", response_model=PricingInfo, summary="Current model pricing (LiteLLM)")
def pricing(store: StoreDep) -> PricingInfo:
    return store.pricing()


@router.get(
    "/models",
    response_model=ModelOrder,
    summary="Every model in the history, in the order it first answered",
)
def models(store: StoreDep) -> ModelOrder:
    return store.model_order()


def daily_range(
    runtime: RuntimeDep,
    since: Since = None,
    until: Until = None,
    days: Days = None,
    tz: TzParam = None,
) -> TimeRange:
    """since/until, or the last `days` days up to today in the requested time zone."""
    if days is not None and since is None:
        until = until or datetime.now(ZoneInfo(resolve_tz(runtime, tz))).date()
        since = date.fromordinal(max(until.toordinal() - days + 1, 1))
    if since and until and (until - since).days >= MAX_SERIES_DAYS:
        raise HTTPException(
            status_code=422, detail=f"a daily series covers at most {MAX_SERIES_DAYS} days"
        )
    return time_range(runtime, since, until, tz)


DailyRange = Annotated[TimeRange, Depends(daily_range)]


@router.get("/daily", response_model=DailyMetrics, summary="Daily metrics over all projects")
def daily_all(store: StoreDep, rng: DailyRange) -> DailyMetrics:
    return store.daily(None, rng)


@router.get(
    "/daily/{path_hash}", response_model=DailyMetrics, summary="Daily metrics for a project"
)
def daily(path_hash: str, store: StoreDep, rng: DailyRange) -> DailyMetrics:
    return store.daily(path_hash, rng)


@router.get(
    "/aggregate", response_model=AggregateMetrics, summary="Global or per-project aggregates"
)
def aggregate(
    store: StoreDep,
    rng: RangeDep,
    project_hash: Annotated[str | None, Query(max_length=300)] = None,
) -> AggregateMetrics:
    return store.aggregate(project_hash or None, rng)
