"""The light core of every read of the index: rows by column name, the reader around one
cursor, date ranges, and the check that a project exists. It loads no response model, so a
terminal report starts fast; `index.reads` builds the rest on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from claude_code_tracer.index import queries as q

if TYPE_CHECKING:
    from claude_code_tracer.index.prices import PriceCatalog

Row = dict[str, Any]  # one row read back: column name -> value


def fetch_all(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """Every row of `sql`, each as a mapping from column name to value."""
    result = cur.execute(sql, list(params))
    names = [column[0] for column in result.description or ()]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


def fetch_one(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Row | None:
    """The first row of `sql` by column name, or None."""
    result = cur.execute(sql, list(params))
    values = result.fetchone()
    if values is None:
        return None
    return dict(zip([column[0] for column in result.description or ()], values, strict=True))


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


class BaseReader:
    """One request's reads, around that request's own cursor."""

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        *,
        now: datetime | None = None,
        prices: PriceCatalog | None = None,
    ) -> None:
        self.cur = cur
        self.now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        self.prices = prices

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return fetch_all(self.cur, sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return fetch_one(self.cur, sql, params)

    # -- ids ----------------------------------------------------------------------------------

    def project_path(self, path_hash: str) -> str | None:
        row = self._one(q.PROJECT_EXISTS, [path_hash])
        if row is None:
            raise NotFound("project")
        return None if row["project_path"] is None else str(row["project_path"])
