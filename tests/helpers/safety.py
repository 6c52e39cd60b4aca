"""What the safety tests share: a small history, raw ASGI requests and snapshots.

Raw requests go to the ASGI app as a server would hand them over (the undecoded path in
`raw_path`, the percent-decoded one in `path`, any Host header or none), so paths with `..`,
encoded slashes or NUL bytes reach the app exactly as sent; HTTP clients would normalise them.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote

import markupsafe
import orjson
from fastapi import FastAPI

from claude_code_tracer.config import Settings
from claude_code_tracer.demo.builder import ClaudeDir, Usage, bash_op, read_op
from claude_code_tracer.index.schema import Database
from claude_code_tracer.main import create_app

HOST = "127.0.0.1:8420"
SHOP = "/home/dev/shop"
BLOG = "/srv/blog"
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)

LOOP = asyncio.new_event_loop()  # one loop for every raw request: its worker threads are reused

# what an error body must never hold: SQL, a stack trace, the index's internals
LEAKS = re.compile(
    r"Traceback|File \"[^\"]*\", line \d+|\bSELECT\b|\bINSERT\b|\bWHERE\b|duckdb|"
    r"(?:Binder|Catalog|Parser|Conversion|Invalid Input) Error|LINE \d+:"
)


@dataclass
class Ids:
    """Real ids of the small history, to put next to the value under test."""

    path_hash: str
    session_id: str
    agent_id: str
    uuid: str
    idx: str = "1"
    secret: str = ""  # text of a file next to the transcripts that no request may return

    def values(self) -> dict[str, str]:
        return {
            "path_hash": self.path_hash,
            "session_id": self.session_id,
            "agent_id": self.agent_id,
            "uuid": self.uuid,
            "idx": self.idx,
        }


def small_history(claude: ClaudeDir) -> Ids:
    """Two projects: a session with tool calls, an error, a subagent and a code change."""
    shop = claude.project(SHOP)
    s = shop.session(start=T0)
    s.prompt("why does checkout fail?")
    s.run(read_op("/home/dev/shop/cart.py", "class Cart:\n    items = []\n"), usage=Usage())
    s.run(bash_op("pytest -x", "1 failed", exit_code=1), usage=Usage(input=4, output=90))
    agent = s.spawn("Find usages", "Where is Cart used?", usage=Usage(output=12))
    agent.bash("rg Cart", "cart.py:1", usage=Usage(input=2, output=30, cache_1h=400))
    agent.finish("Only cart.py.", usage=Usage(input=2, output=40, cache_read=400))
    s.edit("/home/dev/shop/cart.py", "items = []", "items: list = []", "class Cart:\n")
    s.skill("tdd", "# TDD\nRed, green, refactor.", usage=Usage(output=8))
    s.say("Fixed.", usage=Usage(input=3, output=50, cache_1h=1200, cache_read=9000))
    blog = claude.project(BLOG).session(start=T0.replace(day=3), version="2.0.76")
    blog.prompt("fix the feed")
    blog.say("Done.", usage=Usage(input=5, output=70, cache_5m=300))
    secret = "CANARY-7f3a91 not a transcript"
    (shop.path / "notes.txt").write_text(secret)
    return Ids(
        path_hash=shop.path.name,
        session_id=s.session_id,
        agent_id=agent.agent_id or "",
        uuid=s.responses[0].uuids[0],
        secret=secret,
    )


def make_settings(root: Path, cache: Path, **kw: Any) -> Settings:
    kw.setdefault("offline", True)
    kw.setdefault("watch", False)
    kw.setdefault("workers", 1)
    kw.setdefault("claude_dirs", (root,))
    return Settings(cache_dir=cache, **kw)


def indexed_app(root: Path, cache: Path, **kw: Any) -> FastAPI:
    """The app over `root`, indexed once, with no background threads."""
    app = create_app(make_settings(root, cache, **kw), start=False)
    app.state.runtime.sync_now()
    return app


# ---------------------------------------------------------------------------------------------
# raw requests


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_request(
    app: Any,
    raw_path: str,
    *,
    query: str = "",
    method: str = "GET",
    host: str | None = HOST,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request straight into the ASGI app; `raw_path` is sent as it is, undecoded."""
    sent = [] if host is None else [(b"host", host.encode("latin-1"))]
    sent += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),  # as uvicorn decodes it
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": sent,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8420),
    }
    start: dict[str, Any] = {}
    body = bytearray()
    asked = False

    async def run() -> None:
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # then the client goes away, as a server reports it
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await app(scope, receive, send)
        except Exception:
            if not start:  # an app error after the response is the server's log, not ours
                raise

    LOOP.run_until_complete(run())
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    return Reply(start["status"], dict(pairs), bytes(body), pairs)


def leaks(body: str, *echoed: str) -> list[str]:
    """SQL or stack-trace fragments in `body`, once any echo of the request's own values is
    taken out (an error may quote the time zone it did not know, a page links to itself)."""
    for value in echoed:
        forms = (
            value,
            orjson.dumps(value).decode()[1:-1],
            repr(value)[1:-1],
            str(markupsafe.escape(value)),
            html.escape(value),
            quote(value, safe=""),
            quote_plus(value, safe=""),
            str(markupsafe.escape(quote_plus(value, safe=""))),
        )
        for form in sorted(forms, key=len, reverse=True):
            body = body.replace(form, "")
    return [m.group(0) for m in LEAKS.finditer(body)]


# ---------------------------------------------------------------------------------------------
# snapshots


def index_snapshot(db: Database) -> dict[str, Any]:
    """Row counts of every table, and the projects and sessions tables in full."""
    with db.reading() as cur:
        tables = [r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        out: dict[str, Any] = {
            t: cur.execute(f'SELECT count(*) FROM "{t}"').fetchone() for t in sorted(tables)
        }
        out["projects rows"] = cur.execute("SELECT * FROM projects ORDER BY path_hash").fetchall()
        out["sessions rows"] = cur.execute(
            "SELECT * EXCLUDE (file_mtime) FROM sessions ORDER BY project_hash, session_id"
        ).fetchall()
    return out


def totals(db: Database) -> dict[str, Any]:
    """What a person sees: projects, sessions, agents, and tokens and cost per project
    (money rounded to 1e-9: sums in another order differ in the last bits)."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row)
            for row in cur.execute(sql).fetchall()
        ]

    with db.reading() as cur:
        return {
            "projects": rows(
                "SELECT path_hash, session_count, message_count, tool_calls, errors, "
                "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost "
                "FROM projects ORDER BY path_hash"
            ),
            "sessions": rows(
                "SELECT * EXCLUDE (file_mtime) FROM sessions ORDER BY project_hash, session_id"
            ),
            "agents": rows("SELECT * FROM agents ORDER BY project_hash, session_id, agent_id"),
            "counted usage": rows(
                "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage WHERE counted"
            ),
        }


def tree_snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry below `root`, links not followed: kind, mode, size, mtime and content hash."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", st.st_mode, st.st_mtime_ns, sorted(os.listdir(path)))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", st.st_mode, st.st_size, st.st_mtime_ns, _digest(path))
            else:  # a FIFO or a socket: never opened
                out[rel] = ("special", st.st_mode, st.st_mtime_ns)
    return out


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.errno}"


# ---------------------------------------------------------------------------------------------
# every endpoint and page over everything the index holds

HTML = {"accept": "text/html,application/xhtml+xml"}


class Crawl:
    """GET every API endpoint and every page for every project, session, message and
    subagent the API lists; `statuses` maps each request to its status."""

    def __init__(self, app: Any, *, entries: int = 3) -> None:
        self.app = app
        self.statuses: dict[str, int] = {}
        self.entries = entries  # entry pages per stream (each message's JSON is always read)

    def get(self, path: str, query: str = "", *, html: bool = False) -> Reply:
        reply = raw_request(self.app, path, query=query, headers=HTML if html else None)
        self.statuses[f"{path}?{query}{' (html)' if html else ''}"] = reply.status
        return reply

    def listing(self, path: str, key: str, query: str = "per_page=500") -> list[dict[str, Any]]:
        reply = self.get(path, query)
        return list(reply.json()[key]) if reply.status == 200 else []

    def run(self) -> dict[str, int]:
        for path in ("/", "/api", "/health", "/openapi.json", "/api/metrics/pricing"):
            self.get(path)
        for path in ("/api/metrics/models", "/api/metrics/daily", "/api/metrics/aggregate"):
            self.get(path)
        for path in ("/api/prompts", "/api/commands", "/api/skills"):
            self.get(path)
        self.get("/", html=True)
        self.get("/", "range=all", html=True)
        self.get("/pricing", html=True)
        self.get("/docs", html=True)
        for project in self.listing("/api/projects", "projects", ""):
            self.project(quote(project["path_hash"], safe=""))
        return self.statuses

    def project(self, h: str) -> None:
        for part in ("metrics", "tools", "subagents", "skills", "commands", "branches", "prompts"):
            self.get(f"/api/projects/{h}/{part}")
        self.get(f"/api/metrics/daily/{h}")
        self.get("/api/metrics/aggregate", f"project_hash={h}")
        self.get(f"/projects/{h}", "range=all", html=True)
        for session in self.listing(f"/api/projects/{h}/sessions", "sessions"):
            self.session(h, quote(session["session_id"], safe=""))

    def session(self, h: str, sid: str) -> None:
        base = f"/api/sessions/{h}/{sid}"
        for part in ("", "/messages/filters", "/metrics", "/tools", "/skills"):
            self.get(base + part)
        for part in ("/code-changes", "/errors", "/commands", "/prompts"):
            self.get(base + part)
        for tab in ("prompts", "skills", "commands"):
            self.get(f"/sessions/{h}/{sid}", f"tab={tab}", html=True)
        messages = self.listing(f"{base}/messages", "messages")
        self.messages(base, f"/sessions/{h}/{sid}", messages)
        for agent in self.listing(f"{base}/subagents", "subagents"):
            aid = quote(agent["agent_id"], safe="")
            self.get(f"/api/subagents/{h}/{aid}")
            self.get(f"/api/subagents/{h}/{aid}/tools")
            self.get(f"/api/subagents/{h}/{sid}/{aid}")
            listed = self.listing(f"/api/subagents/{h}/{sid}/{aid}/messages", "messages")
            self.messages(None, f"/subagents/{h}/{sid}/{aid}", listed)

    def messages(self, api: str | None, page: str, messages: list[dict[str, Any]]) -> None:
        self.get(page, html=True)
        self.get(f"{page}/timeline", html=True)
        for i, message in enumerate(messages):
            uuid = quote(message["uuid"], safe="")
            if api is not None:
                self.get(f"{api}/messages/{uuid}")
                self.get(f"{api}/messages/by-index/{message['index']}")
            if i < self.entries:
                self.get(f"{page}/entries/{uuid}", html=True)
