"""Read side of the index: every answer the API and the pages give, as response models.

One `Store` per request, around that request's own cursor. The JSON routes and the HTML pages
both call these methods, so they can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from claude_code_tracer.models.responses import (
    ActivityCell,
    AggregateMetrics,
    BadFile,
    CodeChange,
    CodeChangeList,
    CommandEntry,
    CommandList,
    Compaction,
    DailyMetrics,
    Day,
    DayModel,
    ErrorEntry,
    ErrorList,
    FileChangeStat,
    Metrics,
    ModelInUse,
    ModelOrder,
    ModelPriceInfo,
    ModelUsage,
    NamedCount,
    PricingInfo,
    ProjectList,
    ProjectMetrics,
    ProjectSkill,
    ProjectSkillList,
    ProjectSummary,
    SessionDetail,
    SessionList,
    SessionMetrics,
    SessionSummary,
    SkillCall,
    SkillList,
    SkillStat,
    SubagentDetail,
    SubagentList,
    SubagentSummary,
    SubagentTypeList,
    SubagentTypeStat,
    Tokens,
    ToolStat,
    ToolStats,
)
from claude_code_tracer.services import queries as q
from claude_code_tracer.services.metrics import PriceBook, price_from_entry

PER_MILLION = 1_000_000
MAX_SERIES_DAYS = 3660  # days in one daily series, about ten years
LAST_ORDINAL = date.max.toordinal()


class NotFound(Exception):
    """An id that the index does not hold."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


@dataclass(frozen=True)
class TimeRange:
    """Inclusive local dates in a time zone, as naive-UTC bounds [start, end)."""

    since: date | None
    until: date | None
    tz: str
    start: datetime | None
    end: datetime | None

    @classmethod
    def of(cls, since: date | None, until: date | None, tz: str) -> TimeRange:
        zone = ZoneInfo(tz)

        def utc(day: date, later: int = 0) -> datetime:
            try:
                local = datetime.combine(day + timedelta(days=later), time.min, tzinfo=zone)
                return local.astimezone(UTC).replace(tzinfo=None)
            except OverflowError:  # the first or last day a date can hold
                return datetime.min if day.year == date.min.year else datetime.max

        return cls(
            since=since,
            until=until,
            tz=tz,
            start=utc(since) if since else None,
            end=utc(until, later=1) if until else None,
        )

    def params(self) -> list[Any]:
        return [self.start, self.start, self.end, self.end]


ALL_TIME = TimeRange(None, None, "UTC", None, None)


def tokens(i: Any, o: Any, cc: Any, cr: Any) -> Tokens:
    i, o, cc, cr = int(i or 0), int(o or 0), int(cc or 0), int(cr or 0)
    return Tokens(
        input_tokens=i,
        output_tokens=o,
        cache_creation_input_tokens=cc,
        cache_read_input_tokens=cr,
        total_tokens=i + o + cc + cr,
    )


def cache_hit_rate(t: Tokens) -> float | None:
    """Share of prompt tokens served from cache: reads / (input + writes + reads)."""
    prompt = t.input_tokens + t.cache_creation_input_tokens + t.cache_read_input_tokens
    return round(t.cache_read_input_tokens / prompt, 4) if prompt else None


def _scope(project: str | None, session: str | None) -> list[Any]:
    return [project, project, session, session]


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * PER_MILLION, 6)


def _seconds(value: float | None) -> float | None:
    """Seconds between two millisecond timestamps, without the noise of epoch doubles."""
    return None if value is None else round(float(value), 3)


class Store:
    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        *,
        now: datetime | None = None,
        prices: PriceBook | None = None,
    ) -> None:
        self.cur = cur
        self.now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        self.prices = prices

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.cur.execute(sql, list(params)).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self.cur.execute(sql, list(params)).fetchone()

    # -- projects -----------------------------------------------------------------------------

    def projects(
        self, rng: TimeRange = ALL_TIME, sort: str = "last_activity", search: str | None = None
    ) -> ProjectList:
        order = q.PROJECT_SORTS[sort]
        if rng.start is None and rng.end is None:
            rows = self._all(q.PROJECTS_ALL.format(order=order), [search, search])
        else:
            start = rng.start or datetime(1970, 1, 1)
            end = rng.end or datetime(9999, 1, 1)
            rows = self._all(
                q.PROJECTS_RANGE.format(order=order), [start, end, start, end, search, search]
            )
        items = [self._project(r) for r in rows]
        return ProjectList(
            projects=items,
            total=len(items),
            tokens=_sum_tokens([p.tokens for p in items]),
            total_cost=sum(p.total_cost for p in items),
        )

    @staticmethod
    def _project(r: tuple[Any, ...]) -> ProjectSummary:
        t = tokens(r[6], r[7], r[8], r[9])
        return ProjectSummary(
            path_hash=r[0],
            project_path=r[1],
            session_count=int(r[2] or 0),
            message_count=int(r[3] or 0),
            tool_calls=int(r[4] or 0),
            errors=int(r[5] or 0),
            tokens=t,
            total_cost=float(r[11] or 0.0),
            cache_hit_rate=cache_hit_rate(t),
            first_activity=r[12],
            last_activity=r[13],
            models=list(r[14] or []),
        )

    def project_path(self, path_hash: str) -> str | None:
        row = self._one(q.PROJECT_EXISTS, [path_hash])
        if row is None:
            raise NotFound("project")
        return None if row[0] is None else str(row[0])

    # -- sessions -----------------------------------------------------------------------------

    def _session(self, r: tuple[Any, ...]) -> dict[str, Any]:
        t = tokens(r[11], r[12], r[13], r[14])
        return {
            "session_id": r[0],
            "project_hash": r[1],
            "title": r[2],
            "title_source": r[3],
            "first_prompt": r[4],
            "start_time": r[5],
            "end_time": r[6],
            "duration_seconds": _seconds(r[7]),
            "message_count": int(r[8] or 0),
            "prompt_count": int(r[9] or 0),
            "tool_calls": int(r[10] or 0),
            "tokens": t,
            "cost": float(r[15] or 0.0),
            "subagent_tokens": tokens(r[16], r[17], r[18], r[19]),
            "subagent_cost": float(r[20] or 0.0),
            "cache_hit_rate": cache_hit_rate(t),
            "errors": int(r[21] or 0),
            "subagent_count": int(r[22] or 0),
            "models": list(r[23] or []),
            "unpriced_models": list(r[24] or []),
            "git_branch": r[25],
            "version": r[26],
            "status": r[27],
        }

    def _now3(self) -> list[Any]:
        return [self.now, self.now, self.now]

    def sessions(
        self,
        path_hash: str,
        *,
        page: int = 1,
        per_page: int = 50,
        sort: str = "start",
        order: str = "desc",
        search: str | None = None,
        rng: TimeRange = ALL_TIME,
    ) -> SessionList:
        self.project_path(path_hash)
        order_sql = q.SESSION_SORTS[sort].format(dir=q.SORT_DIRECTIONS[order])
        where = [path_hash, *rng.params(), search, search, search, search]
        rows = self._all(
            q.SESSIONS_OF_PROJECT.format(order=order_sql),
            [*self._now3(), *where, per_page, (page - 1) * per_page],
        )
        total = self._one(q.SESSIONS_COUNT, where) or (0,)
        return SessionList(
            sessions=[SessionSummary(**self._session(r)) for r in rows],
            total=int(total[0]),
            page=page,
            per_page=per_page,
        )

    def session(self, path_hash: str, session_id: str) -> SessionDetail:
        row = self._one(q.SESSION_ONE, [*self._now3(), path_hash, session_id])
        if row is None:
            raise NotFound("session")
        base = self._session(row)
        return SessionDetail(
            **base,
            project_path=row[28],
            cwd=row[29],
            bad_lines=int(row[30] or 0),
            last_activity=row[31],
            compactions=int(row[32] or 0),
            model_usage=self.model_usage(path_hash, session_id),
        )

    def require_session(self, path_hash: str, session_id: str) -> None:
        if self._one(q.SESSION_EXISTS, [path_hash, session_id]) is None:
            raise NotFound("session")

    def require_subagent(self, path_hash: str, session_id: str, agent_id: str) -> None:
        if self._one(q.AGENT_EXISTS, [path_hash, session_id, agent_id]) is None:
            raise NotFound("subagent")

    # -- metrics ------------------------------------------------------------------------------

    def model_usage(
        self,
        project: str | None = None,
        session: str | None = None,
        agent: str | None = None,
        rng: TimeRange = ALL_TIME,
    ) -> list[ModelUsage]:
        if session is None and agent is None:
            rows = self._all(q.MODEL_USAGE_BUCKETS, [project, project, *rng.params()])
        else:
            rows = self._all(
                q.MODEL_USAGE, [*_scope(project, session), agent, agent, *rng.params()]
            )
        return [
            ModelUsage(
                model=r[0],
                priced=bool(r[1]),
                tokens=tokens(r[2], r[3], r[4], r[5]),
                cost=float(r[6] or 0.0),
                messages=int(r[7] or 0),
            )
            for r in rows
        ]

    def _metrics(self, project: str | None, rng: TimeRange) -> tuple[dict[str, Any], int]:
        """Totals over a project (or everything) in a range, from the roll-ups and buckets."""
        scope = _scope(project, None)
        models = self.model_usage(project, None, None, rng)
        total = _sum_tokens([m.tokens for m in models])
        sub = self._one(q.SUBAGENT_USAGE_BUCKETS, [project, project, *rng.params()])
        sub = sub or (0, 0, 0, 0, 0.0)
        st = self._one(q.SESSION_TOTALS, [*scope, *rng.params()]) or (0,) * 9
        errors = {
            str(r[0]): int(r[1]) for r in self._all(q.ERRORS_BY_CATEGORY, scope + rng.params())
        }
        changes = self._one(q.CODE_CHANGE_TOTALS, [*scope, *rng.params()]) or (0, 0, 0)
        compactions = self._one(q.COMPACTION_COUNT, [*scope, *rng.params()]) or (0,)
        fields = {
            "tokens": total,
            "cost": sum(m.cost for m in models),
            "cache_hit_rate": cache_hit_rate(total),
            "sessions": int(st[0] or 0),
            "messages": int(st[1] or 0),
            "prompts": int(st[2] or 0),
            "tool_calls": int(st[3] or 0),
            "errors": sum(errors.values()),
            "errors_by_category": errors,
            "subagents": int(st[5] or 0),
            "subagent_tokens": tokens(sub[0], sub[1], sub[2], sub[3]),
            "subagent_cost": float(sub[4] or 0.0),
            "lines_added": int(changes[0] or 0),
            "lines_removed": int(changes[1] or 0),
            "files_changed": int(changes[2] or 0),
            "compactions": int(compactions[0] or 0),
            "first_activity": st[6],
            "last_activity": st[7],
            "models": models,
            "unpriced_models": [m.model for m in models if not m.priced],
        }
        return fields, int(st[8] or 0)

    def project_metrics(self, path_hash: str, rng: TimeRange = ALL_TIME) -> ProjectMetrics:
        project_path = self.project_path(path_hash)
        fields, _ = self._metrics(path_hash, rng)
        return ProjectMetrics(path_hash=path_hash, project_path=project_path, **fields)

    def session_metrics(
        self, path_hash: str, session_id: str, detail: SessionDetail | None = None
    ) -> SessionMetrics:
        """A session's figures: its roll-up row, plus the breakdowns it does not hold."""
        detail = detail or self.session(path_hash, session_id)
        scope = [*_scope(path_hash, session_id), *ALL_TIME.params()]
        errors = {str(r[0]): int(r[1]) for r in self._all(q.ERRORS_BY_CATEGORY, scope)}
        changes = self._one(q.CODE_CHANGE_TOTALS, scope) or (0, 0, 0)
        kinds = {str(r[0]): int(r[1]) for r in self._all(q.KIND_COUNTS, [path_hash, session_id])}
        models = detail.model_usage
        total = _sum_tokens([m.tokens for m in models])
        return SessionMetrics(
            session_id=session_id,
            project_hash=path_hash,
            duration_seconds=detail.duration_seconds,
            kinds=kinds,
            tokens=total,
            cost=sum(m.cost for m in models),
            cache_hit_rate=cache_hit_rate(total),
            sessions=1,
            messages=detail.message_count,
            prompts=detail.prompt_count,
            tool_calls=detail.tool_calls,
            errors=sum(errors.values()),
            errors_by_category=errors,
            subagents=detail.subagent_count,
            subagent_tokens=detail.subagent_tokens,
            subagent_cost=detail.subagent_cost,
            lines_added=int(changes[0] or 0),
            lines_removed=int(changes[1] or 0),
            files_changed=int(changes[2] or 0),
            compactions=detail.compactions,
            first_activity=detail.start_time,
            last_activity=detail.end_time,
            models=models,
            unpriced_models=[m.model for m in models if not m.priced],
        )

    def aggregate(self, project: str | None, rng: TimeRange) -> AggregateMetrics:
        if project is not None:
            self.project_path(project)
        fields, projects = self._metrics(project, rng)
        bucket_scope = [rng.tz, project, project, *rng.params()]
        activity = [
            ActivityCell(weekday=int(r[0]), hour=int(r[1]), messages=int(r[2]), cost=float(r[3]))
            for r in self._all(q.ACTIVITY, [*bucket_scope, *bucket_scope])
        ]
        return AggregateMetrics(
            project_hash=project,
            projects=projects,
            timezone=rng.tz,
            since=rng.since,
            until=rng.until,
            activity=activity,
            **fields,
        )

    # -- tools --------------------------------------------------------------------------------

    def tools(
        self, project: str | None, session: str | None = None, agent: str | None = None
    ) -> ToolStats:
        return _tool_stats(
            self._all(q.TOOL_STATS, [project, project, session, session, agent, agent])
        )

    def project_tools(self, path_hash: str, rng: TimeRange = ALL_TIME) -> ToolStats:
        """Tool calls of a project (subagents included) made within `rng`."""
        self.project_path(path_hash)
        params = [path_hash, path_hash, None, None, None, None, *rng.params()]
        return _tool_stats(self._all(q.PROJECT_TOOL_STATS, params))

    # -- subagents ----------------------------------------------------------------------------

    @staticmethod
    def _agent(r: tuple[Any, ...]) -> dict[str, Any]:
        return {
            "agent_id": r[0],
            "session_id": r[1],
            "project_hash": r[2],
            "kind": r[3],
            "agent_type": r[4],
            "description": r[5],
            "spawn_tool_use_id": r[6],
            "spawn_message_uuid": r[7],
            "is_async": bool(r[8]),
            "start_time": r[9],
            "end_time": r[10],
            "duration_seconds": _seconds(r[11]),
            "message_count": int(r[12] or 0),
            "tool_calls": int(r[13] or 0),
            "errors": int(r[14] or 0),
            "tokens": tokens(r[15], r[16], r[17], r[18]),
            "cost": float(r[19] or 0.0),
            "models": list(r[20] or []),
        }

    def subagents(self, path_hash: str, session_id: str) -> SubagentList:
        self.require_session(path_hash, session_id)
        items = [
            SubagentSummary(**self._agent(r))
            for r in self._all(q.AGENTS_OF_SESSION, [path_hash, session_id])
        ]
        return SubagentList(
            subagents=items,
            total=len(items),
            tokens=_sum_tokens([a.tokens for a in items]),
            cost=sum(a.cost for a in items),
        )

    def subagent(
        self, path_hash: str, agent_id: str, session_id: str | None = None
    ) -> SubagentDetail:
        row = self._one(q.AGENT_ONE, [path_hash, agent_id, session_id])
        if row is None:
            raise NotFound("subagent")
        base = self._agent(row)
        return SubagentDetail(
            **base,
            session_title=row[21],
            project_path=row[22],
            prompt=row[23],
            model_usage=self.model_usage(path_hash, base["session_id"], agent_id),
        )

    # -- session sections ---------------------------------------------------------------------

    def skills(self, path_hash: str, session_id: str) -> SkillList:
        self.require_session(path_hash, session_id)
        calls = [
            SkillCall(
                skill=r[0] or "?",
                tool_use_id=r[1],
                timestamp=r[2],
                message_uuid=r[3],
                agent_id=r[4] or None,
                is_error=r[5],
                duration_ms=r[6],
            )
            for r in self._all(q.SKILL_CALLS, [path_hash, session_id])
        ]
        stats: dict[str, list[SkillCall]] = {}
        for call in calls:
            stats.setdefault(call.skill, []).append(call)
        skills = [
            SkillStat(
                skill=name,
                count=len(group),
                errors=sum(1 for c in group if c.is_error),
                first_used=min((c.timestamp for c in group if c.timestamp), default=None),
                last_used=max((c.timestamp for c in group if c.timestamp), default=None),
            )
            for name, group in sorted(stats.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
        return SkillList(skills=skills, calls=calls, total=len(calls))

    def code_changes(self, path_hash: str, session_id: str) -> CodeChangeList:
        self.require_session(path_hash, session_id)
        changes = [
            CodeChange(
                file_path=r[0],
                change_type=r[1],
                tool_name=r[2],
                lines_added=int(r[3] or 0),
                lines_removed=int(r[4] or 0),
                timestamp=r[5],
                message_uuid=r[6],
                tool_use_id=r[7],
                agent_id=r[8] or None,
            )
            for r in self._all(q.CODE_CHANGES_OF_SESSION, [path_hash, session_id])
        ]
        files: dict[str, list[CodeChange]] = {}
        for change in changes:
            files.setdefault(change.file_path, []).append(change)
        stats = [
            FileChangeStat(
                file_path=path,
                changes=len(group),
                lines_added=sum(c.lines_added for c in group),
                lines_removed=sum(c.lines_removed for c in group),
                created=any(c.change_type == "create" for c in group),
            )
            for path, group in files.items()
        ]
        stats.sort(key=lambda s: (-(s.lines_added + s.lines_removed), s.file_path))
        return CodeChangeList(
            changes=changes,
            files=stats,
            total=len(changes),
            lines_added=sum(c.lines_added for c in changes),
            lines_removed=sum(c.lines_removed for c in changes),
        )

    def errors(self, path_hash: str, session_id: str, category: str | None = None) -> ErrorList:
        self.require_session(path_hash, session_id)
        rows = self._all(q.ERRORS_OF_SESSION, [path_hash, session_id, category, category])
        entries = [
            ErrorEntry(
                category=r[0],
                message=r[1] or "",
                timestamp=r[2],
                tool_name=r[3],
                tool_use_id=r[4],
                message_uuid=r[5],
                agent_id=r[6] or None,
                status=r[7],
            )
            for r in rows
        ]
        by_category: dict[str, int] = {}
        for e in entries:
            by_category[e.category] = by_category.get(e.category, 0) + 1
        return ErrorList(errors=entries, total=len(entries), by_category=by_category)

    def commands(self, path_hash: str, session_id: str) -> CommandList:
        self.require_session(path_hash, session_id)
        entries = [
            CommandEntry(
                name=r[0],
                args=r[1] or "",
                source=r[2],
                timestamp=r[3],
                message_uuid=r[4],
                agent_id=r[5] or None,
            )
            for r in self._all(q.COMMANDS_OF_SESSION, [path_hash, session_id])
        ]
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.name] = counts.get(e.name, 0) + 1
        by_name = [
            NamedCount(value=k, count=v) for k, v in sorted(counts.items(), key=lambda x: -x[1])
        ]
        return CommandList(commands=entries, total=len(entries), by_name=by_name)

    def compactions(self, path_hash: str, session_id: str) -> list[Compaction]:
        return [
            Compaction(
                trigger=r[0], pre_tokens=r[1], post_tokens=r[2], timestamp=r[3], message_uuid=r[4]
            )
            for r in self._all(q.COMPACTIONS_OF_SESSION, [path_hash, session_id])
        ]

    # -- daily --------------------------------------------------------------------------------

    def daily(self, path_hash: str | None, rng: TimeRange) -> DailyMetrics:
        if path_hash is not None:
            self.project_path(path_hash)
        scope = [rng.tz, path_hash, path_hash, *rng.params()]  # tz, then BUCKET_WHERE
        per_model = self._all(q.DAILY_USAGE, scope)
        activity = {r[0]: (int(r[1]), int(r[2])) for r in self._all(q.DAILY_ACTIVITY, scope)}
        days_seen = sorted({r[0] for r in per_model} | set(activity))
        start = rng.since or (days_seen[0] if days_seen else None)
        end = rng.until or (days_seen[-1] if days_seen else None)
        models: dict[date, list[DayModel]] = {}
        for r in per_model:
            models.setdefault(r[0], []).append(
                DayModel(model=r[1] or "?", tokens=tokens(r[2], r[3], r[4], r[5]), cost=float(r[6]))
            )
        days: list[Day] = []
        if start is not None and end is not None:
            span = MAX_SERIES_DAYS - 1
            if (end - start).days > span:  # a stray timestamp in year 1 or 9999
                if rng.since is not None:
                    end = date.fromordinal(min(start.toordinal() + span, LAST_ORDINAL))
                else:
                    start = date.fromordinal(max(end.toordinal() - span, 1))
            for ordinal in range(start.toordinal(), end.toordinal() + 1):
                day = date.fromordinal(ordinal)
                ms = models.get(day, [])
                messages, sessions = activity.get(day, (0, 0))
                days.append(
                    Day(
                        date=day,
                        tokens=_sum_tokens([m.tokens for m in ms]),
                        cost=sum(m.cost for m in ms),
                        sessions=sessions,
                        messages=messages,
                        models=ms,
                    )
                )
        return DailyMetrics(
            path_hash=path_hash,
            timezone=rng.tz,
            start_date=start,
            end_date=end,
            days=days,
            tokens=_sum_tokens([d.tokens for d in days]),
            cost=sum(d.cost for d in days),
        )

    # -- pricing ------------------------------------------------------------------------------

    def pricing(self) -> PricingInfo:
        if self.prices is None:
            raise NotFound("price table")
        table = self.prices.table
        prices = []
        for key, entry in sorted(table.entries.items()):
            p = price_from_entry(key, key, entry)
            prices.append(
                ModelPriceInfo(
                    model=key,
                    input=round(p.input * PER_MILLION, 6),
                    output=round(p.output * PER_MILLION, 6),
                    cache_write_5m=_per_million(p.cache_write_5m),
                    cache_write_1h=_per_million(p.cache_write_1h),
                    cache_read=_per_million(p.cache_read),
                    input_above_200k=_per_million(p.input_200k),
                    output_above_200k=_per_million(p.output_200k),
                    fast_multiplier=p.fast_multiplier,
                    us_multiplier=p.us_multiplier,
                )
            )
        in_use = []
        for r in self._all(q.MODELS_IN_USE):
            resolved = self.prices.resolve(r[0])
            in_use.append(
                ModelInUse(
                    model=r[0],
                    price_key=r[1],
                    priced=bool(r[2]),
                    derived_prices=list(resolved.derived) if resolved else [],
                    tokens=tokens(r[3], r[4], r[5], r[6]),
                    cost=float(r[7] or 0.0),
                    sessions=int(r[8] or 0),
                )
            )
        try:
            fetched = datetime.fromisoformat(table.fetched_at)
            if fetched.tzinfo is None:
                fetched = fetched.replace(tzinfo=UTC)
            age: float | None = round((datetime.now(UTC) - fetched).total_seconds(), 1)
        except ValueError:
            age = None
        return PricingInfo(
            source=table.source,
            url=table.url,
            fetched_at=table.fetched_at,
            age_seconds=age,
            offline=self.prices.offline,
            last_error=self.prices.last_error,
            prices=prices,
            models_in_use=in_use,
            unpriced_models=[m for m in in_use if not m.priced],
        )

    # -- project sections ---------------------------------------------------------------------

    def project_subagents(self, path_hash: str, rng: TimeRange = ALL_TIME) -> SubagentTypeList:
        """Subagents of a project active within `rng`, by type."""
        self.project_path(path_hash)
        types = [
            SubagentTypeStat(
                agent_type=r[0] or "?",
                kind=r[1] or "task",
                count=int(r[2]),
                sessions=int(r[3]),
                errors=int(r[4]),
                tool_calls=int(r[5]),
                tokens=tokens(r[6], r[7], r[8], r[9]),
                cost=float(r[10]),
                mean_duration_seconds=None if r[11] is None else round(float(r[11]), 3),
            )
            for r in self._all(q.PROJECT_SUBAGENT_TYPES, [path_hash, *rng.params()])
        ]
        return SubagentTypeList(
            types=types,
            total=sum(t.count for t in types),
            tokens=_sum_tokens([t.tokens for t in types]),
            cost=sum(t.cost for t in types),
        )

    def project_skills(self, path_hash: str, rng: TimeRange = ALL_TIME) -> ProjectSkillList:
        """Skills a project invoked within `rng`."""
        self.project_path(path_hash)
        skills = [
            ProjectSkill(
                skill=r[0],
                count=int(r[1]),
                errors=int(r[2]),
                first_used=r[3],
                last_used=r[4],
                sessions=int(r[5]),
            )
            for r in self._all(q.PROJECT_SKILLS, [path_hash, *rng.params()])
        ]
        return ProjectSkillList(skills=skills, total=sum(s.count for s in skills))

    def model_order(self) -> ModelOrder:
        return ModelOrder(models=[str(r[0]) for r in self._all(q.MODEL_ORDER)])

    # -- index --------------------------------------------------------------------------------

    def index_counts(self) -> tuple[int, int, int, int, int]:
        row = self._one(q.INDEX_COUNTS) or (0, 0, 0, 0, 0)
        return (int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))

    def bad_files(self) -> list[BadFile]:
        return [
            BadFile(path=r[0], bad_lines=int(r[1]), reasons=json.loads(r[2] or "{}"))
            for r in self._all(q.BAD_FILES)
        ]


def _tool_stats(rows: list[tuple[Any, ...]]) -> ToolStats:
    stats = [
        ToolStat(
            name=r[0],
            count=int(r[1]),
            errors=int(r[2]),
            error_rate=round(int(r[2]) / int(r[1]), 4) if r[1] else 0.0,
            total_duration_ms=int(r[3] or 0),
            mean_duration_ms=None if r[4] is None else round(float(r[4]), 1),
        )
        for r in rows
    ]
    return ToolStats(
        tools=stats,
        total_calls=sum(s.count for s in stats),
        total_errors=sum(s.errors for s in stats),
    )


def _sum_tokens(items: Sequence[Tokens]) -> Tokens:
    return tokens(
        sum(t.input_tokens for t in items),
        sum(t.output_tokens for t in items),
        sum(t.cache_creation_input_tokens for t in items),
        sum(t.cache_read_input_tokens for t in items),
    )


__all__ = ["ALL_TIME", "Metrics", "NotFound", "Store", "TimeRange", "cache_hit_rate", "tokens"]
