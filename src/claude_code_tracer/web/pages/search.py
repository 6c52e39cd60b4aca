"""The search page: the whole history searched (the same `Store.search` as `/api/search`),
hits grouped by session, facets that narrow in one click, and paging."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.index.models.search import SearchHit, SearchResults
from claude_code_tracer.index.search_query import MAX_QUERY_CHARS, SearchSyntaxError
from claude_code_tracer.transcript.kinds import SEARCH_KIND_LABELS, SEARCH_SORTS
from claude_code_tracer.web.deps import (
    Bounds,
    RuntimeDep,
    StoreDep,
    ViewDep,
    lenient_choice,
    search_state,
)
from claude_code_tracer.web.templating import page_response
from claude_code_tracer.web.urls import DateRange

router = APIRouter()

HITS_PER_PAGE = 20
RANGE_PARAMS = ("range", "since", "until")
OFFSET = Bounds(0, 1000, "hits to skip")


def by_session(results: SearchResults) -> list[tuple[Any, list[SearchHit]]]:
    """The page's hits under their sessions, in the order of each session's first hit."""
    groups: dict[tuple[str, str], list[SearchHit]] = {}
    for h in results.hits:
        groups.setdefault((h.project_hash, h.session_id), []).append(h)
    return [(s, groups.get((s.project_hash, s.session_id), [])) for s in results.sessions]


def with_filter(query: str, name: str, value: str) -> str:
    """The query narrowed by one more filter (quoted when the value has a space)."""
    shown = f'"{value}"' if any(ch.isspace() for ch in value) else value
    return f"{query} {name}:{shown}".strip()


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, store: StoreDep, runtime: RuntimeDep, view: ViewDep) -> Response:
    if not any(view.params.get(k) for k in RANGE_PARAMS):
        view.range = DateRange("all", None, None, view.tz)  # a search looks everywhere first
    query = (view.params.get("q") or "").strip()[: MAX_QUERY_CHARS * 2]
    sort = lenient_choice(view.params.get("sort"), SEARCH_SORTS) or "relevance"
    offset = OFFSET.lenient(view.params.get("offset"), 0)
    results: SearchResults | None = None
    error: SearchSyntaxError | None = None
    state = search_state(runtime)
    if query:
        try:
            results = store.search(
                runtime.fulltext,
                query,
                state=state,
                sort=sort,
                limit=HITS_PER_PAGE,
                offset=offset,
                rng=view.range.rng,
            )
        except SearchSyntaxError as exc:
            error = exc
    context = {
        "view": view,
        "query": query,
        "sort": sort,
        "sorts": SEARCH_SORTS,
        "results": results,
        "groups": by_session(results) if results else [],
        "error": error,
        "state": state,
        "kind_names": SEARCH_KIND_LABELS,
        "with_filter": with_filter,
        "per_page": HITS_PER_PAGE,
        "title": f"{query} · Search · claude-code-tracer"
        if query
        else "Search · claude-code-tracer",
        "crumbs": [("Search", None)],
        "live": {"scope": "search"},
    }
    return page_response(request, "search.html", context, 422 if error else 200)
