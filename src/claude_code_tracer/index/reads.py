"""What every read of the index shares: rows by column name, the reader around one cursor,
date ranges, token sums, and the lookups that check an id exists.

The families of reads (`index.store_projects`, `index.store_sessions`, `index.store_metrics`)
build on `Reader`; `index.store.Store` is all of them together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from claude_code_tracer.index import queries as q
from claude_code_tracer.index.cursor import (
    ALL_TIME,
    BaseReader,
    NotFound,
    Row,
    TimeRange,
    fetch_all,
    fetch_one,
)
from claude_code_tracer.index.models.common import ModelUsage, Tokens
from claude_code_tracer.index.models.sessions import ToolStat, ToolStats
from claude_code_tracer.index.models.system import BadFile

__all__ = [
    "ALL_TIME",
    "BaseReader",
    "NotFound",
    "Reader",
    "Row",
    "TimeRange",
    "fetch_all",
    "fetch_one",
]

PER_MILLION = 1_000_000


def tokens(i: Any, o: Any, cc: Any, cr: Any) -> Tokens:
    i, o, cc, cr = int(i or 0), int(o or 0), int(cc or 0), int(cr or 0)
    return Tokens(
        input_tokens=i,
        output_tokens=o,
        cache_creation_input_tokens=cc,
        cache_read_input_tokens=cr,
        total_tokens=i + o + cc + cr,
    )


def row_tokens(r: Row, prefix: str = "") -> Tokens:
    """The four token counts of a row: `input_tokens`, `output_tokens`,
    `cache_creation_tokens` and `cache_read_tokens`, each after `prefix`."""
    return tokens(
        r[f"{prefix}input_tokens"],
        r[f"{prefix}output_tokens"],
        r[f"{prefix}cache_creation_tokens"],
        r[f"{prefix}cache_read_tokens"],
    )


def sum_tokens(items: Sequence[Tokens]) -> Tokens:
    return tokens(
        sum(t.input_tokens for t in items),
        sum(t.output_tokens for t in items),
        sum(t.cache_creation_input_tokens for t in items),
        sum(t.cache_read_input_tokens for t in items),
    )


def cache_hit_rate(t: Tokens) -> float | None:
    """Share of prompt tokens served from cache: reads / (input + writes + reads)."""
    prompt = t.input_tokens + t.cache_creation_input_tokens + t.cache_read_input_tokens
    return round(t.cache_read_input_tokens / prompt, 4) if prompt else None


def cost_stat(costs: Sequence[float | None]) -> dict[str, Any]:
    """`total_cost` and `mean_cost` of some uses (those without a cost count in neither)."""
    known = [c for c in costs if c is not None]
    return {
        "total_cost": sum(known),
        "mean_cost": sum(known) / len(known) if known else None,
    }


def mean_of(total: float, n: int) -> float | None:
    return total / n if n else None


def scope(project: str | None, session: str | None) -> list[Any]:
    return [project, project, session, session]


def seconds(value: float | None) -> float | None:
    """Seconds between two millisecond timestamps, without the noise of epoch doubles."""
    return None if value is None else round(float(value), 3)


def tool_stats(rows: list[Row]) -> ToolStats:
    stats = [
        ToolStat(
            name=r["name"],
            count=int(r["n"]),
            errors=int(r["errors"]),
            error_rate=round(int(r["errors"]) / int(r["n"]), 4) if r["n"] else 0.0,
            total_duration_ms=int(r["total_ms"] or 0),
            mean_duration_ms=None if r["mean_ms"] is None else round(float(r["mean_ms"]), 1),
        )
        for r in rows
    ]
    return ToolStats(
        tools=stats,
        total_calls=sum(s.count for s in stats),
        total_errors=sum(s.errors for s in stats),
    )


class Reader(BaseReader):
    """One request's reads, around that request's own cursor."""

    def price_table_age(self) -> float | None:
        """Seconds since the price table in use was fetched (None: no table, or no date)."""
        if self.prices is None:
            return None
        try:
            fetched = datetime.fromisoformat(self.prices.table.fetched_at)
        except ValueError:
            return None
        if fetched.tzinfo is not None:
            fetched = fetched.astimezone(UTC).replace(tzinfo=None)
        return round((self.now - fetched).total_seconds(), 1)

    # -- ids ----------------------------------------------------------------------------------

    def require_session(self, path_hash: str, session_id: str) -> None:
        if self._one(q.SESSION_EXISTS, [path_hash, session_id]) is None:
            raise NotFound("session")

    def require_subagent(self, path_hash: str, session_id: str, agent_id: str) -> None:
        if self._one(q.AGENT_EXISTS, [path_hash, session_id, agent_id]) is None:
            raise NotFound("subagent")

    # -- shared by every family ---------------------------------------------------------------

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
            rows = self._all(q.MODEL_USAGE, [*scope(project, session), agent, agent, *rng.params()])
        return [
            ModelUsage(
                model=r["model"],
                priced=bool(r["priced"]),
                tokens=row_tokens(r),
                cost=float(r["cost"] or 0.0),
                messages=int(r["messages"] or 0),
            )
            for r in rows
        ]

    def index_counts(self) -> tuple[int, int, int, int, int]:
        """Files, lines, bad lines, projects and sessions in the index."""
        row = self._one(q.INDEX_COUNTS)
        if row is None:
            return (0, 0, 0, 0, 0)
        keys = ("files", "lines", "bad_lines", "projects", "sessions")
        files, lines, bad, projects, sessions = (int(row[k]) for k in keys)
        return files, lines, bad, projects, sessions

    def bad_files(self) -> list[BadFile]:
        return [
            BadFile(
                path=r["path"],
                bad_lines=int(r["bad_lines"]),
                reasons=json.loads(r["bad_reasons"] or "{}"),
            )
            for r in self._all(q.BAD_FILES)
        ]
