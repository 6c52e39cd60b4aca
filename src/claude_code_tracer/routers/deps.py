"""Typed dependencies shared by the routers: the runtime, a store per request, parameters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Query, Request

from claude_code_tracer.config import known_timezone
from claude_code_tracer.index.messages import MessageFilter
from claude_code_tracer.index.reads import TimeRange
from claude_code_tracer.index.store import Store
from claude_code_tracer.runtime import Runtime
from claude_code_tracer.transcript.kinds import Kind

MAX_PER_PAGE = 500
TEXT_PARAM_MAX = 200
ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,200}$"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_store(runtime: RuntimeDep) -> Iterator[Store]:
    """One cursor per request, closed when the answer is built."""
    cur = runtime.db.cursor()
    try:
        yield Store(cur, prices=runtime.prices)
    finally:
        cur.close()


StoreDep = Annotated[Store, Depends(get_store)]

# path parameters: ids are looked up in the index, never joined into a path
ProjectHash = Annotated[str, "project folder name"]
SearchParam = Annotated[
    str | None, Query(max_length=TEXT_PARAM_MAX, description="case-insensitive substring")
]
Since = Annotated[date | None, Query(description="first day, inclusive (YYYY-MM-DD)")]
Until = Annotated[date | None, Query(description="last day, inclusive (YYYY-MM-DD)")]
TzParam = Annotated[
    str | None,
    Query(max_length=64, description="IANA time zone for days and hours; default: the server's"),
]
Page = Annotated[int, Query(ge=1, le=1_000_000, description="page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="items per page")]
Order = Literal["asc", "desc"]


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


def get_message_filter(
    type: Annotated[Kind | None, Query(description="message kind")] = None,
    tool: Annotated[str | None, Query(max_length=TEXT_PARAM_MAX, description="tool name")] = None,
    errors_only: Annotated[bool, Query(description="only entries with an error")] = False,
    model: Annotated[str | None, Query(max_length=TEXT_PARAM_MAX)] = None,
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
