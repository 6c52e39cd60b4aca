"""/api/reports: usage by day, week, month, session and project, as `cctracer report` prints
it (field names as ccusage's `--json` spells them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from claude_code_tracer.index.models.reports import (
    DailyReport,
    MonthlyReport,
    ProjectReport,
    SessionReport,
    WeeklyReport,
)
from claude_code_tracer.index.queries import SortOrder
from claude_code_tracer.transcript.kinds import Weekday
from claude_code_tracer.web.deps import RangeDep, StoreDep

router = APIRouter(prefix="/api/reports", tags=["reports"])

ProjectParam = Annotated[
    str | None, Query(max_length=300, description="one project (its folder name); all if absent")
]
PeriodOrder = Annotated[SortOrder, Query(description="oldest first (asc) or newest first")]
WeekStart = Annotated[Weekday, Query(description="the first day of a week")]


@router.get("/daily", response_model=DailyReport, summary="Usage by local day")
def daily(
    store: StoreDep, rng: RangeDep, project: ProjectParam = None, order: PeriodOrder = "asc"
) -> DailyReport:
    return store.daily_report(project or None, rng, order)


@router.get("/weekly", response_model=WeeklyReport, summary="Usage by week")
def weekly(
    store: StoreDep,
    rng: RangeDep,
    project: ProjectParam = None,
    order: PeriodOrder = "asc",
    week_start: WeekStart = "monday",
) -> WeeklyReport:
    return store.weekly_report(project or None, rng, order, week_start)


@router.get("/monthly", response_model=MonthlyReport, summary="Usage by month")
def monthly(
    store: StoreDep, rng: RangeDep, project: ProjectParam = None, order: PeriodOrder = "asc"
) -> MonthlyReport:
    return store.monthly_report(project or None, rng, order)


@router.get("/session", response_model=SessionReport, summary="Usage by session")
def session(
    store: StoreDep, rng: RangeDep, project: ProjectParam = None, order: PeriodOrder = "desc"
) -> SessionReport:
    return store.session_report(project or None, rng, order)


@router.get("/project", response_model=ProjectReport, summary="Usage by project")
def project(
    store: StoreDep, rng: RangeDep, project: ProjectParam = None, order: PeriodOrder = "desc"
) -> ProjectReport:
    return store.project_report(project or None, rng, order)
