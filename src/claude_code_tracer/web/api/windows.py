"""/api/blocks and /api/weekly: the 5-hour usage windows and the weekly totals."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel

from claude_code_tracer.config import parse_cost_limit, parse_token_limit
from claude_code_tracer.index.models.windows import BlockList, WeeklyUsage
from claude_code_tracer.transcript.kinds import Weekday
from claude_code_tracer.web.deps import RangeDep, RuntimeDep, StoreDep, TzParam, resolve_tz

router = APIRouter(prefix="/api", tags=["windows"])


@router.get(
    "/blocks",
    response_model=BlockList,
    summary="5-hour usage blocks: the active one's burn rate, projection and limits",
)
def blocks(
    store: StoreDep,
    runtime: RuntimeDep,
    rng: RangeDep,
    active: Annotated[bool, Query(description="the active block only")] = False,
    token_limit: Annotated[
        str | None,
        Query(max_length=32, description="tokens per block, or max (the largest block seen)"),
    ] = None,
    cost_limit: Annotated[
        str | None, Query(max_length=32, description="dollars per block, or max")
    ] = None,
) -> Response:
    settings = runtime.settings
    try:
        tokens = parse_token_limit(token_limit) if token_limit else settings.token_limit
        cost = parse_cost_limit(cost_limit) if cost_limit else settings.cost_limit
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    # a year holds a thousand blocks: their plain data, under the names and in the order of
    # `BlockList`, serialized directly rather than validated into models first
    data = store.blocks_data(rng, active_only=active, token_limit=tokens, cost_limit=cost)
    return Response(
        orjson.dumps(data, default=_model_json, option=orjson.OPT_UTC_Z),
        media_type="application/json",
    )


def _model_json(value: object) -> object:
    """The active block's burn rate, projection and limits, as their models serialize."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(type(value).__name__)


@router.get("/weekly", response_model=WeeklyUsage, summary="Rolling 7 days and calendar weeks")
def weekly(
    store: StoreDep,
    runtime: RuntimeDep,
    tz: TzParam = None,
    week_start: Annotated[Weekday | None, Query(description="default: the configured")] = None,
    weeks: Annotated[int, Query(ge=1, le=104, description="calendar weeks shown")] = 12,
) -> WeeklyUsage:
    return store.weekly(resolve_tz(runtime, tz), week_start or runtime.settings.week_start, weeks)
