"""Where a report's figures come from: the index itself (brought up to date first), or the
running server that holds it open, over its JSON API. Both answer with the same models."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from claude_code_tracer import __version__
from claude_code_tracer.config import Settings
from claude_code_tracer.index.cursor import NotFound, TimeRange
from claude_code_tracer.index.models.reports import (
    DailyReport,
    MonthlyReport,
    ProjectReport,
    PromptReport,
    SessionReport,
    UsageReport,
    WeeklyReport,
)
from claude_code_tracer.index.queries import SortOrder
from claude_code_tracer.index.store_prompts import PromptReads
from claude_code_tracer.index.store_reports import ReportReads
from claude_code_tracer.index.store_windows import WindowReads
from claude_code_tracer.transcript.kinds import PromptSort, ReportKind, Weekday

if TYPE_CHECKING:
    from claude_code_tracer.index.models.windows import BlockList
    from claude_code_tracer.index.schema import Database


class Reads(ReportReads, WindowReads, PromptReads):
    """What a terminal report reads of the index (the API's Store reads, these families)."""


SERVER_SUFFIX = ".server.json"  # beside the index: how to reach the server that holds it
SERVER_TIMEOUT_S = 10.0
REPORT_MODELS: dict[ReportKind, type[UsageReport]] = {
    "daily": DailyReport,
    "weekly": WeeklyReport,
    "monthly": MonthlyReport,
    "session": SessionReport,
    "project": ProjectReport,
}


class ReportError(Exception):
    """A report cannot be made; the message says why in one line."""


@dataclass(frozen=True)
class Query:
    kind: ReportKind
    since: date | None
    until: date | None
    tz: str
    project: str | None = None
    order: SortOrder | None = None
    week_start: Weekday = "monday"


@dataclass(frozen=True)
class BlocksQuery:
    since: date | None
    until: date | None
    tz: str
    active_only: bool = False
    token_limit: int | Literal["max"] | None = None
    cost_limit: float | Literal["max"] | None = None


@dataclass(frozen=True)
class PromptsQuery:
    since: date | None
    until: date | None
    tz: str
    project: str | None = None
    sort: PromptSort = "cost"
    limit: int | None = None
    order: SortOrder | None = None


class Source(Protocol):
    def report(self, query: Query) -> UsageReport: ...

    def blocks(self, query: BlocksQuery) -> BlockList: ...

    def prompts(self, query: PromptsQuery) -> PromptReport: ...

    def project_hashes(self) -> dict[str, str | None]:
        """Every project: its folder name -> its real path."""
        ...


def server_file(settings: Settings) -> Path:
    return settings.db_path.with_name(settings.db_path.name + SERVER_SUFFIX)


def local_url(host: str, port: int) -> str:
    """The address this machine reaches a server on (a wildcard host answers on loopback)."""
    if host in ("", "0.0.0.0"):  # noqa: S104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce_server(settings: Settings) -> Path:
    """Say where the server that holds the index answers (withdrawn when it stops)."""
    path = server_file(settings)
    url = local_url(settings.host, settings.port)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"pid": os.getpid(), "url": url, "index": str(settings.db_path), "version": __version__}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)
    return path


def withdraw_server(settings: Settings) -> None:
    """Take back what `announce_server` said, if this process said it."""
    path = server_file(settings)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if int(json.loads(path.read_text(encoding="utf-8"))["pid"]) == os.getpid():
            path.unlink()


def running_server(settings: Settings) -> str | None:
    """The URL of a live server that holds this index, if there is one."""
    try:
        doc = json.loads(server_file(settings).read_text(encoding="utf-8"))
        pid, url, index = int(doc["pid"]), str(doc["url"]), str(doc["index"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if index != str(settings.db_path) or not url.startswith("http://"):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return url


class LocalSource:
    """The index itself, read in this process."""

    def __init__(self, store: Reads) -> None:
        self.store = store

    def prompts(self, query: PromptsQuery) -> PromptReport:
        rng = TimeRange.of(query.since, query.until, query.tz)
        try:
            return self.store.prompts(
                query.project, None, rng, sort=query.sort, order=query.order, limit=query.limit
            )
        except NotFound as exc:
            raise ReportError(f"unknown {exc.what}") from exc

    def blocks(self, query: BlocksQuery) -> BlockList:
        return self.store.blocks(
            TimeRange.of(query.since, query.until, query.tz),
            active_only=query.active_only,
            token_limit=query.token_limit,
            cost_limit=query.cost_limit,
        )

    def report(self, query: Query) -> UsageReport:
        rng = TimeRange.of(query.since, query.until, query.tz)
        s, p = self.store, query.project
        try:
            if query.kind == "daily":
                return s.daily_report(p, rng, query.order or "asc")
            if query.kind == "weekly":
                return s.weekly_report(p, rng, query.order or "asc", query.week_start)
            if query.kind == "monthly":
                return s.monthly_report(p, rng, query.order or "asc")
            if query.kind == "session":
                return s.session_report(p, rng, query.order or "desc")
            return s.project_report(p, rng, query.order or "desc")
        except NotFound as exc:
            raise ReportError(f"unknown {exc.what}") from exc

    def project_hashes(self) -> dict[str, str | None]:
        return self.store.project_names()


class ServerSource:
    """The running server that holds the index, over its JSON API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str, params: dict[str, str]) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        query = urllib.parse.urlencode(params)
        target = f"{self.url}{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(target, timeout=SERVER_TIMEOUT_S) as response:  # noqa: S310
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc.read())
            if exc.code == 404:
                raise ReportError(f"unknown {detail or 'project'}") from exc
            raise ReportError(f"the server at {self.url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ReportError(f"the server at {self.url} does not answer ({exc})") from exc

    def report(self, query: Query) -> UsageReport:
        params = {"tz": query.tz}
        if query.since:
            params["since"] = query.since.isoformat()
        if query.until:
            params["until"] = query.until.isoformat()
        if query.project:
            params["project"] = query.project
        if query.order:
            params["order"] = query.order
        if query.kind == "weekly":
            params["week_start"] = query.week_start
        body = self._get(f"/api/reports/{query.kind}", params)
        return REPORT_MODELS[query.kind].model_validate_json(body)

    def blocks(self, query: BlocksQuery) -> BlockList:
        from claude_code_tracer.index.models.windows import BlockList

        params = {"tz": query.tz, "active": "true" if query.active_only else "false"}
        if query.since:
            params["since"] = query.since.isoformat()
        if query.until:
            params["until"] = query.until.isoformat()
        if query.token_limit is not None:
            params["token_limit"] = str(query.token_limit)
        if query.cost_limit is not None:
            params["cost_limit"] = str(query.cost_limit)
        return BlockList.model_validate_json(self._get("/api/blocks", params))

    def prompts(self, query: PromptsQuery) -> PromptReport:
        params = {"tz": query.tz, "sort": query.sort, "limit": str(query.limit or 5000)}
        if query.order:
            params["order"] = query.order
        if query.since:
            params["since"] = query.since.isoformat()
        if query.until:
            params["until"] = query.until.isoformat()
        path = f"/api/projects/{query.project}/prompts" if query.project else "/api/prompts"
        return PromptReport.model_validate_json(self._get(path, params))

    def project_hashes(self) -> dict[str, str | None]:
        doc = json.loads(self._get("/api/projects", {}))
        return {p["path_hash"]: p.get("project_path") for p in doc.get("projects", [])}


def _error_detail(body: bytes) -> str:
    try:
        doc = json.loads(body)
        return str(doc["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace")[:200]


def bring_up_to_date(
    db: Database, settings: Settings, progress: Callable[[Any], None] | None
) -> None:
    """Sync the index with the data directories; the indexer loads only when a file changed."""
    from claude_code_tracer.ingest.freshness import is_current

    if is_current(db, settings.claude_dirs):
        return
    from claude_code_tracer.ingest.sync import Indexer
    from claude_code_tracer.pricing import PriceBook

    prices = PriceBook(
        cache_path=settings.pricing_cache_path,
        url=settings.pricing_url,
        offline=True,
        max_age_s=settings.pricing_max_age_s,
    )
    indexer = Indexer(db, settings.claude_dirs, prices, workers=settings.workers)
    indexer.sync(progress)
    indexer.checkpoint()


@contextlib.contextmanager
def open_source(
    settings: Settings,
    progress: Callable[[Any], None] | None = None,
    now: datetime | None = None,
) -> Iterator[Source]:
    """The index brought up to date and read here; where a server holds it, that server."""
    from claude_code_tracer.index.schema import Database, IndexInUse, IndexTooNew

    try:
        db = Database(settings.db_path, refuse_newer=True)
    except IndexTooNew as exc:
        raise ReportError(str(exc)) from exc
    except IndexInUse as exc:
        url = running_server(settings)
        if url is None:
            raise ReportError(
                f"the index {settings.db_path} is in use by another process; try again"
            ) from exc
        yield ServerSource(url)
        return
    try:
        bring_up_to_date(db, settings, progress)
        with db.reading() as cur:
            yield LocalSource(Reads(cur, now=now))
    finally:
        db.close()
