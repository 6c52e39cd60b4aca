"""Reads of the usage reports: counted responses summed by local day, week, month, session
or project, each with its per-model breakdown (`cctracer report`, `/api/reports/...`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from claude_code_tracer.index.cursor import ALL_TIME, BaseReader, Row, TimeRange
from claude_code_tracer.index.models.reports import (
    DailyReport,
    DailyRow,
    ModelBreakdown,
    MonthlyReport,
    MonthlyRow,
    ProjectReport,
    ProjectRow,
    ReportScope,
    SessionReport,
    SessionRow,
    UsageFigures,
    WeeklyReport,
    WeeklyRow,
)
from claude_code_tracer.index.queries import SortOrder
from claude_code_tracer.transcript.kinds import WEEKDAYS, Weekday

_SCOPE = """(?::VARCHAR IS NULL OR u.project_hash = ?)
    AND (?::TIMESTAMP IS NULL OR u.ts >= ?) AND (?::TIMESTAMP IS NULL OR u.ts < ?)"""
# counted responses summed (over `u`): n, the four token counts, cost
USAGE_SUMS = """count(*) AS n, sum(u.input_tokens) AS input_tokens,
    sum(u.output_tokens) AS output_tokens, sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens, sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost"""

# counted responses by local day (tz bound first) and model, from the hourly roll-up the daily
# series reads too
BY_DAY = """
SELECT CAST(timezone(?, timezone('UTC', b.bucket)) AS DATE) AS day,
    coalesce(b.model, '?') AS model, sum(b.responses) AS n,
    sum(b.input_tokens) AS input_tokens, sum(b.output_tokens) AS output_tokens,
    sum(b.cache_creation_tokens) AS cache_creation_tokens,
    sum(b.cache_read_tokens) AS cache_read_tokens, sum(b.cost::DECIMAL(38, 18))::DOUBLE AS cost
FROM usage_buckets b
WHERE b.bucket IS NOT NULL AND (?::VARCHAR IS NULL OR b.project_hash = ?)
    AND (?::TIMESTAMP IS NULL OR b.bucket >= ?) AND (?::TIMESTAMP IS NULL OR b.bucket < ?)
GROUP BY ALL
"""
# counted responses by session and model, with the session's title and its project's path
BY_SESSION = f"""
WITH g AS (
    SELECT u.project_hash, u.session_id, coalesce(u.model, '?') AS model, {USAGE_SUMS},
        min(u.ts) AS first_ts, max(u.ts) AS last_ts
    FROM usage u WHERE u.counted AND {_SCOPE}
    GROUP BY ALL
)
SELECT g.*, s.title, p.project_path FROM g
LEFT JOIN sessions s USING (project_hash, session_id)
LEFT JOIN projects p ON p.path_hash = g.project_hash
"""

PROJECT_NAMES = "SELECT path_hash, project_path FROM projects"

K = TypeVar("K", bound=Hashable)


@dataclass
class _Sum:
    """Counted responses of one report row, by model."""

    models: dict[str, list[float]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, r: Row) -> None:
        into = self.models.setdefault(str(r["model"]), [0, 0, 0, 0, 0, 0.0])
        for i, col in enumerate(
            ("n", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
        ):
            into[i] += int(r[col] or 0)
        into[5] += float(r["cost"] or 0.0)
        first, last = r.get("first_ts"), r.get("last_ts")
        if first is not None and (self.first is None or first < self.first):
            self.first = first
        if last is not None and (self.last is None or last > self.last):
            self.last = last

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.models.items(), key=lambda kv: (-kv[1][5], kv[0]))
        n, i, o, cc, cr, cost = (sum(v[k] for _, v in ordered) for k in range(6))
        return {
            "input_tokens": int(i),
            "output_tokens": int(o),
            "cache_creation_tokens": int(cc),
            "cache_read_tokens": int(cr),
            "total_tokens": int(i + o + cc + cr),
            "total_cost": float(cost),
            "responses": int(n),
            "models_used": sorted(self.models),
            "model_breakdowns": [
                ModelBreakdown(
                    model_name=name,
                    input_tokens=int(v[1]),
                    output_tokens=int(v[2]),
                    cache_creation_tokens=int(v[3]),
                    cache_read_tokens=int(v[4]),
                    cost=float(v[5]),
                )
                for name, v in ordered
            ],
        }


def _group(rows: Iterable[Row], key: Callable[[Row], K]) -> dict[K, _Sum]:
    groups: dict[K, _Sum] = {}
    for r in rows:
        groups.setdefault(key(r), _Sum()).add(r)
    return groups


def _totals(rows: Iterable[Any]) -> UsageFigures:
    rows = list(rows)
    return UsageFigures(
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cache_creation_tokens=sum(r.cache_creation_tokens for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        total_tokens=sum(r.total_tokens for r in rows),
        total_cost=sum(r.total_cost for r in rows),
        responses=sum(r.responses for r in rows),
    )


def week_of(day: date, week_start: Weekday) -> date:
    """The first day of the week `day` is in, weeks starting on `week_start`."""
    return day - timedelta(days=(day.weekday() - WEEKDAYS.index(week_start)) % 7)


class ReportReads(BaseReader):
    """Usage by day, week, month, session and project."""

    def _scope(
        self, project: str | None, rng: TimeRange, week_start: Weekday | None = None
    ) -> ReportScope:
        if project is not None:
            self.project_path(project)
        return ReportScope(
            timezone=rng.tz,
            since=rng.since,
            until=rng.until,
            project_path=project,
            week_start=week_start,
        )

    def project_names(self) -> dict[str, str | None]:
        """Every project: its folder name -> its real path (None: not known)."""
        return {
            str(r["path_hash"]): None if r["project_path"] is None else str(r["project_path"])
            for r in self._all(PROJECT_NAMES)
        }

    def _by_day(self, project: str | None, rng: TimeRange) -> list[Row]:
        return self._all(BY_DAY, [rng.tz, project, project, *rng.params()])

    def daily_report(
        self, project: str | None = None, rng: TimeRange = ALL_TIME, order: SortOrder = "asc"
    ) -> DailyReport:
        scope = self._scope(project, rng)
        groups = _group(self._by_day(project, rng), lambda r: r["day"])
        rows = [DailyRow(date=k, **g.figures()) for k, g in groups.items()]
        rows.sort(key=lambda r: r.date, reverse=order == "desc")
        return DailyReport(scope=scope, daily=rows, totals=_totals(rows))

    def weekly_report(
        self,
        project: str | None = None,
        rng: TimeRange = ALL_TIME,
        order: SortOrder = "asc",
        week_start: Weekday = "monday",
    ) -> WeeklyReport:
        scope = self._scope(project, rng, week_start)
        groups = _group(self._by_day(project, rng), lambda r: week_of(r["day"], week_start))
        rows = [WeeklyRow(week=k, **g.figures()) for k, g in groups.items()]
        rows.sort(key=lambda r: r.week, reverse=order == "desc")
        return WeeklyReport(scope=scope, weekly=rows, totals=_totals(rows))

    def monthly_report(
        self, project: str | None = None, rng: TimeRange = ALL_TIME, order: SortOrder = "asc"
    ) -> MonthlyReport:
        scope = self._scope(project, rng)
        groups = _group(self._by_day(project, rng), lambda r: r["day"].strftime("%Y-%m"))
        rows = [MonthlyRow(month=k, **g.figures()) for k, g in groups.items()]
        rows.sort(key=lambda r: r.month, reverse=order == "desc")
        return MonthlyReport(scope=scope, monthly=rows, totals=_totals(rows))

    def _by_session(self, project: str | None, rng: TimeRange) -> list[Row]:
        return self._all(BY_SESSION, [project, project, *rng.params()])

    def session_report(
        self, project: str | None = None, rng: TimeRange = ALL_TIME, order: SortOrder = "desc"
    ) -> SessionReport:
        scope = self._scope(project, rng)
        found = self._by_session(project, rng)
        groups = _group(found, lambda r: (str(r["project_hash"]), str(r["session_id"])))
        about = {(str(r["project_hash"]), str(r["session_id"])): r for r in found}
        rows = [
            SessionRow(
                session_id=sid,
                project_path=ph,
                project=about[ph, sid]["project_path"],
                title=about[ph, sid]["title"],
                first_activity=g.first,
                last_activity=g.last,
                **g.figures(),
            )
            for (ph, sid), g in groups.items()
        ]
        rows.sort(key=_by_activity, reverse=order == "desc")
        return SessionReport(scope=scope, sessions=rows, totals=_totals(rows))

    def project_report(
        self, project: str | None = None, rng: TimeRange = ALL_TIME, order: SortOrder = "desc"
    ) -> ProjectReport:
        scope = self._scope(project, rng)
        found = self._by_session(project, rng)
        groups = _group(found, lambda r: str(r["project_hash"]))
        sessions: dict[str, set[str]] = {}
        paths: dict[str, str | None] = {}
        for r in found:
            sessions.setdefault(str(r["project_hash"]), set()).add(str(r["session_id"]))
            paths[str(r["project_hash"])] = r["project_path"]
        rows = [
            ProjectRow(
                project_path=ph,
                project=paths[ph],
                sessions=len(sessions[ph]),
                first_activity=g.first,
                last_activity=g.last,
                **g.figures(),
            )
            for ph, g in groups.items()
        ]
        rows.sort(key=_by_activity, reverse=order == "desc")
        return ProjectReport(scope=scope, projects=rows, totals=_totals(rows))


def _by_activity(row: SessionRow | ProjectRow) -> tuple[float, str, str]:
    last = row.last_activity.timestamp() if row.last_activity else float("-inf")
    return (last, row.project_path, getattr(row, "session_id", ""))
