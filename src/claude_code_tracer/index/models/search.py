"""Search answers: hits with their snippets, grouped by session, and the facets that narrow
them."""

from __future__ import annotations

from pydantic import Field

from claude_code_tracer.index.models.common import Model, UtcDatetime
from claude_code_tracer.transcript.kinds import (
    SEARCH_KINDS,
    SEARCH_SORTS,
    SearchKind,
    SearchSort,
    spelled,
)


class SearchHit(Model):
    kind: SearchKind = Field(description=f"what was found: {spelled(SEARCH_KINDS)}")
    ts: UtcDatetime | None = Field(description="when it was written")
    project_hash: str
    project_path: str | None
    session_id: str
    session_title: str | None
    agent_id: str = Field(
        description="the subagent whose transcript holds it; '' for the main thread"
    )
    uuid: str = Field(description="the transcript line; '' for a session's title")
    tool: str = Field(description="the tool of a tool call or result; the command of a command")
    model: str
    branch: str = Field(description="the git branch the line was written on")
    snippet: str = Field(description="the text around the match (plain text)")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character ranges of the matched words in `snippet`"
    )
    cost: float | None = Field(
        description="the response's cost (answers, thinking, tool calls) or the prompt's "
        "(prompts, commands: everything billed until the next prompt); null for the rest"
    )
    score: float = Field(description="relevance (0 when sorted by date)")


class SearchSession(Model):
    """A session with hits on this page, and how many hits it has in all."""

    project_hash: str
    session_id: str
    session_title: str | None
    hits: int


class FacetValue(Model):
    value: str
    label: str
    count: int


class SearchFacets(Model):
    kinds: list[FacetValue]
    tools: list[FacetValue]
    projects: list[FacetValue]


class SearchIndexState(Model):
    documents: int = Field(description="documents in the search index")
    building: bool = Field(description="the search index is catching up with the transcripts")
    files_done: int
    files_total: int
    last_sync_seconds: float | None = Field(description="how long its last update took")


class SearchResults(Model):
    query: str
    sort: SearchSort = Field(description=f"{spelled(SEARCH_SORTS)}")
    total: int = Field(description="documents that match")
    offset: int
    limit: int
    took_ms: float
    hits: list[SearchHit]
    sessions: list[SearchSession] = Field(description="the sessions of this page's hits, in order")
    facets: SearchFacets
    index: SearchIndexState
