"""`/`, `/api`, `/health`, `/docs`, the event stream, the error shape, and the guarantees that
hold for every route: documented response models, work off the event loop, a cursor each."""

from __future__ import annotations

import importlib
import inspect
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from claude_code_tracer import __version__
from claude_code_tracer.index.store import Store
from claude_code_tracer.main import create_app
from helpers.api_fixtures import (
    A1,
    A2,
    B2,
    SHOP_HASH,
    Api,
    World,
    api,
    make_settings,
    open_api,
    world,
)

__all__ = ["api", "world"]  # fixtures

API_INFO = {
    "name": "claude-code-tracer",
    "version": __version__,
    "docs": "/docs",
    "dashboard": "/",
    "health": "/health",
}

# Every route of the OpenAPI document and the tests that call it. A new route fails
# `test_every_route_is_covered` until it is listed here with its tests.
COVERED: dict[str, list[str]] = {
    "/": ["test_api_system::test_root_answers_programs_with_api_info"],
    "/api": ["test_api_system::test_api_info"],
    "/health": ["test_api_system::test_health_of_a_ready_index"],
    "/api/search": ["test_search::test_each_kind_of_text_is_found", "test_search::test_filters"],
    "/api/reports/daily": ["test_reports::test_daily_weekly_monthly_equal_the_daily_series"],
    "/api/reports/weekly": ["test_reports::test_the_api_serves_each_report"],
    "/api/reports/monthly": ["test_reports::test_the_api_serves_each_report"],
    "/api/reports/session": ["test_reports::test_a_report_asks_the_running_server"],
    "/api/reports/project": ["test_reports::test_the_api_serves_each_report"],
    "/api/prompts": [
        "test_reports::test_prompts_add_up_to_their_sessions",
        "test_prompts::test_the_prompt_list_sorts_pages_and_filters",
    ],
    "/api/projects/{path_hash}/prompts": [
        "test_reports::test_prompts_add_up_to_their_sessions",
        "test_prompts::test_a_resumed_session_counts_the_copied_lines_once",
    ],
    "/api/projects/{path_hash}/branches": ["test_prompts::test_git_branches_of_a_project"],
    "/api/projects/{path_hash}/commands": [
        "test_prompts::test_a_slash_command_costs_the_prompt_it_started"
    ],
    "/api/commands": ["test_prompts::test_a_slash_command_costs_the_prompt_it_started"],
    "/api/skills": ["test_prompts::test_a_skill_invoked_mid_prompt_costs_what_followed_it"],
    "/api/sessions/{path_hash}/{session_id}/prompts": [
        "test_reports::test_prompts_add_up_to_their_sessions",
        "test_prompts::test_the_prompts_of_a_session_in_order",
    ],
    "/api/blocks": ["test_windows::test_the_api_answers_with_the_injected_clock"],
    "/api/weekly": ["test_windows::test_the_api_answers_with_the_injected_clock"],
    "/api/accuracy": [
        "test_fidelity::test_the_accuracy_view_says_how_each_total_was_formed",
        "test_browser::test_accuracy_page_from_the_overview_and_a_session",
    ],
    "/api/events": ["test_api_system::test_event_stream_says_hello_then_passes_on_changes"],
    "/api/projects": [
        "test_api_projects::test_projects_all_time",
        "test_api_projects::test_projects_since_a_day_count_only_that_days_responses",
    ],
    "/api/projects/{path_hash}/sessions": [
        "test_api_projects::test_project_sessions_default",
        "test_api_projects::test_project_sessions_sort",
        "test_api_projects::test_unknown_project_is_404",
    ],
    "/api/projects/{path_hash}/metrics": [
        "test_api_projects::test_project_metrics_all_time",
        "test_api_projects::test_project_metrics_in_a_range",
    ],
    "/api/projects/{path_hash}/tools": ["test_api_projects::test_project_tools"],
    "/api/projects/{path_hash}/subagents": ["test_api_projects::test_project_subagents_by_type"],
    "/api/projects/{path_hash}/skills": ["test_api_projects::test_project_skills"],
    "/api/sessions/{path_hash}/{session_id}": [
        "test_api_sessions::test_session_detail_carries_every_summary_field",
        "test_api_sessions::test_unknown_session_is_404",
    ],
    "/api/sessions/{path_hash}/{session_id}/messages": [
        "test_api_messages::test_a1_main_thread_in_order",
        "test_api_messages::test_every_filter_option_returns_exactly_its_count",
    ],
    "/api/sessions/{path_hash}/{session_id}/messages/filters": [
        "test_api_messages::test_filter_options_a1",
    ],
    "/api/sessions/{path_hash}/{session_id}/messages/by-index/{idx}": [
        "test_api_messages::test_by_index_agrees_with_the_list",
    ],
    "/api/sessions/{path_hash}/{session_id}/messages/{uuid}": [
        "test_api_messages::test_full_entry_with_blocks_tool_inputs_results_usage_and_cost",
        "test_api_messages::test_unknown_message_is_404",
    ],
    "/api/sessions/{path_hash}/{session_id}/metrics": [
        "test_api_sessions::test_session_metrics_a1",
    ],
    "/api/sessions/{path_hash}/{session_id}/tools": [
        "test_api_sessions::test_session_tools_count_errors_and_durations",
    ],
    "/api/sessions/{path_hash}/{session_id}/subagents": [
        "test_api_sessions::test_session_subagents_a1",
    ],
    "/api/sessions/{path_hash}/{session_id}/skills": ["test_api_sessions::test_session_skills"],
    "/api/sessions/{path_hash}/{session_id}/code-changes": [
        "test_api_sessions::test_session_code_changes",
    ],
    "/api/sessions/{path_hash}/{session_id}/errors": [
        "test_api_sessions::test_session_errors_of_every_category",
    ],
    "/api/sessions/{path_hash}/{session_id}/commands": [
        "test_api_sessions::test_session_commands_of_every_source",
    ],
    "/api/subagents/{path_hash}/{agent_id}": ["test_api_subagents::test_subagent_by_id"],
    "/api/subagents/{path_hash}/{agent_id}/tools": ["test_api_subagents::test_subagent_tools"],
    "/api/subagents/{path_hash}/{session_id}/{agent_id}": [
        "test_api_subagents::test_subagent_within_its_session",
    ],
    "/api/subagents/{path_hash}/{session_id}/{agent_id}/messages": [
        "test_api_subagents::test_subagent_messages",
    ],
    "/api/metrics/pricing": ["test_api_metrics::test_pricing_shows_the_table_in_use"],
    "/api/metrics/models": ["test_api_metrics::test_model_order"],
    "/api/metrics/daily": ["test_api_metrics::test_daily_over_all_projects"],
    "/api/metrics/daily/{path_hash}": ["test_api_metrics::test_daily_of_a_project"],
    "/api/metrics/aggregate": ["test_api_metrics::test_aggregate_over_everything"],
}


def test_every_route_is_covered(api: Api) -> None:
    paths = set(api.app.openapi()["paths"])
    assert sorted(paths - set(COVERED)) == [], "routes without a test: add them to COVERED"
    assert sorted(set(COVERED) - paths) == [], "COVERED names routes the app does not serve"
    for path, tests in COVERED.items():
        assert tests, path
        for name in tests:
            module, function = name.split("::")
            assert callable(getattr(importlib.import_module(module), function, None)), name


# -- root, info, docs ------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_root_answers_programs_with_api_info(api: Api, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    r = api.client.get("/", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == API_INFO


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route of the app, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def test_root_answers_browsers_with_the_dashboard(api: Api) -> None:
    if not any(r.path == "/projects/{path_hash}" for r in api_routes(api.app.routes)):
        pytest.skip("no dashboard in this build")
    r = api.client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.lower().startswith("<!doctype html>")
    assert "<title>" in r.text


def test_api_info(api: Api) -> None:
    assert api.get("/api") == API_INFO


def test_docs_and_openapi_load(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in docs.text
    for asset in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"):
        assert api.client.get(asset).status_code == 200, asset
    assert api.client.get("/static/docs-init.js").status_code == 200
    spec = api.client.get("/openapi.json")
    assert spec.status_code == 200
    doc = spec.json()
    assert doc["info"] == {
        "title": "claude-code-tracer",
        "summary": "Where the time, tokens and money of Claude Code went.",
        "version": __version__,
    }


def schema_of(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    name = ref.rsplit("/", 1)[-1]
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


def test_every_route_documents_its_response_model(api: Api) -> None:
    doc = api.app.openapi()
    seen: set[str] = set()
    for path, ops in doc["paths"].items():
        responses = ops["get"]["responses"]
        content = responses["200"]["content"]
        if path == "/api/events":
            assert "text/event-stream" in content
            continue
        ref = content["application/json"]["schema"].get("$ref")
        assert ref, f"{path} has no response model"
        seen.add(ref)
        if path.startswith(("/api/projects", "/api/sessions", "/api/subagents", "/api/metrics")):
            for status in ("404", "422"):
                error = responses[status]["content"]["application/json"]["schema"]
                assert error["$ref"].endswith("/ErrorResponse"), (path, status)
    pending = list(seen)
    checked: set[str] = set()
    while pending:  # the models and every model they hold
        ref = pending.pop()
        if ref in checked:
            continue
        checked.add(ref)
        schema = schema_of(doc, ref)
        if "enum" in schema:
            continue
        assert schema.get("properties"), ref
        for name, prop in schema["properties"].items():
            assert prop and {"type", "$ref", "anyOf", "title"} & set(prop), (ref, name)
            text = str(prop)
            pending += [
                "#/components/schemas/" + part.split("'")[0]
                for part in text.split("#/components/schemas/")[1:]
            ]
    assert len(checked) > 40


# -- health --------------------------------------------------------------------------------------


def test_health_of_a_ready_index(api: Api, world: World) -> None:
    body = api.get("/health")
    index = body["index"]
    root = world.claude.root
    b2 = world.sessions["B2"].path
    sizes = sum(p.stat().st_size for p in world.claude.files() if p.suffix == ".jsonl")
    assert {k: body[k] for k in ("status", "version", "demo", "data_dirs")} == {
        "status": "ok",
        "version": __version__,
        "demo": False,
        "data_dirs": [{"path": str(root), "exists": True}],
    }
    expected = {
        "state": "ready",
        "ready": True,
        "files": 9,  # 5 sessions, the 2.1.x and compaction agents, the legacy and warmup agents
        "lines": world.jsonl_lines(),
        "bad_lines": 1,
        "bad_files": [{"path": str(b2), "bad_lines": 1, "reasons": {"invalid_json": 1}}],
        "projects": 2,
        "sessions": 5,
        "progress": {
            "files_done": 9,
            "files_total": 9,
            "bytes_done": sizes,
            "bytes_total": sizes,
        },
        "error": None,
    }
    assert {k: index[k] for k in expected} == expected
    assert world.jsonl_files() == 9
    assert index["last_sync"].endswith("+00:00")
    assert 0 <= index["last_sync_seconds"] < 30


def test_health_before_the_first_index(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    (claude / "projects").mkdir(parents=True)
    app = create_app(make_settings(claude, tmp_path / "cache", tmp_path), start=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        body = client.get("/health").json()
        assert (body["status"], body["index"]["state"], body["index"]["ready"]) == (
            "indexing",
            "starting",
            False,
        )
        assert (body["index"]["files"], body["index"]["sessions"]) == (0, 0)
        app.state.runtime.sync_now()
        body = client.get("/health").json()
        assert (body["status"], body["index"]["ready"], body["index"]["files"]) == ("ok", True, 0)


# -- errors ----------------------------------------------------------------------------------------


def error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": []}}


@pytest.mark.parametrize(
    "path",
    ["/api/nope", "/api/projects/x/nope", "/api/metrics/nope", "/nope.json", "/api/sessions/x"],
)
def test_unknown_endpoint_is_404_in_the_one_shape(api: Api, path: str) -> None:
    r = api.client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.json() == error(404, "not_found", "no such endpoint")


def test_api_errors_stay_json_for_browsers(api: Api) -> None:
    r = api.client.get("/api/nope", headers={"Accept": "text/html"})
    assert (r.status_code, r.json()) == (404, error(404, "not_found", "no such endpoint"))
    r = api.client.get(f"/api/sessions/{SHOP_HASH}/nope", headers={"Accept": "text/html"})
    assert (r.status_code, r.json()) == (404, error(404, "not_found", "session not found"))


def test_wrong_method_is_405_in_the_one_shape(api: Api) -> None:
    r = api.client.post("/api/projects")
    assert r.status_code == 405
    assert r.json() == error(405, "method_not_allowed", "Method Not Allowed")


def test_a_crash_is_500_in_the_one_shape(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Store, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "pricing", broken)
    api.app.state.runtime.invalidate()  # earlier answers may be cached
    client = TestClient(api.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    r = client.get("/api/metrics/pricing")
    assert (r.status_code, r.json()) == (500, error(500, "internal_error", "internal error"))


def test_foreign_host_is_refused(api: Api) -> None:
    r = api.client.get("/api/projects", headers={"Host": "evil.example:8420"})
    assert (r.status_code, r.json()) == (400, error(400, "bad_request", "unknown Host header"))
    for host in ("localhost:8420", "127.0.0.1", "[::1]:8420"):
        assert api.client.get("/api", headers={"Host": host}).status_code == 200, host


def test_security_headers_on_every_answer(api: Api) -> None:
    for path in ("/api/projects", "/api/nope", "/health"):
        headers = api.client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "default-src 'self'" in headers["content-security-policy"]


# -- the event stream ------------------------------------------------------------------------------


def test_event_stream_says_hello_then_passes_on_changes(api: Api) -> None:
    with api.client.stream("GET", "/api/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        head = [next(lines) for _ in range(3)]
        assert head == ["retry: 2000", "event: hello", 'data: {"type":"hello","state":"ready"}']
        event = {"type": "change", "projects": [SHOP_HASH], "sessions": [], "agents": []}
        api.app.state.runtime.broker.publish(event)
        got = []
        for line in lines:
            if line:
                got.append(line)
            if line.startswith("data:"):
                break
        assert got == [
            "event: change",
            f'data: {{"type":"change","projects":["{SHOP_HASH}"],"sessions":[],"agents":[]}}',
        ]


# -- work off the event loop, a cursor per request -------------------------------------------------


def test_database_routes_are_not_coroutines(api: Api) -> None:
    """Sync endpoints run in the thread pool; only the event stream (no database) is async."""
    routes = list(api_routes(api.app.routes))
    assert {r.path for r in routes} >= set(api.app.openapi()["paths"])
    for route in routes:
        if inspect.iscoroutinefunction(route.endpoint):
            assert route.path == "/api/events", route.path


def test_a_slow_query_holds_up_nothing_else(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    cursors: dict[str, Any] = {}
    original_session = Store.session
    original_projects = Store.projects

    def slow_session(self: Store, path_hash: str, session_id: str) -> Any:
        cursors["slow"] = self.cur
        started.set()
        deadline = time.monotonic() + 10
        while not release.is_set() and time.monotonic() < deadline:  # a real query, repeated
            self.cur.execute("SELECT count(*) FROM range(30000000) t(x) WHERE x % 7 = 3")
            self.cur.fetchall()
        return original_session(self, path_hash, session_id)

    def projects(self: Store, *args: Any, **kwargs: Any) -> Any:
        cursors["other"] = self.cur
        return original_projects(self, *args, **kwargs)

    monkeypatch.setattr(Store, "session", slow_session)
    monkeypatch.setattr(Store, "projects", projects)
    api.app.state.runtime.invalidate()  # earlier answers may be cached
    result: dict[str, Any] = {}

    def call() -> None:
        r = api.client.get(f"/api/sessions/{SHOP_HASH}/{A1}")
        result["status"], result["done"] = r.status_code, time.monotonic()

    thread = threading.Thread(target=call)
    thread.start()
    try:
        assert started.wait(10)
        timings = {}
        for path in (
            "/health",
            "/api/projects",
            f"/api/sessions/{SHOP_HASH}/{A2}/messages",
            f"/api/sessions/{SHOP_HASH}/{A2}/tools",
        ):
            t0 = time.monotonic()
            assert api.client.get(path).status_code == 200, path
            timings[path] = time.monotonic() - t0
        assert "status" not in result  # the slow request is still running
        assert max(timings.values()) < 0.5, timings
    finally:
        release.set()
        thread.join(15)
    assert result["status"] == 200
    assert cursors["slow"] is not cursors["other"]


def test_concurrent_requests_agree_with_serial_ones(api: Api) -> None:
    paths = [
        f"/api/sessions/{SHOP_HASH}/{A1}/messages?per_page=7&page={p}" for p in (1, 2, 3, 4)
    ] + [
        f"/api/sessions/{SHOP_HASH}/{A2}/errors",
        "/api/projects",
        f"/api/metrics/daily/{SHOP_HASH}",
        f"/api/sessions/-srv-blog/{B2}",
    ]
    serial = [api.client.get(p).json() for p in paths] * 3
    got: list[Any] = [None] * len(serial)

    def fetch(i: int) -> None:
        got[i] = api.client.get(paths[i % len(paths)]).json()

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(len(serial))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == serial


def test_the_shared_app_reindexes_nothing_between_tests(api: Api) -> None:
    assert api.app.state.runtime.indexer.sync().parsed == 0


def test_a_second_app_over_the_same_files_answers_the_same(api: Api, tmp_path: Path) -> None:
    gen = open_api(tmp_path, None, api.world.claude.root)
    other = next(gen)
    try:
        for path in ("/api/projects", f"/api/sessions/{SHOP_HASH}/{A1}/messages/filters"):
            assert other.get(path) == api.get(path)
    finally:
        next(gen, None)
