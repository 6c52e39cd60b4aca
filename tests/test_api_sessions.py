"""/api/sessions/{hash}/{id} and its sections, on the fixture history."""

from __future__ import annotations

import json

import pytest

from claude_code_tracer.demo.builder import REJECTED_TEXT
from helpers.api_fixtures import (
    A1,
    A1_OPUS,
    A2,
    A3,
    B1,
    B2,
    BLOG_HASH,
    HAIKU,
    OPUS,
    REVIEW_PR,
    SHOP,
    SHOP_HASH,
    SONNET,
    T_A1,
    T_A2,
    UNPRICED,
    Api,
    U,
    World,
    api,
    approx_json,
    at,
    cost,
    cost_of,
    session_summary,
    task_agent_summary,
    tok,
    tool_stat,
    total,
    world,
)

__all__ = ["api", "world"]  # fixtures

SESSIONS = {"A1": (SHOP_HASH, A1), "A2": (SHOP_HASH, A2), "A3": (SHOP_HASH, A3)}
SESSIONS.update({"B1": (BLOG_HASH, B1), "B2": (BLOG_HASH, B2)})


def url(name: str, tail: str = "") -> str:
    project, sid = SESSIONS[name]
    return f"/api/sessions/{project}/{sid}{tail}"


# -- detail --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_session_detail_carries_every_summary_field(api: Api, name: str) -> None:
    body = api.get(url(name))
    summary = {k: body[k] for k in session_summary(name)}
    assert summary == session_summary(name)


def test_session_detail_a1_extras_and_model_usage(api: Api) -> None:
    body = api.get(url("A1"))
    opus = total(*(U[n] for n in A1_OPUS))
    haiku = total(U["ag_bash"], U["ag_finish"])
    extras = {k: body[k] for k in ("project_path", "cwd", "compactions", "bad_lines")}
    assert extras == {"project_path": SHOP, "cwd": SHOP, "compactions": 1, "bad_lines": 0}
    assert body["last_activity"] == at(T_A1, 80.36)
    assert body["model_usage"] == approx_json(
        [
            {
                "model": OPUS,
                "priced": True,
                "tokens": tok(opus),
                "cost": sum(cost(OPUS, U[n]) for n in A1_OPUS),
                "messages": 9,  # 7 answers, the spawning call, the compaction agent's summary
            },
            {
                "model": HAIKU,
                "priced": True,
                "tokens": tok(haiku),
                "cost": cost(HAIKU, U["ag_bash"]) + cost(HAIKU, U["ag_finish"]),
                "messages": 2,
            },
        ]
    )


def test_session_tokens_include_subagents_and_give_their_share(api: Api) -> None:
    body = api.get(url("A1"))
    main = total(*(U[n] for n in A1_OPUS if n != "a1_compact"))
    agents = total(U["a1_compact"], U["ag_bash"], U["ag_finish"])
    assert body["tokens"] == tok(main + agents)
    assert body["subagent_tokens"] == tok(agents)
    sub_cost = cost(OPUS, U["a1_compact"]) + cost(HAIKU, U["ag_bash"]) + cost(HAIKU, U["ag_finish"])
    assert body["subagent_cost"] == pytest.approx(sub_cost, abs=1e-9)
    listed = api.get(url("A1", "/subagents"))
    assert listed["tokens"] == body["subagent_tokens"]
    assert listed["cost"] == pytest.approx(body["subagent_cost"], abs=1e-9)


def test_session_detail_unpriced_model_and_bad_lines(api: Api) -> None:
    a2 = api.get(url("A2"))
    assert [(m["model"], m["priced"], m["cost"]) for m in a2["model_usage"]] == [
        (SONNET, True, pytest.approx(cost(SONNET, U["a2_sonnet"]), abs=1e-9)),
        (UNPRICED, False, 0.0),
        (OPUS, True, pytest.approx(cost(OPUS, U["a2_bash"]) + cost(OPUS, U["a2_reject"]))),
    ]
    assert api.get(url("B2"))["bad_lines"] == 1


# -- metrics ---------------------------------------------------------------------------------------


def test_session_metrics_a1(api: Api) -> None:
    body = api.get(url("A1", "/metrics"))
    expected = session_summary("A1")
    counts = {
        "session_id": A1,
        "project_hash": SHOP_HASH,
        "sessions": 1,
        "messages": 26,
        "prompts": 2,
        "tool_calls": 8,
        "errors": 0,
        "errors_by_category": {},
        "subagents": 1,
        "lines_added": 6,
        "lines_removed": 2,
        "files_changed": 3,
        "compactions": 1,
        "first_activity": at(T_A1, 5),
        "last_activity": at(T_A1, 80.36),
        "unpriced_models": [],
        "kinds": {
            "assistant": 7,
            "command": 5,
            "prompt": 2,
            "subagent": 1,
            "system": 4,
            "tool_result": 7,
        },
    }
    assert {k: body[k] for k in counts} == counts
    for key in ("tokens", "cost", "subagent_tokens", "subagent_cost", "cache_hit_rate"):
        assert body[key] == expected[key], key
    assert body["duration_seconds"] == expected["duration_seconds"]
    assert body["models"] == api.get(url("A1"))["model_usage"]


def test_session_metrics_a2_errors_by_category(api: Api) -> None:
    body = api.get(url("A2", "/metrics"))
    assert body["errors"] == 6
    assert body["errors_by_category"] == {
        "api_error": 1,
        "api_retry": 2,
        "interrupt": 1,
        "rejected": 1,
        "tool_error": 1,
    }
    assert body["unpriced_models"] == [UNPRICED]
    assert body["kinds"] == {"assistant": 4, "error": 4, "prompt": 2, "tool_result": 2}


# -- tools -----------------------------------------------------------------------------------------


def test_session_tools_count_errors_and_durations(api: Api) -> None:
    # durations: call line to result line, from the builder's clock
    assert api.get(url("A1", "/tools")) == {
        "tools": [
            tool_stat("Bash", 2, 0, [3000, 1000]),  # main thread, then the subagent's
            tool_stat("Edit", 1, 0, [1000]),
            tool_stat("MultiEdit", 1, 0, [1000]),
            tool_stat("Read", 1, 0, [2100]),
            tool_stat("Skill", 1, 0, [200]),
            tool_stat("Task", 1, 0, [6060]),
            tool_stat("Write", 1, 0, [1000]),
        ],
        "total_calls": 8,
        "total_errors": 0,
    }
    assert api.get(url("A2", "/tools")) == {
        "tools": [tool_stat("Bash", 2, 2, [1000, 4000])],
        "total_calls": 2,
        "total_errors": 2,
    }
    assert api.get(url("A3", "/tools")) == {"tools": [], "total_calls": 0, "total_errors": 0}


# -- subagents -------------------------------------------------------------------------------------


def test_session_subagents_a1(api: Api, world: World) -> None:
    body = api.get(url("A1", "/subagents"))
    task, compact = body["subagents"]
    assert task == task_agent_summary(world)
    assert compact == approx_json(
        {
            "agent_id": world.ids["compact"],
            "session_id": A1,
            "project_hash": SHOP_HASH,
            "kind": "compact",
            "agent_type": "compaction",
            "description": "Conversation compaction",
            "spawn_tool_use_id": None,
            "spawn_message_uuid": None,
            "is_async": False,
            "start_time": at(T_A1, 52.86),
            "end_time": at(T_A1, 72.86),
            "duration_seconds": 20.0,
            "message_count": 2,
            "tool_calls": 0,
            "errors": 0,
            "tokens": tok(U["a1_compact"]),
            "cost": cost(OPUS, U["a1_compact"]),
            "models": [OPUS],
        }
    )
    assert body["total"] == 2
    assert api.get(url("A3", "/subagents")) == {
        "subagents": [],
        "total": 0,
        "tokens": tok(total()),
        "cost": 0.0,
    }


def test_session_subagents_of_every_layout(api: Api, world: World) -> None:
    b1 = api.get(url("B1", "/subagents"))["subagents"]
    assert [(a["agent_id"], a["kind"], a["agent_type"], a["description"]) for a in b1] == [
        (world.ids["legacy"], "task", "general-purpose", "Trace feed"),
        (world.ids["warmup"], "warmup", None, "Warmup"),
    ]
    assert [a["tokens"] for a in b1] == [tok(U["b1_legacy"]), tok(U["b1_warmup"])]
    b2 = api.get(url("B2", "/subagents"))["subagents"]
    assert [(a["agent_id"], a["kind"], a["agent_type"], a["description"]) for a in b2] == [
        (world.ids["inline"], "inline", "general-purpose", "Atom check")
    ]
    assert b2[0]["tokens"] == tok(U["b2_inline"])
    assert b2[0]["spawn_tool_use_id"] == world.ids["inline_call"]


# -- skills, code changes, errors, commands ------------------------------------------------------


def test_session_skills(api: Api, world: World) -> None:
    resp = world.responses["a1_skill"]
    when = at(T_A1, 25.3)
    assert api.get(url("A1", "/skills")) == {
        "skills": [
            {
                "skill": "superpowers:brainstorming",
                "count": 1,
                "errors": 0,
                "first_used": when,
                "last_used": when,
                # the skill is the first prompt's last step: nothing is billed after it
                "total_cost": 0.0,
                "mean_cost": 0.0,
            }
        ],
        "calls": [
            {
                "skill": "superpowers:brainstorming",
                "tool_use_id": resp.calls[0].id,
                "timestamp": when,
                "message_uuid": resp.uuids[0],
                "agent_id": None,
                "is_error": False,
                "duration_ms": 200,
                "cost": 0.0,
            }
        ],
        "total": 1,
    }
    assert api.get(url("A2", "/skills")) == {"skills": [], "calls": [], "total": 0}


def test_session_code_changes(api: Api, world: World) -> None:
    r = world.responses

    def change(key: str, path: str, kind: str, tool_name: str, added: int, removed: int) -> dict:
        call = r[key].calls[0]
        return {
            "file_path": f"{SHOP}/{path}",
            "change_type": kind,
            "tool_name": tool_name,
            "lines_added": added,
            "lines_removed": removed,
            "timestamp": at(T_A1, {"a1_edit": 15.8, "a1_multi": 19.3, "a1_write": 22.8}[key]),
            "message_uuid": result_uuid(world, call.id),
            "tool_use_id": call.id,
            "agent_id": None,
        }

    assert api.get(url("A1", "/code-changes")) == {
        "changes": [
            change("a1_edit", "cart.py", "modify", "Edit", 2, 1),
            change("a1_multi", "config.py", "modify", "MultiEdit", 1, 1),
            change("a1_write", "discount.py", "create", "Write", 3, 0),
        ],
        "files": [  # by lines touched, then path
            {
                "file_path": f"{SHOP}/cart.py",
                "changes": 1,
                "lines_added": 2,
                "lines_removed": 1,
                "created": False,
            },
            {
                "file_path": f"{SHOP}/discount.py",
                "changes": 1,
                "lines_added": 3,
                "lines_removed": 0,
                "created": True,
            },
            {
                "file_path": f"{SHOP}/config.py",
                "changes": 1,
                "lines_added": 1,
                "lines_removed": 1,
                "created": False,
            },
        ],
        "total": 3,
        "lines_added": 6,
        "lines_removed": 2,
    }


def result_uuid(world: World, tool_use_id: str) -> str:
    """The uuid of the line holding the result of `tool_use_id`, read back from the files."""

    for path in world.claude.files():
        if path.suffix != ".jsonl":
            continue
        for raw in path.read_bytes().splitlines():
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            content = (obj.get("message") or {}).get("content") if isinstance(obj, dict) else None
            if isinstance(content, list) and any(
                isinstance(b, dict) and b.get("tool_use_id") == tool_use_id for b in content
            ):
                return str(obj["uuid"])
    raise AssertionError(f"no result for {tool_use_id}")


def test_session_errors_of_every_category(api: Api, world: World) -> None:
    r = world.responses
    bash_id, push_id = r["a2_bash"].calls[0].id, r["a2_reject"].calls[0].id
    body = api.get(url("A2", "/errors"))
    got = [
        (e["category"], e["message"], e["timestamp"], e["tool_name"], e["status"])
        for e in body["errors"]
    ]
    assert got == [
        ("tool_error", "Exit code 1\n1 failed", at(T_A2, 8.5), "Bash", None),
        ("rejected", REJECTED_TEXT, at(T_A2, 15), "Bash", None),
        ("interrupt", "[Request interrupted by user for tool use]", at(T_A2, 15), None, None),
        ("api_retry", "API error 529 (attempt 1): Overloaded", at(T_A2, 16), None, 529),
        ("api_retry", "API error 529 (attempt 2): Overloaded", at(T_A2, 17.017), None, 529),
        ("api_error", "API Error: 500 Internal server error", at(T_A2, 18.017), None, None),
    ]
    assert [e["tool_use_id"] for e in body["errors"]] == [bash_id, push_id, None, None, None, None]
    assert body["errors"][0]["message_uuid"] == result_uuid(world, bash_id)
    assert body["errors"][3]["message_uuid"] == world.ids["a2_retry"]
    assert body["errors"][5]["message_uuid"] == world.lines["a2_synthetic"]["uuid"]
    assert all(e["agent_id"] is None for e in body["errors"])
    assert body["total"] == 6
    assert body["by_category"] == {
        "tool_error": 1,
        "rejected": 1,
        "interrupt": 1,
        "api_retry": 2,
        "api_error": 1,
    }


@pytest.mark.parametrize(
    ("category", "count"),
    [("tool_error", 1), ("rejected", 1), ("interrupt", 1), ("api_retry", 2), ("api_error", 1)],
)
def test_session_errors_filtered_by_category(api: Api, category: str, count: int) -> None:
    body = api.get(url("A2", "/errors"), category=category)
    assert [e["category"] for e in body["errors"]] == [category] * count
    assert (body["total"], body["by_category"]) == (count, {category: count})


def test_session_without_errors(api: Api) -> None:
    assert api.get(url("A1", "/errors")) == {"errors": [], "total": 0, "by_category": {}}


def test_session_commands_of_every_source(api: Api, world: World) -> None:
    body = api.get(url("A1", "/commands"))
    got = [(c["name"], c["args"], c["source"], c["timestamp"]) for c in body["commands"]]
    assert got == [
        ("/review-pr", "42", "prompt", at(T_A1, 30.5)),
        ("/model", "", "local", at(T_A1, 38)),
        ("!", "git status", "bash", at(T_A1, 43)),
    ]
    assert body["commands"][0]["message_uuid"] == world.lines["a1_command"]["uuid"]
    assert body["total"] == 3
    # the slash command costs what the prompt it started cost; a local or ! command starts none
    review = cost_of(REVIEW_PR)
    assert [c["cost"] for c in body["commands"]] == [pytest.approx(review, abs=1e-12), None, None]
    assert body["by_name"] == approx_json(
        [
            {"value": "/review-pr", "count": 1, "total_cost": review, "mean_cost": review},
            {"value": "/model", "count": 1, "total_cost": 0.0, "mean_cost": None},
            {"value": "!", "count": 1, "total_cost": 0.0, "mean_cost": None},
        ]
    )
    assert api.get(url("A3", "/commands")) == {"commands": [], "total": 0, "by_name": []}


# -- unknown ids ---------------------------------------------------------------------------------

SECTIONS = [
    "",
    "/messages",
    "/messages/filters",
    "/messages/by-index/0",
    "/metrics",
    "/tools",
    "/subagents",
    "/skills",
    "/code-changes",
    "/errors",
    "/commands",
]


@pytest.mark.parametrize("tail", SECTIONS)
@pytest.mark.parametrize(
    ("project", "sid"),
    [
        (SHOP_HASH, "00000000-0000-4000-8000-000000000000"),  # unknown session
        ("-no-such-project", A1),  # unknown project
        (BLOG_HASH, A1),  # a session of another project
    ],
)
def test_unknown_session_is_404(api: Api, project: str, sid: str, tail: str) -> None:
    r = api.client.get(f"/api/sessions/{project}/{sid}{tail}")
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "session not found",
            "details": [],
        }
    }
