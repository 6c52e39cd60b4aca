"""The HTTP surface: who may ask, what every answer carries, and what no request can reach.

Requests go straight into the ASGI app (see `safety.raw_request`), so Host headers and paths
arrive exactly as written here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware

from claude_code_tracer import cli
from claude_code_tracer.config import DEFAULT_HOST
from claude_code_tracer.demo.builder import ClaudeDir
from claude_code_tracer.index import rollups
from claude_code_tracer.index.store import Store
from claude_code_tracer.main import create_app
from claude_code_tracer.web import pages
from helpers.safety import (
    T0,
    Ids,
    Reply,
    index_snapshot,
    indexed_app,
    leaks,
    make_settings,
    raw_request,
    small_history,
)

HTML = {"accept": "text/html,application/xhtml+xml"}
OUTSIDE = "CANARY-outside-5be0 a file beside the data directory"


@dataclass
class Served:
    app: FastAPI
    ids: Ids
    base: Path

    def get(self, path: str, **kw: Any) -> Reply:
        return raw_request(self.app, path, **kw)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("security")
    ids = small_history(ClaudeDir(base / "claude", seed=3))
    (base / "secret.txt").write_text(OUTSIDE)
    for dirpath, _, names in os.walk(base / "claude"):
        for name in names:  # old files: session status stays "ended" whatever the test's pace
            os.utime(os.path.join(dirpath, name), (T0.timestamp(), T0.timestamp()))
    app = indexed_app(base / "claude", base / "cache")
    yield Served(app, ids, base)
    app.state.runtime.stop()


def error_of(reply: Reply) -> dict[str, Any]:
    """The one JSON error shape; fails on anything else."""
    assert reply.headers["content-type"] == "application/json", reply.headers
    body = reply.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == reply.status
    assert isinstance(error["message"], str) and isinstance(error["details"], list)
    return dict(error)


# -- Host header allow-list --------------------------------------------------------------------

ACCEPTED_HOSTS = [
    "localhost",
    "localhost:8420",
    "LocalHost:8420",
    "127.0.0.1",
    "127.0.0.1:8420",
    "[::1]",
    "[::1]:8420",
]
REJECTED_HOSTS = [
    "evil.com",
    "evil.com:8420",
    "127.0.0.1.evil.com",
    "127.0.0.1.evil.com:8420",
    "localhost.evil.com",
    "localhost.",
    "localhost.:8420",
    "",
    " ",
    "127.0.0.2:8420",
    "0.0.0.0:8420",
    "[::2]:8420",
    "[::1].evil.com",
    "127.0.0.1:8420.evil.com",
    "127.0.0.1:evil",
    "localhost@evil.com",
    "evil.com#localhost",
    "localhost:8420:80",
]


@pytest.mark.parametrize("host", ACCEPTED_HOSTS)
def test_loopback_host_headers_are_served(served: Served, host: str) -> None:
    reply = served.get("/api/projects", host=host)
    assert reply.status == 200
    assert reply.json()["total"] == 2


@pytest.mark.parametrize("path", ["/api/projects", "/", "/health", "/static/favicon.svg", "/x"])
@pytest.mark.parametrize("host", [*REJECTED_HOSTS, None])
def test_any_other_host_header_gets_400_and_nothing_else(
    served: Served, host: str | None, path: str
) -> None:
    reply = served.get(path, host=host, headers=HTML)
    assert reply.status == 400
    assert error_of(reply) == {
        "status": 400,
        "code": "bad_request",
        "message": "unknown Host header",
        "details": [],
    }
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in reply.headers["content-security-policy"]


def test_the_configured_host_is_served_too(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "claude", tmp_path / "cache", host="192.168.7.7")
    app = create_app(settings, start=False)
    try:
        for host in ("192.168.7.7", "192.168.7.7:8420", "localhost:8420", "[::1]"):
            assert raw_request(app, "/health", host=host).status == 200, host
        for host in ("evil.com", "192.168.7.7.evil.com", "192.168.7.8"):
            assert raw_request(app, "/health", host=host).status == 400, host
    finally:
        app.state.runtime.stop()


# -- CORS ------------------------------------------------------------------------------------


def no_cors(reply: Reply) -> bool:
    return not any(name.lower().startswith("access-control-") for name in reply.headers)


@pytest.mark.parametrize(
    "path", ["/api/projects", "/health", "/api", "/", "/openapi.json", "/static/favicon.svg"]
)
def test_no_cors_headers_even_when_a_page_of_another_origin_asks(served: Served, path: str) -> None:
    origin = {"origin": "https://evil.example", **HTML}
    reply = served.get(path, headers=origin)
    assert reply.status == 200
    assert no_cors(reply)
    preflight = served.get(
        path,
        method="OPTIONS",
        headers={
            **origin,
            "access-control-request-method": "GET",
            "access-control-request-headers": "x-requested-with",
        },
    )
    assert preflight.status == 405
    assert no_cors(preflight)


def test_no_cors_middleware_is_installed(served: Served) -> None:
    assert not [m for m in served.app.user_middleware if m.cls is CORSMiddleware]


# -- security headers on every kind of response -------------------------------------------------


def csp_directives(reply: Reply) -> dict[str, list[str]]:
    out = {}
    for part in reply.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_guarded(reply: Reply) -> None:
    assert reply.headers["x-content-type-options"] == "nosniff"
    csp = csp_directives(reply)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert [n for n, _ in reply.header_list].count("content-security-policy") == 1


def every_kind_of_response(served: Served) -> dict[str, Reply]:
    ids = served.ids
    session = f"/api/sessions/{ids.path_hash}/{ids.session_id}"
    return {
        "json": served.get("/api/projects"),
        "json detail": served.get(f"{session}/messages/{ids.uuid}"),
        "openapi": served.get("/openapi.json"),
        "html page": served.get("/", headers=HTML),
        "html project": served.get(f"/projects/{ids.path_hash}", headers=HTML),
        "html fragment": served.get(
            f"/sessions/{ids.path_hash}/{ids.session_id}", headers={**HTML, "hx-request": "true"}
        ),
        "docs": served.get("/docs", headers=HTML),
        "static svg": served.get("/static/favicon.svg"),
        "static js": served.get("/static/js/app.js"),
        "static css": served.get("/static/css/app.css"),
        "redirect": served.get("/favicon.ico"),
        "404 json": served.get("/api/projects/nope/metrics"),
        "404 route": served.get("/api/nowhere"),
        "404 html": served.get("/projects/nope", headers=HTML),
        "404 static": served.get("/static/nope.js"),
        "405": served.get("/api/projects", method="POST"),
        "422": served.get("/api/projects", query="sort=sideways"),
        "422 html": served.get("/api/projects", query="since=yesterday", headers=HTML),
        "400": served.get("/api/projects", host="evil.com"),
    }


def test_every_kind_of_response_carries_nosniff_and_a_self_only_script_policy(
    served: Served,
) -> None:
    replies = every_kind_of_response(served)
    assert {k: r.status for k, r in replies.items()} == {
        **dict.fromkeys(replies, 200),
        "redirect": 308,
        "404 json": 404,
        "404 route": 404,
        "404 html": 404,
        "404 static": 404,
        "405": 405,
        "422": 422,
        "422 html": 422,
        "400": 400,
    }
    for kind, reply in replies.items():
        assert reply.status == 308 or reply.body, kind
        assert_guarded(reply)


def test_the_event_stream_carries_the_headers_too(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "claude", tmp_path / "cache"), start=False)
    app.state.runtime.stop_event.set()  # the stream says hello and ends
    reply = raw_request(app, "/api/events")
    app.state.runtime.stop()
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert reply.body.startswith(b"retry: 2000\nevent: hello\n")
    assert_guarded(reply)


def test_an_internal_error_shows_no_sql_no_trace_and_keeps_the_headers(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise duckdb.BinderException(
            'Binder Error: Referenced column "secret" not found in FROM clause!\n'
            "LINE 1: SELECT secret FROM files WHERE path = '/home/dev/.ssh/id_rsa'"
        )

    monkeypatch.setattr(Store, "projects", broken)
    served.app.state.runtime.invalidate()  # earlier answers may be cached
    reply = served.get("/api/projects")
    assert reply.status == 500
    assert error_of(reply) == {
        "status": 500,
        "code": "internal_error",
        "message": "internal error",
        "details": [],
    }
    assert_guarded(reply)
    page = served.get("/", headers=HTML)
    assert page.status == 500
    assert page.headers["content-type"].startswith("text/html")
    assert_guarded(page)
    for body in (reply.text, page.text):
        assert not leaks(body)
        assert "id_rsa" not in body


def test_a_failed_index_is_reported_without_its_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_history(ClaudeDir(tmp_path / "claude", seed=4))
    app = create_app(make_settings(tmp_path / "claude", tmp_path / "cache"), start=False)

    def broken(*_: Any, **__: Any) -> None:
        raise duckdb.ConversionException(
            "Conversion Error: Type INT128 with value 13835058055282163715 can't be cast\n"
            "LINE 5: SELECT sum(u.input_tokens) FROM usage u WHERE u.project_hash = ..."
        )

    monkeypatch.setattr(rollups, "refresh", broken)
    try:
        with pytest.raises(duckdb.ConversionException):
            app.state.runtime.sync_now()
        health = raw_request(app, "/health")
        index = health.json()["index"]
        assert (index["state"], index["error"]) == (
            "error",
            "ConversionException (details in the server log)",
        )
        page = raw_request(app, "/", headers=HTML)
        assert page.status == 200
        assert "ConversionException" in page.text
        for body in (health.text, page.text):
            assert not leaks(body)
            assert "13835058055282163715" not in body
    finally:
        app.state.runtime.stop()


# -- the address to listen on --------------------------------------------------------------


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """cli.main up to the point where uvicorn would listen; the hosts it was asked for.
    Nothing listens: every way into uvicorn is replaced."""
    import uvicorn

    hosts: list[str] = []

    def serve(config: uvicorn.Config) -> None:
        hosts.append(config.host)
        runtime = getattr(getattr(config.app, "state", None), "runtime", None)
        if runtime is not None:
            runtime.stop()  # as a stopping server would: its threads end before the index closes

    def server_run(self: uvicorn.Server, *_: Any, **__: Any) -> None:
        serve(self.config)

    async def server_serve(self: uvicorn.Server, *_: Any, **__: Any) -> None:
        serve(self.config)

    def run(app: Any, **kw: Any) -> None:
        serve(uvicorn.Config(app, **kw))

    monkeypatch.setattr(uvicorn.Server, "run", server_run)
    monkeypatch.setattr(uvicorn.Server, "serve", server_serve)
    monkeypatch.setattr(uvicorn, "run", run)
    return hosts


def test_loopback_by_default(no_server: list[str], claude_dir: ClaudeDir) -> None:
    args = cli.build_parser().parse_args([])
    assert cli.settings_from_args(args, env={}).host == DEFAULT_HOST == "127.0.0.1"
    assert cli.main(["--no-browser", "--offline"]) == 0
    assert no_server == ["127.0.0.1"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_another_address_needs_host_and_prints_a_warning(
    host: str,
    no_server: list[str],
    claude_dir: ClaudeDir,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--no-browser", "--offline"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert cli.main(["--host", host, "--no-browser", "--offline"]) == 0
    err = capsys.readouterr().err
    assert f"warning: listening on {host}: anyone who can reach this address" in err
    assert no_server == ["127.0.0.1", host]


@pytest.mark.parametrize("host", ["localhost", "::1", "127.0.0.1"])
def test_loopback_hosts_print_no_warning(
    host: str,
    no_server: list[str],
    claude_dir: ClaudeDir,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--host", host, "--no-browser", "--offline"]) == 0
    assert "warning" not in capsys.readouterr().err


# -- no file paths from requests ---------------------------------------------------------------

TRAVERSAL = [
    "..",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2e%2e",
    "%2F",
    "%2Fetc%2Fpasswd",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "..%5C..%5Cmain.py",
    "%00",
    "..%00",
    "notes.txt%00.jsonl",
    "%252e%252e%252f",
    "..%c0%af..%c0%afetc",
    "~root",
]


def path_routes(app: FastAPI) -> list[str]:
    """Every GET route with path parameters: the API's (its schema) and the pages'."""
    api = [p for p, item in app.openapi()["paths"].items() if "get" in item]
    html = [r.path for r in pages.router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    assert len(html) > 5
    return sorted({p for p in [*api, *html] if "{" in p})


def fill(route: str, values: dict[str, str], name: str, value: str) -> str:
    for param in re.findall(r"{(\w+)}", route):
        route = route.replace(f"{{{param}}}", value if param == name else values[param])
    return route


def assert_nothing_served(reply: Reply, served: Served) -> None:
    for marker in (
        served.ids.secret,
        OUTSIDE,
        "root:x:0:0",
        "GuardMiddleware",
        "class Cart",
        "from __future__",
    ):
        assert marker not in reply.text


def test_path_parameters_are_never_paths(served: Served) -> None:
    outside = quote(str(served.base / "secret.txt"), safe="")
    notes = quote(
        str(served.base / "claude/projects" / served.ids.path_hash / "notes.txt"), safe=""
    )
    payloads = [*TRAVERSAL, outside, notes, "..%2Fsecret.txt", f"..%2F..%2F{outside}"]
    values = served.ids.values()
    checked = 0
    for route in path_routes(served.app):
        for name in re.findall(r"{(\w+)}", route):
            for payload in payloads:
                path = fill(route, values, name, payload)
                reply = served.get(path, headers={} if route.startswith("/api/") else HTML)
                allowed = {404, 422} if name == "idx" else {404}
                assert reply.status in allowed, (path, reply.status, reply.text[:200])
                assert_nothing_served(reply, served)
                if route.startswith("/api/"):
                    error_of(reply)
                checked += 1
    assert checked > 900


STATIC_TRAVERSAL = [
    "/static/../main.py",
    "/static/..%2Fmain.py",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/swagger/../../../../../../../../etc/passwd",
    "/static/swagger/..%2F..%2Fmain.py",
    "/static//etc/passwd",
    "/static/%2Fetc%2Fpasswd",
    "/static/..%5C..%5Cmain.py",
    "/static/....//....//main.py",
    "/static/favicon.svg%00.js",
    "/static/%00",
    "/static/js/../../main.py",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2F..%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("path", STATIC_TRAVERSAL)
def test_static_files_stay_inside_their_folder(served: Served, path: str) -> None:
    for extra in ("", "{outside}"):
        target = path + extra.format(outside=str(served.base / "secret.txt"))
        reply = served.get(target)
        assert reply.status == 404, (target, reply.status)
        assert_nothing_served(reply, served)
        assert_guarded(reply)


# -- SQL: every parameter of every route ---------------------------------------------------------

INJECTIONS = [
    "' OR 1=1 --",
    '"; DROP TABLE messages; --',
    "%' UNION SELECT path, bad_reasons FROM files --",
    "1) OR (1=1",
    "\\",
    "\\'; --",
    "ü' OR 'ü'='ü 🙂 \u202e",
    "\x00' OR 1=1",
    "$1 OR $2",
    "? OR ?",
    "a" * 5000,
]
HARMLESS = "zzzunknown"
# parameters whose value is text to look for: a payload is searched for (it may match, or be
# an unreadable search), so only the status and what the answer leaks are checked
SEARCHED = {("/api/search", "q")}


def harmless_like(payload: str) -> str:
    """An unknown value the route treats like the payload as far as lengths go."""
    return "z" * len(payload) if len(payload) > len(HARMLESS) else HARMLESS


def outcome(reply: Reply) -> tuple[Any, ...]:
    """What a caller learns: the status, the error code, or the whole answer."""
    if reply.status == 200:
        return (200, reply.json())
    return (reply.status, error_of(reply)["code"])


def schema_parameters(app: FastAPI) -> list[tuple[str, str, str]]:
    out = []
    for path, item in app.openapi()["paths"].items():
        op = item.get("get")
        for param in (op or {}).get("parameters", []):
            out.append((path, param["in"], param["name"]))
    return out


# about 1,300 requests (6 s): every parameter of every route, each payload and a harmless value
def test_injection_payloads_in_every_parameter_change_nothing(served: Served) -> None:
    params = schema_parameters(served.app)
    assert len(params) > 80
    values = served.ids.values()
    before = index_snapshot(served.app.state.runtime.db)
    seen: dict[tuple[str, str, str], tuple[Any, ...]] = {}

    def ask(path: str, where: str, name: str, value: str) -> Reply:
        if where == "path":
            return served.get(fill(path, values, name, quote(value, safe="")))
        return served.get(fill(path, values, "", ""), query=f"{name}={quote(value, safe='')}")

    for path, where, name in params:
        for payload in INJECTIONS:
            usual = harmless_like(payload)
            key = (path, name, usual)
            if key not in seen:
                seen[key] = outcome(ask(path, where, name, usual))
            reply = ask(path, where, name, payload)
            if (path, name) in SEARCHED:
                assert reply.status in (200, 422), (path, payload[:40], reply.text[:300])
            else:
                assert outcome(reply) == seen[key], (path, name, payload[:40], reply.text[:300])
            assert not leaks(reply.text, payload), (path, name, payload[:40], reply.text[:300])
    assert index_snapshot(served.app.state.runtime.db) == before
    assert served.get("/api/projects").json()["total"] == 2


PAGE_PARAMS = [
    "search",
    "sort",
    "order",
    "type",
    "tool",
    "model",
    "range",
    "since",
    "until",
    "page",
]
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"]


def test_page_parameters_take_payloads_without_errors_or_reflection(served: Served) -> None:
    ids = served.ids
    pages = [
        "/",
        f"/projects/{ids.path_hash}",
        f"/sessions/{ids.path_hash}/{ids.session_id}",
        f"/sessions/{ids.path_hash}/{ids.session_id}/timeline",
        f"/subagents/{ids.path_hash}/{ids.session_id}/{ids.agent_id}",
        "/pricing",
    ]
    before = index_snapshot(served.app.state.runtime.db)
    for page in pages:
        usual = served.get(page, headers=HTML).status
        assert usual == 200, page
        asks = [dict.fromkeys(PAGE_PARAMS, payload) for payload in [*INJECTIONS[:3], *XSS]]
        asks += [{name: XSS[1]} for name in PAGE_PARAMS]
        for params in asks:
            reply = served.get(page, query=urlencode(params), headers=HTML)
            assert reply.status == usual, (page, params, reply.status)
            assert not leaks(reply.text, *params.values()), (page, params)
            for tag in XSS[:2]:
                assert tag not in reply.text, (page, params)
    cookie = {**HTML, "cookie": "cct_tz=posixrules"}
    for page in pages:
        assert served.get(page, query="range=all", headers=cookie).status == 200, page
    assert index_snapshot(served.app.state.runtime.db) == before


def test_the_search_page_takes_payloads_without_errors_or_reflection(served: Served) -> None:
    before = index_snapshot(served.app.state.runtime.db)
    for payload in [*INJECTIONS, *XSS, 'kind:"<b>x</b>"', "tool:<script>"]:
        for params in (
            {"q": payload},
            {"q": "hello", "sort": payload, "offset": payload, "range": payload},
            {"q": payload, "since": payload, "until": payload},
        ):
            reply = served.get("/search", query=urlencode(params), headers=HTML)
            assert reply.status in (200, 422), (params, reply.status)
            assert not leaks(reply.text, *params.values()), params
            for tag in (*XSS[:2], "<b>x</b>", "<script>"):
                assert tag not in reply.text, params
            api = served.get("/api/search", query=urlencode(params))
            assert api.status in (200, 422), (params, api.status)
            assert not leaks(api.text, *params.values()), params
    assert index_snapshot(served.app.state.runtime.db) == before


def test_time_zones_the_index_does_not_know_are_422_not_500(served: Served) -> None:
    for tz in ("posixrules", "localtime", "posix/Europe/Paris", "right/UTC", "America", "zone.tab"):
        for path in ("/api/projects", "/api/metrics/daily", "/api/metrics/aggregate"):
            reply = served.get(path, query=f"tz={quote(tz, safe='')}")
            assert reply.status == 422, (path, tz, reply.text)
            assert error_of(reply)["message"] == f"unknown time zone: {tz!r}"
    assert served.get("/api/metrics/daily", query="tz=Pacific%2FKiritimati").status == 200
