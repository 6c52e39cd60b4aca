"""/api/projects: the project list, a project's sessions, metrics, tools, subagents and skills."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.api_fixtures import (
    A1,
    A2,
    A3,
    BLOG,
    BLOG_HASH,
    HAIKU,
    OPUS,
    SHOP,
    SHOP_HASH,
    SONNET,
    T_A1,
    T_A2,
    T_A3,
    T_B1,
    T_B2,
    UNPRICED,
    Api,
    U,
    api,
    approx_json,
    at,
    cost,
    cost_of,
    hit_rate,
    require_route,
    session_summary,
    tok,
    tool_stat,
    total,
    usage_by_model,
    usage_of,
    world,
)

__all__ = ["api", "world"]  # fixtures

NAMES = {A1: "A1", A2: "A2", A3: "A3"}
A3_LATE = {OPUS: ["a3_each"] * 15}  # the 15 answers of A3 after midnight (UTC)
A3_EARLY = A3_LATE


def project(
    path_hash: str,
    path: str,
    by_model: dict[str, list[str]],
    *,
    sessions: int,
    messages: int,
    tool_calls: int,
    errors: int,
    first: str,
    last: str,
    models: list[str],
) -> dict[str, Any]:
    u = usage_of(by_model)
    return approx_json(
        {
            "path_hash": path_hash,
            "project_path": path,
            "session_count": sessions,
            "message_count": messages,
            "tool_calls": tool_calls,
            "errors": errors,
            "tokens": tok(u),
            "total_cost": cost_of(by_model),
            "cache_hit_rate": hit_rate(u),
            "first_activity": first,
            "last_activity": last,
            "models": models,
        }
    )


SHOP_ALL = project(
    SHOP_HASH,
    SHOP,
    usage_by_model("A1", "A2", "A3"),
    sessions=3,
    messages=26 + 12 + 60,
    tool_calls=8 + 2,
    errors=6,
    first=at(T_A1, 5),
    last=at(T_A3, 225),
    models=[OPUS, SONNET, HAIKU, UNPRICED],  # by tokens
)
BLOG_ALL = project(
    BLOG_HASH,
    BLOG,
    usage_by_model("B1", "B2"),
    sessions=2,
    messages=4 + 4,
    tool_calls=1 + 1,
    errors=0,
    first=at(T_B1, 5),
    last=at(T_B2, 12.56),
    models=[SONNET],
)


# -- the project list ------------------------------------------------------------------------------


def test_projects_all_time(api: Api) -> None:
    body = api.get("/api/projects")
    assert body["projects"] == [BLOG_ALL, SHOP_ALL]  # latest activity first
    assert body["total"] == 2
    everything = usage_by_model("A1", "A2", "A3", "B1", "B2")
    assert body["tokens"] == tok(usage_of(everything))
    assert body["total_cost"] == pytest.approx(cost_of(everything), abs=1e-9)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("last_activity", [BLOG_HASH, SHOP_HASH]),
        ("first_activity", [SHOP_HASH, BLOG_HASH]),
        ("cost", [SHOP_HASH, BLOG_HASH]),
        ("tokens", [SHOP_HASH, BLOG_HASH]),
        ("sessions", [SHOP_HASH, BLOG_HASH]),
        ("name", [SHOP_HASH, BLOG_HASH]),  # /home/dev/shop < /srv/blog
    ],
)
def test_project_sort(api: Api, sort: str, expected: list[str]) -> None:
    body = api.get("/api/projects", sort=sort)
    assert [p["path_hash"] for p in body["projects"]] == expected


def test_project_costs_by_hand(api: Api) -> None:
    # blog: every response is Sonnet ($3 in, $15 out, $3.75 5-minute writes per million)
    blog = api.get("/api/projects")["projects"][0]
    assert blog["total_cost"] == pytest.approx(
        (5 + 3 + 1 + 4 + 6 + 2 + 2) * 3e-6
        + (300 + 15 + 50 + 12 + 90 + 10 + 40) * 15e-6
        + (4000 + 700 + 9800 + 100) * 3.75e-6,
        abs=1e-9,
    )


def test_projects_since_a_day_count_only_that_days_responses(api: Api) -> None:
    body = api.get("/api/projects", since="2026-02-05")
    shop_late = project(
        SHOP_HASH,
        SHOP,
        A3_LATE,
        sessions=1,  # A3 runs past midnight
        messages=60,
        tool_calls=0,
        errors=0,
        first=at(T_A3, 5),
        last=at(T_A3, 225),
        models=[OPUS],
    )
    assert body["projects"] == [BLOG_ALL, shop_late]
    assert body["tokens"] == tok(usage_of(usage_by_model("B1", "B2")) + usage_of(A3_LATE))


def test_projects_until_a_day(api: Api) -> None:
    body = api.get("/api/projects", until="2026-02-04")
    early = usage_by_model("A1", "A2")
    early[OPUS] = early[OPUS] + ["a3_each"] * 15
    shop_early = project(
        SHOP_HASH,
        SHOP,
        early,
        sessions=3,
        messages=98,
        tool_calls=10,
        errors=6,
        first=at(T_A1, 5),
        last=at(T_A3, 225),
        models=[OPUS, SONNET, HAIKU, UNPRICED],
    )
    assert body["projects"] == [shop_early]
    assert body["total"] == 1


def test_projects_on_one_day(api: Api) -> None:
    body = api.get("/api/projects", since="2026-02-06", until="2026-02-06")
    b2 = usage_by_model("B2")
    assert body["projects"] == [
        project(
            BLOG_HASH,
            BLOG,
            b2,
            sessions=1,
            messages=4,
            tool_calls=1,
            errors=0,
            first=at(T_B2, 5),
            last=at(T_B2, 12.56),
            models=[SONNET],
        )
    ]
    assert api.get("/api/projects", since="2026-03-01")["projects"] == []


def test_projects_range_in_a_time_zone(api: Api) -> None:
    # 2026-02-05 in Tokyo is 2026-02-04 15:00 to 2026-02-05 15:00 UTC: all of A3 and B1
    body = api.get("/api/projects", since="2026-02-05", until="2026-02-05", tz="Asia/Tokyo")
    got = {p["path_hash"]: (p["session_count"], p["tokens"]) for p in body["projects"]}
    assert got == {
        SHOP_HASH: (1, tok(usage_of(usage_by_model("A3")))),
        BLOG_HASH: (1, tok(usage_of(usage_by_model("B1")))),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [("blog", [BLOG_HASH]), ("-home-dev", [SHOP_HASH]), ("SHOP", [SHOP_HASH]), ("zzz", [])],
)
def test_project_search(api: Api, search: str, expected: list[str]) -> None:
    body = api.get("/api/projects", search=search)
    assert [p["path_hash"] for p in body["projects"]] == expected
    assert body["total"] == len(expected)


# -- sessions of a project -------------------------------------------------------------------------


def session_ids(api: Api, path_hash: str = SHOP_HASH, **params: Any) -> list[str]:
    body = api.get(f"/api/projects/{path_hash}/sessions", **params)
    return [NAMES.get(s["session_id"], s["session_id"]) for s in body["sessions"]]


def test_project_sessions_default(api: Api) -> None:
    body = api.get(f"/api/projects/{SHOP_HASH}/sessions")
    assert body["sessions"] == [session_summary("A3"), session_summary("A2"), session_summary("A1")]
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 50)
    blog = api.get(f"/api/projects/{BLOG_HASH}/sessions")
    assert blog["sessions"] == [session_summary("B2"), session_summary("B1")]


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("start", "desc", ["A3", "A2", "A1"]),
        ("start", "asc", ["A1", "A2", "A3"]),
        ("end", "desc", ["A3", "A2", "A1"]),
        ("cost", "desc", ["A1", "A2", "A3"]),
        ("cost", "asc", ["A3", "A2", "A1"]),
        ("tokens", "desc", ["A1", "A2", "A3"]),  # 40958, 4312, 3330
        ("duration", "desc", ["A3", "A1", "A2"]),  # 220 s, 75.36 s, 23.017 s
        ("duration", "asc", ["A2", "A1", "A3"]),
        ("messages", "desc", ["A3", "A1", "A2"]),
        ("errors", "desc", ["A2", "A1", "A3"]),  # ties by session id
    ],
)
def test_project_sessions_sort(api: Api, sort: str, order: str, expected: list[str]) -> None:
    assert session_ids(api, sort=sort, order=order) == expected


def test_project_sessions_pages(api: Api) -> None:
    first = api.get(f"/api/projects/{SHOP_HASH}/sessions", per_page=2)
    second = api.get(f"/api/projects/{SHOP_HASH}/sessions", per_page=2, page=2)
    third = api.get(f"/api/projects/{SHOP_HASH}/sessions", per_page=2, page=3)
    assert [s["session_id"] for s in first["sessions"]] == [A3, A2]
    assert [s["session_id"] for s in second["sessions"]] == [A1]
    assert third["sessions"] == []
    assert [b["total"] for b in (first, second, third)] == [3, 3, 3]
    assert [(b["page"], b["per_page"]) for b in (first, second, third)] == [(1, 2), (2, 2), (3, 2)]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("Cart discounts", ["A1"]),  # the custom title
        ("field", ["A1"]),  # only in A1's first prompt
        ("FLAKY", ["A2"]),
        ("step 0", ["A3"]),
        ("cart", ["A1"]),
        ("a2000000", ["A2"]),  # the session id
        ("nothing like this", []),
    ],
)
def test_project_sessions_search(api: Api, search: str, expected: list[str]) -> None:
    body = api.get(f"/api/projects/{SHOP_HASH}/sessions", search=search)
    assert [NAMES[s["session_id"]] for s in body["sessions"]] == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"since": "2026-02-05"}, ["A3"]),  # A3 ends after midnight
        ({"until": "2026-02-03"}, ["A2", "A1"]),
        ({"since": "2026-02-03", "until": "2026-02-03"}, ["A2"]),
        ({"since": "2026-02-04", "until": "2026-02-04"}, ["A3"]),
        ({"since": "2026-02-05", "tz": "America/New_York"}, []),  # 05:00 UTC on
        ({"until": "2026-02-02", "tz": "Asia/Tokyo"}, ["A1"]),
        ({"since": "2026-02-07"}, []),
    ],
)
def test_project_sessions_date_range(api: Api, params: dict[str, str], expected: list[str]) -> None:
    body = api.get(f"/api/projects/{SHOP_HASH}/sessions", **params)
    assert [NAMES[s["session_id"]] for s in body["sessions"]] == expected
    assert body["total"] == len(expected)


# -- metrics of a project --------------------------------------------------------------------------


def metrics(
    by_model: dict[str, list[str]], agents: dict[str, list[str]], models: list[tuple[str, int]]
) -> dict[str, Any]:
    """tokens, cost and the model breakdown expected of some responses."""
    u = usage_of(by_model)
    return approx_json(
        {
            "tokens": tok(u),
            "cost": cost_of(by_model),
            "cache_hit_rate": hit_rate(u),
            "subagent_tokens": tok(usage_of(agents)),
            "subagent_cost": cost_of(agents),
            "models": [
                {
                    "model": m,
                    "priced": m != UNPRICED,
                    "tokens": tok(usage_of({m: by_model[m]})),
                    "cost": cost_of({m: by_model[m]}),
                    "messages": n,
                }
                for m, n in models
            ],
        }
    )


def test_project_metrics_all_time(api: Api) -> None:
    body = api.get(f"/api/projects/{SHOP_HASH}/metrics")
    shop = usage_by_model("A1", "A2", "A3")
    expected = metrics(
        shop,
        usage_by_model("A1", "A2", "A3", agents_only=True),
        [(OPUS, 9 + 2 + 30), (SONNET, 1), (HAIKU, 2), (UNPRICED, 1)],
    )
    assert {k: body[k] for k in expected} == expected
    counts = {
        "path_hash": SHOP_HASH,
        "project_path": SHOP,
        "sessions": 3,
        "messages": 98,
        "prompts": 34,
        "tool_calls": 10,
        "errors": 6,
        "errors_by_category": {
            "api_error": 1,
            "api_retry": 2,
            "interrupt": 1,
            "rejected": 1,
            "tool_error": 1,
        },
        "subagents": 1,
        "lines_added": 6,
        "lines_removed": 2,
        "files_changed": 3,
        "compactions": 1,
        "first_activity": at(T_A1, 5),
        "last_activity": at(T_A3, 225),
        "unpriced_models": [UNPRICED],
    }
    assert {k: body[k] for k in counts} == counts


def test_project_metrics_blog(api: Api) -> None:
    body = api.get(f"/api/projects/{BLOG_HASH}/metrics")
    expected = metrics(
        usage_by_model("B1", "B2"),
        usage_by_model("B1", "B2", agents_only=True),
        [(SONNET, 7)],
    )
    assert {k: body[k] for k in expected} == expected
    assert (body["sessions"], body["messages"], body["prompts"], body["subagents"]) == (2, 8, 2, 2)
    assert (body["errors"], body["errors_by_category"], body["compactions"]) == (0, {}, 0)


def test_project_metrics_in_a_range(api: Api) -> None:
    body = api.get(f"/api/projects/{SHOP_HASH}/metrics", since="2026-02-05")
    expected = metrics(A3_LATE, {}, [(OPUS, 15)])
    assert {k: body[k] for k in expected} == expected
    assert (body["sessions"], body["messages"], body["prompts"]) == (1, 60, 30)
    assert (body["first_activity"], body["last_activity"]) == (at(T_A3, 5), at(T_A3, 225))
    day = api.get(f"/api/projects/{SHOP_HASH}/metrics", since="2026-02-03", until="2026-02-03")
    expected = metrics(usage_by_model("A2"), {}, [(SONNET, 1), (UNPRICED, 1), (OPUS, 2)])
    assert {k: day[k] for k in expected} == expected
    assert (day["errors"], day["sessions"]) == (6, 1)
    assert (day["first_activity"], day["last_activity"]) == (at(T_A2, 5), at(T_A2, 28.017))


# -- tools, subagents, skills of a project ---------------------------------------------------------


def test_project_tools(api: Api) -> None:
    assert api.get(f"/api/projects/{SHOP_HASH}/tools") == {
        "tools": [
            tool_stat("Bash", 4, 2, [3000, 1000, 1000, 4000]),
            tool_stat("Edit", 1, 0, [1000]),
            tool_stat("MultiEdit", 1, 0, [1000]),
            tool_stat("Read", 1, 0, [2100]),
            tool_stat("Skill", 1, 0, [200]),
            tool_stat("Task", 1, 0, [6060]),
            tool_stat("Write", 1, 0, [1000]),
        ],
        "total_calls": 10,
        "total_errors": 2,
    }
    assert api.get(f"/api/projects/{BLOG_HASH}/tools") == {
        "tools": [tool_stat("Task", 2, 0, [2560, 2560])],
        "total_calls": 2,
        "total_errors": 0,
    }


def test_project_tools_in_a_range(api: Api) -> None:
    require_route(api, "/api/projects/{path_hash}/tools", "since")
    body = api.get(f"/api/projects/{SHOP_HASH}/tools", since="2026-02-03", until="2026-02-03")
    assert body == {
        "tools": [tool_stat("Bash", 2, 2, [1000, 4000])],
        "total_calls": 2,
        "total_errors": 2,
    }


def subagent_type(
    agent_type: str, kind: str, model: str, names: list[str], seconds: float, tools: int = 0
) -> dict[str, Any]:
    u = total(*(U[n] for n in names))
    return approx_json(
        {
            "agent_type": agent_type,
            "kind": kind,
            "count": 1,
            "sessions": 1,
            "errors": 0,
            "tool_calls": tools,
            "tokens": tok(u),
            "cost": sum(cost(model, U[n]) for n in names),
            "mean_duration_seconds": seconds,
        }
    )


def test_project_subagents_by_type(api: Api) -> None:
    require_route(api, "/api/projects/{path_hash}/subagents")
    shop = api.get(f"/api/projects/{SHOP_HASH}/subagents")
    assert shop["types"] == [  # by cost
        subagent_type("compaction", "compact", OPUS, ["a1_compact"], 20.0),
        subagent_type("Explore", "task", HAIKU, ["ag_bash", "ag_finish"], 6.0, tools=1),
    ]
    assert shop["total"] == 2
    assert shop["tokens"] == tok(usage_of(usage_by_model("A1", agents_only=True)))
    blog = api.get(f"/api/projects/{BLOG_HASH}/subagents")
    assert blog["types"] == [
        subagent_type("warmup", "warmup", SONNET, ["b1_warmup"], 2.5),
        subagent_type("general-purpose", "task", SONNET, ["b1_legacy"], 2.5),
        subagent_type("general-purpose", "inline", SONNET, ["b2_inline"], 2.5),
    ]
    assert blog["cost"] == pytest.approx(
        cost_of(usage_by_model("B1", "B2", agents_only=True)), abs=1e-9
    )
    in_range = api.get(f"/api/projects/{BLOG_HASH}/subagents", since="2026-02-06")
    assert [t["kind"] for t in in_range["types"]] == ["inline"]


def test_project_skills(api: Api) -> None:
    require_route(api, "/api/projects/{path_hash}/skills")
    when = at(T_A1, 25.3)
    assert api.get(f"/api/projects/{SHOP_HASH}/skills") == {
        "skills": [
            {
                "skill": "superpowers:brainstorming",
                "count": 1,
                "errors": 0,
                "first_used": when,
                "last_used": when,
                "sessions": 1,
                "total_cost": 0.0,
                "mean_cost": 0.0,
            }
        ],
        "total": 1,
        "total_cost": 0.0,
    }
    assert api.get(f"/api/projects/{BLOG_HASH}/skills") == {
        "skills": [],
        "total": 0,
        "total_cost": 0.0,
    }
    assert api.get(f"/api/projects/{SHOP_HASH}/skills", since="2026-02-03")["total"] == 0


# -- unknown projects and bad parameters -----------------------------------------------------------

PROJECT_ROUTES = ["/sessions", "/metrics", "/tools", "/subagents", "/skills"]


@pytest.mark.parametrize("tail", PROJECT_ROUTES)
def test_unknown_project_is_404(api: Api, tail: str) -> None:
    require_route(api, "/api/projects/{path_hash}" + tail)
    r = api.client.get(f"/api/projects/-no-such-project{tail}")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"status": 404, "code": "not_found", "message": "project not found", "details": []}
    }


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/projects", {"sort": "bogus"}),
        ("/api/projects", {"since": "2026-13-01"}),
        ("/api/projects", {"until": "yesterday"}),
        ("/api/projects", {"search": "x" * 201}),
        (f"/api/projects/{SHOP_HASH}/sessions", {"sort": "bogus"}),
        (f"/api/projects/{SHOP_HASH}/sessions", {"order": "sideways"}),
        (f"/api/projects/{SHOP_HASH}/sessions", {"page": "0"}),
        (f"/api/projects/{SHOP_HASH}/sessions", {"per_page": "10000"}),
        (f"/api/projects/{SHOP_HASH}/sessions", {"since": "2026-02-30"}),
        (f"/api/projects/{SHOP_HASH}/metrics", {"until": "02/03/2026"}),
        (f"/api/projects/{SHOP_HASH}/tools", {"since": "never"}),
    ],
)
def test_bad_parameters_are_422(api: Api, path: str, params: dict[str, str]) -> None:
    r = api.client.get(path, params=params)
    assert r.status_code == 422, (path, params)
    error = r.json()["error"]
    assert (error["status"], error["code"]) == (422, "invalid_parameters")
    assert [d["loc"] for d in error["details"]] == [["query", next(iter(params))]]


@pytest.mark.parametrize(
    "path",
    ["/api/projects", f"/api/projects/{SHOP_HASH}/sessions", f"/api/projects/{SHOP_HASH}/metrics"],
)
def test_since_after_until_and_unknown_zone_are_422(api: Api, path: str) -> None:
    r = api.client.get(path, params={"since": "2026-02-06", "until": "2026-02-01"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "since is after until"
    r = api.client.get(path, params={"tz": "Mars/Phobos"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "unknown time zone: 'Mars/Phobos'"
