"""Reads of the usage windows: 5-hour blocks over every counted response, the active one with
its burn rate, projection and limits, and weekly totals per model family.

A block starts at the hour of the first response after the previous block ended (UTC) and
lasts 5 hours; a response at or past its end starts the next one, so a silence of 5 hours or
more always does; such a silence between two blocks is listed as a gap. The block is active
while its end is ahead and its last response is less than 5 hours old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from claude_code_tracer.index.cursor import ALL_TIME, BaseReader, Row, TimeRange
from claude_code_tracer.index.models.windows import (
    BlockList,
    BurnRate,
    FamilyUsage,
    LimitUse,
    Projection,
    RecentRate,
    WeeklyUsage,
    WeekTotals,
    WindowTotals,
)
from claude_code_tracer.index.store_reports import BY_DAY, USAGE_SUMS, week_of
from claude_code_tracer.transcript.kinds import (
    MODEL_FAMILIES,
    LimitKind,
    LimitStatus,
    ModelFamily,
    Weekday,
    model_family,
)

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
BLOCK_MS = 5 * HOUR_MS
RECENT_MINUTES = 30
WARNING_SHARE = 0.8  # a projection past 80 % of its limit warns
WEEKS_SHOWN = 12

TokenLimitArg = int | Literal["max"] | None
CostLimitArg = float | Literal["max"] | None

# counted responses by hour, model and session, with their first and last response: a block
# starts on an hour and lasts whole hours, so no hour straddles two blocks, and one pass over
# these rows, in order, gives the blocks, their totals, models and sessions
HOURS = """
SELECT epoch_ms(date_trunc('hour', b.bucket)) AS hour, coalesce(b.model, '?') AS model,
    b.project_hash, b.session_id, sum(b.responses)::BIGINT, sum(b.input_tokens)::BIGINT,
    sum(b.output_tokens)::BIGINT, sum(b.cache_creation_tokens)::BIGINT,
    sum(b.cache_read_tokens)::BIGINT, sum(b.cost), epoch_ms(min(b.first_ts)),
    epoch_ms(max(b.last_ts))
FROM usage_buckets b WHERE b.bucket IS NOT NULL
GROUP BY ALL
ORDER BY hour
"""
RECENT = f"""
SELECT {USAGE_SUMS} FROM usage u WHERE u.counted AND u.ts > ? AND u.ts <= ?
"""
# counted responses in [start, end) by model (the rolling week)
WINDOW_USAGE = f"""
SELECT coalesce(u.model, '?') AS model, {USAGE_SUMS}
FROM usage u WHERE u.counted AND u.ts >= ? AND u.ts < ?
GROUP BY ALL
"""


@dataclass(frozen=True)
class Span:
    """One block: its start, and its first and last response (epoch milliseconds)."""

    start: int
    first: int
    last: int

    @property
    def end(self) -> int:
        return self.start + BLOCK_MS


def hour_blocks(rows: Iterable[tuple[Any, ...]]) -> tuple[list[Span], dict[int, _Tally]]:
    """The blocks over `HOURS` rows (sorted by hour), and each one's sums by its start."""
    spans: list[Span] = []
    tallies: dict[int, _Tally] = {}
    t = _Tally()
    start = end = 0
    for hour, model, project, session, n, i, o, cc, cr, cost, first, last in rows:
        if not tallies or hour >= end:
            if tallies:
                spans.append(Span(start, t.first or 0, t.last or 0))
            start, end = hour, hour + BLOCK_MS
            t = tallies[start] = _Tally(first=first, last=last)
        t.n += n
        tokens = t.tokens
        tokens[0] += i
        tokens[1] += o
        tokens[2] += cc
        tokens[3] += cr
        t.cost += cost
        models = t.models
        models[model] = models.get(model, 0.0) + cost
        t.sessions.add((project, session))
        if first < t.first:
            t.first = first
        if last > t.last:
            t.last = last
    if tallies:
        spans.append(Span(start, t.first or 0, t.last or 0))
    return spans, tallies


def ms(at: datetime) -> int:
    return (
        int(at.replace(tzinfo=UTC).timestamp() * 1000)
        if at.tzinfo is None
        else int(at.timestamp() * 1000)
    )


def utc(at_ms: int) -> datetime:
    """Epoch milliseconds as a UTC time (a stray year-9999 timestamp ends at the last one)."""
    try:
        return datetime.fromtimestamp(at_ms / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return (datetime.max if at_ms > 0 else datetime.min).replace(tzinfo=UTC)


def stamp(at_ms: int) -> str:
    """`2026-02-12T14:00:00.000Z`, as ccusage names a block."""
    return utc(at_ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def naive(at_ms: int) -> datetime:
    """Epoch milliseconds as the index's naive UTC timestamps."""
    return utc(at_ms).replace(tzinfo=None)


@dataclass
class _Tally:
    n: int = 0
    tokens: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    cost: float = 0.0
    models: dict[str, float] = field(default_factory=dict)
    sessions: set[tuple[str, str]] = field(default_factory=set)
    first: int | None = None
    last: int | None = None

    def add(self, r: Row) -> None:
        """Sums of responses (`n`, the four token counts, `cost`), by model where a row has
        one, with their session and their first and last times where a row has them."""
        self.n += int(r["n"] or 0)
        for i, col in enumerate(
            ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
        ):
            self.tokens[i] += int(r[col] or 0)
        self.cost += float(r["cost"] or 0.0)
        if "model" in r:
            self.detail(r)
        first, last = r.get("first_ms"), r.get("last_ms")
        if first is not None and (self.first is None or first < self.first):
            self.first = int(first)
        if last is not None and (self.last is None or last > self.last):
            self.last = int(last)

    def detail(self, r: Row) -> None:
        """A model's cost, and its session where the row names one."""
        model = str(r["model"])
        self.models[model] = self.models.get(model, 0.0) + float(r["cost"] or 0.0)
        if "project_hash" in r:
            self.sessions.add((str(r["project_hash"]), str(r["session_id"])))

    @property
    def total(self) -> int:
        return sum(self.tokens)


def _limit(
    kind: LimitKind,
    limit: float | None,
    source: Literal["given", "max"],
    used: float,
    projected: float | None,
) -> LimitUse | None:
    if not limit or limit <= 0:
        return None
    judged = projected if projected is not None else used
    status: LimitStatus = (
        "exceeds" if judged > limit else "warning" if judged > limit * WARNING_SHARE else "ok"
    )
    return LimitUse(
        kind=kind,
        limit=limit,
        source=source,
        used=used,
        percent_used=round(used / limit * 100, 2),
        projected=projected,
        projected_percent=None if projected is None else round(projected / limit * 100, 2),
        status=status,
    )


def _families(rows: Iterable[Row]) -> tuple[_Tally, dict[ModelFamily, _Tally]]:
    every = _Tally()
    by: dict[ModelFamily, _Tally] = {}
    for r in rows:
        every.add(r)
        by.setdefault(model_family(str(r["model"])), _Tally()).add(r)
    return every, by


def _window(start: datetime, end: datetime, rows: Iterable[Row]) -> dict[str, Any]:
    every, by = _families(rows)
    i, o, cc, cr = every.tokens
    return {
        "start": start,
        "end": end,
        "input_tokens": i,
        "output_tokens": o,
        "cache_creation_tokens": cc,
        "cache_read_tokens": cr,
        "total_tokens": every.total,
        "total_cost": every.cost,
        "responses": every.n,
        "families": [
            FamilyUsage(
                family=f,
                input_tokens=by[f].tokens[0],
                output_tokens=by[f].tokens[1],
                cache_creation_tokens=by[f].tokens[2],
                cache_read_tokens=by[f].tokens[3],
                total_tokens=by[f].total,
                total_cost=by[f].cost,
                responses=by[f].n,
            )
            for f in MODEL_FAMILIES
            if f in by
        ],
    }


class WindowReads(BaseReader):
    """5-hour blocks and weekly totals, as of `self.now` (a clock the caller can set)."""

    def blocks(
        self,
        rng: TimeRange = ALL_TIME,
        *,
        active_only: bool = False,
        token_limit: TokenLimitArg = None,
        cost_limit: CostLimitArg = None,
    ) -> BlockList:
        return BlockList.model_validate(
            self.blocks_data(
                rng, active_only=active_only, token_limit=token_limit, cost_limit=cost_limit
            )
        )

    def blocks_data(
        self,
        rng: TimeRange = ALL_TIME,
        *,
        active_only: bool = False,
        token_limit: TokenLimitArg = None,
        cost_limit: CostLimitArg = None,
    ) -> dict[str, Any]:
        """`blocks` as plain data under the JSON names, in the model's order: what `BlockList`
        validates, or what an answer serializes directly (a year holds a thousand blocks)."""
        now_ms = ms(self.now)
        spans, tallies = hour_blocks(self.cur.execute(HOURS).fetchall())
        last = spans[-1] if spans else None
        active_start = (
            last.start
            if last is not None and now_ms < last.end and now_ms - last.last < BLOCK_MS
            else None
        )
        finished = [
            tallies[s.start] for s in spans if s.start != active_start and s.start in tallies
        ]
        max_tokens = max((t.total for t in finished), default=0)
        max_cost = max((t.cost for t in finished), default=0.0)
        tokens = _resolve(token_limit, max_tokens)
        cost = _resolve(cost_limit, max_cost)

        # the blocks shown: those that start on a day of the range (in its time zone), as
        # ccusage filters them, or the active one alone
        def wanted(span: Span) -> bool:
            if active_only:
                return span.start == active_start
            start = naive(span.start)
            return (rng.start is None or start >= rng.start) and (
                rng.end is None or start < rng.end
            )

        shown = [k for k, span in enumerate(spans) if wanted(span)]
        out: list[dict[str, Any]] = []
        active: dict[str, Any] | None = None
        for k in [] if active_only else shown:
            span = spans[k]
            # a silence before a block is listed when the block before it is too
            before = spans[k - 1] if k else None
            if before is not None and span.first > before.last + BLOCK_MS and out:
                out.append(_gap(before.last + BLOCK_MS, span.first))
            block = self._block(
                span.start,
                tallies.get(span.start, _Tally()),
                span.start == active_start,
                now_ms,
                tokens,
                cost,
            )
            out.append(block)
        if active_start is not None:
            active = next((b for b in out if b["isActive"]), None) or self._block(
                active_start, tallies.get(active_start, _Tally()), True, now_ms, tokens, cost
            )
        return {
            "now": self.now.replace(tzinfo=UTC),
            "timezone": rng.tz,
            "since": rng.since,
            "until": rng.until,
            "blocks": ([active] if active is not None else []) if active_only else out,
            "active": active,
            "maxBlockTokens": max_tokens,
            "maxBlockCost": float(max_cost),
            "tokenLimit": None if tokens[0] is None else int(tokens[0]),
            "costLimit": None if cost[0] is None else float(cost[0]),
        }

    def _block(
        self,
        start: int,
        t: _Tally,
        active: bool,
        now_ms: int,
        tokens: tuple[float | None, Literal["given", "max"]],
        cost: tuple[float | None, Literal["given", "max"]],
    ) -> dict[str, Any]:
        end = start + BLOCK_MS
        burn = projection = recent = None
        elapsed = remaining = None
        if active:
            elapsed = (now_ms - start) // MINUTE_MS
            remaining = max(0, (end - now_ms) // MINUTE_MS)
            burn = _burn(t)
            if burn is not None:
                projection = Projection(
                    total_tokens=round(t.total + burn.tokens_per_minute * remaining),
                    total_cost=t.cost + burn.cost_per_minute * remaining,
                    remaining_minutes=remaining,
                )
            recent = self._recent(now_ms)
        limits = [
            use
            for use in (
                _limit(
                    "tokens",
                    tokens[0],
                    tokens[1],
                    t.total,
                    None if projection is None else projection.total_tokens,
                ),
                _limit(
                    "cost",
                    cost[0],
                    cost[1],
                    t.cost,
                    None if projection is None else projection.total_cost,
                ),
            )
            if use is not None
        ]
        i, o, cc, cr = t.tokens
        models = t.models
        return {
            "id": stamp(start),
            "startTime": utc(start),
            "endTime": utc(end),
            "firstActivity": None if t.first is None else utc(t.first),
            "actualEndTime": None if t.last is None else utc(t.last),
            "isActive": active,
            "isGap": False,
            "entries": t.n,
            "tokenCounts": {
                "inputTokens": i,
                "outputTokens": o,
                "cacheCreationInputTokens": cc,
                "cacheReadInputTokens": cr,
            },
            "totalTokens": i + o + cc + cr,
            "costUSD": float(t.cost),
            "models": sorted(models, key=lambda m: (-models[m], m)),
            "sessions": [{"projectPath": p, "sessionId": s} for p, s in sorted(t.sessions)],
            "projects": sorted({p for p, _ in t.sessions}),
            "elapsedMinutes": elapsed,
            "remainingMinutes": remaining,
            "burnRate": burn,
            "recent": recent,
            "projection": projection,
            "limits": limits,
        }

    def _recent(self, now_ms: int) -> RecentRate:
        since = now_ms - RECENT_MINUTES * MINUTE_MS
        r = self._one(RECENT, [naive(since), naive(now_ms)]) or {}
        total = sum(
            int(r.get(c) or 0)
            for c in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
        )
        cost = float(r.get("cost") or 0.0)
        return RecentRate(
            minutes=RECENT_MINUTES,
            tokens=total,
            cost=cost,
            tokens_per_minute=total / RECENT_MINUTES,
            cost_per_minute=cost / RECENT_MINUTES,
        )

    def weekly(
        self, tz: str, week_start: Weekday = "monday", weeks: int = WEEKS_SHOWN
    ) -> WeeklyUsage:
        """The 7 days up to now, and the last `weeks` calendar weeks in `tz`."""
        now = self.now.replace(tzinfo=UTC)
        rolling_start = now - timedelta(days=7)
        rolling = WindowTotals(
            **_window(
                rolling_start,
                now,
                self._all(WINDOW_USAGE, [rolling_start.replace(tzinfo=None), self.now]),
            )
        )
        today = now.astimezone(_zone(tz)).date()
        first = week_of(today, week_start) - timedelta(weeks=weeks - 1)
        span = TimeRange.of(first, today, tz)
        by_week: dict[date, list[Row]] = {}
        for r in self._all(BY_DAY, [tz, None, None, *span.params()]):
            by_week.setdefault(week_of(r["day"], week_start), []).append(r)
        out: list[WeekTotals] = []
        for k in range(weeks):
            week = first + timedelta(weeks=k)
            bounds = TimeRange.of(week, week + timedelta(days=6), tz)
            assert bounds.start is not None and bounds.end is not None
            out.append(
                WeekTotals(
                    week=week,
                    **_window(
                        bounds.start.replace(tzinfo=UTC),
                        bounds.end.replace(tzinfo=UTC),
                        by_week.get(week, []),
                    ),
                )
            )
        return WeeklyUsage(now=now, timezone=tz, week_start=week_start, rolling=rolling, weeks=out)


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _burn(t: _Tally) -> BurnRate | None:
    if t.first is None or t.last is None or t.last <= t.first:
        return None
    minutes = (t.last - t.first) / MINUTE_MS
    return BurnRate(
        tokens_per_minute=t.total / minutes,
        tokens_per_minute_for_indicator=(t.tokens[0] + t.tokens[1]) / minutes,
        cost_per_minute=t.cost / minutes,
        cost_per_hour=t.cost / minutes * 60,
    )


def _resolve(
    given: float | Literal["max"] | None, largest: float
) -> tuple[float | None, Literal["given", "max"]]:
    if given == "max":
        return (largest or None), "max"
    return given, "given"


def _gap(start: int, end: int) -> dict[str, Any]:
    return {
        "id": f"gap-{stamp(start)}",
        "startTime": utc(start),
        "endTime": utc(end),
        "firstActivity": None,
        "actualEndTime": None,
        "isActive": False,
        "isGap": True,
        "entries": 0,
        "tokenCounts": {
            "inputTokens": 0,
            "outputTokens": 0,
            "cacheCreationInputTokens": 0,
            "cacheReadInputTokens": 0,
        },
        "totalTokens": 0,
        "costUSD": 0.0,
        "models": [],
        "sessions": [],
        "projects": [],
        "elapsedMinutes": None,
        "remainingMinutes": None,
        "burnRate": None,
        "recent": None,
        "projection": None,
        "limits": [],
    }
