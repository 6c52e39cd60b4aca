"""/api/search: the whole history, searched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from claude_code_tracer.index.models.search import SearchResults
from claude_code_tracer.index.search_query import MAX_QUERY_CHARS
from claude_code_tracer.transcript.kinds import SearchSort
from claude_code_tracer.web.deps import RangeDep, RuntimeDep, StoreDep, search_state

router = APIRouter(tags=["search"])

QUERY_HELP = (
    'words (all must match), "exact phrases", prefix*, -exclude, and the filters project:, '
    "session:, tool:, kind:, model:, branch:, after:/before: (YYYY-MM-DD) and is:error"
)
# the query's own limit (MAX_QUERY_CHARS) answers longer ones with its message; this one only
# keeps a request from carrying megabytes
QueryParam = Annotated[str, Query(max_length=MAX_QUERY_CHARS * 10, description=QUERY_HELP)]
SortParam = Annotated[
    SearchSort, Query(description="relevance (newest first among equals) or date")
]
LimitParam = Annotated[int, Query(ge=1, le=100, description="hits per page")]
OffsetParam = Annotated[int, Query(ge=0, le=1000, description="hits to skip")]


@router.get("/api/search", response_model=SearchResults, summary="Search the whole history")
def search(
    runtime: RuntimeDep,
    store: StoreDep,
    q: QueryParam,
    rng: RangeDep,
    sort: SortParam = "relevance",
    limit: LimitParam = 20,
    offset: OffsetParam = 0,
) -> SearchResults:
    return store.search(
        runtime.fulltext,
        q,
        state=search_state(runtime),
        sort=sort,
        limit=limit,
        offset=offset,
        rng=rng,
    )
