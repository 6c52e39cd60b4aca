"""Typed dependencies shared by the JSON API and the pages: the runtime, a store per request,
and every request parameter, each declared once.

A parameter's rules (its type, bounds, choices, length) are written once, here, and parsed by
the same validators for both: the API reads a parameter strictly (FastAPI validates it, a bad
value is a 422 naming it), a page reads it leniently (a bad value gives the default, a number
out of bounds its nearest bound, reversed dates are swapped), so that an edited address still
shows a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query, Request
from pydantic import TypeAdapter, ValidationError

from claude_code_tracer.config import Settings, known_timezone
from claude_code_tracer.index import queries as q
from claude_code_tracer.index.messages import MessageFilter
from claude_code_tracer.index.models.search import SearchIndexState
from claude_code_tracer.index.reads import TimeRange
from claude_code_tracer.index.store import Store
from claude_code_tracer.runtime import Runtime
from claude_code_tracer.transcript.kinds import KINDS, Kind
from claude_code_tracer.web.urls import (
    DEFAULT_RANGE,
    RANGE_DAYS,
    SESSION_SORT_DEFAULT,
    DateRange,
    SessionQuery,
    TimelineQuery,
    View,
)

C = TypeVar("C", bound=str)

# ---------------------------------------------------------------------------------------------
# the runtime, and one store per request


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_store(runtime: RuntimeDep) -> Iterator[Store]:
    """One cursor per request, closed when the answer is built."""
    cur = runtime.db.cursor()
    try:
        yield Store(cur, now=runtime.clock(), prices=runtime.prices)
    finally:
        cur.close()


StoreDep = Annotated[Store, Depends(get_store)]


def search_state(runtime: Runtime) -> SearchIndexState:
    """How far the search index is: what it holds and whether it is catching up."""
    status = runtime.search.status
    return SearchIndexState(
        documents=runtime.fulltext.documents(),
        building=status.building or status.syncs == 0,
        files_done=status.files_done,
        files_total=status.files_total,
        last_sync_seconds=status.last_duration_s,
    )


# ---------------------------------------------------------------------------------------------
# parameters: the rules of each, and how a page reads them leniently

TEXT_MAX = 200  # characters of a text parameter (a search, a tool name)
TZ_MAX = 64
MAX_PER_PAGE = 500
TZ_COOKIE = "cct_tz"  # the browser's time zone, set by the page script

_INT = TypeAdapter(int)
_DATE = TypeAdapter(date)
_FLAG = TypeAdapter(bool)


@dataclass(frozen=True)
class Bounds:
    """An integer parameter within [low, high]."""

    low: int
    high: int
    description: str

    def query(self) -> Any:
        """The API's declaration: anything else is a 422."""
        return Query(ge=self.low, le=self.high, description=self.description)

    def lenient(self, raw: str | None, default: int) -> int:
        """A page's reading: not a number gives `default`, out of bounds the nearest bound."""
        try:
            value = _INT.validate_python(raw)
        except ValidationError:
            return default
        return min(max(value, self.low), self.high)


PAGE = Bounds(1, 1_000_000, "page number, from 1")
PER_PAGE = Bounds(1, MAX_PER_PAGE, "items per page")


def lenient_text(raw: str | None) -> str | None:
    """A text parameter, trimmed to TEXT_MAX characters; None when empty."""
    value = (raw or "").strip()[:TEXT_MAX]
    return value or None


def lenient_choice(raw: str | None, choices: Iterable[C]) -> C | None:
    """The parameter when it is one of `choices`, else None."""
    return next((c for c in choices if c == raw), None)


def lenient_flag(raw: str | None) -> bool:
    """A yes/no parameter, as the API reads one; anything else is no."""
    try:
        return _FLAG.validate_python(raw)
    except ValidationError:
        return False


def lenient_date(raw: str | None) -> date | None:
    """A day (YYYY-MM-DD), as the API reads one; anything else is none."""
    try:
        return _DATE.validate_python(raw)
    except ValidationError:
        return None


# the API's declarations (path parameters, ids, are looked up in the index, never joined into
# a file path)
SearchParam = Annotated[
    str | None, Query(max_length=TEXT_MAX, description="case-insensitive substring")
]
Since = Annotated[date | None, Query(description="first day, inclusive (YYYY-MM-DD)")]
Until = Annotated[date | None, Query(description="last day, inclusive (YYYY-MM-DD)")]
TzParam = Annotated[
    str | None,
    Query(
        max_length=TZ_MAX, description="IANA time zone for days and hours; default: the server's"
    ),
]
Page = Annotated[int, PAGE.query()]
PerPage = Annotated[int, PER_PAGE.query()]

# ---------------------------------------------------------------------------------------------
# date ranges


def resolve_tz(runtime: Runtime, tz: str | None) -> str:
    name = tz or runtime.settings.timezone
    if not known_timezone(name):
        raise HTTPException(status_code=422, detail=f"unknown time zone: {name!r}")
    return name


def time_range(
    runtime: Runtime, since: date | None, until: date | None, tz: str | None
) -> TimeRange:
    if since and until and since > until:
        raise HTTPException(status_code=422, detail="since is after until")
    return TimeRange.of(since, until, resolve_tz(runtime, tz))


def get_range(
    runtime: RuntimeDep, since: Since = None, until: Until = None, tz: TzParam = None
) -> TimeRange:
    return time_range(runtime, since, until, tz)


RangeDep = Annotated[TimeRange, Depends(get_range)]


def viewer_tz(request: Request, settings: Settings) -> str:
    """The browser's time zone (a cookie the page script sets), else the server's."""
    name = request.cookies.get(TZ_COOKIE, "")[:TZ_MAX]
    return name if name and known_timezone(name) else settings.timezone


def page_range(params: Mapping[str, str], tz: str, today: date) -> DateRange:
    """A page's date range: custom dates (swapped when reversed), else the last 7, 30 or 90
    days, or all."""
    since, until = lenient_date(params.get("since")), lenient_date(params.get("until"))
    if since or until:
        if since and until and since > until:
            since, until = until, since
        return DateRange("custom", since, until, tz)
    key = params.get("range", DEFAULT_RANGE)
    if key == "all":
        return DateRange("all", None, None, tz)
    key = key if key in RANGE_DAYS else DEFAULT_RANGE
    return DateRange(key, today - timedelta(days=RANGE_DAYS[key] - 1), today, tz)


# ---------------------------------------------------------------------------------------------
# message lists


def get_message_filter(
    type: Annotated[Kind | None, Query(description="message kind")] = None,
    tool: Annotated[str | None, Query(max_length=TEXT_MAX, description="tool name")] = None,
    errors_only: Annotated[bool, Query(description="only entries with an error")] = False,
    model: Annotated[str | None, Query(max_length=TEXT_MAX)] = None,
    search: SearchParam = None,
) -> MessageFilter:
    return MessageFilter(
        kind=type,
        tool=tool or None,
        errors_only=errors_only,
        model=model or None,
        search=search or None,
    )


MessageFilterDep = Annotated[MessageFilter, Depends(get_message_filter)]

# ---------------------------------------------------------------------------------------------
# pages: the view, and the parameters of each list, read leniently


def get_view(request: Request) -> View:
    """The request's view: the viewer's time zone, now, and the date range."""
    settings: Settings = request.app.state.settings
    tz = viewer_tz(request, settings)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(tz)).date()
    return View(request, tz, now, page_range(request.query_params, tz, today))


ViewDep = Annotated[View, Depends(get_view)]


def get_session_query(request: Request) -> SessionQuery:
    params = request.query_params
    return SessionQuery(
        sort=lenient_choice(params.get("sort"), q.SESSION_SORTS) or SESSION_SORT_DEFAULT,
        order=lenient_choice(params.get("order"), q.SORT_DIRECTIONS) or "desc",
        search=lenient_text(params.get("q")),
        page=PAGE.lenient(params.get("page"), 1),
    )


SessionQueryDep = Annotated[SessionQuery, Depends(get_session_query)]


def timeline_query(params: Mapping[str, str]) -> TimelineQuery:
    return TimelineQuery(
        kind=lenient_choice(params.get("type"), KINDS),
        tool=lenient_text(params.get("tool")),
        errors=lenient_flag(params.get("errors")),
        search=lenient_text(params.get("q")),
        page=PAGE.lenient(params.get("page"), 1),
    )


def get_timeline_query(request: Request) -> TimelineQuery:
    return timeline_query(request.query_params)


TimelineQueryDep = Annotated[TimelineQuery, Depends(get_timeline_query)]
