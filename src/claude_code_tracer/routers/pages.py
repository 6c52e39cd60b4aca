"""The dashboard: server-rendered pages and the htmx fragments they swap in.

Every page is built from the same `Store` calls as the JSON API. A page URL holds its whole
view (date range, sort, search, page, tab, timeline filters); htmx requests to the same URL
with an `HX-Target` get only the part they replace, so back and reload keep the view.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from claude_code_tracer import __version__, render, views
from claude_code_tracer.config import Settings, known_timezone
from claude_code_tracer.index import queries as q
from claude_code_tracer.index.messages import MessageFilter, Messages
from claude_code_tracer.index.models.messages import MessageDetail
from claude_code_tracer.index.models.system import ApiInfo
from claude_code_tracer.index.queries import ProjectSort, SessionSort, SortOrder
from claude_code_tracer.index.reads import NotFound, TimeRange
from claude_code_tracer.index.store import Store
from claude_code_tracer.routers.deps import RuntimeDep, StoreDep
from claude_code_tracer.routers.system import api_info
from claude_code_tracer.transcript.content import strip_tags
from claude_code_tracer.transcript.kinds import ERROR_CATEGORIES, KIND_LABELS, KINDS, Kind
from claude_code_tracer.transcript.rows import MAIN_THREAD

router = APIRouter()
C = TypeVar("C", bound=str)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
RANGE_DAYS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_RANGE = "30d"
RANGE_CHOICES = (("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"), ("all", "All"))
TIMELINE_PER_PAGE = 100
SESSIONS_PER_PAGE = 25
TEXT_MAX = 200
TZ_COOKIE = "cct_tz"
PROJECT_SORT_DEFAULT: ProjectSort = "cost"
SESSION_SORT_DEFAULT: SessionSort = "start"
TABS = (
    ("timeline", "Timeline"),
    ("tools", "Tools"),
    ("subagents", "Subagents"),
    ("skills", "Skills"),
    ("changes", "Code changes"),
    ("errors", "Errors"),
    ("commands", "Commands"),
)
TAB_KEYS = tuple(k for k, _ in TABS)
KEPT_PARAMS = ("q", "sort", "order", "tab", "type", "tool", "errors", "category")
JSON_PATHS = ("/api", "/health", "/openapi.json", "/docs", "/static")
PAGE_PATHS = ("/projects/", "/sessions/", "/subagents/", "/pricing")
NOT_FOUND_HELP = {
    "project": (
        "There is no project with this id in the index. A project shows up once one of its "
        "sessions has an entry."
    ),
    "session": "There is no session with this id in this project.",
    "subagent": "There is no subagent with this id in this session.",
    "message": "This entry is not in the index (the transcript may have changed).",
    "tool call": "This tool call is not in the entry.",
    "price table": "No price table is loaded.",
}

# ---------------------------------------------------------------------------------------------
# templates


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=render.money,
        money_exact=render.money_exact,
        compact=render.compact,
        count=render.count,
        percent=render.percent,
        duration=render.duration,
        duration_ms=render.duration_ms,
        iso=render.iso,
        markdown=render.markdown,
        model_label=render.model_label,
        one_line=render.one_line,
        plain=render.plain,
        untag=strip_tags,
        project_name=render.project_name,
        age=render.age,
    )
    env.globals.update(
        TOKEN_KINDS=render.TOKEN_KINDS,
        KIND_LABELS=KIND_LABELS,
        RANGE_CHOICES=RANGE_CHOICES,
        version=__version__,
        absolute=render.absolute,
        relative=render.relative,
        clock=render.clock,
        token_shares=views.token_shares,
        entry_signature=views.entry_signature,
        call_state=views.call_state,
        safe_url=render.safe_url,
        clip=render.clip,
        query_string=query_string,
    )
    return Jinja2Templates(env=env)


# ---------------------------------------------------------------------------------------------
# request helpers


def is_json_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in JSON_PATHS)


def wants_html(request: Request) -> bool:
    """Page routes answer in HTML; `/` and unknown paths when the browser asks for it."""
    path = request.url.path
    if is_json_path(path):
        return False
    if path.startswith(PAGE_PATHS) or request.headers.get("hx-request") == "true":
        return True
    return "text/html" in request.headers.get("accept", "")


def is_htmx(request: Request) -> bool:
    """An htmx swap (not a full page load, not a history restore)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and not headers.get("hx-history-restore-request")


def hx_target(request: Request) -> str | None:
    """The element an htmx request replaces; None for full page loads."""
    return (request.headers.get("hx-target") or None) if is_htmx(request) else None


def text_param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()[:TEXT_MAX]
    return value or None


def int_param(params: Mapping[str, str], name: str, default: int, high: int = 1_000_000) -> int:
    try:
        value = int(params.get(name, ""))
    except ValueError:
        return default
    return min(max(value, 1), high)


def choice(params: Mapping[str, str], name: str, choices: Iterable[C]) -> C | None:
    """The parameter when it is one of `choices`, else None."""
    value = params.get(name, "")
    return next((c for c in choices if c == value), None)


def flag_param(params: Mapping[str, str], name: str) -> bool:
    return params.get(name, "").lower() in ("1", "true", "on", "yes")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def viewer_tz(request: Request, settings: Settings) -> str:
    """The browser's time zone (a cookie the page script sets), else the server's."""
    name = request.cookies.get(TZ_COOKIE, "")[:64]
    return name if name and known_timezone(name) else settings.timezone


def query_string(params: Mapping[str, Any]) -> str:
    clean = {
        k: ("1" if v is True else str(v))
        for k, v in params.items()
        if v is not None and v != "" and v is not False
    }
    return urlencode(clean)


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


def parse_range(params: Mapping[str, str], tz: str, today: date) -> DateRange:
    since, until = _date(params.get("since")), _date(params.get("until"))
    if since or until:
        if since and until and since > until:
            since, until = until, since
        return DateRange("custom", since, until, tz)
    key = params.get("range", DEFAULT_RANGE)
    if key == "all":
        return DateRange("all", None, None, tz)
    key = key if key in RANGE_DAYS else DEFAULT_RANGE
    return DateRange(key, today - timedelta(days=RANGE_DAYS[key] - 1), today, tz)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seg(value: str) -> str:
    return quote(value, safe="")


@dataclass
class View:
    """One request's view: time zone, now, date range, model colours, and its links."""

    request: Request
    tz: str
    now: datetime
    range: DateRange
    palette: render.Palette = field(default_factory=lambda: render.Palette(()))

    @classmethod
    def of(cls, request: Request) -> View:
        settings: Settings = request.app.state.settings
        tz = viewer_tz(request, settings)
        now = datetime.now(UTC)
        today = now.astimezone(ZoneInfo(tz)).date()
        return cls(request, tz, now, parse_range(request.query_params, tz, today))

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
        return self.link(f"/projects/{_seg(path_hash)}", **params)

    def session_url(self, path_hash: str, session_id: str, **params: Any) -> str:
        return self.link(f"/sessions/{_seg(path_hash)}/{_seg(session_id)}", **params)

    def agent_url(self, path_hash: str, session_id: str, agent_id: str, **params: Any) -> str:
        return self.link(
            f"/subagents/{_seg(path_hash)}/{_seg(session_id)}/{_seg(agent_id)}", **params
        )

    def entry_link(
        self, path_hash: str, session_id: str, uuid: str, agent_id: str | None = None
    ) -> str:
        """A link to one entry in its timeline (resolved to its page by `/at/`)."""
        base = f"/sessions/{_seg(path_hash)}/{_seg(session_id)}/at/{_seg(uuid)}"
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
        return f"{stream.base()}/entries/{_seg(uuid)}" + (f"?{qs}" if qs else "")


def page_response(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    runtime = request.app.state.runtime
    settings: Settings = request.app.state.settings
    base: dict[str, Any] = {
        "index_status": runtime.status,
        "demo": settings.demo,
        "crumbs": [],
        "live": {},
        "title": "claude-code-tracer",
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def palette(store: Store) -> render.Palette:
    return render.Palette(store.model_order().models)


# ---------------------------------------------------------------------------------------------
# errors


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A clear page (or, for htmx, a small box) instead of a stack trace."""
    view = View.of(request)
    template = "_error.html" if is_htmx(request) else "error.html"
    return page_response(
        request,
        template,
        {"view": view, "status_code": status, "heading": title, "message": message},
        status,
    )


def not_found_page(request: Request, what: str) -> HTMLResponse:
    return error_page(
        request,
        404,
        f"{what.capitalize()} not found",
        NOT_FOUND_HELP.get(what, "Nothing is at this address."),
    )


# ---------------------------------------------------------------------------------------------
# overview


@router.get(
    "/",
    response_model=ApiInfo,
    summary="API info (browsers get the dashboard)",
    tags=["health"],
    responses={200: {"content": {"text/html": {}}}},
)
def root(request: Request, runtime: RuntimeDep, store: StoreDep) -> Response:
    if not wants_html(request):
        return JSONResponse(api_info().model_dump())
    view = View.of(request)
    sort = choice(view.params, "sort", q.PROJECT_SORTS) or PROJECT_SORT_DEFAULT
    search = text_param(view.params, "q")
    rng = view.range.rng
    projects = store.projects(rng, sort, search)
    context: dict[str, Any] = {
        "view": view,
        "projects": projects,
        "sort": sort,
        "search": search,
    }
    if hx_target(request) == "projects":
        return page_response(request, "overview/_projects.html", context)
    view.palette = palette(store)
    agg = store.aggregate(None, rng)
    daily = store.daily(None, rng)
    files, _lines, bad_lines, all_projects, _sessions = store.index_counts()
    context.update(
        title="Overview · claude-code-tracer",
        agg=agg,
        cost_chart=views.cost_chart(daily, view.palette),
        tokens_chart=views.tokens_chart(daily),
        heat=views.heatmap(agg.activity),
        has_history=all_projects > 0,
        files=files,
        bad_lines=bad_lines,
        data_dirs=runtime.settings.claude_dirs,
        live={"scope": "overview"},
    )
    return page_response(request, "overview/page.html", context)


# ---------------------------------------------------------------------------------------------
# project


@dataclass(frozen=True)
class SessionQuery:
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


def session_query(params: Mapping[str, str]) -> SessionQuery:
    return SessionQuery(
        sort=choice(params, "sort", q.SESSION_SORTS) or SESSION_SORT_DEFAULT,
        order=choice(params, "order", q.SORT_DIRECTIONS) or "desc",
        search=text_param(params, "q"),
        page=int_param(params, "page", 1),
    )


@router.get("/projects/{path_hash}", response_class=HTMLResponse, include_in_schema=False)
def project_page(path_hash: str, request: Request, store: StoreDep) -> Response:
    view = View.of(request)
    rng = view.range.rng
    sq = session_query(view.params)
    sessions = store.sessions(
        path_hash,
        page=sq.page,
        per_page=SESSIONS_PER_PAGE,
        sort=sq.sort,
        order=sq.order,
        search=sq.search,
        rng=rng,
    )
    project_path = store.project_path(path_hash)
    context: dict[str, Any] = {
        "view": view,
        "path_hash": path_hash,
        "project_path": project_path,
        "sessions": sessions,
        "sq": sq,
        "pages": max(1, -(-sessions.total // SESSIONS_PER_PAGE)),
    }
    if hx_target(request) == "sessions":
        return page_response(request, "project/_sessions.html", context)
    view.palette = palette(store)
    metrics = store.project_metrics(path_hash, rng)
    daily = store.daily(path_hash, rng)
    name = render.project_name(project_path, path_hash)
    context.update(
        title=f"{name} · claude-code-tracer",
        name=name,
        metrics=metrics,
        cost_chart=views.cost_chart(daily, view.palette),
        tokens_chart=views.tokens_chart(daily),
        tools=store.project_tools(path_hash, rng),
        agent_types=store.project_subagents(path_hash, rng),
        skills=store.project_skills(path_hash, rng),
        crumbs=[(name, None)],
        live={"scope": "project", "project": path_hash},
    )
    return page_response(request, "project/page.html", context)


# ---------------------------------------------------------------------------------------------
# timelines (a session's main thread, or one subagent)


@dataclass(frozen=True)
class Stream:
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
            return (
                f"/subagents/{_seg(self.path_hash)}/{_seg(self.session_id)}/{_seg(self.agent_id)}"
            )
        return f"/sessions/{_seg(self.path_hash)}/{_seg(self.session_id)}"

    def messages(self, store: Store) -> Messages:
        return store.messages(self.path_hash, self.session_id, self.agent_id or MAIN_THREAD)


@dataclass(frozen=True)
class TimelineQuery:
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


def timeline_query(params: Mapping[str, str], page: int | None = None) -> TimelineQuery:
    return TimelineQuery(
        kind=choice(params, "type", KINDS),
        tool=text_param(params, "tool"),
        errors=flag_param(params, "errors"),
        search=text_param(params, "q"),
        page=page or int_param(params, "page", 1),
    )


def timeline_context(
    store: Store, view: View, stream: Stream, tq: TimelineQuery, direction: str = "both"
) -> dict[str, Any]:
    """One page of a timeline, with what its rows link to (subagents, compactions)."""
    messages = stream.messages(store)
    listing = messages.page(tq.filter, tq.page, TIMELINE_PER_PAGE)
    if tq.page > listing.pages and listing.total:
        tq = TimelineQuery(tq.kind, tq.tool, tq.errors, tq.search, listing.pages)
        listing = messages.page(tq.filter, tq.page, TIMELINE_PER_PAGE)
    agents = {a.agent_id: a for a in store.subagents(stream.path_hash, stream.session_id).subagents}
    compactions = (
        {}
        if stream.agent_id
        else {c.message_uuid: c for c in store.compactions(stream.path_hash, stream.session_id)}
    )
    return {
        "view": view,
        "stream": stream,
        "tq": tq,
        "listing": listing,
        "agents": agents,
        "compactions": compactions,
        "direction": direction,
        "per_page": TIMELINE_PER_PAGE,
    }


def chunk_response(request: Request, store: Store, stream: Stream) -> Response:
    view = View.of(request)
    view.palette = palette(store)
    direction = choice(view.params, "dir", ("up", "down", "both")) or "down"
    tq = timeline_query(view.params)
    context = timeline_context(store, view, stream, tq, direction)
    return page_response(request, "timeline/_chunk.html", context)


def answered(messages: Messages, detail: MessageDetail) -> MessageDetail | None:
    """For a tool result: the entry holding the call it answers (its parent line)."""
    if detail.kind != "tool_result" or not detail.parent_uuid:
        return None
    with contextlib.suppress(NotFound):
        return messages.by_uuid(detail.parent_uuid)
    return None


def resolve_call(messages: Messages, uuid: str, tool_use_id: str) -> tuple[Any, MessageDetail]:
    """The call `tool_use_id` of entry `uuid`, or of the entry a tool result answers."""
    detail = messages.by_uuid(uuid)
    call = views.find_call(detail, tool_use_id)
    parent = answered(messages, detail) if call is None else None
    if parent is not None:
        call, detail = views.find_call(parent, tool_use_id), parent
    if call is None:
        raise NotFound("tool call")
    return call, detail


def entry_response(request: Request, store: Store, stream: Stream, uuid: str) -> Response:
    """An entry's folded parts, on demand: one tool call's input and output, or the whole
    text of a long entry."""
    view = View.of(request)
    messages = stream.messages(store)
    full = flag_param(view.params, "full")
    tool_use_id = text_param(view.params, "tool")
    context: dict[str, Any] = {"view": view, "stream": stream, "full": full, "uuid": uuid}
    if tool_use_id:
        call, detail = resolve_call(messages, uuid, tool_use_id)
        agent = None
        if call.subagent_id:
            found = [
                a
                for a in store.subagents(stream.path_hash, stream.session_id).subagents
                if a.agent_id == call.subagent_id
            ]
            agent = found[0] if found else None
        context.update(tv=views.tool_view(call, full=full), detail=detail, agent=agent)
        return page_response(request, "timeline/_tool.html", context)
    detail = messages.by_uuid(uuid)
    context.update(detail=detail, text=views.entry_text(detail))
    return page_response(request, "timeline/_text.html", context)


def at_response(
    request: Request, store: Store, path_hash: str, session_id: str, uuid: str
) -> Response:
    """Where an entry sits: its timeline page, scrolled to it."""
    view = View.of(request)
    agent_id = text_param(view.params, "agent") or ""
    stream = Stream(path_hash, session_id, agent_id)
    if agent_id:
        store.require_subagent(path_hash, session_id, agent_id)
    else:
        store.require_session(path_hash, session_id)
    messages = stream.messages(store)
    detail = messages.by_uuid(uuid)
    detail = answered(messages, detail) or detail
    page = detail.index // TIMELINE_PER_PAGE + 1
    target = view.link(stream.base(), page=page if page > 1 else None)
    return RedirectResponse(f"{target}#e-{detail.index}", status_code=303)


# ---------------------------------------------------------------------------------------------
# session


def section_context(store: Store, view: View, path_hash: str, session_id: str, tab: str) -> Any:
    if tab == "tools":
        return store.tools(path_hash, session_id)
    if tab == "subagents":
        return store.subagents(path_hash, session_id)
    if tab == "skills":
        return store.skills(path_hash, session_id)
    if tab == "changes":
        return store.code_changes(path_hash, session_id)
    if tab == "errors":
        category = choice(view.params, "category", ERROR_CATEGORIES)
        return store.errors(path_hash, session_id, category)
    if tab == "commands":
        return store.commands(path_hash, session_id)
    return None


def session_title(title: str | None, first_prompt: str | None) -> str:
    return render.one_line(title or first_prompt or "Untitled session", 140)


@router.get(
    "/sessions/{path_hash}/{session_id}", response_class=HTMLResponse, include_in_schema=False
)
def session_page(path_hash: str, session_id: str, request: Request, store: StoreDep) -> Response:
    view = View.of(request)
    stream = Stream(path_hash, session_id, "")
    target = hx_target(request)
    tab = choice(view.params, "tab", TAB_KEYS) or "timeline"
    if target == "timeline":
        store.require_session(path_hash, session_id)
        view.palette = palette(store)
        context = timeline_context(store, view, stream, timeline_query(view.params))
        return page_response(request, "timeline/_timeline.html", context)
    detail = store.session(path_hash, session_id)
    view.palette = palette(store)
    metrics = store.session_metrics(path_hash, session_id, detail)
    context = {
        "view": view,
        "stream": stream,
        "detail": detail,
        "metrics": metrics,
        "tab": tab,
        "tabs": TABS,
        "section": section_context(store, view, path_hash, session_id, tab),
    }
    if tab == "timeline":
        context["filters"] = stream.messages(store).filters()
        context.update(timeline_context(store, view, stream, timeline_query(view.params)))
    if target == "tab-panel":
        return page_response(request, "session/_panel.html", context)
    name = render.project_name(detail.project_path, path_hash)
    title = session_title(detail.title, detail.first_prompt)
    context.update(
        title=f"{render.one_line(title, 60)} · claude-code-tracer",
        session_title=title,
        name=name,
        crumbs=[(name, view.project_url(path_hash)), (render.one_line(title, 48), None)],
        live={"scope": "session", "project": path_hash, "session": session_id},
    )
    return page_response(request, "session/page.html", context)


@router.get(
    "/sessions/{path_hash}/{session_id}/timeline",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def session_timeline(
    path_hash: str, session_id: str, request: Request, store: StoreDep
) -> Response:
    store.require_session(path_hash, session_id)
    return chunk_response(request, store, Stream(path_hash, session_id, ""))


@router.get(
    "/sessions/{path_hash}/{session_id}/entries/{uuid}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def session_entry(
    path_hash: str, session_id: str, uuid: str, request: Request, store: StoreDep
) -> Response:
    store.require_session(path_hash, session_id)
    return entry_response(request, store, Stream(path_hash, session_id, ""), uuid)


@router.get("/sessions/{path_hash}/{session_id}/at/{uuid}", include_in_schema=False)
def session_at(
    path_hash: str, session_id: str, uuid: str, request: Request, store: StoreDep
) -> Response:
    return at_response(request, store, path_hash, session_id, uuid)


# ---------------------------------------------------------------------------------------------
# subagent


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_page(
    path_hash: str, session_id: str, agent_id: str, request: Request, store: StoreDep
) -> Response:
    view = View.of(request)
    agent = store.subagent(path_hash, agent_id, session_id)
    stream = Stream(path_hash, session_id, agent_id)
    view.palette = palette(store)
    tq = timeline_query(view.params)
    context = timeline_context(store, view, stream, tq)
    if hx_target(request) == "timeline":
        return page_response(request, "timeline/_timeline.html", context)
    session_name = session_title(agent.session_title, None)
    project_path = agent.project_path
    name = render.project_name(project_path, path_hash)
    label = agent.agent_type or agent.kind
    context.update(
        agent=agent,
        filters=stream.messages(store).filters(),
        tools=store.tools(path_hash, session_id, agent_id),
        name=name,
        title=f"{label} · claude-code-tracer",
        crumbs=[
            (name, view.project_url(path_hash)),
            (render.one_line(session_name, 40), view.session_url(path_hash, session_id)),
            (label, None),
        ],
        live={
            "scope": "agent",
            "project": path_hash,
            "session": session_id,
            "agent": agent_id,
        },
    )
    return page_response(request, "subagent/page.html", context)


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}/timeline",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_timeline(
    path_hash: str, session_id: str, agent_id: str, request: Request, store: StoreDep
) -> Response:
    store.require_subagent(path_hash, session_id, agent_id)
    return chunk_response(request, store, Stream(path_hash, session_id, agent_id))


@router.get(
    "/subagents/{path_hash}/{session_id}/{agent_id}/entries/{uuid}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def subagent_entry(
    path_hash: str, session_id: str, agent_id: str, uuid: str, request: Request, store: StoreDep
) -> Response:
    store.require_subagent(path_hash, session_id, agent_id)
    return entry_response(request, store, Stream(path_hash, session_id, agent_id), uuid)


# ---------------------------------------------------------------------------------------------
# pricing


@router.get("/pricing", response_class=HTMLResponse, include_in_schema=False)
def pricing_page(request: Request, store: StoreDep) -> Response:
    view = View.of(request)
    info = store.pricing()
    view.palette = palette(store)
    search = text_param(view.params, "q")
    prices = [p for p in info.prices if not search or search.lower() in p.model.lower()]
    context = {"view": view, "info": info, "prices": prices, "search": search}
    context["fetched"] = parse_time(info.fetched_at)
    if hx_target(request) == "price-table":
        return page_response(request, "_price_table.html", context)
    context.update(
        title="Pricing · claude-code-tracer",
        crumbs=[("Pricing", None)],
        live={"scope": "pricing"},
    )
    return page_response(request, "pricing.html", context)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=308)
