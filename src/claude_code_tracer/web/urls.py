"""Addresses of the dashboard: a page URL holds its whole view, and these build them.

`View` is one request's view (time zone, now, date range, model colours) and makes every link
of its page; `DateRange`, `SessionQuery` and `TimelineQuery` are the parts of a view that go
into an address; `Stream` is one timeline (a session's main thread, or a subagent). Reading
them from a request is `web.deps`'s part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request

from claude_code_tracer.index.messages import MessageFilter, Messages
from claude_code_tracer.index.queries import ProjectSort, SessionSort, SortOrder
from claude_code_tracer.index.reads import TimeRange
from claude_code_tracer.index.store import Store
from claude_code_tracer.transcript.kinds import Kind
from claude_code_tracer.transcript.rows import MAIN_THREAD
from claude_code_tracer.web.render import Palette

RANGE_DAYS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_RANGE = "30d"
RANGE_CHOICES = (("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"), ("all", "All"))
PROJECT_SORT_DEFAULT: ProjectSort = "cost"
SESSION_SORT_DEFAULT: SessionSort = "start"
KEPT_PARAMS = (
    "q",
    "sort",
    "order",
    "tab",
    "type",
    "tool",
    "errors",
    "category",
    "project",
    "session",
)


def query_string(params: Mapping[str, Any]) -> str:
    clean = {
        k: ("1" if v is True else str(v))
        for k, v in params.items()
        if v is not None and v != "" and v is not False
    }
    return urlencode(clean)


def seg(value: str) -> str:
    """One path segment, every reserved character escaped."""
    return quote(value, safe="")


@dataclass(frozen=True)
class DateRange:
    """The header's date range: last 7/30/90 days, all, or custom dates (inclusive)."""

    key: str
    since: date | None
    until: date | None
    tz: str

    @property
    def rng(self) -> TimeRange:
        return TimeRange.of(self.since, self.until, self.tz)

    def params(self) -> dict[str, str]:
        if self.key == "custom":
            out = {}
            if self.since:
                out["since"] = self.since.isoformat()
            if self.until:
                out["until"] = self.until.isoformat()
            return out
        return {} if self.key == DEFAULT_RANGE else {"range": self.key}

    @property
    def label(self) -> str:
        if self.key == "all":
            return "all time"
        if self.key in RANGE_DAYS:
            return f"the last {RANGE_DAYS[self.key]} days"
        start = f"{self.since.day} {self.since.strftime('%b %Y')}" if self.since else "the start"
        end = f"{self.until.day} {self.until.strftime('%b %Y')}" if self.until else "today"
        return f"{start} – {end}"


@dataclass(frozen=True)
class SessionQuery:
    """A project's session list: sort, order, search, page."""

    sort: SessionSort
    order: SortOrder
    search: str | None
    page: int

    def params(self, **changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "sort": None if self.sort == SESSION_SORT_DEFAULT else self.sort,
            "order": None if self.order == "desc" else self.order,
            "q": self.search,
            "page": self.page if self.page > 1 else None,
        }
        base.update(changes)
        return base

    def sort_params(self, column: str) -> dict[str, Any]:
        """Click a column: sort by it (descending), or flip the order when it is the sort."""
        order = ("asc" if self.order == "desc" else "desc") if column == self.sort else "desc"
        return self.params(
            sort=None if column == SESSION_SORT_DEFAULT else column,
            order=None if order == "desc" else order,
            page=None,
        )


@dataclass(frozen=True)
class TimelineQuery:
    """A timeline's filters and page."""

    kind: Kind | None
    tool: str | None
    errors: bool
    search: str | None
    page: int

    @property
    def filter(self) -> MessageFilter:
        return MessageFilter(
            kind=self.kind, tool=self.tool, errors_only=self.errors, search=self.search
        )

    @property
    def active(self) -> bool:
        return bool(self.kind or self.tool or self.errors or self.search)

    @property
    def show_results(self) -> bool:
        """Tool results get rows of their own only where a filter picked them; otherwise
        each shows under its call."""
        return self.kind == "tool_result" or self.errors or bool(self.search)

    def params(self, page: int | None = None) -> dict[str, Any]:
        p = self.page if page is None else page
        return {
            "type": self.kind,
            "tool": self.tool,
            "errors": self.errors,
            "q": self.search,
            "page": p if p > 1 else None,
        }


@dataclass(frozen=True)
class Stream:
    """One timeline: a session's main thread, or one subagent."""

    path_hash: str
    session_id: str
    agent_id: str  # '' for the main thread

    def url(self, view: View) -> str:
        if self.agent_id:
            return view.agent_url(self.path_hash, self.session_id, self.agent_id)
        return view.session_url(self.path_hash, self.session_id)

    def base(self) -> str:
        """The page path, without parameters."""
        if self.agent_id:
            return f"/subagents/{seg(self.path_hash)}/{seg(self.session_id)}/{seg(self.agent_id)}"
        return f"/sessions/{seg(self.path_hash)}/{seg(self.session_id)}"

    def messages(self, store: Store) -> Messages:
        return store.messages(self.path_hash, self.session_id, self.agent_id or MAIN_THREAD)


@dataclass
class View:
    """One request's view: time zone, now, date range, model colours, and its links."""

    request: Request
    tz: str
    now: datetime
    range: DateRange
    palette: Palette = field(default_factory=lambda: Palette(()))

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def params(self) -> Mapping[str, str]:
        return self.request.query_params

    def link(self, path: str, /, **params: Any) -> str:
        """`path` with the date range kept and `params` added."""
        qs = query_string({**self.range.params(), **params})
        return f"{path}?{qs}" if qs else path

    @property
    def kept(self) -> dict[str, str]:
        """The view's own parameters (not the range, not the page) to keep across a new range."""
        return {k: v for k, v in self.request.query_params.items() if k in KEPT_PARAMS and v}

    def with_range(self, key: str) -> str:
        params = self.kept
        if key != DEFAULT_RANGE:
            params["range"] = key
        qs = query_string(params)
        return f"{self.path}?{qs}" if qs else self.path

    def overview_url(self, **params: Any) -> str:
        return self.link("/", **params)

    def project_url(self, path_hash: str, **params: Any) -> str:
        return self.link(f"/projects/{seg(path_hash)}", **params)

    def session_url(self, path_hash: str, session_id: str, **params: Any) -> str:
        return self.link(Stream(path_hash, session_id, "").base(), **params)

    def agent_url(self, path_hash: str, session_id: str, agent_id: str, **params: Any) -> str:
        return self.link(Stream(path_hash, session_id, agent_id).base(), **params)

    def entry_link(
        self, path_hash: str, session_id: str, uuid: str, agent_id: str | None = None
    ) -> str:
        """A link to one entry in its timeline (resolved to its page by `/at/`)."""
        base = f"{Stream(path_hash, session_id, '').base()}/at/{seg(uuid)}"
        return self.link(base, agent=agent_id or None)

    def stream_url(self, stream: Stream, tq: TimelineQuery, page: int | None = None) -> str:
        """A timeline page, as a full page URL."""
        return self.link(stream.base(), **tq.params(page))

    @staticmethod
    def chunk_url(stream: Stream, tq: TimelineQuery, page: int, direction: str) -> str:
        """One page of a timeline, as a fragment."""
        return f"{stream.base()}/timeline?{query_string({**tq.params(page), 'dir': direction})}"

    @staticmethod
    def part_url(stream: Stream, uuid: str, **params: Any) -> str:
        """A folded part of an entry (a tool call, the whole text), as a fragment."""
        qs = query_string(params)
        return f"{stream.base()}/entries/{seg(uuid)}" + (f"?{qs}" if qs else "")
