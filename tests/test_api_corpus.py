"""Every endpoint on the real transcripts of ../shared/corpus: 200 with the required fields for
real ids, 404 for unknown ids, 422 for bad parameters; complete, stable message pages; filters
that return exactly what their options announce."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.api_fixtures import Api, open_api
from helpers.corpus import CORPUS_PROJECTS

ONLY_FROM_COPIES = {"a7be2f0", "afb92ff"}

CORPUS = (Path(__file__).parents[1] / "../shared/corpus/claude").resolve()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus"),
]

TOKEN_KEYS = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
}
PROJECT_FIELDS = {
    "path_hash",
    "project_path",
    "session_count",
    "tokens",
    "total_cost",
    "first_activity",
    "last_activity",
    "models",
}
SESSION_FIELDS = {
    "session_id",
    "title",
    "first_prompt",
    "start_time",
    "end_time",
    "duration_seconds",
    "message_count",
    "tool_calls",
    "tokens",
    "cost",
    "errors",
    "subagent_count",
    "models",
    "git_branch",
    "status",
}
ERROR_CATEGORIES = {"tool_error", "rejected", "interrupt", "api_retry", "api_error"}
KINDS = {"prompt", "assistant", "tool_result", "command", "subagent", "system", "error"}
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from open_api(tmp_path_factory.mktemp("corpus-api"), None, CORPUS)


@pytest.fixture(scope="module")
def ids(corpus: Api) -> dict[str, Any]:
    """Every project, session and subagent id of the corpus, read from the API."""
    projects = corpus.get("/api/projects")["projects"]
    sessions: list[tuple[str, dict[str, Any]]] = []
    agents: list[tuple[str, str, dict[str, Any]]] = []
    for p in projects:
        body = corpus.get(f"/api/projects/{p['path_hash']}/sessions", per_page=500)
        assert body["total"] == p["session_count"] == len(body["sessions"])
        for s in body["sessions"]:
            sessions.append((p["path_hash"], s))
            url = f"/api/sessions/{p['path_hash']}/{s['session_id']}/subagents"
            for a in corpus.get(url)["subagents"]:
                agents.append((p["path_hash"], s["session_id"], a))
    return {"projects": projects, "sessions": sessions, "agents": agents}


def utc(value: str | None) -> None:
    assert value is None or value.endswith("Z"), value


def check_tokens(tokens: dict[str, int]) -> None:
    assert set(tokens) >= TOKEN_KEYS
    assert tokens["total_tokens"] == sum(tokens[k] for k in TOKEN_KEYS)
    assert all(isinstance(tokens[k], int) and tokens[k] >= 0 for k in TOKEN_KEYS)


def test_the_corpus_is_all_there(ids: dict[str, Any]) -> None:
    assert len(ids["projects"]) == 7
    assert len(ids["sessions"]) == 9
    # 13 with a file, and the two Haiku subagents known only from progress copies
    assert len(ids["agents"]) == 15


def test_projects_carry_the_required_fields_and_every_billed_response(
    corpus: Api, ids: dict[str, Any]
) -> None:
    got = {}
    for p in ids["projects"]:
        assert set(p) >= PROJECT_FIELDS
        check_tokens(p["tokens"])
        utc(p["first_activity"])
        utc(p["last_activity"])
        assert p["models"] and p["total_cost"] > 0
        assert p["project_path"].startswith("/")
        t = p["tokens"]
        got[p["path_hash"]] = tuple(
            t[k]
            for k in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        )
    assert got == CORPUS_PROJECTS


def test_project_sections(corpus: Api, ids: dict[str, Any]) -> None:
    paths = corpus.app.openapi()["paths"]
    for p in ids["projects"]:
        base = f"/api/projects/{p['path_hash']}"
        metrics = corpus.get(f"{base}/metrics")
        check_tokens(metrics["tokens"])
        assert metrics["tokens"] == p["tokens"]
        assert metrics["sessions"] == p["session_count"]
        tools = corpus.get(f"{base}/tools")
        assert tools["total_calls"] == sum(t["count"] for t in tools["tools"])
        assert tools["total_calls"] == p["tool_calls"]
        for tail in ("/subagents", "/skills"):
            if f"/api/projects/{{path_hash}}{tail}" in paths:
                corpus.get(f"{base}{tail}")
        daily = corpus.get(f"/api/metrics/daily/{p['path_hash']}")
        assert {"days", "start_date", "end_date"} <= set(daily)
        assert daily["tokens"] == p["tokens"]
        for day in daily["days"]:
            check_tokens(day["tokens"])
            assert {"cost", "sessions", "messages", "models"} <= set(day)
        aggregate = corpus.get("/api/metrics/aggregate", project_hash=p["path_hash"])
        assert aggregate["tokens"] == p["tokens"]


def test_sessions_and_every_section(corpus: Api, ids: dict[str, Any]) -> None:
    for project, s in ids["sessions"]:
        assert set(s) >= SESSION_FIELDS
        check_tokens(s["tokens"])
        check_tokens(s["subagent_tokens"])
        utc(s["start_time"])
        utc(s["end_time"])
        base = f"/api/sessions/{project}/{s['session_id']}"
        detail = corpus.get(base)
        assert {k: detail[k] for k in s if k != "status"} == {
            k: v for k, v in s.items() if k != "status"
        }
        metrics = corpus.get(f"{base}/metrics")
        assert metrics["tokens"] == s["tokens"]
        assert metrics["messages"] == s["message_count"]
        tools = corpus.get(f"{base}/tools")
        assert tools["total_calls"] == s["tool_calls"]
        for t in tools["tools"]:
            assert {"name", "count", "errors", "total_duration_ms", "mean_duration_ms"} <= set(t)
        subagents = corpus.get(f"{base}/subagents")
        assert subagents["tokens"] == s["subagent_tokens"]
        assert subagents["cost"] == pytest.approx(s["subagent_cost"], abs=1e-9)
        skills = corpus.get(f"{base}/skills")
        assert skills["total"] == len(skills["calls"])
        changes = corpus.get(f"{base}/code-changes")
        assert changes["total"] == len(changes["changes"])
        errors = corpus.get(f"{base}/errors")
        assert errors["total"] == s["errors"] == len(errors["errors"])
        assert {e["category"] for e in errors["errors"]} <= ERROR_CATEGORIES
        commands = corpus.get(f"{base}/commands")
        assert commands["total"] == len(commands["commands"])
        listing = corpus.get(f"{base}/messages", per_page=3)
        assert listing["total"] == s["message_count"]
        for m in listing["messages"]:
            by_uuid = corpus.get(f"{base}/messages/{m['uuid']}")
            by_index = corpus.get(f"{base}/messages/by-index/{m['index']}")
            assert by_uuid == by_index
            assert by_uuid["uuid"] == m["uuid"]
            assert by_uuid["source_available"] is True
            if by_uuid["entry_type"] in ("user", "assistant"):
                assert by_uuid["blocks"], (base, m["index"])


def test_subagents_and_their_messages(corpus: Api, ids: dict[str, Any]) -> None:
    kinds = set()
    for project, session_id, a in ids["agents"]:
        kinds.add(a["kind"])
        aid = a["agent_id"]
        by_id = corpus.get(f"/api/subagents/{project}/{aid}")
        in_session = corpus.get(f"/api/subagents/{project}/{session_id}/{aid}")
        assert by_id == in_session
        assert {k: by_id[k] for k in a} == a
        tools = corpus.get(f"/api/subagents/{project}/{aid}/tools")
        assert tools["total_calls"] == a["tool_calls"]
        messages = all_pages(corpus, f"/api/subagents/{project}/{session_id}/{aid}/messages", 50)
        assert len(messages) == a["message_count"]
        # an agent known only from progress copies and its Task result left no messages
        assert {m["agent_id"] for m in messages} == ({aid} if messages else set())
        if not messages:
            assert aid in ONLY_FROM_COPIES and a["tokens"]["total_tokens"] > 0
    assert kinds == {"task", "compact", "inline"}


def all_pages(api: Api, url: str, per_page: int, **params: Any) -> list[dict[str, Any]]:
    first = api.get(url, per_page=per_page, **params)
    out = list(first["messages"])
    for page in range(2, first["pages"] + 1):
        body = api.get(url, per_page=per_page, page=page, **params)
        assert body["total"] == first["total"]
        out += body["messages"]
    assert len(out) == first["total"]
    return out


def biggest(ids: dict[str, Any]) -> str:
    project, s = max(ids["sessions"], key=lambda ps: ps[1]["message_count"])
    return f"/api/sessions/{project}/{s['session_id']}"


def test_pages_of_the_biggest_session_concatenate_to_total_distinct_entries(
    corpus: Api, ids: dict[str, Any]
) -> None:
    base = biggest(ids)
    total = corpus.get(f"{base}/messages", per_page=1)["total"]
    assert total > 400
    sevens = [m["uuid"] for m in all_pages(corpus, f"{base}/messages", 7)]
    fifties = [m["uuid"] for m in all_pages(corpus, f"{base}/messages", 50)]
    whole = [m["uuid"] for m in all_pages(corpus, f"{base}/messages", 500)]
    assert len(set(sevens)) == len(sevens) == total
    assert sevens == fifties == whole
    indices = [m["index"] for m in all_pages(corpus, f"{base}/messages", 500)]
    assert indices == list(range(total))


def test_every_filter_option_returns_exactly_its_count(corpus: Api, ids: dict[str, Any]) -> None:
    for project, s in ids["sessions"]:
        base = f"/api/sessions/{project}/{s['session_id']}"
        options = corpus.get(f"{base}/messages/filters")
        assert options["total"] == sum(t["count"] for t in options["types"]) == s["message_count"]
        assert {t["value"] for t in options["types"]} <= KINDS
        for key, param, field in (
            ("types", "type", "kind"),
            ("tools", "tool", "tool_names"),
            ("models", "model", "model"),
        ):
            for option in options[key]:
                got = all_pages(corpus, f"{base}/messages", 500, **{param: option["value"]})
                assert len(got) == option["count"], (base, param, option)
                for m in got:
                    value = m[field]
                    assert option["value"] in value if param == "tool" else value == option["value"]
        errors = all_pages(corpus, f"{base}/messages", 500, errors_only="true")
        assert len(errors) == options["errors"] and all(m["has_error"] for m in errors)


def test_search_finds_only_matching_entries(corpus: Api, ids: dict[str, Any]) -> None:
    base = biggest(ids)
    found = all_pages(corpus, f"{base}/messages", 500, search="the")
    total = corpus.get(f"{base}/messages", per_page=1)["total"]
    assert 0 < len(found) < total
    for m in found:
        calls = " ".join(f"{c['key_arg'] or ''} {c['name']}" for c in m["tool_calls"])
        haystack = f"{m['text']} {m['thinking'] or ''} {calls}".lower()
        assert "the" in haystack or m["text_truncated"], m["uuid"]


def test_unknown_ids_are_404(corpus: Api, ids: dict[str, Any]) -> None:
    project, s = ids["sessions"][0]
    sid = s["session_id"]
    _, agent_session, agent = ids["agents"][0]
    for path, what in (
        ("/api/projects/-nope/sessions", "project"),
        ("/api/projects/-nope/metrics", "project"),
        ("/api/projects/-nope/tools", "project"),
        ("/api/metrics/daily/-nope", "project"),
        (f"/api/sessions/{project}/{UNKNOWN}", "session"),
        (f"/api/sessions/-nope/{sid}/messages", "session"),
        (f"/api/sessions/{project}/{UNKNOWN}/errors", "session"),
        (f"/api/sessions/{project}/{sid}/messages/{UNKNOWN}", "message"),
        (f"/api/sessions/{project}/{sid}/messages/by-index/{s['message_count']}", "message"),
        (f"/api/subagents/{project}/anope", "subagent"),
        (f"/api/subagents/{project}/{agent_session}/anope/messages", "subagent"),
        (f"/api/subagents/-nope/{agent['agent_id']}/tools", "subagent"),
    ):
        r = corpus.client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"] == {
            "status": 404,
            "code": "not_found",
            "message": f"{what} not found",
            "details": [],
        }


def test_bad_parameters_are_422(corpus: Api, ids: dict[str, Any]) -> None:
    project, s = ids["sessions"][0]
    base = f"/api/sessions/{project}/{s['session_id']}"
    for path, params in (
        ("/api/projects", {"sort": "size"}),
        ("/api/projects", {"since": "2026-02-10", "until": "2026-02-01"}),
        ("/api/projects", {"tz": "Mars/Olympus"}),
        (f"/api/projects/{project}/sessions", {"sort": "bogus"}),
        (f"/api/projects/{project}/sessions", {"page": "0"}),
        (f"/api/projects/{project}/sessions", {"per_page": "10000"}),
        (f"{base}/messages", {"type": "bogus"}),
        (f"{base}/messages", {"per_page": "10000"}),
        (f"{base}/errors", {"category": "bogus"}),
        ("/api/metrics/daily", {"since": "not-a-date"}),
        ("/api/metrics/aggregate", {"until": "2026-99-01"}),
    ):
        r = corpus.client.get(path, params=params)
        assert r.status_code == 422, (path, params)
        assert r.json()["error"]["code"] == "invalid_parameters"
