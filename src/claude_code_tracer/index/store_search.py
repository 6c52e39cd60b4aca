"""Search reads: a query parsed (`index.search_query`), run on the full-text index
(`index.fulltext`), and its hits given what only the DuckDB index knows — session titles,
project paths and the cost of each hit's response or prompt."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

from claude_code_tracer.index.cursor import ALL_TIME, BaseReader, TimeRange
from claude_code_tracer.index.fulltext import Found, FullText
from claude_code_tracer.index.models.search import (
    FacetValue,
    SearchFacets,
    SearchHit,
    SearchIndexState,
    SearchResults,
    SearchSession,
)
from claude_code_tracer.index.search_query import ParsedQuery, parse
from claude_code_tracer.transcript.content import project_name
from claude_code_tracer.transcript.kinds import SearchKind, SearchSort

PROJECT_PATHS = "SELECT path_hash, project_path FROM projects"
SESSION_TITLES = """
SELECT project_hash, session_id, coalesce(title, left(first_prompt, 120)) AS title
FROM sessions WHERE session_id IN (SELECT unnest(?::VARCHAR[]))
"""
RESPONSE_COSTS = """
SELECT usage_key AS key, sum(cost) AS cost FROM usage
WHERE counted AND usage_key IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL
"""
PROMPT_COSTS = """
SELECT prompt_uuid AS key, sum(cost) AS cost FROM usage
WHERE counted AND prompt_uuid IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL
"""
MAX_OFFSET = 1000  # results beyond are not paged to: a narrower search finds them sooner
PROMPT_KINDS = ("prompt", "command")
RESPONSE_KINDS = ("answer", "thinking", "tool")


def _named(value: str, path_hash: str, path: str | None) -> bool:
    v = value.lower()
    return v in (path_hash.lower(), project_name(path, "").lower()) or (
        bool(path) and v in (path or "").lower()
    )


class SearchReads(BaseReader):
    def search(
        self,
        fulltext: FullText,
        query: str,
        *,
        state: SearchIndexState,
        sort: SearchSort = "relevance",
        limit: int = 20,
        offset: int = 0,
        rng: TimeRange = ALL_TIME,
    ) -> SearchResults:
        """A page of the hits of `query` within `rng` (whose time zone reads the `after:` and
        `before:` dates); SearchSyntaxError when it cannot be read."""
        started = time.perf_counter()
        parsed = parse(query)
        paths = {str(r["path_hash"]): r["project_path"] for r in self._all(PROJECT_PATHS)}
        found = fulltext.search(
            parsed,
            tz=ZoneInfo(rng.tz),
            projects=self._projects(parsed, paths),
            sort=sort,
            limit=limit,
            offset=min(offset, MAX_OFFSET),
            between=(rng.start, rng.end),
        )
        hits = self._hits(found, paths)
        titles = {(h.project_hash, h.session_id): h.session_title for h in hits}
        sessions = [
            SearchSession(
                project_hash=p,
                session_id=s,
                session_title=title,
                hits=found.session_counts.get(s, 0),
            )
            for (p, s), title in titles.items()
        ]
        return SearchResults(
            query=query,
            sort=sort,
            total=found.total,
            offset=offset,
            limit=limit,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            hits=hits,
            sessions=sessions,
            facets=_facets(found, paths),
            index=state,
        )

    @staticmethod
    def _projects(parsed: ParsedQuery, paths: dict[str, str | None]) -> dict[str, list[str]]:
        return {
            value: [h for h, p in paths.items() if _named(value, h, p)]
            for value in {f.value for f in parsed.filters if f.name == "project"}
        }

    def _costs(self, sql: str, keys: list[str]) -> dict[str, float]:
        if not keys:
            return {}
        return {str(r["key"]): float(r["cost"] or 0.0) for r in self._all(sql, [sorted(set(keys))])}

    def _hits(self, found: Found, paths: dict[str, str | None]) -> list[SearchHit]:
        sessions = sorted({h.session_id for h in found.hits})
        titles = {
            (str(r["project_hash"]), str(r["session_id"])): r["title"]
            for r in (self._all(SESSION_TITLES, [sessions]) if sessions else [])
        }
        response_costs = self._costs(
            RESPONSE_COSTS,
            [h.usage_key for h in found.hits if h.kind in RESPONSE_KINDS and h.usage_key],
        )
        prompt_costs = self._costs(
            PROMPT_COSTS, [h.uuid for h in found.hits if h.kind in PROMPT_KINDS and h.uuid]
        )
        hits: list[SearchHit] = []
        for h in found.hits:
            cost: float | None = None
            if h.kind in RESPONSE_KINDS:
                cost = response_costs.get(h.usage_key)
            elif h.kind in PROMPT_KINDS:
                cost = prompt_costs.get(h.uuid)
            hits.append(
                SearchHit(
                    kind=cast(SearchKind, h.kind),  # written from kinds.SEARCH_KINDS
                    ts=datetime.fromtimestamp(h.ts / 1000, UTC) if h.ts else None,
                    project_hash=h.project_hash,
                    project_path=paths.get(h.project_hash),
                    session_id=h.session_id,
                    session_title=titles.get((h.project_hash, h.session_id)),
                    agent_id=h.agent_id,
                    uuid=h.uuid,
                    tool=h.tool,
                    model=h.model,
                    branch=h.branch,
                    snippet=h.snippet,
                    highlights=h.highlights,
                    cost=cost,
                    score=round(h.score, 4),
                )
            )
        return hits


def _facets(found: Found, paths: dict[str, str | None]) -> SearchFacets:
    def values(name: str, label: dict[str, str] | None = None) -> list[FacetValue]:
        return [
            FacetValue(value=v, label=(label or {}).get(v, v), count=n)
            for v, n in found.facets.get(name, [])
        ]

    names = {h: project_name(p, h) for h, p in paths.items()}
    return SearchFacets(
        kinds=values("kind"), tools=values("tool"), projects=values("project", names)
    )
