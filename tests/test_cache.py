"""The response cache: answers kept per index generation, ETags, what is never cached."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from claude_code_tracer.config import Settings
from claude_code_tracer.demo.builder import ClaudeDir, Usage
from claude_code_tracer.index.store import Store
from claude_code_tracer.main import create_app
from claude_code_tracer.web.cache import ResponseCache

U = Usage(input=3, output=30, cache_1h=300, cache_read=3000)


@pytest.fixture
def client(claude_dir: ClaudeDir, tmp_path: Path) -> Iterator[TestClient]:
    s = claude_dir.project("/w/cached").session("cached-session")
    s.prompt("hello")
    s.assistant("hi there", usage=U)
    settings = Settings(
        claude_dirs=(claude_dir.root,),
        cache_dir=tmp_path / "cache",
        offline=True,
        watch=False,
        response_cache=True,
    )
    app = create_app(settings, start=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        app.state.runtime.sync_now()
        yield c


def cache_of(client: TestClient) -> ResponseCache:
    app = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(app, ResponseCache):
        app = app.app
    return app


def test_a_repeated_answer_comes_from_the_cache_until_the_index_changes(
    client: TestClient, claude_dir: ClaudeDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get("/api/projects")
    assert first.status_code == 200
    calls = []
    original = Store.projects
    monkeypatch.setattr(
        Store, "projects", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    again = client.get("/api/projects")
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert calls == []  # served without running a query
    s = claude_dir.project("/w/cached").session("second-session")
    s.prompt("more")
    s.assistant("more output", usage=U)
    client.app.state.runtime.sync_now()  # type: ignore[attr-defined]
    fresh = client.get("/api/projects")
    assert calls == [1]
    assert fresh.json()["projects"][0]["session_count"] == 2
    assert fresh.headers["etag"] != first.headers["etag"]


def test_revalidation_with_the_etag_is_a_304(client: TestClient) -> None:
    first = client.get("/api/projects/-w-cached/sessions")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    r = client.get("/api/projects/-w-cached/sessions", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["x-content-type-options"] == "nosniff"
    other = client.get("/api/projects/-w-cached/sessions", headers={"If-None-Match": 'W/"x"'})
    assert other.status_code == 200


def test_answers_differ_by_query_and_accept(client: TestClient) -> None:
    a = client.get("/api/projects/-w-cached/sessions?per_page=1")
    b = client.get("/api/projects/-w-cached/sessions?per_page=2")
    assert (a.json()["per_page"], b.json()["per_page"]) == (1, 2)
    assert client.get("/", headers={"Accept": "application/json"}).json()["name"] == (
        "claude-code-tracer"
    )
    html = client.get("/", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")


def test_errors_health_and_events_are_never_kept(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/api/sessions/-w-cached/nope").status_code == 404
    assert client.get("/health").status_code == 200
    cache = cache_of(client)
    assert not any(
        key.startswith((b"/health", b"/api/sessions/-w-cached/nope")) for key in cache.entries
    )
    before = len(cache.entries)
    client.get("/api/projects")
    assert len(cache.entries) == before + 1


def test_the_cache_stays_within_its_byte_budget(client: TestClient) -> None:
    cache = cache_of(client)
    cache.max_bytes = 1500
    for per_page in range(1, 30):
        client.get(f"/api/projects/-w-cached/sessions?per_page={per_page}")
    assert 0 < cache.size <= 1500
    assert cache.size == sum(len(e.body) for e in cache.entries.values())


def test_time_dependent_answers_expire(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = cache_of(client)
    client.get("/api/projects")
    assert cache.hits == 0
    client.get("/api/projects")
    assert cache.hits == 1
    cache.ttl_s = 0.0
    client.get("/api/projects")
    assert cache.hits == 1


def test_the_cache_can_be_turned_off(tmp_path: Path, claude_dir: ClaudeDir) -> None:
    settings = Settings(claude_dirs=(claude_dir.root,), cache_dir=tmp_path / "c2", offline=True)
    app = create_app(replace(settings, response_cache=False), start=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert "etag" not in c.get("/api/projects").headers
