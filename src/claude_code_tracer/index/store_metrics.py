"""Reads of figures: totals over a project, a session or everything, daily series, activity,
and the prices in use."""

from __future__ import annotations

from datetime import date
from typing import Any

from claude_code_tracer.index import queries as q
from claude_code_tracer.index.models.metrics import (
    ActivityCell,
    AggregateMetrics,
    DailyMetrics,
    Day,
    DayModel,
    ModelInUse,
    ModelOrder,
    ModelPriceInfo,
    PricingInfo,
    ProjectMetrics,
    SessionMetrics,
)
from claude_code_tracer.index.models.sessions import SessionDetail
from claude_code_tracer.index.reads import (
    ALL_TIME,
    PER_MILLION,
    NotFound,
    Row,
    TimeRange,
    cache_hit_rate,
    row_tokens,
    scope,
    sum_tokens,
    tokens,
)
from claude_code_tracer.index.store_sessions import SessionReads

MAX_SERIES_DAYS = 3660  # days in one daily series, about ten years
LAST_ORDINAL = date.max.toordinal()


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * PER_MILLION, 6)


class MetricReads(SessionReads):
    def _errors_by_category(self, params: list[Any]) -> dict[str, int]:
        return {str(r["category"]): int(r["n"]) for r in self._all(q.ERRORS_BY_CATEGORY, params)}

    def _changes(self, params: list[Any]) -> tuple[int, int, int]:
        """Lines added, lines removed and files changed."""
        r = self._one(q.CODE_CHANGE_TOTALS, params)
        if r is None:
            return 0, 0, 0
        keys = ("lines_added", "lines_removed", "files_changed")
        added, removed, files = (int(r[k] or 0) for k in keys)
        return added, removed, files

    def _metrics(self, project: str | None, rng: TimeRange) -> tuple[dict[str, Any], int]:
        """Totals over a project (or everything) in a range, from the roll-ups and buckets."""
        where = [*scope(project, None), *rng.params()]
        models = self.model_usage(project, None, None, rng)
        total = sum_tokens([m.tokens for m in models])
        sub = self._one(q.SUBAGENT_USAGE_BUCKETS, [project, project, *rng.params()])
        st: Row = self._one(q.SESSION_TOTALS, where) or {}
        errors = self._errors_by_category(where)
        added, removed, files = self._changes(where)
        compactions = self._one(q.COMPACTION_COUNT, where)
        fields = {
            "tokens": total,
            "cost": sum(m.cost for m in models),
            "cache_hit_rate": cache_hit_rate(total),
            "sessions": int(st.get("sessions") or 0),
            "messages": int(st.get("messages") or 0),
            "prompts": int(st.get("prompts") or 0),
            "tool_calls": int(st.get("tool_calls") or 0),
            "errors": sum(errors.values()),
            "errors_by_category": errors,
            "subagents": int(st.get("subagents") or 0),
            "subagent_tokens": row_tokens(sub) if sub else tokens(0, 0, 0, 0),
            "subagent_cost": float(sub["cost"] or 0.0) if sub else 0.0,
            "lines_added": added,
            "lines_removed": removed,
            "files_changed": files,
            "compactions": int(compactions["compactions"] or 0) if compactions else 0,
            "first_activity": st.get("first_activity"),
            "last_activity": st.get("last_activity"),
            "models": models,
            "unpriced_models": [m.model for m in models if not m.priced],
        }
        return fields, int(st.get("projects") or 0)

    def project_metrics(self, path_hash: str, rng: TimeRange = ALL_TIME) -> ProjectMetrics:
        project_path = self.project_path(path_hash)
        fields, _ = self._metrics(path_hash, rng)
        return ProjectMetrics(path_hash=path_hash, project_path=project_path, **fields)

    def session_metrics(
        self, path_hash: str, session_id: str, detail: SessionDetail | None = None
    ) -> SessionMetrics:
        """A session's figures: its roll-up row, plus the breakdowns it does not hold."""
        detail = detail or self.session(path_hash, session_id)
        where = [*scope(path_hash, session_id), *ALL_TIME.params()]
        errors = self._errors_by_category(where)
        added, removed, files = self._changes(where)
        kinds = {
            str(r["kind"]): int(r["n"]) for r in self._all(q.KIND_COUNTS, [path_hash, session_id])
        }
        models = detail.model_usage
        total = sum_tokens([m.tokens for m in models])
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
            lines_added=added,
            lines_removed=removed,
            files_changed=files,
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
            ActivityCell(
                weekday=int(r["weekday"]),
                hour=int(r["hour"]),
                messages=int(r["messages"]),
                cost=float(r["cost"]),
            )
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

    # -- daily --------------------------------------------------------------------------------

    def daily(self, path_hash: str | None, rng: TimeRange) -> DailyMetrics:
        if path_hash is not None:
            self.project_path(path_hash)
        where = [rng.tz, path_hash, path_hash, *rng.params()]  # tz, then BUCKET_WHERE
        per_model = self._all(q.DAILY_USAGE, where)
        activity = {
            r["day"]: (int(r["messages"]), int(r["sessions"]))
            for r in self._all(q.DAILY_ACTIVITY, where)
        }
        days_seen = sorted({r["day"] for r in per_model} | set(activity))
        start = rng.since or (days_seen[0] if days_seen else None)
        end = rng.until or (days_seen[-1] if days_seen else None)
        models: dict[date, list[DayModel]] = {}
        for r in per_model:
            models.setdefault(r["day"], []).append(
                DayModel(model=r["model"] or "?", tokens=row_tokens(r), cost=float(r["cost"]))
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
                        tokens=sum_tokens([m.tokens for m in ms]),
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
            tokens=sum_tokens([d.tokens for d in days]),
            cost=sum(d.cost for d in days),
        )

    # -- pricing ------------------------------------------------------------------------------

    def pricing(self) -> PricingInfo:
        if self.prices is None:
            raise NotFound("price table")
        table = self.prices.table
        prices = [
            ModelPriceInfo(
                model=p.model,
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
            for p in self.prices.listed()
        ]
        in_use = []
        for r in self._all(q.MODELS_IN_USE):
            resolved = self.prices.resolve(r["model"])
            in_use.append(
                ModelInUse(
                    model=r["model"],
                    price_key=r["price_key"],
                    priced=bool(r["priced"]),
                    derived_prices=list(resolved.derived) if resolved else [],
                    tokens=row_tokens(r),
                    cost=float(r["cost"] or 0.0),
                    sessions=int(r["sessions"] or 0),
                )
            )
        return PricingInfo(
            source=table.source,
            url=table.url,
            fetched_at=table.fetched_at,
            age_seconds=self.price_table_age(),
            offline=self.prices.offline,
            last_error=self.prices.last_error,
            prices=prices,
            models_in_use=in_use,
            unpriced_models=[m for m in in_use if not m.priced],
        )

    def model_order(self) -> ModelOrder:
        return ModelOrder(models=[str(r["model"]) for r in self._all(q.MODEL_ORDER)])
